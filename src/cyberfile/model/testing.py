"""`tests.yaml`: cybersecurity testing (§V.C) and what each test verifies."""

from __future__ import annotations

from pydantic import Field

from cyberfile.model.base import Date, ItemId, Model, Text
from cyberfile.model.common import Performer, Review
from cyberfile.model.vocabulary import TestResult, TestType


class Tool(Model):
    name: Text
    version: Text | None = Field(default=None, description="Tool version (quote it).")
    settings: Text | None = Field(default=None, description="Configuration that matters.")


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
    reviewed: Review | None = None


class Tests(Model):
    tests: tuple[SecurityTest, ...] = ()
