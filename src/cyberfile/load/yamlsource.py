"""Read one YAML file into plain Python data plus the line and column of every value.

This is the read path of `validate` and `drift`, so it is built for speed: libyaml's C
parser produces events and a small composer turns them into dicts, lists and scalars,
recording positions as it goes. It implements the YAML 1.2 core schema (so `on`, `yes`
and `no` are strings, and dates stay strings for the models to parse) and refuses what
the cyberfile format excludes: anchors, aliases, explicit tags, several documents,
duplicate keys, non-scalar keys and absurd nesting. Every refusal is a `YamlProblem`
with a line and column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cyberfile.diagnostics.position import PathKey, Position

try:  # libyaml bindings; the pure-Python parser is the fallback
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - exercised only where libyaml is absent
    from yaml import SafeLoader as _Parser  # type: ignore[assignment]

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 64


@dataclass(eq=False)
class YamlProblem(Exception):
    """Why a file could not be read as a cyberfile YAML document."""

    code: str
    position: Position
    message: str
    hint: str | None = None


@dataclass
class SourceMap:
    """Positions of values and of mapping keys, by path from the document root."""

    values: dict[PathKey, Position] = field(default_factory=dict)
    keys: dict[PathKey, Position] = field(default_factory=dict)
    numbers: dict[PathKey, str] = field(default_factory=dict)
    """The text as written of plain scalars read as numbers (so `2.10` is not shown as 2.1)."""

    def value(self, path: PathKey) -> Position | None:
        """Position of the value at `path`, or of its nearest ancestor that has one."""
        while True:
            found = self.values.get(path)
            if found is not None or not path:
                return found
            path = path[:-1]

    def key(self, path: PathKey) -> Position | None:
        """Position of the key that holds `path`, falling back to the value's position."""
        return self.keys.get(path) or self.value(path)

    def moved(self, move: Callable[[PathKey], PathKey | None]) -> SourceMap:
        """A copy with every path passed through `move` (None leaves the entry out). Every
        table moves alike, so that merging a part folder or renumbering the kept items
        loses none of them."""
        out = SourceMap()
        out.values = {new: v for p, v in self.values.items() if (new := move(p)) is not None}
        out.keys = {new: v for p, v in self.keys.items() if (new := move(p)) is not None}
        out.numbers = {new: v for p, v in self.numbers.items() if (new := move(p)) is not None}
        return out

    def update(self, other: SourceMap) -> None:
        """Add every entry of `other` (its entries win)."""
        self.values.update(other.values)
        self.keys.update(other.keys)
        self.numbers.update(other.numbers)


@dataclass(frozen=True)
class Document:
    path: Path
    data: dict[str, Any]
    source: SourceMap


# YAML 1.2 core schema, plain scalars only; anything else is a string.
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(inf|Inf|INF)$")
_NAN = re.compile(r"^\.(nan|NaN|NAN)$")


def resolve_plain(text: str) -> Any:
    """The value of a plain (unquoted) scalar under the YAML 1.2 core schema."""
    if text in _NULL:
        return None
    first = text[0]
    if first in "tTfF":
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return text
    if first in "0123456789-+.":
        if _INT10.match(text):
            return int(text)
        if _FLOAT.match(text):
            return float(text)
        if _INT8.match(text):
            return int(text[2:], 8)
        if _INT16.match(text):
            return int(text[2:], 16)
        if _INF.match(text):
            return -math.inf if text[0] == "-" else math.inf
        if _NAN.match(text):
            return math.nan
    return text


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    return line, offset - start + 1


def decode(raw: bytes, path: Path) -> str:
    """Decode UTF-8 (a BOM is allowed) or raise a YamlProblem at the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _line_col(raw, exc.start)
        raise YamlProblem(
            "CF101",
            Position(path, line, col),
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
            "save the file as UTF-8",
        ) from None


def read_document(path: Path, display: Path | None = None) -> Document:
    """Read and parse one YAML file; raise YamlProblem for anything unreadable."""
    shown = display or path
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise YamlProblem(
                "CF100",
                Position(shown, 1, 1),
                f"file is {size} bytes; cyberfile reads YAML files of up to "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MiB",
                "split the part into a folder of smaller files",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlProblem(
            "CF100", Position(shown, 1, 1), f"cannot read file: {exc.strerror or exc}"
        ) from None
    return parse_document(decode(raw, shown), shown)


def parse_document(text: str, path: Path) -> Document:
    """Parse YAML text that must hold exactly one mapping."""
    source = SourceMap()
    try:
        data = _compose(text, path, source)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise YamlProblem(
            "CF100",
            Position(path, line, col),
            f"invalid YAML: control character #x{exc.character:04x} is not allowed"
            if isinstance(exc.character, int)
            else f"invalid YAML: {exc.reason}",
            "the file contains binary data or control characters; is it a YAML file?",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        hint = "check indentation and quoting around this place"
        if _char_at(text, line, col) == "\t" or "tab" in problem:
            hint = "YAML does not allow tabs for indentation; indent with spaces"
        elif "unacceptable character" in problem or "control characters" in problem:
            hint = "the file contains binary data or control characters; is it a YAML file?"
        raise YamlProblem(
            "CF100", Position(path, line, col), f"invalid YAML: {problem}{context}", hint
        ) from None
    except yaml.YAMLError as exc:  # reader errors without marks
        raise YamlProblem("CF100", Position(path, 1, 1), f"invalid YAML: {exc}") from None
    return Document(path, data, source)


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n", line)
    if len(lines) < line:
        return ""
    row = lines[line - 1]
    return row[column - 1] if 0 < column <= len(row) else ""


def _compose(text: str, path: Path, source: SourceMap) -> dict[str, Any]:
    parser = _Parser(text)
    values = source.values
    keys = source.keys
    # Each frame: [container, path, pending key or None, key position, first-seen lines]
    stack: list[list[Any]] = []
    root: Any = None
    documents = 0

    def here(event: Any) -> Position:
        mark = event.start_mark
        return Position(path, mark.line + 1, mark.column + 1)

    def refuse_extras(event: Any, what: str) -> None:
        if getattr(event, "anchor", None) is not None:
            raise YamlProblem(
                "CF102",
                here(event),
                f"anchors (&{event.anchor}) are not part of the cyberfile format",
                "write the value out in full",
            )
        tag = getattr(event, "tag", None)
        if tag is not None:
            raise YamlProblem(
                "CF102",
                here(event),
                f"explicit YAML tags ({tag}) are not part of the cyberfile format",
                f"remove the tag and write the {what} plainly (quote it to make text)",
            )

    def place(value: Any, pos: Position) -> PathKey:
        """Put a value into the current container; return its path."""
        nonlocal root
        if not stack:
            root = value
            values[()] = pos
            return ()
        frame = stack[-1]
        container = frame[0]
        if isinstance(container, list):
            child: PathKey = (*frame[1], len(container))
            container.append(value)
            values[child] = pos
            return child
        key = frame[2]
        if key is None:
            raise AssertionError("value without key")  # guarded by the caller
        child = (*frame[1], key)
        container[key] = value
        values[child] = pos
        keys[child] = frame[3]
        frame[2] = None
        return child

    def expecting_key() -> bool:
        return bool(stack) and isinstance(stack[-1][0], dict) and stack[-1][2] is None

    while parser.check_event():
        event: Any = parser.get_event()
        name = type(event).__name__
        if name == "ScalarEvent":
            refuse_extras(event, "value")
            pos = here(event)
            if expecting_key():
                frame = stack[-1]
                key = event.value
                seen = frame[4]
                if key in seen:
                    raise YamlProblem(
                        "CF103",
                        pos,
                        f"duplicate key {key!r} (first at line {seen[key]})",
                        "a key may appear once per mapping; merge the two entries",
                    )
                seen[key] = pos.line
                frame[2] = key
                frame[3] = pos
                continue
            if event.implicit[0] and not event.style:
                value = resolve_plain(event.value)
                child = place(value, pos)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    source.numbers[child] = event.value
            else:
                place(event.value, pos)
        elif name in ("MappingStartEvent", "SequenceStartEvent"):
            is_map = name == "MappingStartEvent"
            refuse_extras(event, "mapping" if is_map else "list")
            pos = here(event)
            if expecting_key():
                raise YamlProblem(
                    "CF100",
                    pos,
                    "a mapping key must be a plain name, not a list or mapping",
                    "write keys as plain words",
                )
            if len(stack) >= MAX_DEPTH:
                raise YamlProblem(
                    "CF102",
                    pos,
                    f"nesting deeper than {MAX_DEPTH} levels",
                    "the cyberfile format nests a few levels; is this the right file?",
                )
            container: Any = {} if is_map else []
            child_path = place(container, pos)
            stack.append([container, child_path, None, None, {}])
        elif name in ("MappingEndEvent", "SequenceEndEvent"):
            stack.pop()
        elif name == "AliasEvent":
            raise YamlProblem(
                "CF102",
                here(event),
                f"aliases (*{event.anchor}) are not part of the cyberfile format",
                "write the value out in full",
            )
        elif name == "DocumentStartEvent":
            documents += 1
            if documents > 1:
                raise YamlProblem(
                    "CF104",
                    here(event),
                    "a second YAML document (---) in the same file",
                    "keep one document per file; a part may be a folder of files",
                )
    if documents == 0 or (root is None and not stack):
        raise YamlProblem(
            "CF104",
            Position(path, 1, 1),
            "file is empty",
            "write a mapping of keys, or delete the file",
        )
    if not isinstance(root, dict):
        kind = "a list" if isinstance(root, list) else f"a single value ({root!r:.40})"
        raise YamlProblem(
            "CF104",
            Position(path, 1, 1),
            f"expected a mapping of keys at the top of the file, found {kind}",
            "start the file with keys such as `threats:`",
        )
    return root
