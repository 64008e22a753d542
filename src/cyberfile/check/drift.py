"""`cyberfile drift`: the postmarket promises measured against a date.

Rules: evidence cadence and integrity (CF30x), test retesting and failed tests (CF31x),
SBOM source and component support (CF41x), vulnerability clocks (CF42x), suspect and
missing reviews (CF50x). Every date is relative to `as_of`; nothing reads the clock.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

from cyberfile.check.evidence_files import resolve_inside
from cyberfile.check.fingerprint import Fingerprints, reviewables
from cyberfile.check.index import position
from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic, Severity
from cyberfile.diagnostics.position import Position
from cyberfile.digest import file_sha256
from cyberfile.load.yamlsource import SourceMap
from cyberfile.model.items import Item
from cyberfile.model.project import Project
from cyberfile.model.purl import package_of
from cyberfile.model.vocabulary import EvidenceType, TestResult, TestType, VulnerabilityStatus
from cyberfile.postmarket.clocks import ClockState, clocks

RETEST_TYPES: dict[TestType, EvidenceType] = {
    **{t: EvidenceType(t.value) for t in TestType if t.value in {e.value for e in EvidenceType}},
    TestType.SOFTWARE_COMPOSITION_ANALYSIS: EvidenceType.VULNERABILITY_SCAN,
}
"""The `periodic_testing` type that repeats a test of the given type: the same name
(penetration_test, fuzz_test, static_analysis, vulnerability_scan), and a software
composition analysis is repeated by the periodic vulnerability scan."""


def warning_window(every: timedelta, warn_before: timedelta) -> timedelta:
    """How long before a cadence deadline to warn: warn_before, but at most half the
    cadence (a weekly scan would otherwise always be 'due soon')."""
    return min(warn_before, every / 2)


def _days(delta: timedelta) -> str:
    return f"{delta.days} day{'' if delta.days == 1 else 's'}"


def _never_recorded(
    effective: date | None,
    as_of: date,
    where: Position | None,
    what: str,
    kind: EvidenceType,
    every: timedelta,
    warn_before: timedelta,
) -> Iterator[Diagnostic]:
    """A promised activity with no evidence at all: overdue at once when the plan states
    no effective date; otherwise due one period after it took effect."""
    if effective is None:
        yield rules.EVIDENCE_NEVER(
            where,
            f"{what}: the plan promises it every {_days(every)}, but no {kind.value} "
            "evidence is recorded",
        )
        return
    if as_of < effective:
        return  # the plan is not in effect yet
    due = effective + every
    if as_of > due:
        yield rules.EVIDENCE_NEVER(
            where,
            f"{what}: the plan, in effect since {effective}, promises it every "
            f"{_days(every)}, so the first was due {due} ({_days(as_of - due)} ago); no "
            f"{kind.value} evidence is recorded",
        )
    elif as_of >= due - warning_window(every, warn_before):
        yield rules.EVIDENCE_DUE_SOON(
            where,
            f"{what}: first {kind.value} due {due} (in {_days(due - as_of)}); the plan "
            f"took effect {effective}",
        )


def evidence_cadence(
    project: Project, sources: dict[str, SourceMap], as_of: date
) -> Iterator[Diagnostic]:
    newest: dict[EvidenceType, date] = {}
    for item in project.evidence.evidence:
        if item.performed <= as_of and item.performed > newest.get(item.type, date.min):
            newest[item.type] = item.performed
    plan = project.postmarket
    promises = [
        (("monitoring", i), entry.evidence_type, entry.every, f"monitoring of {entry.source}")
        for i, entry in enumerate(plan.monitoring)
        if entry.evidence_type is not None
    ] + [
        (("periodic_testing", i), entry.type, entry.every, f"periodic {entry.type.value}")
        for i, entry in enumerate(plan.periodic_testing)
    ]
    warn_before = project.manifest.policy.warn_before
    for path, kind, every, what in promises:
        assert kind is not None
        where = position(sources, "postmarket", path)
        last = newest.get(kind)
        if last is None:
            yield from _never_recorded(plan.effective, as_of, where, what, kind, every, warn_before)
            continue
        due = last + every
        if as_of > due:
            yield rules.EVIDENCE_OVERDUE(
                where,
                f"{what}: newest {kind.value} evidence is from {last}; the plan "
                f"promises every {_days(every)}, so it was due {due} ({_days(as_of - due)} ago)",
            )
        elif as_of >= due - warning_window(every, warn_before):
            yield rules.EVIDENCE_DUE_SOON(
                where,
                f"{what}: next {kind.value} due {due} (in {_days(due - as_of)}); "
                f"newest evidence is from {last}",
            )


def evidence_integrity(project: Project, sources: dict[str, SourceMap]) -> Iterator[Diagnostic]:
    for i, item in enumerate(project.evidence.evidence):
        if item.file is None:
            continue
        target = resolve_inside(project.root, item.file)
        if isinstance(target, str) or not target.is_file():
            continue  # CF130 / CF131 say why
        if item.sha256 is None:
            yield rules.EVIDENCE_DIGEST_UNRECORDED(
                position(sources, "evidence", ("evidence", i, "file")),
                f"{item.id}: {item.file} has no recorded sha256",
                f"cyberfile evidence rehash {item.id} (it records sha256 {file_sha256(target)})",
            )
            continue
        actual = file_sha256(target)
        if actual != item.sha256:
            yield rules.EVIDENCE_DIGEST_MISMATCH(
                position(sources, "evidence", ("evidence", i, "sha256")),
                f"{item.id}: {item.file} has changed since it was recorded "
                f"(sha256 now {actual[:12]}…, recorded {item.sha256[:12]}…)",
            )


def test_drift(
    project: Project, sources: dict[str, SourceMap], as_of: date
) -> Iterator[Diagnostic]:
    cadence = {entry.type: entry.every for entry in project.postmarket.periodic_testing}
    recorded = {t for a in project.anomalies.anomalies for t in a.found_by}
    recorded.update(
        t
        for v in project.vulnerabilities.vulnerabilities
        if v.status is not VulnerabilityStatus.NOT_AFFECTED
        for t in v.found_by
    )
    for i, test in enumerate(project.tests.tests):
        evidence_type = RETEST_TYPES.get(test.type)
        every = cadence.get(evidence_type) if evidence_type else None
        if every is not None:
            if test.performed is None:
                yield rules.TEST_RETEST_OVERDUE(
                    position(sources, "tests", ("tests", i)),
                    f"{test.id}: repeated every {_days(every)} by the plan, but no performed "
                    "date is recorded",
                )
            elif as_of > test.performed + every:
                yield rules.TEST_RETEST_OVERDUE(
                    position(sources, "tests", ("tests", i, "performed")),
                    f"{test.id}: last performed {test.performed}; the plan repeats "
                    f"{evidence_type.value if evidence_type else ''} every {_days(every)}, "
                    f"so it was due {test.performed + every}",
                )
        if test.result is TestResult.FAIL and test.id not in recorded:
            yield rules.FAILED_TEST_UNRECORDED(
                position(sources, "tests", ("tests", i, "result")),
                f"{test.id} failed and no anomaly or open vulnerability records it (found_by)",
            )


def sbom_drift(
    project: Project, sources: dict[str, SourceMap], as_of: date
) -> Iterator[Diagnostic]:
    several = len(project.sbom.sources) > 1
    for j, source in enumerate(project.sbom.sources):
        which = f"SBOM '{source.name}' was" if several else "SBOM was"
        target = project.root / source.file
        if not target.is_file():
            yield rules.SBOM_SOURCE_CHANGED(
                position(sources, "sbom", ("sources", j, "file")),
                f"the {which} imported from {source.file}, which no longer exists",
                "import the current SBOM: cyberfile sbom import FILE"
                + (f" --name {source.name}" if several else ""),
            )
        elif file_sha256(target) != source.sha256:
            yield rules.SBOM_SOURCE_CHANGED(
                position(sources, "sbom", ("sources", j, "sha256")),
                f"{source.file} has changed since it was imported"
                + (f" as SBOM '{source.name}'" if several else ""),
                "import it again: cyberfile sbom import "
                + source.file
                + (f" --name {source.name}" if several else ""),
            )
    warn_before = project.manifest.policy.warn_before
    for i, component in enumerate(project.sbom.components):
        end = component.end_of_support
        if end is None:
            continue
        where = position(sources, "sbom", ("components", i, "end_of_support"))
        if end < as_of:
            plan = component.replacement_plan if component.justification else None
            planned = bool(plan)
            found = rules.END_OF_SUPPORT_PASSED(
                where,
                f"{component.ref}: support ended {end} ({_days(as_of - end)} ago)"
                + (f"; replacement planned: {plan}" if plan else ""),
            )
            # with a plan and a justification the team has decided: a warning, not a block
            yield replace(found, severity=Severity.WARNING) if planned else found
        elif end <= as_of + warn_before:
            yield rules.END_OF_SUPPORT_NEAR(
                where, f"{component.ref}: support ends {end} (in {_days(end - as_of)})"
            )
        if end <= as_of + warn_before and not component.replacement_plan:
            yield rules.END_OF_SUPPORT_UNPLANNED(
                position(sources, "sbom", ("components", i)),
                f"{component.ref}: support ends {end} and no replacement_plan is recorded",
            )


def vulnerability_drift(
    project: Project, sources: dict[str, SourceMap], as_of: date
) -> Iterator[Diagnostic]:
    warn_before = project.manifest.policy.warn_before
    refs = {c.ref for c in project.sbom.components}
    packages = {package_of(ref) for ref in refs}
    for i, clock in enumerate(clocks(project)):
        v = clock.vulnerability
        base = ("vulnerabilities", i)
        here = position(sources, "vulnerabilities", base)
        triage = clock.triage.state(as_of, warn_before)
        if triage is ClockState.OVERDUE:
            yield rules.TRIAGE_OVERDUE(
                position(sources, "vulnerabilities", (*base, "status")),
                f"{v.id}: discovered {v.discovered}, still under investigation "
                f"{_days(as_of - clock.triage.due)} after the triage deadline {clock.triage.due}",
            )
        elif triage is ClockState.DUE_SOON:
            yield rules.TRIAGE_DUE_SOON(
                position(sources, "vulnerabilities", (*base, "status")),
                f"{v.id}: triage due {clock.triage.due} (in {_days(clock.triage.due - as_of)})",
            )
        for deadline, overdue in (
            (clock.communicate, rules.COMMUNICATION_OVERDUE),
            (clock.remediate, rules.REMEDIATION_OVERDUE),
        ):
            if deadline is None:
                continue
            state = deadline.state(as_of, warn_before)
            if state is ClockState.OVERDUE:
                yield overdue(
                    here,
                    f"{v.id}: uncontrolled risk; {deadline.name} was due {deadline.due} "
                    f"({_days(as_of - deadline.due)} ago)",
                )
            elif state is ClockState.DUE_SOON:
                yield rules.UNCONTROLLED_DEADLINE_NEAR(
                    here,
                    f"{v.id}: uncontrolled risk; {deadline.name} due {deadline.due} "
                    f"(in {_days(deadline.due - as_of)})",
                )
        if v.known_exploited and v.status in (
            VulnerabilityStatus.AFFECTED,
            VulnerabilityStatus.UNDER_INVESTIGATION,
        ):
            yield rules.KNOWN_EXPLOITED_OPEN(
                position(sources, "vulnerabilities", (*base, "status")),
                f"{v.id} is in CISA KEV and its status is {v.status.value}",
            )
        for j, ref in enumerate(v.components):
            if ref not in refs and package_of(ref) in packages:
                yield rules.ASSESSED_COMPONENT_GONE(
                    position(sources, "vulnerabilities", (*base, "components", j)),
                    f"{v.id}: assessed for {ref}, which is no longer in the SBOM "
                    f"(it now has another version of {package_of(ref)})",
                )


def review_command(project: Project, ident: str) -> str:
    """The `cyberfile review` command line that stamps `ident`, runnable from where the
    project was found (its root as the command was given it)."""
    where = project.root.as_posix()
    option = "" if where in ("", ".") else f" --project {shlex.quote(where)}"
    return f"cyberfile review {shlex.quote(ident)}{option} --by NAME"


def review_drift(project: Project, sources: dict[str, SourceMap]) -> Iterator[Diagnostic]:
    fingerprints = Fingerprints(project)
    suspects: list[Item] = []
    for item in reviewables(project):
        stamp = item.model.reviewed
        if stamp is None:
            yield rules.NEVER_REVIEWED(
                position(sources, item.part, item.path),
                f"{item.kind} {item.ident} has never been reviewed",
            )
            continue
        if stamp.fingerprint != fingerprints.of(item.ident, item.model):
            suspects.append(item)
    if not suspects:
        return  # nothing to look up: no git, not even the import of what reads it
    from cyberfile.check.reviewed import describe, since_review

    # what changed, from the reviewed content in git history
    for item, since in zip(suspects, since_review(project, suspects), strict=True):
        stamp = item.model.reviewed
        yield rules.REVIEW_SUSPECT(
            position(sources, item.part, (*item.path, "reviewed")),
            describe(item, since)
            if since is not None
            else f"{item.kind} {item.ident} changed, or something it references did, after "
            f"its review of {stamp.on} by {stamp.by}",
            f"review it again: {review_command(project, item.ident)}",
        )


def feed_cache_drift(
    project: Project, sources: dict[str, SourceMap], as_of: date
) -> Iterator[Diagnostic]:
    """CF446: a feed the project wants is stale or missing in its feed cache (read from
    the cache's feeds.json; never the network). Only for a project with a `feeds:`
    section, or whose cache exists."""
    from cyberfile.vulndb.cache import (
        INDEX_NAME,
        CacheError,
        cache_dir,
        configures_feeds,
        project_feed_states,
    )

    configured = configures_feeds(project)
    cache = cache_dir(project.manifest.feeds, project.root)
    if not configured and not (cache / INDEX_NAME).is_file():
        return
    where = position(sources, "cyberfile", ("feeds",)) if configured else None
    where = where or Position(project.root / "cyberfile.yaml", 1, 1)
    try:
        cache, states = project_feed_states(project, as_of)
    except CacheError as exc:
        yield rules.FEED_CACHE_STALE(where, str(exc))
        return
    if not (cache / INDEX_NAME).is_file():
        yield rules.FEED_CACHE_STALE(
            where,
            f"no feed cache at {cache}: `cyberfile scan` without --osv/--kev/--cve has "
            "nothing to read",
        )
        return
    for state in states:
        if state.missing is not None or state.stale:
            yield rules.FEED_CACHE_STALE(where, state.describe(as_of))


def drift_rules(project: Project, sources: dict[str, SourceMap], as_of: date) -> list[Diagnostic]:
    """Every date-dependent rule as of `as_of`; unsorted and unfiltered."""
    return [
        *evidence_cadence(project, sources, as_of),
        *evidence_integrity(project, sources),
        *test_drift(project, sources, as_of),
        *sbom_drift(project, sources, as_of),
        *vulnerability_drift(project, sources, as_of),
        *review_drift(project, sources),
        *feed_cache_drift(project, sources, as_of),
    ]
