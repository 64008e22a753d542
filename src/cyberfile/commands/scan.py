"""`cyberfile scan`: match every component against local feeds (OSV advisories by purl,
CVE JSON 5 records by CPE, the CISA KEV catalog), record new findings for triage, settle
kernel-style records by the files a binary was built from, and report what changed for
findings already assessed.

What it finds is reported like every other command's findings (rules CF440-CF445, in
text, JSON, SARIF or JUnit): a new vulnerability (error; recorded `under_investigation`),
an assessment the feeds now contradict (error), a component no feed can match (warning),
a record whose versions cannot be evaluated (warning; for manual assessment, never
recorded), feeds that cannot say anything about the project (exit 2, nothing recorded).
The scan is recorded as a dated evidence item whose file states the coverage of every
component."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from cyberfile import __version__, dates
from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic, Severity
from cyberfile.diagnostics.position import Position
from cyberfile.edit import roundtrip
from cyberfile.errors import ExitCode, InputError, UsageError
from cyberfile.load.project import LoadResult, discover, load_for_writing
from cyberfile.model.items import SPECS, Kind, items
from cyberfile.model.project import Project
from cyberfile.model.sbom import Component
from cyberfile.model.vocabulary import VulnerabilityStatus
from cyberfile.model.vulnerabilities import Ssvc, Vulnerability
from cyberfile.report.emit import emit
from cyberfile.report.model import ProjectReport, Report, ReportOptions
from cyberfile.report.terminal import ProgressFactory, echo, progress_factory, table
from cyberfile.vulndb.cache import select_cached
from cyberfile.vulndb.cve import (
    AliasTable,
    Cpe,
    CveMatch,
    parse_cpe,
    read_compiled_files,
    settled_by_compiled_files,
)
from cyberfile.vulndb.cve import Ssvc as CveSsvc
from cyberfile.vulndb.feeds import Coverage, Feeds, coverage, load_feeds, unusable
from cyberfile.vulndb.kev import KevEntry
from cyberfile.vulndb.match import Finding, id_rank, match_components


@dataclass
class NewFinding:
    ids: tuple[str, ...]
    components: tuple[str, ...]
    cvss: str | None
    known_exploited: bool
    fixed_versions: tuple[str, ...]
    summary: str
    source: str
    """osv or cve: the feed that found it first."""
    ssvc: CveSsvc | None = None

    @property
    def priority(self) -> str | None:
        """Why to triage it first: listed in KEV, or SSVC's top decision."""
        reasons = []
        if self.known_exploited:
            reasons.append("known exploited (CISA KEV)")
        ssvc = _ssvc(self.ssvc)
        if ssvc is not None and ssvc.act_now:
            reasons.append("SSVC: exploitation active, automatable, total technical impact")
        elif ssvc is not None and ssvc.exploitation.value == "active":
            reasons.append("SSVC: exploitation active")
        return "; ".join(reasons) or None


@dataclass(frozen=True)
class Settled:
    """A matched record whose fix touches only files this binary was not built from."""

    ref: str
    record: str
    files: tuple[str, ...]
    listing: str
    cvss: str | None


@dataclass
class ProjectScan:
    root: Path
    checked: int = 0
    """Components checked against at least one feed; every other component is in
    `unmatchable` (with the reason), so the two add up to the number of components."""
    unmatchable: list[tuple[str, str]] = field(default_factory=list)
    coverage: list[Coverage] = field(default_factory=list)
    new: list[NewFinding] = field(default_factory=list)
    known: int = 0
    notices: list[tuple[str, str]] = field(default_factory=list)
    """(vulnerability id, what changed since it was assessed)."""
    undetermined: list[tuple[str, str, str]] = field(default_factory=list)
    """(component ref, record id, why its versions cannot be evaluated)."""
    settled: list[Settled] = field(default_factory=list)
    unusable: str | None = None
    """Why the feeds cannot say anything about this project (nothing is recorded)."""
    written: list[Path] = field(default_factory=list)
    evidence_id: str | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _ssvc(value: CveSsvc | None) -> Ssvc | None:
    """The record's SSVC decision points as the project records them, when complete."""
    if value is None or not (value.exploitation and value.automatable and value.technical_impact):
        return None
    try:
        return Ssvc(
            exploitation=value.exploitation,
            automatable=value.automatable,
            technical_impact=value.technical_impact,
        )
    except ValidationError:
        return None


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


def _group_of(ids: tuple[str, ...], owners: dict[str, int]) -> int:
    """The finding that already holds one of these ids, or -1."""
    return next((owners[i] for i in ids if i in owners), -1)


def _add_new(groups: list[NewFinding], owners: dict[str, int], finding: NewFinding) -> None:
    """One flaw, however many feeds and components found it (ids join them)."""
    at = _group_of(finding.ids, owners)
    if at < 0:
        groups.append(finding)
        at = len(groups) - 1
    else:
        kept = groups[at]
        ids = tuple(sorted(set(kept.ids) | set(finding.ids), key=id_rank))
        kept.ids = ids
        kept.components = tuple(sorted(set(kept.components) | set(finding.components)))
        kept.fixed_versions = tuple(sorted(set(kept.fixed_versions) | set(finding.fixed_versions)))
        kept.cvss = kept.cvss or finding.cvss
        kept.known_exploited = kept.known_exploited or finding.known_exploited
        kept.ssvc = kept.ssvc or finding.ssvc
    for identifier in groups[at].ids:
        owners[identifier] = at


def _version_of(component: Component, cpe: Cpe) -> str | None:
    """The version to evaluate: the CPE's when concrete, else the component's."""
    return cpe.version or component.version


def scan_project(
    result: LoadResult,
    feeds: Feeds,
    as_of: date,
    compiled: Callable[[Component], tuple[frozenset[str], str] | None],
) -> ProjectScan:
    """Compare one loaded project with the feeds; decide what to write (not written yet)."""
    scan = ProjectScan(result.root)
    project = result.project
    assert project is not None
    components = project.sbom.components
    scan.evidence_id = f"EV-SCAN-{as_of.strftime('%Y%m%d')}"
    scan.coverage = [coverage(c, feeds) for c in components]
    scan.unmatchable = [(c.ref, c.reason or "") for c in scan.coverage if not c.covered]
    scan.unusable = unusable(components, feeds)
    if scan.unusable:
        return scan
    scan.checked = sum(1 for c in scan.coverage if c.covered)
    kev = feeds.kev_entries
    existing = _by_any_id(project)
    new: list[NewFinding] = []
    owners: dict[str, int] = {}
    seen_existing: set[str] = set()

    def known_finding(known: Vulnerability, ref: str, finding: Finding | None) -> None:
        scan.known += 1
        if ref not in known.components:
            scan.notices.append(
                (known.id, f"also affects {ref}, which its assessment does not list")
            )
        if known.id not in seen_existing:
            seen_existing.add(known.id)
            scan.notices.extend((known.id, note) for note in _notices_for(known, finding, kev))

    if feeds.osv is not None:
        matches = match_components(components, feeds.osv)
        for finding in matches.findings:
            known = next((existing[i] for i in finding.ids if i in existing), None)
            if known is not None:
                known_finding(known, finding.component, finding)
                continue
            _add_new(
                new,
                owners,
                NewFinding(
                    ids=finding.ids,
                    components=(finding.component,),
                    cvss=finding.cvss,
                    known_exploited=_kev_hit(finding.ids, kev) is not None,
                    fixed_versions=finding.fixed_versions,
                    summary=finding.advisories[0].summary,
                    source="osv",
                ),
            )
    if feeds.cve is not None:
        for component in components:
            cpe = parse_cpe(component.cpe) if component.cpe else None
            if cpe is None:
                continue
            built = compiled(component)
            for match in feeds.cve.match(component.cpe or "", _version_of(component, cpe)):
                record = match.record
                if match.verdict == "undetermined":
                    if record.id not in existing:
                        scan.undetermined.append((component.ref, record.id, _why(match)))
                    continue
                if match.verdict != "affected":
                    continue
                known = existing.get(record.id)
                if known is not None:
                    known_finding(known, component.ref, None)
                    if record.kev is not None and not known.known_exploited:
                        scan.notices.append(
                            (
                                known.id,
                                "its CVE record carries a CISA KEV entry, but "
                                "known_exploited is false",
                            )
                        )
                    continue
                entry = match.naming_cna_entry
                if built is not None and entry is not None:
                    files = settled_by_compiled_files(record, entry, built[0])
                    if files is not None:
                        vector = record.cvss.vector if record.cvss else None
                        scan.settled.append(
                            Settled(component.ref, record.id, files, built[1], vector)
                        )
                        continue
                _add_new(
                    new,
                    owners,
                    NewFinding(
                        ids=(record.id,),
                        components=(component.ref,),
                        cvss=record.cvss.vector if record.cvss else None,
                        known_exploited=record.kev is not None
                        or _kev_hit((record.id,), kev) is not None,
                        fixed_versions=(),
                        summary=record.title,
                        source="cve",
                        ssvc=record.ssvc,
                    ),
                )
    for vulnerability in project.vulnerabilities.vulnerabilities:
        if vulnerability.id not in seen_existing:
            scan.notices.extend(
                (vulnerability.id, note) for note in _notices_for(vulnerability, None, kev)
            )
    scan.new = sorted(new, key=lambda f: id_rank(f.ids[0]))
    return scan


def _why(match: CveMatch) -> str:
    reasons = sorted({m.entry.unknown_reason for m in match.entries if m.entry.unknown_reason})
    if reasons:
        return "; ".join(reasons)
    return "no naming entry says whether this version is affected (default status unknown)"


def _one_line(text: str, limit: int = 110) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _settled_entry(settled: Settled, as_of: date) -> CommentedMap:
    entry = CommentedMap()
    entry["id"] = settled.record
    entry["components"] = CommentedSeq([settled.ref])
    entry["components"].fa.set_flow_style()
    entry["discovered"] = as_of
    entry["source"] = "cve"
    if settled.cvss:
        entry["cvss"] = settled.cvss
    entry["status"] = VulnerabilityStatus.NOT_AFFECTED.value
    entry["justification"] = "code_not_present"
    entry["detail"] = (
        f"The CVE record's fix touches only {', '.join(settled.files)}; none of these files "
        f"is built into this binary (checked against {settled.listing})."
    )
    entry["assessed"] = CommentedMap(
        [("by", "cyberfile scan (compiled-files triage)"), ("on", as_of)]
    )
    entry["assessed"].fa.set_flow_style()
    return entry


def write_scan(scan: ProjectScan, project: Project, as_of: date, feed_label: str) -> None:
    """Append new findings, settled records and the scan's evidence item (with its report
    file), keeping comments and order."""
    root = project.root
    if scan.new or scan.settled:
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
            entry["source"] = finding.source
            entry["known_exploited"] = finding.known_exploited
            if finding.cvss:
                entry["cvss"] = finding.cvss
            ssvc = _ssvc(finding.ssvc)
            if ssvc is not None:
                entry["ssvc"] = CommentedMap(
                    [
                        ("exploitation", ssvc.exploitation.value),
                        ("automatable", ssvc.automatable.value),
                        ("technical_impact", ssvc.technical_impact.value),
                    ]
                )
                entry["ssvc"].fa.set_flow_style()
            entry["status"] = VulnerabilityStatus.UNDER_INVESTIGATION.value
            items.append(entry)
            note = f"cyberfile scan {as_of}: {_one_line(finding.summary)}"
            if finding.fixed_versions:
                note += f" (fixed in {', '.join(finding.fixed_versions)})"
            items.yaml_set_comment_before_after_key(len(items) - 1, before=note, indent=2)
        for settled in scan.settled:
            items.append(_settled_entry(settled, as_of))
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
        report = _write_report(scan, root, as_of, feed_label)
        scan.written.append(root / report)
        entry["title"] = f"Offline vulnerability scan: {feed_label}"
        entry["performed"] = as_of
        entry["file"] = report
        entry["sha256"] = hashlib.sha256((root / report).read_bytes()).hexdigest()
        entry["covers"] = CommentedSeq(sorted({c for f in scan.new for c in f.components}))
        entry["covers"].fa.set_flow_style()
        items.append(entry)
        if roundtrip.save(path, data):
            scan.written.append(path)


def _write_report(scan: ProjectScan, root: Path, as_of: date, feed_label: str) -> str:
    """The scan's own record, beside its evidence item: what was read, and per component
    which feed could match it or why none could (the coverage the assessment relies on)."""
    document = {
        "generator": f"cyberfile {__version__}",
        "date": as_of.isoformat(),
        "feeds": feed_label,
        "coverage": [
            {"component": c.ref, "feeds": list(c.feeds), "not_matchable": c.reason}
            for c in scan.coverage
        ],
        "new": [
            {"id": f.ids[0], "aliases": list(f.ids[1:]), "components": list(f.components)}
            for f in scan.new
        ],
        "undetermined": [
            {"component": ref, "record": record, "why": why}
            for ref, record, why in scan.undetermined
        ],
        "settled_by_compiled_files": [
            {"component": s.ref, "record": s.record, "files": list(s.files)} for s in scan.settled
        ],
    }
    relative = f"artifacts/scans/{scan.evidence_id}.json"
    roundtrip.write_atomic(
        root / relative, json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    return relative


@dataclass
class ScanOutcome:
    scans: list[ProjectScan]
    refused: list[tuple[Path, list[Diagnostic]]]
    """Projects not scanned because they do not load cleanly, with their errors."""
    feeds: str
    stale: list[str] = field(default_factory=list)
    """Cached feeds older than max_age that the scan read anyway (--allow-stale)."""


def _compiled_reader(root: Path) -> Callable[[Component], tuple[frozenset[str], str] | None]:
    """compiled_files of a component, read once (validate checks the file exists)."""
    cache: dict[str, tuple[frozenset[str], str] | None] = {}

    def read(component: Component) -> tuple[frozenset[str], str] | None:
        listing = component.compiled_files
        if listing is None:
            return None
        if listing not in cache:
            try:
                cache[listing] = (read_compiled_files(root / listing), listing)
            except (OSError, ValueError) as exc:
                raise InputError(f"{component.ref}: compiled_files {listing}: {exc}") from None
        return cache[listing]

    return read


def run_scan(
    roots: list[Path],
    osv: Path | None,
    kev_path: Path | None,
    cve: Path | None,
    as_of: date,
    dry_run: bool,
    progress: ProgressFactory | None = None,
    *,
    from_cache: bool = False,
    allow_stale: bool = False,
) -> ScanOutcome:
    """Scan each project; raise FeedError when a feed cannot be read. With `from_cache`,
    the feeds are those the projects' `feeds:` settings name, read from their feed cache
    (CacheError when there is none, or one is stale and not `allow_stale`)."""
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
    projects = [r.project for r in loaded if r.project is not None]
    aliases = AliasTable.builtin().extended(
        pair for p in projects for pair in p.manifest.matching.cpe_aliases
    )
    cpes = [c.cpe for p in projects for c in p.sbom.components if c.cpe]
    if from_cache:
        cached = select_cached(projects, as_of, allow_stale)
        feeds = load_feeds(
            cached.osv, cached.kev, cached.cve, cpes, aliases, progress, cached.names
        )
        outcome.stale = cached.stale
    else:
        feeds = load_feeds(osv, kev_path, cve, cpes, aliases, progress)
    outcome.feeds = feeds.label()
    if outcome.stale:
        outcome.feeds += "; stale feeds read with --allow-stale: " + "; ".join(outcome.stale)
    for result in loaded:
        project = result.project
        assert project is not None
        scan = scan_project(result, feeds, as_of, _compiled_reader(project.root))
        scan.diagnostics = scan_diagnostics(scan, result, dry_run)
        if not dry_run and scan.unusable is None:
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
        if new.priority:
            facts.append(f"triage first: {new.priority}")
        aliases = f" ({', '.join(new.ids[1:])})" if new.ids[1:] else ""
        found.append(
            rules.VULNERABILITY_FOUND(
                components.get(new.components[0]),
                f"{new.ids[0]}{aliases} affects {', '.join(new.components)}"
                + (f"; {'; '.join(facts)}" if facts else "")
                + f"; {recorded} as under_investigation: {_one_line(new.summary, 90)}",
                None if not new.priority else "triage it first: " + new.priority,
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
    for ref, record, why in scan.undetermined:
        found.append(
            rules.CVE_UNDETERMINED(
                components.get(ref),
                f"{record} names {ref}, but its versions cannot be evaluated ({why}); "
                "assess it by hand",
            )
        )
    if scan.unusable is not None:
        manifest = result.root / "cyberfile.yaml"
        found.append(rules.FEED_UNUSABLE(Position(manifest, 1, 1), scan.unusable))
    return sorted(found, key=Diagnostic.sort_key)


def _facts(scan: ProjectScan, feeds: str, dry_run: bool) -> dict[str, Any]:
    return {
        "feeds": feeds,
        "checked": scan.checked,
        "not_matchable": len(scan.unmatchable),
        "known": scan.known,
        "new": len(scan.new),
        "notices": len(scan.notices),
        "undetermined": len(scan.undetermined),
        "settled_by_compiled_files": len(scan.settled),
        "coverage": [
            {"component": c.ref, "feeds": list(c.feeds), "not_matchable": c.reason}
            for c in scan.coverage
        ],
        "dry_run": dry_run,
        "evidence": None if dry_run else scan.evidence_id,
        "written": [p.as_posix() for p in scan.written],
    }


def run(
    paths: list[Path],
    cwd: Path,
    osv: Path | None,
    kev: Path | None,
    cve: Path | None,
    as_of: str | None,
    dry_run: bool,
    options: ReportOptions,
    allow_stale: bool = False,
) -> ExitCode:
    from_cache = osv is None and kev is None and cve is None
    if allow_stale and not from_cache:
        raise UsageError(
            "--allow-stale applies to the feed cache; it cannot be combined with "
            "--osv, --cve or --kev"
        )
    day = dates.as_of(as_of, records=not dry_run)
    roots, general = discover(paths, cwd)
    if not roots:
        return emit(Report("scan", [], general, options))
    outcome = run_scan(
        roots,
        osv,
        kev,
        cve,
        day,
        dry_run,
        progress_factory(),
        from_cache=from_cache,
        allow_stale=allow_stale,
    )
    for note in outcome.stale:
        echo(f"cyberfile scan: warning: --allow-stale: {note}", err=True)
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
            str(len(scan.undetermined)),
            str(len(scan.settled)),
        ]
        for scan in outcome.scans
    ]
    title = "cyberfile scan" + (" (dry run: nothing written)" if dry_run else "")
    columns = ("project", "checked", "not matchable", "known", "new", "notices")
    table(title, (*columns, "undetermined", "settled"), rows)
    echo(f"feeds: {outcome.feeds}")
    for scan in outcome.scans:
        for path in scan.written:
            echo(f"{scan.root.as_posix()}: wrote {path.as_posix()}")
