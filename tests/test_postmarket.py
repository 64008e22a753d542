"""Postmarket clocks (triage, 30/60-day uncontrolled risk) and the three FDA metrics."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from cyberfile.load.project import load_project
from cyberfile.model.project import Project
from cyberfile.model.vocabulary import RiskControl, VulnerabilityStatus
from cyberfile.model.vulnerabilities import Vulnerabilities, Vulnerability
from cyberfile.postmarket.clocks import ClockState, clock_for, clocks
from cyberfile.postmarket.metrics import compute, project_metrics

from .conftest import EXAMPLE

WARN = timedelta(days=30)


@pytest.fixture(scope="module")
def example() -> Project:
    project = load_project(EXAMPLE).project
    assert project is not None
    return project


def vuln(**fields: Any) -> Vulnerability:
    return Vulnerability.model_validate(
        {"id": "CVE-2026-0001", "discovered": "2026-01-01", "status": "affected", **fields}
    )


def test_uncontrolled_risk_gets_30_and_60_day_clocks(example: Project) -> None:
    risky = vuln(
        exploitability="high", severity="critical", assessed={"by": "x", "on": "2026-01-05"}
    )
    clock = clock_for(example, risky)
    assert clock.risk is RiskControl.UNCONTROLLED
    assert clock.communicate is not None and clock.remediate is not None
    assert clock.communicate.due == date(2026, 1, 31)
    assert clock.remediate.due == date(2026, 3, 2)
    as_of = date(2026, 2, 10)
    assert clock.communicate.state(as_of, WARN) is ClockState.OVERDUE
    assert clock.communicate.days_late(as_of) == 10
    assert clock.remediate.state(as_of, WARN) is ClockState.DUE_SOON
    assert clock.triage.state(as_of, WARN) is ClockState.MET


def test_clocks_met_late_and_on_time(example: Project) -> None:
    risky = vuln(
        exploitability="high",
        severity="critical",
        assessed={"by": "x", "on": "2026-01-20"},
        remediation={"customer_communication": "2026-01-25", "fixed_on": "2026-03-12"},
        status="fixed",
    )
    clock = clock_for(example, risky)
    assert clock.risk is RiskControl.CONTROLLED  # fixed: no uncontrolled clocks any more
    open_risk = risky.model_copy(update={"status": VulnerabilityStatus.AFFECTED})
    clock = clock_for(example, open_risk)
    assert clock.triage.state(date(2026, 6, 1), WARN) is ClockState.MET_LATE
    assert clock.triage.days_late(date(2026, 6, 1)) == 5  # due 01-15, assessed 01-20
    assert clock.communicate is not None
    assert clock.communicate.state(date(2026, 6, 1), WARN) is ClockState.MET
    assert clock.remediate is not None
    assert clock.remediate.days_late(date(2026, 6, 1)) == 10  # due 03-02, fixed 03-12


def test_controlled_risk_has_only_the_triage_clock(example: Project) -> None:
    clock = clock_for(example, vuln(exploitability="low", severity="minor"))
    assert clock.risk is RiskControl.CONTROLLED
    assert clock.communicate is None and clock.remediate is None


def test_untriaged_vulnerability_is_overdue_after_policy_window(example: Project) -> None:
    waiting = vuln(status="under_investigation")
    clock = clock_for(example, waiting)
    assert clock.triage.due == date(2026, 1, 15)
    assert clock.triage.state(date(2026, 1, 10), WARN) is ClockState.DUE_SOON
    assert clock.triage.state(date(2026, 1, 16), WARN) is ClockState.OVERDUE
    assert clock.triage.days_late(date(2026, 1, 20)) == 5


def test_policy_durations_drive_the_clocks(example: Project) -> None:
    policy = example.manifest.policy.model_copy(update={"triage_within": timedelta(days=3)})
    strict = replace(example, manifest=example.manifest.model_copy(update={"policy": policy}))
    assert clock_for(strict, vuln(status="under_investigation")).triage.due == date(2026, 1, 4)


def test_metrics() -> None:
    history = [
        vuln(
            id="A",
            status="fixed",
            remediation={"fixed_on": "2026-01-11", "deployed_on": "2026-01-21"},
        ),
        vuln(id="B", status="fixed", remediation={"fixed_on": "2026-01-31"}),
        vuln(id="C", status="affected"),
        vuln(id="D", status="not_affected", justification="code_not_present"),
        vuln(id="E", status="under_investigation", discovered="2025-06-01"),
    ]
    overall = compute(history)
    assert (overall.identified, overall.applicable, overall.patched) == (5, 3, 2)
    assert overall.percent_patched == 66.7
    assert overall.mean_days_to_patch == 20.0  # 10 and 30 days
    assert overall.mean_days_to_deploy == 10.0
    assert compute([]).percent_patched is None


def test_example_metrics_by_period(example: Project) -> None:
    periods = project_metrics(example)
    assert periods[0].period == "all"
    assert periods[0].identified == len(example.vulnerabilities.vulnerabilities)
    assert periods[0].patched == 3 and periods[0].mean_days_to_deploy is None
    assert [m.period for m in periods[1:]] == ["2026"]
    assert len(clocks(example)) == periods[0].identified
    empty = replace(example, vulnerabilities=Vulnerabilities())
    assert project_metrics(empty)[0].percent_patched is None
