"""How vulnerabilities were searched, computed from the data (premarket guidance §V.A.4).

Which sources the management plan monitors and when each was last checked (from dated
evidence), which vulnerability scans are recorded and what their titles say they read, and
per SBOM component what establishes that it is searched:

- the recorded scans whose report (the one `cyberfile scan` writes, `artifacts/scans/`)
  lists it as checked, and against which feed: only a scan's own list says so;
- else, when a feed can match a component of its type (`cyberfile.vulndb.match.target_of`,
  or a CPE for CVE records) but no recorded scan has checked it: a gap;
- else how it is monitored instead: a supplier advisory source of the plan that names it,
  the plan's own testing and report channels for the manufacturer's own software, or
  nothing (a gap).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cyberfile.check.evidence_files import resolve_inside
from cyberfile.model.evidence import EvidenceItem
from cyberfile.model.postmarket import MonitoringSource
from cyberfile.model.project import Project
from cyberfile.model.sbom import Component
from cyberfile.model.vocabulary import EvidenceType, MonitoringKind
from cyberfile.vulndb.cve import parse_cpe
from cyberfile.vulndb.match import target_of

OWN_SOFTWARE_KINDS = (
    MonitoringKind.INTERNAL_TESTING,
    MonitoringKind.RESEARCHER_REPORTS,
    MonitoringKind.CUSTOMER_REPORTS,
)
"""Monitoring that finds vulnerabilities in the manufacturer's own software."""

SCANS_SHOWN = 5
"""The newest vulnerability scans listed; older ones are counted."""


def _phrase(text: str) -> str:
    """Lower-case words separated by single spaces, padded, for whole-word containment."""
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "


def _names(source: MonitoringSource, component: Component) -> bool:
    """Whether a supplier advisory source names the component: its text contains the
    component's name as whole words, or one of its entries (split at , ; : and brackets)
    is part of the component's name or begins the name of its supplier
    ("Nordic Semiconductor" names the supplier "Nordic Semiconductor ASA")."""
    name = _phrase(component.name)
    if name.strip() and name in _phrase(source.source):
        return True
    supplier = _phrase(component.supplier or "")
    for entry in re.split(r"[,;:()]", source.source):
        words = _phrase(entry)
        if words.strip() and (words in name or supplier.startswith(words)):
            return True
    return False


@dataclass(frozen=True)
class SourceCheck:
    source: MonitoringSource
    last: EvidenceItem | None
    """The newest evidence of the source's evidence_type, when it names one."""
    overdue_days: int | None
    """Days the next check is past due on the document date; None when not overdue or
    not measurable."""


@dataclass(frozen=True)
class ScanCheck:
    """A recorded vulnerability scan whose report lists a component as checked."""

    scan: EvidenceItem
    feeds: tuple[str, ...]
    """The feeds it checked the component against, as its report names them
    (`OSV (PyPI)`, `CVE by CPE (haxx:curl)`)."""


@dataclass(frozen=True)
class ScanReport:
    """What a recorded vulnerability scan's report establishes about the components."""

    scan: EvidenceItem
    checked: dict[str, tuple[str, ...]] | None
    """Component ref -> the feeds the scan checked it against, for every component its
    report lists as checked; None when the report lists none (see `why`)."""
    why: str | None = None
    """Why the scan establishes nothing about single components."""


def _kind(feed: str) -> str:
    """The feed a label names: `OSV (Maven)` and `OSV (PyPI)` are OSV, `CVE by CPE (a:b)`
    and `CVE records by CPE` are CVE."""
    for kind in ("OSV", "CVE"):
        if feed.startswith(kind):
            return kind
    return feed


def _summary_label(feed: str) -> str:
    """A scan report's feed label without the CPE it matched (`CVE by CPE`)."""
    return "CVE by CPE" if _kind(feed) == "CVE" else feed


@dataclass(frozen=True)
class ComponentCoverage:
    component: Component
    matchable_by: tuple[str, ...]
    """The feeds that can match a component of its type: `OSV (Maven)` by its purl,
    `CVE records by CPE` by its CPE. Whether one did is told by `checks`."""
    reason: str | None
    """Why no feed can match it (when `matchable_by` is empty)."""
    own: bool
    """The manufacturer's own software (its supplier is the manufacturer)."""
    monitored_by: tuple[MonitoringSource, ...]
    """For a component no feed can match: the plan's sources that cover it otherwise (a
    supplier advisory source that names it; for the manufacturer's own software, the
    plan's internal testing, researcher and customer report channels)."""
    checks: tuple[ScanCheck, ...] = ()
    """The recorded scans whose report lists it as checked, newest first."""

    @property
    def feed(self) -> str | None:
        """The first feed that can match it, or None."""
        return self.matchable_by[0] if self.matchable_by else None

    @property
    def checked(self) -> bool:
        """A recorded scan's report lists it as checked against a feed."""
        return bool(self.checks)

    @property
    def unscanned(self) -> bool:
        """A feed can match it, but no recorded scan has checked it (a gap)."""
        return not self.checks and bool(self.matchable_by)

    @property
    def not_matchable(self) -> bool:
        return not self.checks and not self.matchable_by

    @property
    def unmonitored(self) -> bool:
        """No feed can match it and no other monitoring is recorded (a gap)."""
        return self.not_matchable and not self.monitored_by

    @property
    def gap(self) -> bool:
        return self.unscanned or self.unmonitored

    def newest_checks(self) -> list[tuple[EvidenceItem, list[str]]]:
        """The newest recorded check against each feed, by scan (newest first)."""
        newest: list[tuple[EvidenceItem, list[str]]] = []
        seen: set[str] = set()
        for check in self.checks:
            feeds = [f for f in check.feeds if _kind(f) not in seen]
            if feeds:
                newest.append((check.scan, feeds))
            seen.update(_kind(f) for f in check.feeds)
        return newest

    @property
    def coverage(self) -> str:
        """What the vulnerability assessment says about it (a gap when `gap`)."""
        if self.checks:
            newest = self.newest_checks()
            text = "checked by " + "; by ".join(
                f"{scan.id} of {scan.performed.isoformat()} against {', '.join(feeds)}"
                for scan, feeds in newest
            )
            done = {_kind(f) for _, feeds in newest for f in feeds}
            missing = [f for f in self.matchable_by if _kind(f) not in done]
            if missing:
                them = "it" if len(missing) == 1 else "them"
                text += (
                    f"; {' and '.join(missing)} can match it too, but no recorded "
                    f"vulnerability scan has checked it against {them}"
                )
            return text
        if self.matchable_by:
            return (
                f"{' or '.join(self.matchable_by)} can match it, but no recorded "
                "vulnerability scan has checked it"
            )
        through = "; ".join(s.source for s in self.monitored_by)
        if self.unmonitored:
            return f"not matchable ({self.reason}) and no other monitoring recorded"
        owner = "manufacturer's own software, " if self.own else ""
        return f"not matchable ({self.reason}); {owner}monitored through {through}"


@dataclass(frozen=True)
class VulnerabilitySearch:
    as_of: date
    sources: tuple[SourceCheck, ...]
    scans: tuple[EvidenceItem, ...]
    """Vulnerability scan evidence, newest first."""
    components: tuple[ComponentCoverage, ...]
    reports: tuple[ScanReport, ...] = ()
    """What each scan performed on or before `as_of` establishes, newest first."""

    @property
    def last_scans(self) -> tuple[EvidenceItem, ...]:
        """The scans of the newest scan date."""
        if not self.scans:
            return ()
        newest = self.scans[0].performed
        return tuple(s for s in self.scans if s.performed == newest)

    @property
    def shown_scans(self) -> tuple[EvidenceItem, ...]:
        return self.scans[:SCANS_SHOWN]

    @property
    def scan_rows(self) -> list[list[str]]:
        """Evidence, date, title, performer of the newest scans."""
        return [
            [
                e.id,
                e.performed.isoformat(),
                e.title,
                e.performer.organization if e.performer else "not recorded",
            ]
            for e in self.shown_scans
        ]

    @property
    def unlisted_scans(self) -> tuple[ScanReport, ...]:
        """Recorded scans whose report lists no components (they establish nothing about
        a single component)."""
        return tuple(r for r in self.reports if r.checked is None)

    @property
    def matchable(self) -> tuple[ComponentCoverage, ...]:
        """Components a feed can match or a recorded scan has checked."""
        return tuple(c for c in self.components if not c.not_matchable)

    @property
    def checked(self) -> tuple[ComponentCoverage, ...]:
        return tuple(c for c in self.components if c.checked)

    @property
    def unscanned(self) -> tuple[ComponentCoverage, ...]:
        return tuple(c for c in self.components if c.unscanned)

    @property
    def not_matchable(self) -> tuple[ComponentCoverage, ...]:
        return tuple(c for c in self.components if c.not_matchable)

    @property
    def supplier_monitored(self) -> tuple[ComponentCoverage, ...]:
        return tuple(c for c in self.not_matchable if c.monitored_by and not c.own)

    @property
    def own_monitored(self) -> tuple[ComponentCoverage, ...]:
        return tuple(c for c in self.not_matchable if c.monitored_by and c.own)

    @property
    def gaps(self) -> tuple[ComponentCoverage, ...]:
        """Components no feed can match and nothing else monitors."""
        return tuple(c for c in self.components if c.unmonitored)

    @property
    def uncovered(self) -> tuple[ComponentCoverage, ...]:
        """Every gap: not checked by a recorded scan though a feed can match it, or not
        matchable and not monitored otherwise."""
        return tuple(c for c in self.components if c.gap)

    @property
    def checked_scans(self) -> list[tuple[EvidenceItem, int]]:
        """(scan, components it is the newest recorded check of), newest first."""
        counts = Counter(c.checks[0].scan.id for c in self.checked)
        scans = {c.checks[0].scan.id: c.checks[0].scan for c in self.checked}
        return sorted(
            ((scans[i], n) for i, n in counts.items()),
            key=lambda sn: (-sn[0].performed.toordinal(), sn[0].id),
        )

    @property
    def checked_feeds(self) -> list[tuple[str, int]]:
        """(feed, checked components the newest recorded checks name it for), most first;
        a component checked against two feeds counts for both."""
        counts = Counter(
            label
            for c in self.checked
            for label in sorted(
                {_summary_label(f) for _, feeds in c.newest_checks() for f in feeds}
            )
        )
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    @property
    def feeds(self) -> list[tuple[str, int]]:
        """(feed, components not checked by a recorded scan that it can match), most first;
        each counted under the first feed that can match it."""
        counts = Counter(c.feed for c in self.unscanned if c.feed)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    @property
    def feeds_text(self) -> str:
        """`feeds` as words: `OSV (Maven): 20, OSV (Go): 11`."""
        return ", ".join(f"{feed}: {n}" for feed, n in self.feeds)

    @property
    def reasons(self) -> list[tuple[str, int]]:
        """(why not matchable, components), most first."""
        counts = Counter(c.reason for c in self.not_matchable if c.reason)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _read_report(root: Path, scan: EvidenceItem) -> ScanReport:
    """What the report of a scan lists as checked: the `coverage` list of the report
    `cyberfile scan` writes (`{"component": ref, "feeds": [...], "not_matchable": ...}`
    per component). A report whose file no longer matches its recorded sha256 is not
    relied on."""
    if scan.file is None:
        return ScanReport(scan, None, "no report file is recorded")
    path = resolve_inside(root, scan.file)
    if isinstance(path, str) or not path.is_file():
        return ScanReport(scan, None, f"its report {scan.file} is not in the project folder")
    try:
        raw = path.read_bytes()
    except OSError:
        return ScanReport(scan, None, f"its report {scan.file} cannot be read")
    if scan.sha256 is not None and hashlib.sha256(raw).hexdigest() != scan.sha256:
        return ScanReport(scan, None, f"its report {scan.file} differs from its recorded sha256")
    unlisted = ScanReport(
        scan,
        None,
        f"its report {scan.file} does not list, per component, the feed it was checked against",
    )
    try:
        document = json.loads(raw)
    except ValueError:
        return unlisted
    entries = document.get("coverage") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        return unlisted
    checked: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("component"), str):
            continue
        feeds = entry.get("feeds")
        named = (
            tuple(f for f in feeds if isinstance(f, str) and f) if isinstance(feeds, list) else ()
        )
        if named:
            checked[entry["component"]] = named
    return ScanReport(scan, checked)


def _same_party(a: str | None, b: str | None) -> bool:
    return bool(a and b) and _phrase(a or "") == _phrase(b or "")


def vulnerability_search(project: Project, as_of: date) -> VulnerabilitySearch:
    evidence = sorted(project.evidence.evidence, key=lambda e: e.performed, reverse=True)
    sources = []
    for source in project.postmarket.monitoring:
        last = None
        if source.evidence_type is not None:
            last = next((e for e in evidence if e.type is source.evidence_type), None)
        overdue = None
        if last is not None and as_of > last.performed + source.every:
            overdue = (as_of - (last.performed + source.every)).days
        sources.append(SourceCheck(source, last, overdue))
    scans = tuple(e for e in evidence if e.type is EvidenceType.VULNERABILITY_SCAN)
    reports = tuple(_read_report(project.root, s) for s in scans if s.performed <= as_of)
    device = project.manifest.device
    makers = (device.manufacturer, project.manifest.documents.company)
    advisories = [
        s for s in project.postmarket.monitoring if s.kind is MonitoringKind.SUPPLIER_ADVISORY
    ]
    own_channels = tuple(s for s in project.postmarket.monitoring if s.kind in OWN_SOFTWARE_KINDS)
    components = []
    for component in project.sbom.components:
        target = target_of(component)
        own = any(_same_party(component.supplier, maker) for maker in makers)
        cpe = parse_cpe(component.cpe) if component.cpe else None
        matchable_by: list[str] = []
        if not isinstance(target, str):
            matchable_by.append(f"OSV ({target.ecosystem})")
        if cpe is not None:
            # `cyberfile scan --cve` matches it by its CPE against CVE records
            matchable_by.append("CVE records by CPE")
        checks = tuple(
            ScanCheck(r.scan, r.checked[component.ref])
            for r in reports
            if r.checked is not None and component.ref in r.checked
        )
        monitored: tuple[MonitoringSource, ...] = ()
        reason = None
        if not matchable_by:
            reason = target if isinstance(target, str) else None
            named = tuple(s for s in advisories if _names(s, component))
            monitored = named or (own_channels if own else ())
        components.append(
            ComponentCoverage(component, tuple(matchable_by), reason, own, monitored, checks)
        )
    return VulnerabilitySearch(as_of, tuple(sources), scans, tuple(components), reports)
