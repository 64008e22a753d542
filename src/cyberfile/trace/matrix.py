"""Traceability matrices, one row per chain, with the gaps marked.

A chain runs threat -> control -> requirement -> test -> evidence. A threat without a
control, a control without a requirement, a requirement no test verifies and a test
without evidence each end their chain early, marked as a gap, so that every threat and
every link shows up at least once."""

from __future__ import annotations

from dataclasses import dataclass

from cyberfile.model.controls import Control, Requirement
from cyberfile.model.project import Project
from cyberfile.model.testing import SecurityTest

GAP = "GAP"


@dataclass(frozen=True)
class ChainRow:
    threat: str
    threat_title: str
    control: str
    category: str
    requirement: str
    test: str
    result: str
    evidence: str
    gap: str
    """What is missing in this chain, empty when the chain is complete."""


def _tests_for(project: Project, control: Control, requirement: Requirement) -> list[SecurityTest]:
    return [
        t for t in project.tests.tests if requirement.id in t.verifies or control.id in t.verifies
    ]


def chains(project: Project) -> list[ChainRow]:
    controls = {c.id: c for c in project.controls.controls}
    rows: list[ChainRow] = []
    for threat in project.threats.threats:
        head = (threat.id, threat.title)
        known = [controls[c] for c in threat.controls if c in controls]
        if not known:
            rows.append(ChainRow(*head, GAP, "", "", "", "", "", "threat has no control"))
            continue
        for control in known:
            mid = (*head, control.id, control.category.value)
            if not control.requirements:
                rows.append(ChainRow(*mid, GAP, "", "", "", "control has no requirement"))
                continue
            for requirement in control.requirements:
                tests = _tests_for(project, control, requirement)
                if not tests:
                    rows.append(
                        ChainRow(
                            *mid, requirement.id, GAP, "", "", "requirement not verified by a test"
                        )
                    )
                    continue
                for test in tests:
                    gap = "" if test.result.value == "pass" else f"test result {test.result.value}"
                    evidence = ", ".join(test.evidence)
                    if not test.evidence:
                        evidence, gap = GAP, gap or "test has no evidence"
                    rows.append(
                        ChainRow(*mid, requirement.id, test.id, test.result.value, evidence, gap)
                    )
    return rows


@dataclass(frozen=True)
class CoverageRow:
    requirement: str
    control: str
    text: str
    tests: str
    results: str
    gap: str


def requirement_coverage(project: Project) -> list[CoverageRow]:
    rows = []
    for control in project.controls.controls:
        for requirement in control.requirements:
            tests = _tests_for(project, control, requirement)
            results = sorted({t.result.value for t in tests})
            gap = (
                "not verified"
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
    for component in project.sbom.components:
        base = (
            component.ref,
            component.version or "",
            component.support.value,
            component.end_of_support.isoformat() if component.end_of_support else "",
        )
        hits = [v for v in project.vulnerabilities.vulnerabilities if component.ref in v.components]
        if not hits:
            rows.append(ComponentRow(*base, "", "", "", ""))
        for v in hits:
            risk = project.risk_control(v).value
            gap = (
                "not yet assessed"
                if v.status.value == "under_investigation"
                else ("uncontrolled risk" if risk == "uncontrolled" else "")
            )
            rows.append(ComponentRow(*base, v.id, v.status.value, risk, gap))
    return rows
