"""`cyberfile scan`: match every component against local OSV and CISA KEV copies, record
new findings for triage, and report what changed for findings already assessed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from cyberfile.edit import roundtrip
from cyberfile.load.project import LoadResult, load_for_writing
from cyberfile.model.project import Project
from cyberfile.model.vocabulary import VulnerabilityStatus
from cyberfile.model.vulnerabilities import Vulnerability
from cyberfile.vulndb.kev import KevEntry
from cyberfile.vulndb.match import AdvisoryIndex, Finding, match_components


@dataclass(frozen=True)
class NewFinding:
    ids: tuple[str, ...]
    components: tuple[str, ...]
    cvss: str | None
    known_exploited: bool
    fixed_versions: tuple[str, ...]
    summary: str


@dataclass
class ProjectScan:
    root: Path
    checked: int = 0
    unmatchable: list[tuple[str, str]] = field(default_factory=list)
    new: list[NewFinding] = field(default_factory=list)
    known: int = 0
    notices: list[tuple[str, str]] = field(default_factory=list)
    """(vulnerability id, what changed since it was assessed)."""
    written: list[Path] = field(default_factory=list)
    evidence_id: str | None = None
    problem: str | None = None


def _by_any_id(project: Project) -> dict[str, Vulnerability]:
    table: dict[str, Vulnerability] = {}
    for vulnerability in project.vulnerabilities.vulnerabilities:
        for identifier in (vulnerability.id, *vulnerability.aliases):
            table.setdefault(identifier, vulnerability)
    return table


def _kev_hit(ids: tuple[str, ...], kev: dict[str, KevEntry]) -> KevEntry | None:
    return next((kev[i] for i in ids if i in kev), None)


def _notices_for(
    vulnerability: Vulnerability, finding: Finding | None, kev: dict[str, KevEntry]
) -> list[str]:
    notes = []
    listed = _kev_hit((vulnerability.id, *vulnerability.aliases), kev)
    if listed and not vulnerability.known_exploited:
        added = f" on {listed.date_added}" if listed.date_added else ""
        notes.append(f"listed in CISA KEV{added}, but known_exploited is false")
    if finding is None or not finding.fixed_versions:
        return notes
    open_status = vulnerability.status in (
        VulnerabilityStatus.AFFECTED,
        VulnerabilityStatus.UNDER_INVESTIGATION,
    )
    assessed = vulnerability.assessed.on if vulnerability.assessed else vulnerability.discovered
    changed = [a.modified for a in finding.advisories if a.modified is not None]
    if open_status and changed and max(changed) > assessed:
        notes.append(
            f"the advisory changed on {max(changed)}, after the assessment of {assessed}; "
            f"fixed in {', '.join(finding.fixed_versions)}"
        )
    return notes


def scan_project(
    result: LoadResult, index: AdvisoryIndex, kev: dict[str, KevEntry], as_of: date
) -> ProjectScan:
    """Compare one loaded project with the feeds; decide what to write (not written yet)."""
    scan = ProjectScan(result.root)
    project = result.project
    assert project is not None
    matches = match_components(project.sbom.components, index)
    scan.checked = matches.checked
    scan.unmatchable = [(c.ref, reason) for c, reason in matches.unmatchable]
    existing = _by_any_id(project)
    grouped: dict[tuple[str, ...], list[Finding]] = {}
    seen_existing: set[str] = set()
    for finding in matches.findings:
        known = next((existing[i] for i in finding.ids if i in existing), None)
        if known is None:
            grouped.setdefault(finding.ids, []).append(finding)
            continue
        scan.known += 1
        if finding.component not in known.components:
            scan.notices.append(
                (known.id, f"also affects {finding.component}, which its assessment does not list")
            )
        if known.id not in seen_existing:
            seen_existing.add(known.id)
            scan.notices.extend((known.id, note) for note in _notices_for(known, finding, kev))
    for vulnerability in project.vulnerabilities.vulnerabilities:
        if vulnerability.id not in seen_existing:
            scan.notices.extend(
                (vulnerability.id, note) for note in _notices_for(vulnerability, None, kev)
            )
    for ids, findings in sorted(grouped.items()):
        first = findings[0]
        scan.new.append(
            NewFinding(
                ids=ids,
                components=tuple(sorted({f.component for f in findings})),
                cvss=first.cvss,
                known_exploited=_kev_hit(ids, kev) is not None,
                fixed_versions=tuple(sorted({v for f in findings for v in f.fixed_versions})),
                summary=first.advisories[0].summary,
            )
        )
    scan.evidence_id = f"EV-SCAN-{as_of.strftime('%Y%m%d')}"
    return scan


def _one_line(text: str, limit: int = 110) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def write_scan(scan: ProjectScan, project: Project, as_of: date, feed_label: str) -> None:
    """Append new findings and the scan's evidence item, keeping comments and order."""
    root = project.root
    if scan.new:
        path = roundtrip.part_file(root, "vulnerabilities", "scan-findings.yaml")
        data = roundtrip.load_part_file(root, path, "vulnerabilities", "vulnerabilities")
        items = roundtrip.ensure_list(data, "vulnerabilities")
        for finding in scan.new:
            entry = CommentedMap()
            entry["id"] = finding.ids[0]
            if finding.ids[1:]:
                entry["aliases"] = CommentedSeq(finding.ids[1:])
                entry["aliases"].fa.set_flow_style()
            entry["components"] = CommentedSeq(finding.components)
            entry["components"].fa.set_flow_style()
            entry["discovered"] = as_of  # a date object: written plain, not quoted
            entry["source"] = "osv"
            entry["known_exploited"] = finding.known_exploited
            if finding.cvss:
                entry["cvss"] = finding.cvss
            entry["status"] = VulnerabilityStatus.UNDER_INVESTIGATION.value
            items.append(entry)
            note = f"cyberfile scan {as_of}: {_one_line(finding.summary)}"
            if finding.fixed_versions:
                note += f" (fixed in {', '.join(finding.fixed_versions)})"
            items.yaml_set_comment_before_after_key(len(items) - 1, before=note, indent=2)
        if roundtrip.save(path, data):
            scan.written.append(path)
    evidence_id = scan.evidence_id
    if evidence_id and all(e.id != evidence_id for e in project.evidence.evidence):
        path = roundtrip.part_file(root, "evidence", "scans.yaml")
        data = roundtrip.load_part_file(root, path, "evidence", "evidence")
        items = roundtrip.ensure_list(data, "evidence")
        entry = CommentedMap()
        entry["id"] = evidence_id
        entry["type"] = "vulnerability_scan"
        entry["title"] = f"Offline vulnerability scan: {feed_label}"
        entry["performed"] = as_of
        entry["covers"] = CommentedSeq(sorted({c for f in scan.new for c in f.components}))
        entry["covers"].fa.set_flow_style()
        items.append(entry)
        if roundtrip.save(path, data):
            scan.written.append(path)


ProgressFactory = Callable[[str, int], Callable[[int], None]]


@dataclass
class ScanOutcome:
    scans: list[ProjectScan]
    problems: list[str]


def run_scan(
    roots: list[Path],
    osv: Path,
    kev_path: Path | None,
    as_of: date,
    dry_run: bool,
    progress: ProgressFactory | None = None,
) -> ScanOutcome:
    """Scan each project; raise FeedError when a feed cannot be read."""
    from cyberfile.vulndb.kev import load_kev
    from cyberfile.vulndb.osv import count_records, iter_records

    outcome = ScanOutcome([], [])
    loaded = []
    for root in roots:
        result, problem = load_for_writing(root)
        if problem:
            outcome.problems.append(f"{root.as_posix()}: {problem}")
        else:
            loaded.append(result)
    if not loaded:
        return outcome
    advance = progress("Reading OSV records", count_records(osv)) if progress else None
    index = AdvisoryIndex.build(iter_records(osv, advance))
    kev = load_kev(kev_path) if kev_path else {}
    label = f"OSV ({index.records} records, {index.withdrawn} withdrawn) from {osv.name}"
    if kev_path:
        label += f"; CISA KEV ({len(kev)} entries) from {kev_path.name}"
    for result in loaded:
        project = result.project
        assert project is not None
        scan = scan_project(result, index, kev, as_of)
        if not dry_run:
            write_scan(scan, project, as_of, label)
        outcome.scans.append(scan)
    return outcome
