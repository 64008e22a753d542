"""Traceability matrices (premarket guidance §V.A, Appendix 2), one row per chain, with the
gaps marked.

A chain runs threat -> control -> requirement -> test -> evidence. A requirement counts as
verified only by a test that names it in `verifies` (the rule behind CF202); a test that
names a control covers that control as a whole and is shown on its own row, with no
requirement, never credited to each requirement of the control. A threat without a
control, a control without a requirement, a requirement no test names and a test without
evidence each end their chain early, marked as a gap, so that every threat and every link
shows up at least once.

Beside the chains: the evidence with the report it is (report number, file, sha256); the
architecture elements with the views that show them, the threats against them, the safety
hazards those threats lead to (`threat.safety_hazard`), their controls and tests, and the
labeling topic the guidance asks for (§VI.A); and the views with their threats and hazards.
The last column of every row is its gap, empty when nothing is missing."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from cyberfile.model.architecture import Asset, DataFlow, TrustBoundary
from cyberfile.model.common import Performer
from cyberfile.model.controls import Control
from cyberfile.model.evidence import EvidenceItem
from cyberfile.model.project import Project
from cyberfile.model.testing import SecurityTest
from cyberfile.model.threats import Threat
from cyberfile.model.vocabulary import LabelingTopic, TestResult, ViewType
from cyberfile.model.vulnerabilities import Vulnerability

GAP = "GAP"

VERIFIES_REQUIREMENT = "requirement"
COVERS_CONTROL = "control"


def _join(values: Iterable[str]) -> str:
    """Distinct values in first-seen order."""
    return ", ".join(dict.fromkeys(v for v in values if v))


@dataclass(frozen=True)
class ChainRow:
    threat: str
    threat_title: str
    safety_hazard: str
    """The hazard of the ISO 14971 safety risk file the threat leads to."""
    views: str
    """Architecture views that show one of the threat's targets."""
    control: str
    category: str
    requirement: str
    """Empty on a row of a test that covers the control as a whole."""
    test: str
    verifies: str
    """`requirement` when the test names the requirement, `control` when it names the
    control only (it then covers the control, not each requirement)."""
    result: str
    findings_not_fixed: str
    evidence: str
    report: str
    evidence_file: str
    evidence_sha256: str
    gap: str
    """What is missing in this chain, empty when the chain is complete."""


def _naming(project: Project, item_id: str) -> list[SecurityTest]:
    """Tests that name `item_id` in `verifies`."""
    return list(project.tests_naming.get(item_id, ()))


def _findings_not_fixed(test: SecurityTest) -> str:
    return ", ".join(f"{f.id} ({f.severity.value}, {f.status.value})" for f in test.open_findings)


def _views_of(project: Project, element_ids: Iterable[str]) -> str:
    wanted = set(element_ids)
    return _join(v.id for v in project.architecture.views if wanted & set(v.elements))


def _test_rows(
    evidence: dict[str, EvidenceItem], head: dict[str, str], test: SecurityTest, verifies: str
) -> list[ChainRow]:
    problems = []
    if test.result is not TestResult.PASS:
        problems.append(f"test result {test.result.value}")
    base = {
        **head,
        "test": test.id,
        "verifies": verifies,
        "result": test.result.value,
        "findings_not_fixed": _findings_not_fixed(test),
    }
    if not test.evidence:
        gap = "; ".join([*problems, "test has no evidence"])
        return [
            ChainRow(**base, evidence=GAP, report="", evidence_file="", evidence_sha256="", gap=gap)
        ]
    rows = []
    for evidence_id in test.evidence:
        item = evidence.get(evidence_id)
        missing = [] if item is not None else ["evidence item not found"]
        rows.append(
            ChainRow(
                **base,
                evidence=evidence_id,
                report=(item.report_id or "") if item else "",
                evidence_file=(item.file or "") if item else "",
                evidence_sha256=(item.sha256 or "") if item else "",
                gap="; ".join([*problems, *missing]),
            )
        )
    return rows


def _empty(head: dict[str, str], **values: str) -> ChainRow:
    fields = {
        "requirement": "",
        "test": "",
        "verifies": "",
        "result": "",
        "findings_not_fixed": "",
        "evidence": "",
        "report": "",
        "evidence_file": "",
        "evidence_sha256": "",
    }
    fields.update(values)
    return ChainRow(**head, **fields)


def _control_rows(
    project: Project,
    evidence: dict[str, EvidenceItem],
    head: dict[str, str],
    control: Control,
) -> list[ChainRow]:
    rows: list[ChainRow] = []
    covering = _naming(project, control.id)
    if not control.requirements:
        rows.append(_empty(head, requirement=GAP, gap="control has no requirement"))
    for requirement in control.requirements:
        tests = _naming(project, requirement.id)
        if not tests:
            gap = "requirement verified by no test that names it"
            if covering:
                gap += f" (the control is covered by {_join(t.id for t in covering)})"
            rows.append(_empty(head, requirement=requirement.id, test=GAP, gap=gap))
            continue
        for test in tests:
            rows.extend(
                _test_rows(evidence, {**head, "requirement": requirement.id}, test, "requirement")
            )
    for test in covering:
        rows.extend(_test_rows(evidence, {**head, "requirement": ""}, test, COVERS_CONTROL))
    return rows


def chains(project: Project) -> list[ChainRow]:
    controls = {c.id: c for c in project.controls.controls}
    evidence = {e.id: e for e in project.evidence.evidence}
    rows: list[ChainRow] = []
    for threat in project.threats.threats:
        head = {
            "threat": threat.id,
            "threat_title": threat.title,
            "safety_hazard": threat.safety_hazard or "",
            "views": _views_of(project, threat.targets),
        }
        known = [controls[c] for c in threat.controls if c in controls]
        if not known:
            rows.append(
                _empty({**head, "control": GAP, "category": ""}, gap="threat has no control")
            )
            continue
        for control in known:
            mid = {**head, "control": control.id, "category": control.category.value}
            rows.extend(_control_rows(project, evidence, mid, control))
    return rows


@dataclass(frozen=True)
class CoverageRow:
    requirement: str
    control: str
    text: str
    tests: str
    """Tests that name the requirement: the only ones that verify it."""
    results: str
    control_covered_by: str
    """Tests that name the control only; they do not verify this requirement."""
    gap: str


def requirement_coverage(project: Project) -> list[CoverageRow]:
    rows = []
    for control in project.controls.controls:
        covering = _join(t.id for t in _naming(project, control.id))
        for requirement in control.requirements:
            tests = _naming(project, requirement.id)
            results = sorted({t.result.value for t in tests})
            gap = (
                "not verified by a test that names it"
                if not tests
                else ("" if results == ["pass"] else "not all tests pass")
            )
            rows.append(
                CoverageRow(
                    requirement.id,
                    control.id,
                    requirement.text,
                    ", ".join(t.id for t in tests),
                    ", ".join(results),
                    covering,
                    gap,
                )
            )
    return rows


@dataclass(frozen=True)
class ComponentRow:
    component: str
    version: str
    support: str
    end_of_support: str
    vulnerability: str
    status: str
    risk: str
    gap: str


def component_vulnerabilities(project: Project) -> list[ComponentRow]:
    rows = []
    recorded: dict[str, list[Vulnerability]] = {}  # by component: one pass, not one per component
    for vulnerability in project.vulnerabilities.vulnerabilities:
        for ref in dict.fromkeys(vulnerability.components):
            recorded.setdefault(ref, []).append(vulnerability)
    for component in project.sbom.components:
        base = (
            component.ref,
            component.version or "",
            component.support.value,
            component.end_of_support.isoformat() if component.end_of_support else "",
        )
        hits = recorded.get(component.ref, [])
        if not hits:
            rows.append(ComponentRow(*base, "", "", "", ""))
        for v in hits:
            risk = project.risk_control(v).value
            gap = (
                "not yet assessed"
                if v.status.value == "under_investigation" or risk == "not_assessed"
                else ("uncontrolled risk" if risk == "uncontrolled" else "")
            )
            rows.append(ComponentRow(*base, v.id, v.status.value, risk, gap))
    return rows


def _performer(performer: Performer | None) -> str:
    if performer is None:
        return ""
    if "independent" not in performer.model_fields_set:
        return f"{performer.organization} (independence not recorded)"
    return f"{performer.organization} ({'' if performer.independent else 'not '}independent)"


@dataclass(frozen=True)
class EvidenceRow:
    evidence: str
    type: str
    title: str
    report_id: str
    """The report's own document number."""
    file: str
    sha256: str
    performed: str
    performer: str
    tests: str
    """Tests that cite this evidence."""
    gap: str


def evidence_rows(project: Project) -> list[EvidenceRow]:
    rows = []
    for item in project.evidence.evidence:
        missing = []
        if not item.file:
            missing.append("no file")
        elif not item.sha256:
            missing.append("no sha256 of the file")
        rows.append(
            EvidenceRow(
                item.id,
                item.type.value,
                item.title,
                item.report_id or "",
                item.file or "",
                item.sha256 or "",
                item.performed.isoformat(),
                _performer(item.performer),
                _join(t.id for t in project.tests_citing.get(item.id, ())),
                "; ".join(missing),
            )
        )
    return rows


@dataclass(frozen=True)
class ElementRow:
    """An element of the architecture diagrams (Appendix 2: links from diagram elements to
    hazards, controls and tests)."""

    element: str
    kind: str
    name: str
    views: str
    threats: str
    """Threats that name the element among their targets."""
    safety_hazards: str
    mitigating_controls: str
    """Controls of those threats."""
    implemented_controls: str
    """Controls implemented in the element (assets)."""
    tests: str
    """Tests that name one of those controls or one of their requirements."""
    labeling: str
    """The labeling topic the guidance asks for about this element (§VI.A), and whether the
    labeling covers it."""
    gap: str


_PORT = r"(?<![0-9]){}(?![0-9])"


def _labeling_texts(project: Project) -> dict[LabelingTopic, str]:
    texts: dict[LabelingTopic, list[str]] = {}
    for entry in project.labeling.labeling:
        texts.setdefault(entry.topic, []).append(entry.text)
    return {topic: "\n".join(parts) for topic, parts in texts.items()}


def _flow_labeling(flow: DataFlow, texts: dict[LabelingTopic, str]) -> tuple[str, str]:
    """(labeling cell, gap) of a communication path: §VI.A asks for the ports and interfaces
    with their direction; each port of the flow must appear in that labeling topic."""
    topic = LabelingTopic.PORTS_AND_INTERFACES
    if flow.interface is None:
        return "", ""
    text = texts.get(topic)
    if text is None:
        return GAP, f"no {topic.value} labeling"
    if not flow.ports:
        return f"{topic.value} (the flow records no port)", ""
    named = [p for p in flow.ports if re.search(_PORT.format(p), text)]
    unnamed = [p for p in flow.ports if p not in named]
    cell = f"{topic.value}: port {', '.join(str(p) for p in flow.ports)}"
    if unnamed:
        ports = ", ".join(str(p) for p in unnamed)
        return cell, f"port {ports} not named in the {topic.value} labeling"
    return cell + " named", ""


def _asset_labeling(asset: Asset, texts: dict[LabelingTopic, str]) -> tuple[str, str]:
    """A critical-function asset: §VI.A asks how critical functions are protected."""
    topic = LabelingTopic.CRITICAL_FUNCTION_PROTECTION
    if not asset.critical_function:
        return "", ""
    if topic not in texts:
        return GAP, f"critical function, no {topic.value} labeling"
    return topic.value, ""


def element_rows(project: Project) -> list[ElementRow]:
    arch = project.architecture
    controls = {c.id: c for c in project.controls.controls}
    texts = _labeling_texts(project)
    elements: list[tuple[Asset | DataFlow | TrustBoundary, str, str]] = [
        *((a, "asset", a.name) for a in arch.assets),
        *((f, "data flow", f"{f.from_} -> {f.to}") for f in arch.data_flows),
        *((b, "trust boundary", b.name) for b in arch.trust_boundaries),
    ]
    rows = []
    for element, kind, name in elements:
        threats: list[Threat] = [t for t in project.threats.threats if element.id in t.targets]
        mitigating = [c for t in threats for c in t.controls]
        implemented = (
            [c.id for c in project.controls.controls if element.id in c.implemented_in]
            if isinstance(element, Asset)
            else []
        )
        verifiable: set[str] = set()
        for control_id in [*mitigating, *implemented]:
            verifiable.add(control_id)
            control = controls.get(control_id)
            if control is not None:
                verifiable.update(r.id for r in control.requirements)
        naming = {id(t) for v in verifiable for t in project.tests_naming.get(v, ())}
        tests = [t.id for t in project.tests.tests if id(t) in naming]
        if isinstance(element, DataFlow):
            labeling, gap = _flow_labeling(element, texts)
        elif isinstance(element, Asset):
            labeling, gap = _asset_labeling(element, texts)
        else:
            labeling, gap = "", ""
        rows.append(
            ElementRow(
                element.id,
                kind,
                name,
                _views_of(project, [element.id]),
                _join(t.id for t in threats),
                _join(t.safety_hazard or "" for t in threats),
                _join(mitigating),
                _join(implemented),
                _join(tests),
                labeling,
                gap,
            )
        )
    return rows


@dataclass(frozen=True)
class ViewRow:
    view: str
    type: str
    title: str
    elements: str
    threats: str
    """Threats that target one of the view's elements."""
    safety_hazards: str
    labeling: str
    """The labeling topic the guidance asks for about this kind of view (§VI.A)."""
    gap: str


_VIEW_LABELING = {
    ViewType.GLOBAL_SYSTEM: LabelingTopic.DEPLOYMENT_DIAGRAMS,
    ViewType.UPDATABILITY_PATCHABILITY: LabelingTopic.UPDATE_PROCEDURE,
}
"""§VI.A: diagrams for deploying the device (global system view); how to obtain and
install authorised updates (updatability/patchability view)."""


def view_rows(project: Project) -> list[ViewRow]:
    arch = project.architecture
    topics = {entry.topic for entry in project.labeling.labeling}
    rows = []
    for view in arch.views:
        shown = set(view.elements)
        threats = [t for t in project.threats.threats if shown & set(t.targets)]
        topic = _VIEW_LABELING.get(view.type)
        labeling, gap = "", ""
        if topic is not None:
            labeling, gap = (
                (topic.value, "") if topic in topics else (GAP, f"no {topic.value} labeling")
            )
        rows.append(
            ViewRow(
                view.id,
                view.type.value,
                view.title,
                ", ".join(view.elements),
                _join(t.id for t in threats),
                _join(t.safety_hazard or "" for t in threats),
                labeling,
                gap,
            )
        )
    present = {v.type for v in arch.views}
    for view_type in ViewType:
        if view_type in present:
            continue
        reason = arch.omitted_views.get(view_type)
        rows.append(
            ViewRow(
                "",
                view_type.value,
                f"omitted: {reason}" if reason else "",
                "",
                "",
                "",
                "",
                "" if reason else "no view of this type and no reason for omitting it",
            )
        )
    return rows
