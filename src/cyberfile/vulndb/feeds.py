"""The feeds of one scan, read once for every project: OSV advisories, CVE JSON 5 records,
the CISA KEV catalog. Which feed can match which component (coverage), and whether the
feeds hold anything that could match a project at all ("no false clean")."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from cyberfile.model.sbom import Component
from cyberfile.vulndb.cve import (
    AliasTable,
    CveIndex,
    CveReadStats,
    NameFilter,
    count_cve_records,
    parse_cpe,
    read_cve_feed,
)
from cyberfile.vulndb.kev import KevEntry, load_kev
from cyberfile.vulndb.match import AdvisoryIndex, Target, target_of
from cyberfile.vulndb.osv import count_records, iter_records

ProgressFactory = Callable[[str, int], Callable[[int], None]]


@dataclass
class Feeds:
    osv: AdvisoryIndex | None = None
    osv_path: Path | None = None
    cve: CveIndex | None = None
    cve_path: Path | None = None
    cve_stats: CveReadStats | None = None
    kev: dict[str, KevEntry] | None = None
    kev_path: Path | None = None
    osv_ecosystems: frozenset[str] = frozenset()
    """Ecosystems the OSV feed holds records for (computed once, asked per component)."""
    osv_paths: tuple[Path, ...] = ()
    """Every OSV source read (the feed cache holds one all.zip per ecosystem)."""
    names: dict[Path, str] = field(default_factory=dict)
    """How the label names a source, when not by its file name (`feed cache kev/...`)."""

    def _named(self, *paths: Path) -> str:
        return ", ".join(self.names.get(p, p.name) for p in paths)

    @property
    def kev_entries(self) -> dict[str, KevEntry]:
        return self.kev or {}

    @property
    def cve_records_read(self) -> int:
        """Published CVE records read (those naming no vendor of the projects included:
        they were read, and cannot match)."""
        return self.cve_stats.published + self.cve_stats.filtered if self.cve_stats else 0

    @property
    def matching_records(self) -> int:
        """Records that could match a component (KEV alone matches nothing)."""
        osv = self.osv.records - self.osv.withdrawn if self.osv else 0
        return osv + self.cve_records_read

    def label(self) -> str:
        """What the scan read, as the evidence item records it."""
        parts = []
        if self.osv is not None and self.osv_path is not None:
            parts.append(
                f"OSV ({self.osv.records} records, {self.osv.withdrawn} withdrawn) "
                f"from {self._named(*(self.osv_paths or (self.osv_path,)))}"
            )
        if self.cve is not None and self.cve_path is not None and self.cve_stats is not None:
            stats = self.cve_stats
            parts.append(
                f"CVE JSON 5 ({stats.files} records read, {len(self.cve)} naming a vendor of "
                f"the project, {stats.skipped} not published) "
                f"from {self._named(self.cve_path)}"
            )
        if self.kev is not None and self.kev_path is not None:
            parts.append(f"CISA KEV ({len(self.kev)} entries) from {self._named(self.kev_path)}")
        return "; ".join(parts)


def load_feeds(
    osv: Path | Sequence[Path] | None,
    kev: Path | None,
    cve: Path | None,
    cpes: Iterable[str],
    aliases: AliasTable,
    progress: ProgressFactory | None = None,
    names: Mapping[Path, str] | None = None,
) -> Feeds:
    """Read the feeds given; FeedError when one cannot be read. CVE records are read only
    when they name a vendor of one of `cpes` (or of an alias): the others cannot match.
    `osv` may be several sources (the feed cache's all.zip of each ecosystem); `names`
    says how the label names a source when not by its file name."""
    osv_paths = (osv,) if isinstance(osv, Path) else tuple(osv or ())
    feeds = Feeds(
        osv_path=osv_paths[0] if osv_paths else None,
        cve_path=cve,
        kev_path=kev,
        osv_paths=osv_paths,
        names=dict(names or {}),
    )
    if osv_paths:
        total = sum(count_records(p) for p in osv_paths) if progress else 0
        advance = progress("Reading OSV records", total) if progress else None
        feeds.osv = AdvisoryIndex.build(
            chain.from_iterable(iter_records(p, advance) for p in osv_paths)
        )
        feeds.osv_ecosystems = feeds.osv.ecosystems
    if cve is not None:
        advance = progress("Reading CVE records", count_cve_records(cve)) if progress else None
        feed = read_cve_feed(cve, advance, only=NameFilter.for_cpes(cpes, aliases))
        feeds.cve = CveIndex.build(feed.records, aliases)
        feeds.cve_stats = feed.stats
    if kev is not None:
        feeds.kev = load_kev(kev)
    return feeds


@dataclass(frozen=True)
class Coverage:
    """Which of the scan's feeds checked a component, or why none could. A component is
    checked against OSV only when the feed holds records for its ecosystem, and against
    CVE records only when it has a CPE and CVE records were read: every component is
    either checked or not matchable, never both."""

    ref: str
    feeds: tuple[str, ...]
    reason: str | None

    @property
    def covered(self) -> bool:
        return bool(self.feeds)


def coverage(component: Component, feeds: Feeds) -> Coverage:
    found: list[str] = []
    reasons: list[str] = []
    if feeds.osv is not None:
        target = target_of(component)
        if not isinstance(target, Target):
            reasons.append(f"OSV: {target}")
        elif target.ecosystem in feeds.osv_ecosystems:
            found.append(f"OSV ({target.ecosystem})")
        else:
            reasons.append(f"OSV: the feed holds no {target.ecosystem} records")
    if feeds.cve is not None:
        cpe = parse_cpe(component.cpe) if component.cpe else None
        if cpe is None:
            reasons.append("CVE: has no CPE")
        elif feeds.cve_records_read == 0:
            reasons.append("CVE: the feed holds no published CVE record")
        else:
            found.append(f"CVE by CPE ({cpe.vendor}:{cpe.product})")
    return Coverage(component.ref, tuple(found), None if found else "; ".join(reasons))


def unusable(components: Sequence[Component], feeds: Feeds) -> str | None:
    """Why the feeds cannot say anything about these components, or None. A scan whose
    feeds hold no record, or none for any ecosystem or CPE vendor of the project, would
    report clean without having looked: it is refused."""
    if feeds.matching_records == 0:
        return "the feeds hold no vulnerability record (an empty or wrong folder or zip?)"
    ecosystems = feeds.osv_ecosystems
    for component in components:
        target = target_of(component)
        if isinstance(target, Target) and target.ecosystem in ecosystems:
            return None
        if feeds.cve is not None and component.cpe:
            cpe = parse_cpe(component.cpe)
            if cpe is not None and feeds.cve.has_vendor(cpe.vendor):
                return None
    return (
        "the feeds hold no record for any package ecosystem or CPE vendor of this project's "
        "components, so the scan could not have found anything"
    )
