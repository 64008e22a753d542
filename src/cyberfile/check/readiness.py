"""Readiness: every element of the FDA's recommended documentation (premarket guidance
Appendix 4) and of section 524B, marked present, partial or missing, with the reason and
where in the project to fix it. Missing data is shown as a gap, never filled in.

An element's status comes from its own completeness check and from the findings of the
same checks users run (`validate`, `drift` as of the document date) that concern it: an
element with an error is never complete; warnings are listed with it as notes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from cyberfile.check.coverage import vulnerability_search
from cyberfile.check.sbom import end_of_support_counts
from cyberfile.diagnostics.diagnostic import Diagnostic, Severity
from cyberfile.diagnostics.rules import RULES
from cyberfile.model.project import Project
from cyberfile.model.vocabulary import (
    ControlCategory,
    LabelingTopic,
    LifecyclePhase,
    SupportLevel,
    TestResult,
    TestType,
    ViewType,
    VulnerabilityStatus,
)


class Status(StrEnum):
    PRESENT = "present"
    PARTIAL = "partial"
    MISSING = "missing"


@dataclass(frozen=True)
class ReadinessItem:
    key: str
    element: str
    section: str
    document: str
    """Slug of the document that answers it."""
    status: Status
    reasons: tuple[str, ...]
    """Why it is not complete."""
    fix: str
    """Where in the project to add what is missing."""
    notes: tuple[str, ...] = ()
    """What a reviewer should know but does not make it incomplete (warnings)."""


@dataclass
class _Finding:
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    empty: bool = False

    def status(self) -> Status:
        if self.empty:
            return Status.MISSING
        return Status.PARTIAL if self.reasons else Status.PRESENT


def _few(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _threat_model(p: Project) -> _Finding:
    f = _Finding(empty=not p.threats.threats)
    tm = p.threats
    if tm.methodology is None:
        f.reasons.append("no methodology")
    elif not tm.methodology.rationale:
        f.reasons.append("the methodology has no rationale")
    if not tm.assumptions:
        f.reasons.append("no assumptions stated")
    phases = {t.lifecycle_phase for t in tm.threats}
    lacking = [ph.value for ph in LifecyclePhase if ph not in phases]
    if lacking and tm.threats:
        f.reasons.append(f"no threat covers lifecycle phase(s) {_few(lacking)}")
    uncontrolled = [t.id for t in tm.threats if not t.controls]
    if uncontrolled:
        f.reasons.append(f"threats without controls: {_few(uncontrolled)}")
    return f


def _risk_assessment(p: Project) -> _Finding:
    threats = p.threats.threats
    f = _Finding(empty=not threats)
    unrated = [t.id for t in threats if t.pre_mitigation is None or t.post_mitigation is None]
    if unrated:
        f.reasons.append(f"threats without pre- and post-mitigation ratings: {_few(unrated)}")
    unjustified = [
        t.id
        for t in threats
        if p.residual_risk_acceptable(t) is False and not t.residual_risk_rationale
    ]
    if unjustified:
        f.reasons.append(f"unacceptable residual risk without rationale: {_few(unjustified)}")
    return f


def _sbom(p: Project) -> _Finding:
    components = p.sbom.components
    f = _Finding(empty=not components)
    for attribute, label in (
        ("supplier", "supplier"),
        ("version", "version"),
        ("purl", "unique identifier (purl)"),
    ):
        lacking = [c.ref for c in components if not getattr(c, attribute)]
        if lacking:
            f.reasons.append(f"{len(lacking)} component(s) without {label}: {_few(lacking, 3)}")
    sources = p.sbom.sources
    for attribute, label in (
        ("authors", "author of the SBOM data"),
        ("timestamp", "timestamp of the SBOM"),
    ):
        if not components:
            break
        lacking = [s.name or s.file for s in sources if not getattr(s, attribute)]
        if not sources:
            f.reasons.append(f"{label} not recorded (sbom source.{attribute})")
        elif lacking:
            f.reasons.append(f"{label} not recorded (source.{attribute}) for: {_few(lacking, 3)}")
    return f


def _support(p: Project) -> _Finding:
    components = p.sbom.components
    f = _Finding(empty=not components)
    unknown = [
        c.ref for c in components if c.support is SupportLevel.UNKNOWN and not c.justification
    ]
    if unknown:
        f.reasons.append(f"level of support unknown and unjustified: {_few(unknown, 3)}")
    counts = end_of_support_counts(components)
    if counts.unstated:
        f.reasons.append(
            f"{len(counts.unstated)} component(s) without end of support or justification: "
            f"{_few(list(counts.unstated), 3)}"
        )
    elif components:
        f.notes.append(
            f"end of support: {counts.dated} of {counts.total} components dated, "
            f"{counts.justified} justified"
        )
    return f


def _coverage(p: Project, f: _Finding) -> None:
    """Components a feed can match must have been checked by a recorded scan; components no
    vulnerability feed can match must be monitored some other way (the same computation
    as the vulnerability assessment's coverage table)."""
    search = vulnerability_search(p, p.document_date())
    unscanned = [c.component.ref for c in search.unscanned]
    if unscanned:
        f.reasons.append(
            f"{len(unscanned)} of {len(search.components)} components can be matched against "
            "a vulnerability feed, but no recorded vulnerability scan has checked them "
            f"({search.feeds_text}): {_few(unscanned, 3)}"
        )
    unmatchable = search.not_matchable
    if not unmatchable:
        return
    counted = (
        f"{len(unmatchable)} of {len(search.components)} components cannot be matched "
        "against a vulnerability feed"
    )
    gaps = [c.component.ref for c in search.gaps]
    if gaps:
        f.reasons.append(f"{counted}; {len(gaps)} have no other monitoring: {_few(gaps, 3)}")
    else:
        f.notes.append(f"{counted}; each is monitored through the plan's other sources")


def _vulnerabilities(p: Project) -> _Finding:
    f = _Finding(empty=not p.sbom.components)
    _coverage(p, f)
    if p.sbom.components and not any(
        e.type.value == "vulnerability_scan" for e in p.evidence.evidence
    ):
        f.reasons.append("no vulnerability scan recorded (evidence of type vulnerability_scan)")
    items = p.vulnerabilities.vulnerabilities
    pending = [v.id for v in items if v.status is VulnerabilityStatus.UNDER_INVESTIGATION]
    if pending:
        f.reasons.append(f"still under investigation: {_few(pending)}")
    # an affected component needs its rating; every decision needs who made it and when
    unrated = [
        v.id
        for v in items
        if v.status is VulnerabilityStatus.AFFECTED
        and (v.exploitability is None or v.severity is None)
    ]
    if unrated:
        f.reasons.append(f"affected without exploitability and severity: {_few(unrated)}")
    unsigned = [
        v.id
        for v in items
        if v.status is not VulnerabilityStatus.UNDER_INVESTIGATION and v.assessed is None
    ]
    if unsigned:
        f.reasons.append(f"assessments without assessor and date: {_few(unsigned)}")
    return f


def _anomalies(p: Project) -> _Finding:
    f = _Finding()
    vague = [a.id for a in p.anomalies.anomalies if not a.security_impact or not a.rationale]
    if vague:
        f.reasons.append(f"anomalies without security impact or rationale: {_few(vague)}")
    return f


def _traceability(p: Project) -> _Finding:
    f = _Finding(empty=not p.threats.threats)
    verified = {r for t in p.tests.tests for r in t.verifies}
    no_req = [c.id for c in p.controls.controls if not c.requirements]
    # a requirement is verified only by a test that names it (CF202, the matrix)
    unverified = [r.id for c in p.controls.controls for r in c.requirements if r.id not in verified]
    if no_req:
        f.reasons.append(f"controls without requirements: {_few(no_req)}")
    if unverified:
        f.reasons.append(f"requirements no test verifies: {_few(unverified)}")
    return f


def _metrics(p: Project) -> _Finding:
    f = _Finding()
    fixed = [v for v in p.vulnerabilities.vulnerabilities if v.status is VulnerabilityStatus.FIXED]
    undated = [v.id for v in fixed if v.remediation is None or v.remediation.fixed_on is None]
    if undated:
        f.reasons.append(f"fixed vulnerabilities without fixed_on date: {_few(undated)}")
    return f


def _controls(p: Project) -> _Finding:
    f = _Finding(empty=not p.controls.controls)
    covered = {c.category for c in p.controls.controls if c.requirements}
    lacking = [c.value for c in ControlCategory if c not in covered]
    if lacking and p.controls.controls:
        f.reasons.append(f"no control with requirements in: {_few(lacking, 8)}")
    no_criteria = [
        r.id for c in p.controls.controls for r in c.requirements if not r.acceptance_criteria
    ]
    if no_criteria:
        f.reasons.append(f"requirements without acceptance criteria: {_few(no_criteria)}")
    return f


def _views(p: Project) -> _Finding:
    arch = p.architecture
    f = _Finding(empty=not arch.views and not arch.omitted_views)
    present = {v.type for v in arch.views}
    lacking = [t.value for t in ViewType if t not in present and t not in arch.omitted_views]
    if lacking:
        f.reasons.append(f"view type(s) neither present nor explained: {_few(lacking)}")
    thin = [v.id for v in arch.views if not v.description or not v.elements]
    if thin:
        f.reasons.append(f"views without explanatory text or elements: {_few(thin)}")
    details = ("protocol", "authentication", "encryption")
    incomplete = [
        d.id
        for d in arch.data_flows
        if not d.carries or any(getattr(d, k) is None for k in details)
    ]
    if incomplete:
        f.reasons.append(
            f"data flows lacking Appendix 2 details (carries, protocol, "
            f"authentication, encryption): {_few(incomplete)}"
        )
    return f


_VULNERABILITY_TESTING = {
    TestType.FUZZ_TEST,
    TestType.ROBUSTNESS,
    TestType.ABUSE_CASE,
    TestType.ATTACK_SURFACE_ANALYSIS,
    TestType.VULNERABILITY_SCAN,
    TestType.SOFTWARE_COMPOSITION_ANALYSIS,
    TestType.STATIC_ANALYSIS,
    TestType.DYNAMIC_ANALYSIS,
}


def _testing(p: Project) -> _Finding:
    tests = p.tests.tests
    f = _Finding(empty=not tests)
    types = {t.type for t in tests}
    for wanted, label in (
        (TestType.SECURITY_REQUIREMENT, "security requirements testing"),
        (TestType.THREAT_MITIGATION, "threat mitigation testing"),
        (TestType.PENETRATION_TEST, "penetration testing"),
    ):
        if tests and wanted not in types:
            f.reasons.append(f"no {label}")
    if tests and not types & _VULNERABILITY_TESTING:
        f.reasons.append("no vulnerability testing (fuzzing, scanning, analysis)")
    open_ = [t.id for t in tests if t.result is not TestResult.PASS]
    if open_:
        f.reasons.append(f"tests not passed: {_few(open_)}")
    no_tool = [t.id for t in tests if t.tool is None or t.tool.version is None]
    if no_tool:
        f.reasons.append(f"tests without tool name and version: {_few(no_tool)}")
    pen = [t for t in tests if t.type is TestType.PENETRATION_TEST]
    if pen and not any(t.performer and t.performer.independent for t in pen):
        f.reasons.append("no independent penetration test")
    return f


def _labeling(p: Project) -> _Finding:
    topics = {e.topic for e in p.labeling.labeling}
    f = _Finding(empty=not topics)
    lacking = [t.value for t in LabelingTopic if t not in topics]
    if lacking and topics:
        f.reasons.append(f"missing topics: {_few(lacking, 14)}")
    return f


def _plan(p: Project) -> _Finding:
    plan = p.postmarket
    f = _Finding(empty=not (plan.personnel or plan.monitoring or plan.cvd or plan.patching))
    checks = [
        (plan.personnel, "no personnel"),
        (plan.monitoring, "no monitoring sources"),
        (plan.periodic_testing, "no periodic security testing"),
        (plan.cvd, "no coordinated vulnerability disclosure"),
        (plan.patching and plan.patching.update_process, "no update process"),
        (plan.patching and plan.patching.delivery_rate, "no patching capability (delivery rate)"),
        (plan.communication, "no description of how remediations are communicated"),
        (
            any(m.kind.value == "exploited_catalog" for m in plan.monitoring),
            "KEV (exploited catalog) monitoring not planned",
        ),
    ]
    f.reasons.extend(reason for ok, reason in checks if not ok)
    return f


def _cyber_device(p: Project) -> _Finding:
    answers = p.manifest.device.cyber_device
    f = _Finding()
    values = (
        answers.validated_software,
        answers.internet_connectable,
        answers.vulnerable_characteristics,
    )
    if any(v is None for v in values):
        f.reasons.append("not all three 524B(c) conditions are answered")
    if not answers.rationale:
        f.reasons.append("no rationale")
    f.empty = all(v is None for v in values)
    return f


def _cvd_plan(p: Project) -> _Finding:
    cvd = p.postmarket.cvd
    f = _Finding(empty=cvd is None or not p.postmarket.monitoring)
    if cvd is not None and not cvd.policy_url:
        f.reasons.append("no published CVD policy (policy_url)")
    if cvd is not None and not cvd.contact:
        f.reasons.append("no CVD contact")
    return f


def _updates(p: Project) -> _Finding:
    patching = p.postmarket.patching
    f = _Finding(empty=patching is None)
    if patching is not None:
        if patching.regular_cycle is None:
            f.reasons.append("no regular update cycle")
        if not patching.regular_cycle_rationale:
            f.reasons.append("the regular cycle is not justified")
        if not patching.out_of_cycle:
            f.reasons.append("no out-of-cycle process for critical vulnerabilities")
    return f


def _sbom_524b(p: Project) -> _Finding:
    return _Finding(empty=not p.sbom.components)


Check = Callable[[Project], _Finding]

CHECKLIST: tuple[tuple[str, str, str, str, Check, str], ...] = (
    (
        "threat-model",
        "Threat model",
        "§V.A.1",
        "threat-model",
        _threat_model,
        "threats.yaml: methodology, assumptions, threats with controls",
    ),
    (
        "risk-assessment",
        "Cybersecurity risk assessment",
        "§V.A.2",
        "cybersecurity-risk-assessment",
        _risk_assessment,
        "threats.yaml: pre_mitigation, post_mitigation, residual_risk_rationale",
    ),
    (
        "sbom",
        "Software bill of materials",
        "§V.A.4",
        "sbom",
        _sbom,
        "sbom part (sbom.yaml or sbom/): supplier, version, purl of each component "
        "(cyberfile sbom import)",
    ),
    (
        "software-support",
        "Software level of support and end of support",
        "§V.A.4",
        "sbom",
        _support,
        "sbom part (sbom.yaml or sbom/): support, end_of_support, justification (or support_rules)",
    ),
    (
        "vulnerability-assessment",
        "Vulnerability assessment",
        "§V.A.4",
        "vulnerability-assessment",
        _vulnerabilities,
        "vulnerabilities.yaml: status, exploitability, severity, assessed (cyberfile scan)",
    ),
    (
        "anomalies",
        "Unresolved anomalies assessment",
        "§V.A.5",
        "unresolved-anomalies",
        _anomalies,
        "anomalies.yaml: security_impact and rationale of each anomaly",
    ),
    (
        "traceability",
        "Traceability",
        "§V.A",
        "traceability-matrix",
        _traceability,
        "controls.yaml requirements and tests.yaml verifies",
    ),
    (
        "metrics",
        "Measures and metrics",
        "§V.A.6",
        "metrics",
        _metrics,
        "vulnerabilities.yaml: remediation.fixed_on and deployed_on",
    ),
    (
        "controls",
        "Security requirements per Appendix 1 category",
        "§V.B.1",
        "security-controls",
        _controls,
        "controls.yaml: a control with requirements per category",
    ),
    (
        "views",
        "Architecture views",
        "§V.B.2, Appendix 2",
        "security-architecture",
        _views,
        "architecture.yaml: views, omitted_views, data flow details",
    ),
    (
        "testing",
        "Cybersecurity testing",
        "§V.C",
        "cybersecurity-testing",
        _testing,
        "tests.yaml: types, results, tools, performers",
    ),
    ("labeling", "Labeling", "§VI.A", "labeling", _labeling, "labeling.yaml: all 14 topics"),
    (
        "management-plan",
        "Cybersecurity management plan",
        "§VI.B",
        "cybersecurity-management-plan",
        _plan,
        "postmarket.yaml",
    ),
    (
        "524b-determination",
        "Cyber device determination",
        "FD&C Act 524B(c)",
        "cybersecurity-summary",
        _cyber_device,
        "cyberfile.yaml: device.cyber_device",
    ),
    (
        "524b-plan",
        "Plan to monitor, identify and address postmarket vulnerabilities, incl. CVD",
        "FD&C Act 524B(b)(1)",
        "cybersecurity-management-plan",
        _cvd_plan,
        "postmarket.yaml: monitoring, cvd",
    ),
    (
        "524b-updates",
        "Timeline for updates: justified regular cycle and out of cycle (part of the plan)",
        "FD&C Act 524B(b)(1); guidance §VII.C",
        "cybersecurity-management-plan",
        _updates,
        "postmarket.yaml: patching",
    ),
    (
        "524b-sbom",
        "Software bill of materials",
        "FD&C Act 524B(b)(3)",
        "sbom",
        _sbom_524b,
        "sbom part (sbom.yaml or sbom/)",
    ),
)


ASSURANCE = (
    "524b-assurance",
    "Processes that provide reasonable assurance that the device and related systems are "
    "cybersecure",
    "FD&C Act 524B(b)(2)",
    "cybersecurity-summary",
    "shown by the whole package: every element above",
)
"""524B(b)(2) is shown by the package as a whole (guidance §VII.C), so it is complete only
when every other element is."""

PART_ELEMENT = {
    "architecture": "views",
    "threats": "threat-model",
    "controls": "controls",
    "tests": "testing",
    "evidence": "testing",
    "sbom": "sbom",
    "vulnerabilities": "vulnerability-assessment",
    "anomalies": "anomalies",
    "labeling": "labeling",
    "postmarket": "management-plan",
}
"""The element a finding in a part's file concerns, when its rule does not say."""

RULE_ELEMENT = {
    "CF108": None,  # rule selection in cyberfile.yaml: the tool's settings, no element
    "CF113": None,  # a missing part: the element's own check reports it missing
    "CF140": None,  # waivers: the tool's settings, no element
    "CF141": None,
    "CF142": None,
    "CF123": "views",  # a data flow's ends: the architecture's communication paths
    "CF200": "threat-model",
    "CF201": "controls",
    "CF202": "traceability",
    "CF203": "testing",
    "CF204": "testing",
    "CF205": "sbom",
    "CF206": "views",
    "CF207": "risk-assessment",
    "CF208": "testing",
    "CF300": "management-plan",
    "CF301": "management-plan",
    "CF302": "management-plan",
    "CF310": "testing",
    "CF311": "testing",
    "CF400": "software-support",
    "CF401": "vulnerability-assessment",
    "CF402": "sbom",
    "CF403": "vulnerability-assessment",
    "CF404": "software-support",
    "CF405": "software-support",
    "CF410": "sbom",
    "CF411": "software-support",
    "CF412": "software-support",
    "CF413": "software-support",
    "CF420": "vulnerability-assessment",
    "CF421": "vulnerability-assessment",
    "CF422": "vulnerability-assessment",
    "CF423": "vulnerability-assessment",
    "CF424": "vulnerability-assessment",
    "CF425": "vulnerability-assessment",
    "CF426": "vulnerability-assessment",
    "CF440": "vulnerability-assessment",
    "CF441": "vulnerability-assessment",
    "CF442": "vulnerability-assessment",
    "CF443": "vulnerability-assessment",
    "CF445": "vulnerability-assessment",
    "CF446": None,  # the local feed cache: a state of this machine, not of the documentation
}
"""The element each rule's findings concern; rules not listed follow the file they are in
(PART_ELEMENT). A test keeps this table in step with the registry."""


def element_of(diagnostic: Diagnostic, project: Project) -> str | None:
    """The readiness element a finding concerns, or None."""
    if diagnostic.code in RULE_ELEMENT:
        return RULE_ELEMENT[diagnostic.code]
    pos = diagnostic.position
    if pos is None:
        return None
    try:
        relative = pos.file.relative_to(project.root)
    except ValueError:
        return None
    return PART_ELEMENT.get(relative.parts[0].removesuffix(".yaml"))


def _counted(findings: list[Diagnostic]) -> str:
    codes = Counter(d.code for d in findings)
    return ", ".join(
        f"{code} {RULES[code].name}" + (f" \u00d7{n}" if n > 1 else "")
        for code, n in sorted(codes.items())
    )


CHANGE_SUMMARY = (
    "change-summary",
    "Summary of cybersecurity changes since the last authorized version, with the "
    "statements on uncontrolled-risk vulnerabilities (modified device)",
    "§VII.D; FD&C Act 524B",
    "cybersecurity-change-summary",
    "cyberfile.yaml: submissions[].baseline (a git revision of the project as submitted)",
)
"""Expected only for a modified device (`Manifest.is_modification`)."""


def _change_summary(p: Project, baseline_problem: str | None) -> _Finding:
    submission = p.manifest.baseline_submission
    if submission is None:
        return _Finding(reasons=["no earlier submission names a baseline revision"], empty=True)
    f = _Finding()
    if baseline_problem:
        f.reasons.append(
            f"the baseline {submission.baseline} cannot be compared: {baseline_problem}"
        )
    return f


def readiness(
    project: Project, findings: Sequence[Diagnostic] = (), baseline_problem: str | None = None
) -> list[ReadinessItem]:
    """Every element's status from its own check and from `findings` (what validate and
    drift report for the project) that concern it. For a modified device, the change
    summary is an element too: `baseline_problem` says why the project could not be
    compared with its baseline, when it could not."""
    concerning: dict[str, list[Diagnostic]] = {}
    for diagnostic in findings:
        element = element_of(diagnostic, project)
        if element is not None:
            concerning.setdefault(element, []).append(diagnostic)
    items = []
    checklist = list(CHECKLIST)
    if project.manifest.is_modification:
        key, element, section, document, fix = CHANGE_SUMMARY
        checklist.append(
            (key, element, section, document, lambda p: _change_summary(p, baseline_problem), fix)
        )
    for key, element, section, document, check, fix in checklist:
        finding = check(project)
        related = concerning.get(key, [])
        waived = [d for d in related if d.waived is not None]
        errors = [d for d in related if d.severity is Severity.ERROR and d.waived is None]
        warnings = [d for d in related if d.severity is Severity.WARNING and d.waived is None]
        if errors:
            finding.reasons.append(f"{len(errors)} error(s) reported: {_counted(errors)}")
        if warnings:
            finding.notes.append(f"{len(warnings)} warning(s) reported: {_counted(warnings)}")
        if waived:
            until = min(d.waived.until for d in waived if d.waived is not None)
            finding.notes.append(
                f"{len(waived)} finding(s) waived (first expiry {until.isoformat()}): "
                f"{_counted(waived)}"
            )
        status = finding.status()
        reasons = (
            tuple(finding.reasons)
            if status is not Status.MISSING
            else (tuple(finding.reasons) or ("nothing recorded",))
        )
        items.append(
            ReadinessItem(
                key, element, section, document, status, reasons, fix, tuple(finding.notes)
            )
        )
    incomplete = [i.element for i in items if i.status is not Status.PRESENT]
    key, element, section, document, fix = ASSURANCE
    items.append(
        ReadinessItem(
            key,
            element,
            section,
            document,
            Status.PARTIAL if incomplete else Status.PRESENT,
            (f"{len(incomplete)} element(s) not complete: {_few(incomplete, 3)}",)
            if incomplete
            else (),
            fix,
        )
    )
    return items


def score(items: list[ReadinessItem]) -> float:
    """Percentage: present counts 1, partial 0.5, missing 0."""
    if not items:
        return 0.0
    points = sum(
        1.0 if i.status is Status.PRESENT else 0.5 if i.status is Status.PARTIAL else 0.0
        for i in items
    )
    return round(100 * points / len(items), 1)
