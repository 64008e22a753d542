"""Version ordering per ecosystem, and OSV range evaluation.

PyPI versions follow PEP 440 (packaging); other ecosystems use univers' version classes.
A version that its ecosystem cannot parse is reported rather than guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from packaging.version import InvalidVersion
from packaging.version import Version as PyPIVersion


class Comparable(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...
    def __le__(self, other: Any, /) -> bool: ...


class UnparsableVersion(ValueError):
    """The text is not a version of the ecosystem."""


def _pypi(text: str) -> Comparable:
    try:
        return PyPIVersion(text)
    except InvalidVersion:
        raise UnparsableVersion(text) from None


def _univers(class_name: str) -> Callable[[str], Comparable]:
    def parse(text: str) -> Comparable:
        from univers import versions

        cls = getattr(versions, class_name)
        try:
            parsed: Comparable = cls(text)
        except Exception:  # univers raises several types for bad input
            raise UnparsableVersion(text) from None
        return parsed

    return parse


_SEMVER_LOOSE = re.compile(r"^v")


def _semver(text: str) -> Comparable:
    return _univers("SemverVersion")(_SEMVER_LOOSE.sub("", text))


PARSERS: dict[str, Callable[[str], Comparable]] = {
    "PyPI": _pypi,
    "npm": _semver,
    "crates.io": _semver,
    "Hex": _semver,
    "Pub": _semver,
    "Maven": _univers("MavenVersion"),
    "Go": _univers("GolangVersion"),
    "RubyGems": _univers("RubygemsVersion"),
    "NuGet": _univers("NugetVersion"),
    "Packagist": _univers("ComposerVersion"),
    "Debian": _univers("DebianVersion"),
    "Alpine": _univers("AlpineLinuxVersion"),
    "SEMVER": _semver,
}
"""Version parser by OSV ecosystem name (and `SEMVER` for SEMVER-typed ranges)."""


def parser_for(ecosystem: str) -> Callable[[str], Comparable] | None:
    return PARSERS.get(ecosystem.split(":", 1)[0])


@lru_cache(maxsize=65536)
def parse_version(ecosystem: str, text: str) -> Comparable:
    parser = parser_for(ecosystem)
    if parser is None:
        raise UnparsableVersion(f"no version ordering for ecosystem {ecosystem}")
    return parser(text)


@dataclass(frozen=True)
class Event:
    """One OSV range event: kind is introduced, fixed, last_affected or limit."""

    kind: str
    version: str


_EVENT_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2, "limit": 3}


def in_range(version: Comparable, events: Sequence[Event], ecosystem: str) -> bool:
    """Whether `version` is affected by one OSV range (events in any order).

    The events are sorted by version (introduced "0" first); walking them, an
    `introduced` at or below the version opens an affected interval, a `fixed` at or
    below it closes one, a `last_affected` below it closes one, and a `limit` at or
    below it ends the range. Unparsable event versions are skipped.
    """
    opened_at_zero = False
    bounded: list[tuple[Comparable, int, str]] = []
    for event in events:
        order = _EVENT_ORDER.get(event.kind)
        if order is None:
            continue
        if event.kind == "introduced" and event.version == "0":
            opened_at_zero = True
            continue
        try:
            bounded.append((parse_version(ecosystem, event.version), order, event.kind))
        except UnparsableVersion:
            continue
    bounded.sort(key=lambda item: (item[0], item[1]))
    affected = opened_at_zero
    for bound, _, kind in bounded:
        if kind == "limit":
            if bound <= version:
                return False
        elif kind == "introduced":
            if bound <= version:
                affected = True
        elif kind == "fixed":
            if bound <= version:
                affected = False
        elif bound < version:  # last_affected
            affected = False
    return affected
