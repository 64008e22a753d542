"""The models: strict parsing of dates and durations, immutability, derived values."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from cyberfile.load.project import load_project
from cyberfile.model.base import parse_duration
from cyberfile.model.controls import Control
from cyberfile.model.manifest import CyberDevice, Manifest, Policy
from cyberfile.model.project import Project
from cyberfile.model.threats import Threat
from cyberfile.model.vocabulary import ControlCategory, RiskControl
from cyberfile.model.vulnerabilities import Vulnerability

from .conftest import EXAMPLE


@pytest.mark.parametrize(
    ("text", "days"),
    [("30d", 30), ("2w", 14), ("1y", 365), ("P30D", 30), ("P1Y2W3D", 365 + 14 + 3), ("P2W", 14)],
)
def test_durations(text: str, days: int) -> None:
    assert parse_duration(text) == timedelta(days=days)


@pytest.mark.parametrize("text", ["30", "0d", "1m", "P1M", "PT5H", "P", "30 d", "-3d", "1.5y"])
def test_durations_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|months"):
        parse_duration(text)


def test_policy_defaults_match_the_documented_values() -> None:
    policy = Policy()
    assert policy.warn_before == timedelta(days=30)
    assert policy.triage_within == timedelta(days=14)
    assert policy.uncontrolled_risk.communicate_within == timedelta(days=30)
    assert policy.uncontrolled_risk.remediate_within == timedelta(days=60)


@pytest.mark.parametrize(
    "value", ["2026-9-1", "2026-02-30", "20260901", 20260901, "2026-09-01T10:00"]
)
def test_dates_are_strict(value: object) -> None:
    with pytest.raises(ValidationError):
        Vulnerability.model_validate(
            {"id": "CVE-2024-1", "discovered": value, "status": "affected"}
        )


def test_models_are_immutable() -> None:
    threat = Threat.model_validate({"id": "THR-001", "title": "t", "stride": ["spoofing"]})
    with pytest.raises(ValidationError):
        threat.title = "changed"  # type: ignore[misc]
    assert isinstance(threat.stride, tuple)


def test_unknown_keys_are_errors() -> None:
    with pytest.raises(ValidationError, match="extra"):
        Threat.model_validate({"id": "THR-001", "title": "t", "stride": ["spoofing"], "x": 1})


def test_updatability_alias_means_firmware_updates() -> None:
    control = Control.model_validate(
        {"id": "CTL-UPD", "title": "Signed updates", "category": "updatability_patchability"}
    )
    assert control.category is ControlCategory.FIRMWARE_SOFTWARE_UPDATES


def test_cyber_device_needs_all_three_answers() -> None:
    assert CyberDevice(
        validated_software=True, internet_connectable=True, vulnerable_characteristics=True
    ).is_cyber_device
    assert not CyberDevice(validated_software=True, internet_connectable=True).is_cyber_device
    assert not CyberDevice(
        validated_software=True, internet_connectable=False, vulnerable_characteristics=True
    ).is_cyber_device


def _vuln(**fields: object) -> Vulnerability:
    return Vulnerability.model_validate(
        {"id": "CVE-2024-0001", "discovered": "2026-01-01", **fields}
    )


def test_controlled_or_uncontrolled_follows_the_policy_matrix() -> None:
    policy = Policy()
    risky = _vuln(status="affected", exploitability="high", severity="critical")
    assert risky.risk_control(policy) is RiskControl.UNCONTROLLED
    mild = _vuln(status="affected", exploitability="low", severity="critical")
    assert mild.risk_control(policy) is RiskControl.CONTROLLED
    assert _vuln(status="under_investigation").risk_control(policy) is RiskControl.NOT_ASSESSED
    fixed = _vuln(status="fixed", exploitability="high", severity="critical")
    assert fixed.risk_control(policy) is RiskControl.CONTROLLED
    strict = Policy.model_validate({"risk_acceptance": {"acceptable": [["low", "negligible"]]}})
    assert mild.risk_control(strict) is RiskControl.UNCONTROLLED


def test_residual_risk_and_cyber_device_on_the_example() -> None:
    project = load_project(EXAMPLE).project
    assert isinstance(project, Project)
    assert project.is_cyber_device
    verdicts = {project.residual_risk_acceptable(t) for t in project.threats.threats}
    assert True in verdicts


def test_manifest_refuses_other_schema_versions(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        Manifest.model_validate(
            {"schema_version": 2, "device": {"name": "x", "manufacturer": "y", "version": "1"}}
        )
