"""The facts behind the residual-risk conclusion, computed from the data, never assumed.

Premarket design risk of threats is *acceptable* or *not acceptable* under the policy's
acceptance matrix; the postmarket risk of vulnerabilities is *controlled*, *uncontrolled* or
*not yet assessed* (2016 postmarket guidance), with the 30-day communication and 60-day
remediation clocks of an uncontrolled risk measured on the document date. Unresolved
anomalies carry no rating: what the file records is their security impact and the rationale
for releasing with them. The documents print these facts and state a conclusion only as far
as they establish it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from cyberfile.model.anomalies import Anomaly
from cyberfile.model.evidence import EvidenceItem
from cyberfile.model.manifest import Policy
from cyberfile.model.postmarket import Postmarket
from cyberfile.model.project import Project
from cyberfile.model.testing import SecurityTest, TestFinding
from cyberfile.model.threats import Threat
from cyberfile.model.vocabulary import (
    EvidenceType,
    Exploitability,
    RiskControl,
    Severity,
    TestResult,
)
from cyberfile.model.vulnerabilities import Vulnerability
from cyberfile.postmarket.clocks import Deadline, VulnerabilityClock, clock_for

RISK_WORDS = {
    RiskControl.CONTROLLED: "controlled",
    RiskControl.UNCONTROLLED: "uncontrolled",
    RiskControl.NOT_ASSESSED: "not yet assessed",
}
"""How the documents say a vulnerability's residual risk."""

DEADLINE_WORDS = {
    "triage": "triage (assessment)",
    "communicate": "communication to customers",
    "remediate": "remediation (fix validated and distributed)",
}


@dataclass(frozen=True)
class ThreatRisk:
    threat: Threat
    acceptable: bool | None
    """Post-mitigation risk under the acceptance matrix; None when not rated."""
    reviews: tuple[EvidenceItem, ...]
    """Risk review evidence items that name the threat."""

    @property
    def rating(self) -> str:
        rating = self.threat.post_mitigation
        if rating is None:
            return "not rated"
        return f"exploitability {rating.exploitability.value}, severity {rating.severity.value}"


@dataclass(frozen=True)
class OverdueDeadline:
    deadline: Deadline
    days: int
    """Days past due on the document date."""

    @property
    def words(self) -> str:
        return DEADLINE_WORDS.get(self.deadline.name, self.deadline.name)


@dataclass(frozen=True)
class VulnerabilityRisk:
    clock: VulnerabilityClock
    overdue: tuple[OverdueDeadline, ...]
    """Deadlines due before the document date and not met by it."""

    @property
    def vulnerability(self) -> Vulnerability:
        return self.clock.vulnerability

    @property
    def risk(self) -> RiskControl:
        return self.clock.risk

    @property
    def risk_words(self) -> str:
        return RISK_WORDS[self.clock.risk]

    @property
    def rating_words(self) -> str:
        v = self.vulnerability
        exploitability = v.exploitability.value if v.exploitability else "not rated"
        severity = v.severity.value if v.severity else "not rated"
        return f"exploitability {exploitability}, severity {severity}"


@dataclass(frozen=True)
class AnomalyRisk:
    anomaly: Anomaly
    missing: tuple[str, ...]
    """What the file does not record about it: security impact, rationale."""


@dataclass(frozen=True)
class UntrackedFinding:
    test: SecurityTest
    finding: TestFinding


@dataclass(frozen=True)
class ResidualRisk:
    as_of: date
    threats: tuple[ThreatRisk, ...]
    vulnerabilities: tuple[VulnerabilityRisk, ...]
    anomalies: tuple[AnomalyRisk, ...]
    untracked_findings: tuple[UntrackedFinding, ...]
    """Test findings not fixed that no anomaly or vulnerability of the project tracks."""

    @property
    def acceptable_threats(self) -> tuple[ThreatRisk, ...]:
        return tuple(t for t in self.threats if t.acceptable is True)

    @property
    def unacceptable_threats(self) -> tuple[ThreatRisk, ...]:
        return tuple(t for t in self.threats if t.acceptable is False)

    @property
    def unrated_threats(self) -> tuple[ThreatRisk, ...]:
        return tuple(t for t in self.threats if t.acceptable is None)

    def vulnerabilities_with(self, risk: RiskControl) -> tuple[VulnerabilityRisk, ...]:
        return tuple(v for v in self.vulnerabilities if v.risk is risk)

    @property
    def controlled(self) -> tuple[VulnerabilityRisk, ...]:
        return self.vulnerabilities_with(RiskControl.CONTROLLED)

    @property
    def uncontrolled(self) -> tuple[VulnerabilityRisk, ...]:
        return self.vulnerabilities_with(RiskControl.UNCONTROLLED)

    @property
    def not_assessed(self) -> tuple[VulnerabilityRisk, ...]:
        return self.vulnerabilities_with(RiskControl.NOT_ASSESSED)

    @property
    def open_vulnerabilities(self) -> tuple[VulnerabilityRisk, ...]:
        """Uncontrolled, not yet assessed, or with an overdue deadline."""
        return tuple(
            v for v in self.vulnerabilities if v.risk is not RiskControl.CONTROLLED or v.overdue
        )

    @property
    def overdue(self) -> tuple[VulnerabilityRisk, ...]:
        return tuple(v for v in self.vulnerabilities if v.overdue)

    @property
    def anomaly_gaps(self) -> tuple[AnomalyRisk, ...]:
        return tuple(a for a in self.anomalies if a.missing)

    def controlled_by_status(self, status: str) -> int:
        return sum(1 for v in self.controlled if v.vulnerability.status.value == status)

    @property
    def threat_model_missing(self) -> bool:
        """No threats are recorded: nothing can be concluded about the risk of threats."""
        return not self.threats

    @property
    def with_hazard(self) -> tuple[ThreatRisk, ...]:
        """Threats that name a hazard of the ISO 14971 safety risk file."""
        return tuple(t for t in self.threats if t.threat.safety_hazard)

    @property
    def harm_without_hazard(self) -> tuple[ThreatRisk, ...]:
        """Threats rated minor or worse for severity of patient harm (before or after
        mitigation) that name no hazard of the safety risk file: a gap in the transfer."""
        return tuple(
            t
            for t in self.threats
            if not t.threat.safety_hazard
            and any(
                rating is not None and rating.severity is not Severity.NEGLIGIBLE
                for rating in (t.threat.pre_mitigation, t.threat.post_mitigation)
            )
        )

    @property
    def established(self) -> bool:
        """Whether the data establishes that every residual risk is acceptable: threats
        are recorded, every threat rated and acceptable, every vulnerability controlled
        with no overdue deadline, every anomaly with its impact and rationale, no untracked
        open test finding. With no threats nothing is established about them."""
        return not (
            self.threat_model_missing
            or self.unacceptable_threats
            or self.unrated_threats
            or self.open_vulnerabilities
            or self.anomaly_gaps
            or self.untracked_findings
        )

    @property
    def open_items(self) -> int:
        """How many items the conclusion names."""
        return (
            len(self.unacceptable_threats)
            + len(self.unrated_threats)
            + len(self.open_vulnerabilities)
            + len(self.anomaly_gaps)
            + len(self.untracked_findings)
        )


def _reviews(project: Project, item_id: str) -> tuple[EvidenceItem, ...]:
    return tuple(
        e
        for e in project.evidence.evidence
        if e.type is EvidenceType.RISK_REVIEW and item_id in e.covers
    )


def _anomaly_missing(anomaly: Anomaly) -> tuple[str, ...]:
    missing = []
    if not anomaly.security_impact:
        missing.append("no security impact recorded")
    if not anomaly.rationale:
        missing.append("no rationale for releasing with it")
    return tuple(missing)


def residual_risk(project: Project, as_of: date) -> ResidualRisk:
    """Threats, vulnerabilities and unresolved anomalies together, as of `as_of` (the
    document date)."""
    threats = tuple(
        ThreatRisk(t, project.residual_risk_acceptable(t), _reviews(project, t.id))
        for t in project.threats.threats
    )
    vulnerabilities = []
    for v in project.vulnerabilities.vulnerabilities:
        clock = clock_for(project, v)
        overdue = tuple(OverdueDeadline(d, (as_of - d.due).days) for d in clock.overdue(as_of))
        vulnerabilities.append(VulnerabilityRisk(clock, overdue))
    anomalies = tuple(AnomalyRisk(a, _anomaly_missing(a)) for a in project.anomalies.anomalies)
    tracked = {a.id for a in project.anomalies.anomalies}
    for v in project.vulnerabilities.vulnerabilities:
        tracked.update((v.id, *v.aliases))
    untracked = tuple(
        UntrackedFinding(t, f)
        for t in project.tests.tests
        for f in t.open_findings
        if f.tracked_in not in tracked
    )
    return ResidualRisk(as_of, threats, tuple(vulnerabilities), anomalies, untracked)


@dataclass(frozen=True)
class AcceptanceCell:
    exploitability: Exploitability
    severity: Severity
    acceptable: bool


def unwritten_policy(policy: Policy) -> tuple[str, ...]:
    """The policy keys behind the deadlines and the acceptance matrix (`triage_within`,
    `uncontrolled_risk.communicate_within`, `uncontrolled_risk.remediate_within`,
    `risk_acceptance.acceptable`) that cyberfile.yaml does not write: their values are
    cyberfile's built-in defaults, not a policy the manufacturer has stated."""
    written = policy.model_fields_set
    uncontrolled = policy.uncontrolled_risk.model_fields_set
    missing = []
    if "triage_within" not in written:
        missing.append("triage_within")
    for key in ("communicate_within", "remediate_within"):
        if "uncontrolled_risk" not in written or key not in uncontrolled:
            missing.append(f"uncontrolled_risk.{key}")
    if "risk_acceptance" not in written or (
        "acceptable" not in policy.risk_acceptance.model_fields_set
    ):
        missing.append("risk_acceptance.acceptable")
    return tuple(missing)


_KNOWN_EXPLOITED = re.compile(r"\bKEV\b|known[\s-]+exploited", re.IGNORECASE)


def plan_handles_known_exploited(plan: Postmarket) -> bool:
    """Whether the plan's out-of-cycle process (`patching.out_of_cycle`) names known
    exploited vulnerabilities (CISA KEV), so that the documents may say they are handled
    out of cycle."""
    text = plan.patching.out_of_cycle if plan.patching else None
    return bool(text and _KNOWN_EXPLOITED.search(text))


def plan_recorded(plan: Postmarket) -> bool:
    """Whether postmarket.yaml records any part of the management plan."""
    return any(
        (
            plan.personnel,
            plan.monitoring,
            plan.periodic_testing,
            plan.cvd,
            plan.isao,
            plan.patching,
            plan.communication,
        )
    )


def acceptance_grid(project: Project) -> list[list[AcceptanceCell]]:
    """The acceptance matrix as rows (exploitability high to low) of cells (severity from
    negligible to catastrophic)."""
    acceptance = project.manifest.policy.risk_acceptance
    return [
        [AcceptanceCell(e, s, acceptance.is_acceptable(e, s)) for s in Severity]
        for e in Exploitability
    ]


@dataclass(frozen=True)
class Verification:
    """What the tests establish about the requirements: a requirement is verified only by a
    test that names it."""

    requirements: int
    named: tuple[str, ...]
    """Requirements named by at least one test."""
    passed: tuple[str, ...]
    """Requirements named by at least one test, every such test passed."""
    unverified: tuple[str, ...]
    """Requirements no test names."""
    tests_by_result: tuple[tuple[str, int], ...]


def verification(project: Project) -> Verification:
    requirements = [r for c in project.controls.controls for r in c.requirements]
    named: list[str] = []
    passed: list[str] = []
    unverified: list[str] = []
    for requirement in requirements:
        tests = project.tests_naming.get(requirement.id, ())
        if not tests:
            unverified.append(requirement.id)
            continue
        named.append(requirement.id)
        if all(t.result is TestResult.PASS for t in tests):
            passed.append(requirement.id)
    counts = tuple(
        (result.value, n)
        for result in TestResult
        if (n := sum(1 for t in project.tests.tests if t.result is result))
    )
    return Verification(len(requirements), tuple(named), tuple(passed), tuple(unverified), counts)
