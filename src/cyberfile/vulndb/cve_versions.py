"""The CVE JSON 5 `versions` algorithm, with versions compared in natural order.

This is DESIGN.md "Matching CVE records", rule 2, written against the schema's own text
(cve-schema `CVE_Record_Format.json`, `product.versions`, and `docs/versions.md`):

    for entry in product.versions:
        if entry has neither lessThan nor lessThanOrEqual and V == entry.version:
            return entry.status
        if (lessThan present and entry.version <= V < entry.lessThan) or
           (lessThanOrEqual present and entry.version <= V <= entry.lessThanOrEqual):
            status = entry.status
            for change in entry.changes, re-sorted by `at`:
                if change.at <= V: status = change.status
            return status
    return product.defaultStatus            # absent: "unknown"

**Natural order** (used for every `versionType` except `git`): the text is stripped of
surrounding whitespace and of a leading `v` before a digit, then split into runs of ASCII
digits and runs of anything else. Runs compare pairwise: two digit runs numerically
(`10` > `9`, `01` == `1`), two other runs lexically (by code point, case-sensitive), a digit
run before any other run; when one version runs out first it is the smaller (`1.2` <
`1.2.1` < `1.2a`). Separators are runs like any other (`1.2` and `1-2` differ).

**Trailing `*`** in `lessThan` or `lessThanOrEqual` is unbounded at that position: the
bound is the runs before the `*` followed by a run greater than every run, so
`lessThanOrEqual: "5.10.*"` admits every 5.10.x and nothing from 5.11, and `"*"` admits
everything.

**Unknown as a whole**: an entry cannot be evaluated, and is `unknown` for every version,
when one of its items has `versionType` `git` (commit order needs the repository), or one of
its version strings (`version`, `lessThan`, `lessThanOrEqual`, `changes[].at`), once
stripped, holds a space, comma, `<`, `>` or `=` (free text such as `"Fixed in OpenSSL
1.1.1d (Affected 1.1.1-1.1.1c)"` or `"< 2.4"`), or is a bare commit id (7 to 40 hex digits
with at least one letter and one digit, e.g. `"a3134fb09e0b"` given as a `custom` version).
A malformed item (not an object, no `version`, a non-string version) also makes the entry
unknown rather than being dropped: an entry is never silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

Status = Literal["affected", "unaffected", "unknown"]

Run = tuple[int, int, str]
"""One run of a natural key: (0, number of significant digits, the digits without leading
zeros) for a digit run, which orders digit runs numerically without converting them (no
limit on their length), (1, 0, text) for other text, and (2, 0, "") for the unbounded `*`
position, so that plain tuple comparison is the order."""

NaturalKey = tuple[Run, ...]

_RUNS = re.compile(r"[0-9]+|[^0-9]+")
_INFINITY: Final[Run] = (2, 0, "")
_FREE_TEXT = re.compile(r"[\s,<>=]")
_COMMIT = re.compile(r"[0-9a-fA-F]{7,40}")
_HAS_LETTER = re.compile(r"[a-fA-F]")
_HAS_DIGIT = re.compile(r"[0-9]")
_SUSPECT = re.compile(r"[\s,<>=]|\A\s*[0-9a-fA-F]{7,40}\s*\Z")
"""Free text, or what may be a commit id: the one test run on every version string."""


@lru_cache(maxsize=1 << 16)
def natural_key(text: str) -> NaturalKey:
    """The sort key of a version in natural order (see the module text)."""
    s = text.strip()
    if len(s) > 1 and s[0] == "v" and "0" <= s[1] <= "9":
        s = s[1:]
    return tuple(_run(run) for run in _RUNS.findall(s))


def _run(run: str) -> Run:
    if "0" <= run[0] <= "9":
        digits = run.lstrip("0")
        return (0, len(digits), digits)
    return (1, 0, run)


@lru_cache(maxsize=1 << 14)
def bound_key(text: str) -> NaturalKey:
    """The key of an upper bound: as `natural_key`, but a trailing `*` is unbounded there."""
    s = text.strip()
    if s.endswith("*"):
        return (*natural_key(s[:-1]), _INFINITY) if s[:-1].strip() else (_INFINITY,)
    return natural_key(s)


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as `a` is before, equal to or after `b` in natural order."""
    ka, kb = natural_key(a), natural_key(b)
    return (ka > kb) - (ka < kb)


def is_commit_id(text: str) -> bool:
    """A bare commit id: 7 to 40 hex digits holding at least one letter and one digit."""
    s = text.strip()
    return (
        _COMMIT.fullmatch(s) is not None
        and _HAS_LETTER.search(s) is not None
        and _HAS_DIGIT.search(s) is not None
    )


def unusable_version_text(text: str) -> str | None:
    """Why a version string cannot be ordered (free text or a commit id), or None."""
    s = text.strip()
    if _FREE_TEXT.search(s):
        return f"free-text version {text!r}"
    if is_commit_id(s):
        return f"commit id {text!r} as a version"
    return None


@dataclass(frozen=True, slots=True)
class VersionChange:
    """One `changes` item: the status from version `at` on, inside the item's range."""

    at: str
    status: str


@dataclass(frozen=True, slots=True)
class VersionItem:
    """One item of an affected entry's `versions`, as given (status lower-cased)."""

    version: str
    status: str
    version_type: str | None = None
    less_than: str | None = None
    less_than_or_equal: str | None = None
    changes: tuple[VersionChange, ...] = ()

    @property
    def is_range(self) -> bool:
        return self.less_than is not None or self.less_than_or_equal is not None


def unknown_reason(items: Sequence[VersionItem]) -> str | None:
    """Why an entry with these items is unknown as a whole (rule 2), or None if it is not."""
    suspect = _SUSPECT.search
    for item in items:
        kind = item.version_type
        if kind is not None and (kind == "git" or kind.strip().lower() == "git"):
            return "versionType git"
        for text in (item.version, item.less_than, item.less_than_or_equal):
            if text is not None and suspect(text):
                reason = unusable_version_text(text)
                if reason is not None:
                    return reason
        for change in item.changes:
            if suspect(change.at):
                reason = unusable_version_text(change.at)
                if reason is not None:
                    return reason
    return None


def _status(text: str | None) -> Status:
    if text == "affected":
        return "affected"
    if text == "unaffected":
        return "unaffected"
    return "unknown"


CompiledItem = tuple[
    bool,
    NaturalKey,
    NaturalKey | None,
    NaturalKey | None,
    Status,
    tuple[tuple[NaturalKey, Status], ...],
]
"""(is a range, key of `version`, key of `lessThan`, key of `lessThanOrEqual`, status,
changes as (key of `at`, status) sorted by key)."""


def compile_items(items: Sequence[VersionItem]) -> tuple[CompiledItem, ...]:
    """The items with their versions turned into natural keys, once (the caller has
    checked that the entry is not unknown as a whole)."""
    compiled: list[CompiledItem] = []
    for item in items:
        changes = tuple(
            sorted(
                ((natural_key(c.at), _status(c.status)) for c in item.changes),
                key=lambda change: change[0],
            )
        )
        compiled.append(
            (
                item.is_range,
                natural_key(item.version),
                None if item.less_than is None else bound_key(item.less_than),
                None if item.less_than_or_equal is None else bound_key(item.less_than_or_equal),
                _status(item.status),
                changes,
            )
        )
    return tuple(compiled)


def resolve_compiled(
    compiled: Sequence[CompiledItem], default_status: str | None, key: NaturalKey
) -> Status:
    """The schema's algorithm (module text) for the version whose natural key is `key`."""
    for is_range, low, below, upto, status, changes in compiled:
        if not is_range:
            if low == key:
                return status
            continue
        if low > key:
            continue
        if (below is not None and key < below) or (upto is not None and key <= upto):
            result = status
            for at, changed in changes:
                if at <= key:
                    result = changed
            return result
    return _status(default_status)


def resolve(items: Sequence[VersionItem], default_status: str | None, version: str) -> Status:
    """The status the schema's algorithm gives `version` (the caller has checked that the
    entry is not unknown as a whole). Statuses other than affected/unaffected are unknown."""
    return resolve_compiled(compile_items(items), default_status, natural_key(version))
