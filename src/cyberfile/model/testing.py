"""`tests.yaml`: cybersecurity testing (§V.C) and what each test verifies."""

from __future__ import annotations

from pydantic import Field

from cyberfile.model.base import Date, ItemId, Model, Text
from cyberfile.model.common import Performer, Review
from cyberfile.model.vocabulary import FindingSeverity, FindingStatus, TestResult, TestType


class Tool(Model):
    name: Text
    version: Text | None = Field(default=None, description="Tool version (quote it).")
    settings: Text | None = Field(default=None, description="Configuration that matters.")


class TestFinding(Model):
    """A finding of a test report (a penetration test's NSL-03)."""

    id: Text = Field(description="The report's own finding id.")
    title: Text
    severity: FindingSeverity = Field(description="critical | high | medium | low | info.")
    status: FindingStatus = Field(description="open | fixed | accepted | deferred.")
    rationale: Text | None = Field(
        default=None,
        description="Why a finding not fixed is acceptable, and the release that will fix it "
        "(guidance §V.C); required unless the status is fixed.",
    )
    tracked_in: ItemId | None = Field(
        default=None, description="The anomaly (or other item) that tracks it."
    )


class SecurityTest(Model):
    id: ItemId
    title: Text
    type: TestType = Field(
        description="security_requirement | threat_mitigation | fuzz_test | penetration_test | "
        "static_analysis | dynamic_analysis | software_composition_analysis | "
        "attack_surface_analysis | vulnerability_scan | robustness | abuse_case."
    )
    verifies: tuple[ItemId, ...] = Field(
        default=(), description="Requirement or control ids this test verifies."
    )
    method: Text | None = None
    tool: Tool | None = None
    result: TestResult = Field(description="pass | fail | blocked | not_run.")
    performed: Date | None = Field(default=None, description="Date the test was performed.")
    performer: Performer | None = None
    evidence: tuple[ItemId, ...] = Field(default=(), description="Evidence ids (reports).")
    version_tested: Text | None = Field(
        default=None,
        description="Software version the test ran against, when not the version under "
        "submission (quote it).",
    )
    scope: Text | None = Field(default=None, description="What was in and out of scope.")
    findings: tuple[TestFinding, ...] = Field(
        default=(), description="What the test found, with status and rationale."
    )
    reviewed: Review | None = None

    @property
    def open_findings(self) -> tuple[TestFinding, ...]:
        """Findings not fixed (open, accepted or deferred)."""
        return tuple(f for f in self.findings if f.status is not FindingStatus.FIXED)


class Tests(Model):
    tests: tuple[SecurityTest, ...] = ()
