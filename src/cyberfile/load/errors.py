"""Turn pydantic validation errors into diagnostics that point at file, line and column."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.diagnostics.position import PathKey
from cyberfile.load.yamlsource import SourceMap
from cyberfile.model.base import URL_HINT, UrlValueError
from cyberfile.model.manifest import GIT_REVISION_PATTERN

_NOISE_PREFIXES = ("function-", "lax-", "strict-", "json-or-python", "chain")


def clean_loc(loc: tuple[int | str, ...]) -> PathKey:
    """Drop pydantic's internal loc elements, keeping the path into the YAML data."""
    return tuple(
        part
        for part in loc
        if not (isinstance(part, str) and (part.startswith(_NOISE_PREFIXES) or part == "[key]"))
    )


def dotted(path: PathKey) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _item_context(data: Any, path: PathKey) -> tuple[str | None, PathKey]:
    """The id (or ref) of the innermost item along `path`, and the path inside it."""
    label: str | None = None
    rest: PathKey = path
    node = data
    for depth, part in enumerate(path):
        if isinstance(node, dict):
            ident = node.get("id") if isinstance(node.get("id"), str) else node.get("ref")
            if isinstance(ident, str) and depth > 0:
                label, rest = ident, path[depth:]
            node = node.get(part) if isinstance(part, str) else None
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            break
    if isinstance(node, dict) and len(rest) == len(path):
        ident = node.get("id") if isinstance(node.get("id"), str) else node.get("ref")
        if isinstance(ident, str) and path:
            label, rest = ident, ()
    return label, rest


def _node_at(data: Any, path: PathKey) -> Any:
    """The value at `path` in the data as written, or None."""
    node = data
    for part in path:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node


def _unwrap(annotation: Any) -> Iterator[Any]:
    """Yield the model classes and container element types inside an annotation."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from _unwrap(typing.get_args(annotation)[0])
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from _unwrap(arg)
    else:
        yield annotation


def model_at(root: type[BaseModel], path: PathKey) -> type[BaseModel] | None:
    """The model class that describes the mapping at `path`, if one does."""
    current: Any = root
    for part in path:
        if isinstance(part, int):
            candidates = [
                arg
                for option in _unwrap(current)
                for arg in typing.get_args(option)
                if arg is not Ellipsis
            ]
        else:
            candidates = []
            for option in _unwrap(current):
                if isinstance(option, type) and issubclass(option, BaseModel):
                    field = option.model_fields.get(part) or next(
                        (f for f in option.model_fields.values() if f.alias == part), None
                    )
                    if field is not None:
                        candidates.append(field.annotation)
        if not candidates:
            return None
        current = candidates[0]
    for option in _unwrap(current):
        if isinstance(option, type) and issubclass(option, BaseModel):
            return option
    return None


def field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if value is None:
        return "an empty value"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _closest(word: str, candidates: list[str]) -> str | None:
    """The candidate `word` (an unknown key or value) is most likely a misspelling of."""
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def relevant(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """Drop an error that only follows from another: a list reported too short because
    its one value was invalid is one mistake, not two; so is a required field reported
    missing because its key is misspelt (`titel:`), which the unknown key reports with
    "did you mean 'title'?"."""
    paths = [clean_loc(e["loc"]) for e in errors]
    missing: dict[PathKey, list[str]] = {}
    for error, path in zip(errors, paths, strict=True):
        if error["type"] == "missing" and path:
            missing.setdefault(path[:-1], []).append(str(path[-1]))
    misspelt: set[PathKey] = set()
    for error, path in zip(errors, paths, strict=True):
        if error["type"] == "extra_forbidden" and path:
            meant = _closest(str(path[-1]), missing.get(path[:-1], []))
            if meant is not None:
                misspelt.add((*path[:-1], meant))
    keep = []
    for error, path in zip(errors, paths, strict=True):
        if error["type"] == "too_short" and any(
            len(other) > len(path) and other[: len(path)] == path for other in paths
        ):
            continue
        if error["type"] == "missing" and path in misspelt:
            continue
        keep.append(error)
    return keep


def convert(
    error: ErrorDetails,
    root_model: type[BaseModel],
    data: Any,
    source: SourceMap,
    prefix: PathKey = (),
) -> Diagnostic:
    """One pydantic error as one diagnostic with the position of the offending value."""
    path = (*prefix, *clean_loc(error["loc"]))
    label, inner = _item_context(data, path)
    where = dotted(inner) if label else dotted(path)
    subject = f"{label}: {where}" if label and where else (label or where or "document")
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(path[-1]) if path else "?"
        parent = model_at(root_model, path[:-1])
        key_hint = None
        if parent is not None:
            # A required field that is missing here is the likeliest meaning (and
            # `relevant` dropped its own "missing" error on that account).
            written = _node_at(data, path[:-1])
            absent = [
                info.alias or name
                for name, info in parent.model_fields.items()
                if info.is_required()
                and isinstance(written, dict)
                and (info.alias or name) not in written
            ]
            close = _closest(key, absent) or _closest(key, field_names(parent))
            if close:
                key_hint = f"did you mean '{close}'?"
            else:
                key_hint = "allowed keys here: " + ", ".join(field_names(parent))
        owner = f"{label}" if label else (dotted(path[:-1]) or "the top level")
        return rules.UNKNOWN_KEY(source.key(path), f"unknown key '{key}' in {owner}", key_hint)
    if kind == "missing":
        field = str(path[-1]) if path else "?"
        owner = label or dotted(path[:-1]) or "the top level"
        return rules.MISSING_FIELD(
            source.value(path[:-1]), f"{owner} is missing the required field '{field}'"
        )
    position = source.value(path)
    hint: str | None = None
    if kind == "enum":
        expected = str(ctx.get("expected", ""))
        message = f"{subject}: {_describe(value)} is not one of {expected}"
        options = [o.strip(" '") for o in expected.replace(" or ", ", ").split(",")]
        meant = _closest(value, options) if isinstance(value, str) else None
        if meant:
            hint = f"did you mean '{meant}'?"
        return rules.INVALID_VALUE(position, message, hint or "use one of the listed values")
    if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
        written = source.numbers.get(path, repr(value))
        return rules.INVALID_VALUE(
            position,
            f"{subject}: expected text, found the number {written}",
            f'quote the value so it stays text: "{written}"',
        )
    if kind == "string_type" and isinstance(value, bool):
        return rules.INVALID_VALUE(
            position,
            f"{subject}: expected text, found {_describe(value)}",
            "quote the value so it stays text",
        )
    if kind == "bool_type":
        return rules.INVALID_VALUE(
            position,
            f"{subject}: expected true or false, found {_describe(value)}",
            "YAML 1.2 booleans are true and false (yes, no, on and off are text)",
        )
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        if "A-Z" in pattern and "(-[A-Z0-9]+)+" in pattern:
            return rules.INVALID_VALUE(
                position,
                f"{subject}: {_describe(value)} is not a valid id",
                "ids are upper-case words joined by hyphens, e.g. THR-012 or CTL-MTLS",
            )
        if "0-9a-f]{64}" in pattern:
            return rules.INVALID_VALUE(
                position,
                f"{subject}: {_describe(value)} is not a sha256 digest",
                "write 64 lowercase hexadecimal characters (sha256sum prints them)",
            )
        if pattern.startswith("^https?://"):
            return rules.INVALID_VALUE(
                position,
                f"{subject}: {_describe(value)} is not an https or http URL",
                "feeds are downloaded over https or http: write e.g. https://example.com/feed",
            )
        if pattern == GIT_REVISION_PATTERN:
            return rules.INVALID_VALUE(
                position,
                f"{subject}: {_describe(value)} is not a git revision name",
                "name a tag, branch or commit (v2.3.0, 266338ca0dad); it may not start with "
                "'-' or hold spaces",
            )
        if pattern.startswith("^CWE"):
            return rules.INVALID_VALUE(
                position, f"{subject}: {_describe(value)} is not a CWE id", "write e.g. CWE-787"
            )
        message = f"{subject}: {_describe(value)} does not match the pattern {pattern}"
        return rules.INVALID_VALUE(position, message)
    if kind == "too_short" and isinstance(value, list | tuple):
        return rules.INVALID_VALUE(
            position, f"{subject}: must list at least {ctx.get('min_length', 1)} value(s)"
        )
    if kind == "string_too_short":
        return rules.INVALID_VALUE(position, f"{subject}: must not be empty", "write the text")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return rules.INVALID_VALUE(
            position,
            f"{subject}: expected a mapping of keys, found {_describe(value)}",
            "write `key: value` lines under it",
        )
    if kind in ("tuple_type", "list_type"):
        return rules.INVALID_VALUE(
            position,
            f"{subject}: expected a list, found {_describe(value)}",
            "write the values as a list: [a, b] or one `- item` per line",
        )
    if kind == "literal_error":
        return rules.INVALID_VALUE(
            position, f"{subject}: {_describe(value)} is not {ctx.get('expected', 'allowed')}"
        )
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
        if isinstance(ctx.get("error"), UrlValueError):
            hint = URL_HINT  # before the tests below: the message quotes the value
        elif "date" in message:
            hint = "write the date as YYYY-MM-DD, e.g. 2026-09-01"
        elif "duration" in message:
            hint = "write a duration as 30d, 2w, 1y or P30D"
    else:
        message = f"{message[:1].lower()}{message[1:]}; found {_describe(value)}"
    return rules.INVALID_VALUE(position, f"{subject}: {message}", hint)
