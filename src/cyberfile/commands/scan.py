"""`cyberfile scan`: match every component against local OSV and CISA KEV copies, record
new findings for triage, and report what changed for findings already assessed.

What it finds is reported like every other command's findings (rules CF440-CF442, in
text, JSON, SARIF or JUnit): a new vulnerability (error; recorded as
`under_investigation`), an assessment the feeds now contradict (error), a component no
feed can match (warning). Exit 1 when a finding is at or above --fail-on, 2 when a
project or a feed cannot be read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from cyberfile import dates
from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic, Severity
from cyberfile.diagnostics.position import Position
from cyberfile.edit import roundtrip
from cyberfile.errors import ExitCode
from cyberfile.load.project import LoadResult, discover, load_for_writing
from cyberfile.model.items import SPECS, Kind, items
from cyberfile.model.project import Project
from cyberfile.model.vocabulary import VulnerabilityStatus
from cyberfile.model.vulnerabilities import Vulnerability
from cyberfile.report.emit import emit
from cyberfile.report.model import ProjectReport, Report, ReportOptions
from cyberfile.report.terminal import ProgressFactory, echo, progress_factory, table
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
    diagnostics: list[Diagnostic] = field(default_factory=list)


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


@dataclass
class ScanOutcome:
    scans: list[ProjectScan]
    refused: list[tuple[Path, list[Diagnostic]]]
    """Projects not scanned because they do not load cleanly, with their errors."""
    feeds: str


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

    loaded: list[LoadResult] = []
    refused: list[tuple[Path, list[Diagnostic]]] = []
    for root in roots:
        result, problem = load_for_writing(root)
        if problem:
            errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
            refused.append((root, errors))
        else:
            loaded.append(result)
    outcome = ScanOutcome([], refused, "")
    if not loaded:
        return outcome
    advance = progress("Reading OSV records", count_records(osv)) if progress else None
    index = AdvisoryIndex.build(iter_records(osv, advance))
    kev = load_kev(kev_path) if kev_path else {}
    outcome.feeds = f"OSV ({index.records} records, {index.withdrawn} withdrawn) from {osv.name}"
    if kev_path:
        outcome.feeds += f"; CISA KEV ({len(kev)} entries) from {kev_path.name}"
    for result in loaded:
        project = result.project
        assert project is not None
        scan = scan_project(result, index, kev, as_of)
        scan.diagnostics = scan_diagnostics(scan, result, dry_run)
        if not dry_run:
            write_scan(scan, project, as_of, outcome.feeds)
        outcome.scans.append(scan)
    return outcome


def _positions(result: LoadResult, kind: Kind) -> dict[str, Position | None]:
    """Where each item of a kind is written, by id (components by ref)."""
    project = result.project
    assert project is not None
    source = result.sources.get(SPECS[kind].part)
    return {
        item.ident: source.value(item.path) if source else None
        for item in items(project)
        if item.kind is kind
    }


def scan_diagnostics(scan: ProjectScan, result: LoadResult, dry_run: bool) -> list[Diagnostic]:
    """What a scan of one project found, as findings with the place they concern."""
    components = _positions(result, Kind.COMPONENT)
    vulnerabilities = _positions(result, Kind.VULNERABILITY)
    found: list[Diagnostic] = []
    recorded = "would be recorded" if dry_run else "recorded"
    for new in scan.new:
        facts = []
        if new.fixed_versions:
            facts.append(f"fixed in {', '.join(new.fixed_versions)}")
        if new.cvss:
            facts.append(new.cvss)
        if new.known_exploited:
            facts.append("listed in CISA KEV")
        aliases = f" ({', '.join(new.ids[1:])})" if new.ids[1:] else ""
        found.append(
            rules.VULNERABILITY_FOUND(
                components.get(new.components[0]),
                f"{new.ids[0]}{aliases} affects {', '.join(new.components)}"
                + (f"; {'; '.join(facts)}" if facts else "")
                + f"; {recorded} as under_investigation: {_one_line(new.summary, 90)}",
            )
        )
    for vulnerability_id, note in scan.notices:
        found.append(
            rules.ASSESSMENT_OUTDATED(
                vulnerabilities.get(vulnerability_id), f"{vulnerability_id}: {note}"
            )
        )
    for ref, reason in scan.unmatchable:
        found.append(rules.COMPONENT_NOT_MATCHABLE(components.get(ref), f"{ref}: {reason}"))
    return sorted(found, key=Diagnostic.sort_key)


def _facts(scan: ProjectScan, feeds: str, dry_run: bool) -> dict[str, Any]:
    return {
        "feeds": feeds,
        "checked": scan.checked,
        "not_matchable": len(scan.unmatchable),
        "known": scan.known,
        "new": len(scan.new),
        "notices": len(scan.notices),
        "dry_run": dry_run,
        "evidence": None if dry_run else scan.evidence_id,
        "written": [p.as_posix() for p in scan.written],
    }


def run(
    paths: list[Path],
    cwd: Path,
    osv: Path,
    kev: Path | None,
    as_of: str | None,
    dry_run: bool,
    options: ReportOptions,
) -> ExitCode:
    day = dates.as_of(as_of, records=not dry_run)
    roots, general = discover(paths, cwd)
    if not roots:
        return emit(Report("scan", [], general, options))
    outcome = run_scan(roots, osv, kev, day, dry_run, progress_factory())
    ran = tuple(rule.code for rule in rules.rules_of("scan"))
    projects = [ProjectReport(root, errors, ran) for root, errors in outcome.refused]
    projects.extend(
        ProjectReport(scan.root, scan.diagnostics, ran, _facts(scan, outcome.feeds, dry_run))
        for scan in outcome.scans
    )
    report = Report("scan", projects, general, options, as_of=day, rules=ran)
    code = emit(report)
    if options.fmt == "text" and not options.statistics:
        _summary(outcome, dry_run)
    if outcome.refused:
        return ExitCode.UNREADABLE
    return code


def _summary(outcome: ScanOutcome, dry_run: bool) -> None:
    if not outcome.scans:
        return
    rows = [
        [
            scan.root.as_posix(),
            str(scan.checked),
            str(len(scan.unmatchable)),
            str(scan.known),
            str(len(scan.new)),
            str(len(scan.notices)),
        ]
        for scan in outcome.scans
    ]
    title = "cyberfile scan" + (" (dry run: nothing written)" if dry_run else "")
    table(title, ("project", "checked", "not matchable", "known", "new", "notices"), rows)
    echo(f"feeds: {outcome.feeds}")
    for scan in outcome.scans:
        for path in scan.written:
            echo(f"{scan.root.as_posix()}: wrote {path.as_posix()}")
