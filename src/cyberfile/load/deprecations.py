"""Old spellings of enumerated values that the loader still reads, with a warning.

When a value is renamed, the models, the JSON Schemas and the documentation know only
the new spelling: editors that check files against `schemas/` flag the old one, which
nudges users to migrate. The loader stays lenient: before a part is validated, every
old spelling listed in `DEPRECATED_VALUES` is rewritten in the raw data to the new one,
and a `deprecated-value` warning (CF109) points at the value as written. Everything
after loading (documents, drift, exports) sees only the new spelling.

A later rename is one line in `DEPRECATED_VALUES`. It covers the parts (the files
other than `cyberfile.yaml`), whose data pass through `load_project`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.diagnostics.position import PathKey
from cyberfile.load.yamlsource import SourceMap

ANY = "*"
"""In a path pattern: any list index (or mapping key)."""


@dataclass(frozen=True)
class DeprecatedValue:
    part: str
    """The part whose files hold the value (`tests` for tests.yaml and tests/)."""
    path: tuple[str, ...]
    """Where the value sits, from the document root; `*` matches any list index."""
    old: str
    new: str


DEPRECATED_VALUES: tuple[DeprecatedValue, ...] = (
    # tests[].type took the spelling of evidence types (one vocabulary for activities)
    DeprecatedValue("tests", ("tests", ANY, "type"), "penetration", "penetration_test"),
    DeprecatedValue("tests", ("tests", ANY, "type"), "fuzz", "fuzz_test"),
)


def _by_part() -> dict[str, dict[tuple[str, ...], dict[str, str]]]:
    table: dict[str, dict[tuple[str, ...], dict[str, str]]] = {}
    for entry in DEPRECATED_VALUES:
        table.setdefault(entry.part, {}).setdefault(entry.path, {})[entry.old] = entry.new
    return table


_BY_PART = _by_part()


def _slots(
    node: Any, pattern: tuple[str, ...], path: PathKey, owner: Any
) -> Iterator[tuple[PathKey, Any, Any]]:
    """(path, container, owner) for every value the pattern reaches: its path, the
    mapping or list holding it (indexed by path[-1]) and the innermost mapping with an
    `id` on the way (named in the message)."""
    if isinstance(node, dict) and isinstance(node.get("id"), str):
        owner = node
    head, rest = pattern[0], pattern[1:]
    if isinstance(node, list):
        steps: list[tuple[str | int, Any]] = list(enumerate(node)) if head == ANY else []
    elif isinstance(node, dict):
        if head == ANY:
            steps = [(k, v) for k, v in node.items() if isinstance(k, str)]
        else:
            steps = [(head, node[head])] if head in node else []
    else:
        steps = []
    for key, child in steps:
        if rest:
            yield from _slots(child, rest, (*path, key), owner)
        else:
            yield (*path, key), node, owner


def apply_deprecations(part: str, data: dict[str, Any], source: SourceMap) -> list[Diagnostic]:
    """Rewrite the deprecated values of `part` in `data` (in place) to their new spelling;
    one warning per rewritten value, at the value's position in `source`."""
    patterns = _BY_PART.get(part)
    if not patterns:
        return []
    found: list[Diagnostic] = []
    for pattern, renames in patterns.items():
        for path, container, owner in _slots(data, pattern, (), None):
            key = path[-1]
            value = container[key]
            if not isinstance(value, str) or value not in renames:
                continue
            new = renames[value]
            container[key] = new
            field = str(pattern[-1]) if pattern[-1] != ANY else "value"
            label = f"{owner['id']}: " if isinstance(owner, dict) else ""
            found.append(
                rules.DEPRECATED_VALUE(
                    source.value(path),
                    f"{label}{field} '{value}' is the old spelling of '{new}'; it is read "
                    f"as '{new}'",
                    f"write `{new}`",
                )
            )
    return found
