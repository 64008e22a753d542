"""Who is late and by how much: triage, and the 30/60-day clocks of uncontrolled risk.

The 2016 postmarket guidance expects, for a vulnerability whose risk is uncontrolled,
communication to customers within 30 days of learning of it and a validated fix
distributed within 60 days. The project policy sets those durations and the triage
window; the clock starts on `discovered`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from cyberfile.model.project import Project
from cyberfile.model.vocabulary import RiskControl, VulnerabilityStatus
from cyberfile.model.vulnerabilities import Vulnerability


class ClockState(StrEnum):
    MET = "met"
    MET_LATE = "met_late"
    OPEN = "open"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Deadline:
    """One obligation with a due date; `met` with `met_on` when it was met (if known)."""

    name: str
    start: date
    due: date
    met: bool
    met_on: date | None

    def days_late(self, as_of: date) -> int:
        """Days past due: when met, how late it was met; when open, how late it is now."""
        end = self.met_on if self.met else as_of
        if end is None:
            return 0
        return max(0, (end - self.due).days)

    def state(self, as_of: date, warn_before: timedelta) -> ClockState:
        """Met (late or not), overdue, due soon, or open. "Due soon" starts warn_before
        ahead of the deadline, but at most half-way through the window (a 14-day triage
        would otherwise be due soon from its first day)."""
        if self.met:
            return ClockState.MET_LATE if self.days_late(as_of) > 0 else ClockState.MET
        if as_of > self.due:
            return ClockState.OVERDUE
        if as_of >= self.due - min(warn_before, (self.due - self.start) / 2):
            return ClockState.DUE_SOON
        return ClockState.OPEN


@dataclass(frozen=True)
class VulnerabilityClock:
    vulnerability: Vulnerability
    risk: RiskControl
    triage: Deadline
    communicate: Deadline | None
    """Only for uncontrolled risk."""
    remediate: Deadline | None
    """Only for uncontrolled risk."""

    def deadlines(self) -> tuple[Deadline, ...]:
        return tuple(d for d in (self.triage, self.communicate, self.remediate) if d)

    def overdue(self, as_of: date) -> tuple[Deadline, ...]:
        """The deadlines not met by `as_of` although due before it (triage, and for an
        uncontrolled risk the 30-day communication and 60-day remediation)."""
        return tuple(d for d in self.deadlines() if not d.met and as_of > d.due)


def _triage(vulnerability: Vulnerability, within: timedelta) -> Deadline:
    assessed = vulnerability.assessed.on if vulnerability.assessed else None
    met = (
        assessed is not None or vulnerability.status is not VulnerabilityStatus.UNDER_INVESTIGATION
    )
    start = vulnerability.discovered
    return Deadline("triage", start, start + within, met, assessed)


def clock_for(project: Project, vulnerability: Vulnerability) -> VulnerabilityClock:
    policy = project.manifest.policy
    risk = project.risk_control(vulnerability)
    triage = _triage(vulnerability, policy.triage_within)
    communicate = remediate = None
    if risk is RiskControl.UNCONTROLLED:
        remediation = vulnerability.remediation
        told = remediation.customer_communication if remediation else None
        fixed_on = remediation.fixed_on if remediation else None
        fixed = vulnerability.status is VulnerabilityStatus.FIXED or fixed_on is not None
        start = vulnerability.discovered
        communicate = Deadline(
            "communicate",
            start,
            start + policy.uncontrolled_risk.communicate_within,
            told is not None,
            told,
        )
        remediate = Deadline(
            "remediate", start, start + policy.uncontrolled_risk.remediate_within, fixed, fixed_on
        )
    return VulnerabilityClock(vulnerability, risk, triage, communicate, remediate)


def clocks(project: Project) -> list[VulnerabilityClock]:
    """A clock for every vulnerability, in file order."""
    return [clock_for(project, v) for v in project.vulnerabilities.vulnerabilities]
