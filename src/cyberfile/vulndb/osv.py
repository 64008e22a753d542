"""Read OSV advisories from a local copy: a folder of .json/.yaml records or an all.zip."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from cyberfile.dates import day_of
from cyberfile.errors import InputError
from cyberfile.vulndb.versions import Event

try:
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # pragma: no cover - only without libyaml
    from yaml import SafeLoader as _YamlLoader  # type: ignore[assignment]


class FeedError(InputError):
    """A feed could not be read; the message names the file."""


@dataclass(frozen=True)
class Range:
    type: str
    events: tuple[Event, ...]


@dataclass(frozen=True)
class Affected:
    ecosystem: str
    name: str
    ranges: tuple[Range, ...]
    versions: frozenset[str]

    def fixed_versions(self) -> tuple[str, ...]:
        """Fixed versions from ECOSYSTEM and SEMVER ranges (GIT ranges name commits)."""
        return tuple(
            sorted(
                {
                    e.version
                    for r in self.ranges
                    if r.type in ("ECOSYSTEM", "SEMVER")
                    for e in r.events
                    if e.kind == "fixed"
                }
            )
        )


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    related: tuple[str, ...]
    summary: str
    modified: date | None
    published: date | None
    withdrawn: bool
    cvss: tuple[str, ...]
    """Severity vectors as given (CVSS_V4 first, then CVSS_V3)."""
    affected: tuple[Affected, ...]
    origin: str
    """Where the record came from (file or zip member), for messages."""


def strings(value: Any) -> tuple[str, ...]:
    """The strings of a JSON list (anything else: none)."""
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def parse_record(record: Any, origin: str) -> Advisory:
    """An OSV record (parsed JSON/YAML) as an Advisory; raise FeedError when malformed."""
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        raise FeedError(f"{origin}: not an OSV record (no id)")
    affected = []
    for entry in record.get("affected") or []:
        if not isinstance(entry, dict):
            continue
        package = entry.get("package") or {}
        if not isinstance(package, dict):
            continue
        ecosystem, name = package.get("ecosystem"), package.get("name")
        if not isinstance(ecosystem, str) or not isinstance(name, str):
            continue
        ranges = []
        for rng in entry.get("ranges") or []:
            if not isinstance(rng, dict):
                continue
            events = []
            for event in rng.get("events") or []:
                if isinstance(event, dict):
                    for kind, version in event.items():
                        if isinstance(version, str | int | float):
                            events.append(Event(str(kind), str(version)))
            ranges.append(Range(str(rng.get("type", "")), tuple(events)))
        versions = frozenset(str(v) for v in entry.get("versions") or [])
        affected.append(Affected(ecosystem, name, tuple(ranges), versions))
    vectors: list[tuple[int, str]] = []
    for severity in record.get("severity") or []:
        if isinstance(severity, dict) and isinstance(severity.get("score"), str):
            kind = severity.get("type")
            if kind in ("CVSS_V4", "CVSS_V3"):
                vectors.append((0 if kind == "CVSS_V4" else 1, severity["score"]))
    return Advisory(
        id=record["id"],
        aliases=strings(record.get("aliases")),
        related=strings(record.get("related")),
        summary=str(record.get("summary") or record.get("details") or "")[:500],
        modified=day_of(record.get("modified")),
        published=day_of(record.get("published")),
        withdrawn=record.get("withdrawn") is not None,
        cvss=tuple(v for _, v in sorted(vectors)),
        affected=tuple(affected),
        origin=origin,
    )


def _load_text(text: bytes, name: str) -> Any:
    try:
        if name.endswith(".json"):
            return json.loads(text)
        return yaml.load(text, Loader=_YamlLoader)
    except (ValueError, yaml.YAMLError) as exc:
        raise FeedError(f"{name}: cannot parse OSV record ({exc})") from None


def iter_records(source: Path, progress: Callable[[int], None] | None = None) -> Iterator[Advisory]:
    """Every advisory in a folder (recursively, *.json/*.yaml/*.yml) or an OSV zip export."""
    if not source.exists():
        raise FeedError(f"{source}: no such file or folder")
    if source.is_file():
        if not zipfile.is_zipfile(source):
            raise FeedError(f"{source}: expected a folder of OSV records or an OSV .zip export")
        with zipfile.ZipFile(source) as archive:
            names = sorted(n for n in archive.namelist() if n.endswith((".json", ".yaml", ".yml")))
            for name in names:
                origin = f"{source}!{name}"
                yield parse_record(_load_text(archive.read(name), name), origin)
                if progress:
                    progress(1)
        return
    paths = sorted(p for pattern in ("*.json", "*.yaml", "*.yml") for p in source.rglob(pattern))
    for path in paths:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise FeedError(f"{path}: cannot read ({exc.strerror})") from None
        yield parse_record(_load_text(raw, path.name), str(path))
        if progress:
            progress(1)


def count_records(source: Path) -> int:
    """How many record files a source holds (for a progress bar)."""
    if source.is_file() and zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            return sum(n.endswith((".json", ".yaml", ".yml")) for n in archive.namelist())
    return sum(1 for pattern in ("*.json", "*.yaml", "*.yml") for _ in source.rglob(pattern))
