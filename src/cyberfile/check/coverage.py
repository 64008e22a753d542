"""How vulnerabilities were searched, computed from the data (premarket guidance §V.A.4).

Which sources the management plan monitors and when each was last checked (from dated
evidence), which vulnerability scans are recorded and what their titles say they read, and
per SBOM component which feed can match it (`cyberfile.vulndb.match.target_of`) or, when
none can, how else it is monitored: a supplier advisory source of the plan that names it,
the plan's own testing and report channels for the manufacturer's own software, or nothing
(a gap the vulnerability assessment states).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

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
class ComponentCoverage:
    component: Component
    feed: str | None
    """The feed that can match it (`OSV (PyPI)`), or None."""
    reason: str | None
    """Why no feed can match it."""
    own: bool
    """The manufacturer's own software (its supplier is the manufacturer)."""
    monitored_by: tuple[MonitoringSource, ...]
    """For a component no feed matches: the plan's sources that cover it otherwise (a
    supplier advisory source that names it; for the manufacturer's own software, the
    plan's internal testing, researcher and customer report channels)."""

    @property
    def gap(self) -> bool:
        return self.feed is None and not self.monitored_by

    @property
    def coverage(self) -> str:
        """What the vulnerability assessment says about it (a gap when `gap`)."""
        through = "; ".join(s.source for s in self.monitored_by)
        if self.feed is not None:
            return f"matchable: {self.feed}"
        if self.gap:
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
    def matchable(self) -> tuple[ComponentCoverage, ...]:
        return tuple(c for c in self.components if c.feed is not None)

    @property
    def not_matchable(self) -> tuple[ComponentCoverage, ...]:
        return tuple(c for c in self.components if c.feed is None)

    @property
    def supplier_monitored(self) -> tuple[ComponentCoverage, ...]:
        return tuple(c for c in self.not_matchable if c.monitored_by and not c.own)

    @property
    def own_monitored(self) -> tuple[ComponentCoverage, ...]:
        return tuple(c for c in self.not_matchable if c.monitored_by and c.own)

    @property
    def gaps(self) -> tuple[ComponentCoverage, ...]:
        return tuple(c for c in self.components if c.gap)

    @property
    def feeds(self) -> list[tuple[str, int]]:
        """(feed, components it can match), most first."""
        counts = Counter(c.feed for c in self.matchable if c.feed)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    @property
    def reasons(self) -> list[tuple[str, int]]:
        """(why not matchable, components), most first."""
        counts = Counter(c.reason for c in self.not_matchable if c.reason)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


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
        if isinstance(target, str) and cpe is not None:
            # `cyberfile scan --cve` matches it by its CPE against CVE records
            feed = "CVE records by CPE"
            components.append(ComponentCoverage(component, feed, None, own, ()))
        elif isinstance(target, str):
            named = tuple(s for s in advisories if _names(s, component))
            monitored = named or (own_channels if own else ())
            components.append(ComponentCoverage(component, None, target, own, monitored))
        else:
            feed = f"OSV ({target.ecosystem})"
            components.append(ComponentCoverage(component, feed, None, own, ()))
    return VulnerabilitySearch(as_of, tuple(sources), scans, tuple(components))
