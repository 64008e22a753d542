"""The bundled example is a realistic device a reviewer would recognise, and it is clean."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml
from packageurl import PackageURL
from packaging.version import InvalidVersion, Version

from cyberfile.load.project import load_project
from cyberfile.model.project import Project
from cyberfile.model.vocabulary import (
    ControlCategory,
    LabelingTopic,
    LifecyclePhase,
    Stride,
    ViewType,
    VulnerabilityStatus,
)

from .conftest import EXAMPLE, SHARED_DATA, Run

OSV = SHARED_DATA / "osv-pypa" / "vulns"


@pytest.fixture(scope="module")
def example() -> Project:
    project = load_project(EXAMPLE).project
    assert project is not None
    return project


def test_example_validates_without_findings(cli: Callable[..., Run]) -> None:
    run = cli("validate", "--fail-on", "warning", str(EXAMPLE))
    assert run.code == 0, run.out
    assert run.out.strip().endswith("1 project checked: 0 errors, 0 warnings")


def test_example_architecture(example: Project) -> None:
    arch = example.architecture
    assert {v.type for v in arch.views} == set(ViewType)
    assert len(arch.data_flows) >= 8
    interfaces = {f.interface for f in arch.data_flows}
    assert {"ble", "wifi"} <= {str(i) for i in interfaces}
    assert example.is_cyber_device


def test_example_threat_model(example: Project) -> None:
    threats = example.threats.threats
    assert len(threats) >= 20
    assert {s for t in threats for s in t.stride} == set(Stride)
    assert len({t.lifecycle_phase for t in threats} & set(LifecyclePhase)) >= 5
    assert example.threats.methodology is not None
    assert example.threats.assumptions


def test_example_controls_cover_every_appendix_1_category(example: Project) -> None:
    controls = example.controls.controls
    assert {c.category for c in controls} == set(ControlCategory)
    for control in controls:
        assert control.requirements, control.id
        assert all(r.acceptance_criteria for r in control.requirements), control.id


def test_example_tests_and_evidence(example: Project) -> None:
    tests = example.tests.tests
    assert len({t.type for t in tests}) >= 6
    dated = [e for e in example.evidence.evidence if e.performed and e.file and e.sha256]
    assert len(dated) >= 8


def test_example_sbom(example: Project) -> None:
    components = example.sbom.components
    assert len(components) >= 50
    types = {PackageURL.from_string(c.purl).type for c in components if c.purl}
    assert {"generic", "pypi"} <= types
    for component in components:
        assert component.supplier and component.version, component.ref


def test_example_vulnerabilities_in_every_status(example: Project) -> None:
    statuses = {v.status for v in example.vulnerabilities.vulnerabilities}
    assert statuses == set(VulnerabilityStatus)


def test_example_postmarket_and_labeling(example: Project) -> None:
    plan = example.postmarket
    assert plan.personnel and plan.monitoring and plan.periodic_testing
    assert plan.cvd and plan.isao and plan.patching and plan.communication
    assert {entry.topic for entry in example.labeling.labeling} == set(LabelingTopic)


def _affected(record: dict, name: str, version: Version) -> bool:
    for affected in record.get("affected", []):
        package = affected.get("package", {})
        if package.get("ecosystem") != "PyPI" or package.get("name", "").lower() != name:
            continue
        if str(version) in affected.get("versions", []):
            return True
        for rng in affected.get("ranges", []):
            if rng.get("type") != "ECOSYSTEM":
                continue
            introduced = fixed = None
            for event in rng.get("events", []):
                if "introduced" in event:
                    introduced = event["introduced"]
                if "fixed" in event:
                    fixed = event["fixed"]
            try:
                low = Version("0") if introduced in (None, "0") else Version(introduced)
                if version >= low and (fixed is None or version < Version(fixed)):
                    return True
            except InvalidVersion:
                continue
    return False


@pytest.mark.shared_data("osv-pypa/vulns")
def test_example_pypi_versions_have_real_advisories(example: Project) -> None:
    """The gateway's PyPI pins are versions with real published advisories."""
    affected_packages = set()
    for component in example.sbom.components:
        if not component.purl or not component.purl.startswith("pkg:pypi/"):
            continue
        purl = PackageURL.from_string(component.purl)
        folder = OSV / purl.name
        if not folder.is_dir() or purl.version is None:
            continue
        version = Version(purl.version)
        for path in sorted(folder.glob("*.yaml")):
            record = yaml.safe_load(path.read_text(encoding="utf-8"))
            if not record.get("withdrawn") and _affected(record, purl.name, version):
                affected_packages.add(purl.name)
                break
    assert len(affected_packages) >= 5, affected_packages
