"""The whole device project: the manifest and one model per part, with derived values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

from cyberfile import dates
from cyberfile.model.anomalies import Anomalies
from cyberfile.model.architecture import Architecture
from cyberfile.model.base import Model
from cyberfile.model.controls import Controls
from cyberfile.model.evidence import Evidence
from cyberfile.model.labeling import Labeling
from cyberfile.model.manifest import Manifest
from cyberfile.model.postmarket import Postmarket
from cyberfile.model.sbom import Sbom, SbomFile
from cyberfile.model.testing import SecurityTest, Tests
from cyberfile.model.threats import Threat, ThreatModel
from cyberfile.model.vocabulary import RiskControl
from cyberfile.model.vulnerabilities import Vulnerabilities, Vulnerability

MANIFEST_NAME = "cyberfile.yaml"


@dataclass(frozen=True)
class PartSpec:
    """A part of a project: read from `NAME.yaml` or a folder `NAME/` of YAML files."""

    name: str
    model: type[Model]
    summary: str
    file_model: type[Model] | None = None
    """What one file of the part holds, when it differs from the loaded part (schema)."""
    per_file: tuple[tuple[str, str], ...] = ()
    """(key, list): a key each file may hold once, loaded as an entry of the list."""

    @property
    def schema_model(self) -> type[Model]:
        return self.file_model or self.model


PARTS: tuple[PartSpec, ...] = (
    PartSpec("architecture", Architecture, "Assets, trust boundaries, data flows and views."),
    PartSpec("threats", ThreatModel, "Threat model and per-threat risk assessment."),
    PartSpec("controls", Controls, "Security controls and their requirements."),
    PartSpec("tests", Tests, "Cybersecurity tests and what they verify."),
    PartSpec("evidence", Evidence, "Dated evidence records and their files."),
    PartSpec(
        "sbom",
        Sbom,
        "Software bill of materials with support facts.",
        file_model=SbomFile,
        per_file=(("source", "sources"),),
    ),
    PartSpec("vulnerabilities", Vulnerabilities, "Known vulnerabilities and their assessment."),
    PartSpec("anomalies", Anomalies, "Unresolved anomalies and their security impact."),
    PartSpec("labeling", Labeling, "Cybersecurity labeling by topic."),
    PartSpec("postmarket", Postmarket, "Cybersecurity management plan."),
)


@dataclass(frozen=True)
class Project:
    """A loaded device project. Pure data: nothing here reads or writes files."""

    root: Path
    manifest: Manifest
    architecture: Architecture
    threats: ThreatModel
    controls: Controls
    tests: Tests
    evidence: Evidence
    sbom: Sbom
    vulnerabilities: Vulnerabilities
    anomalies: Anomalies
    labeling: Labeling
    postmarket: Postmarket
    sbom_members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """By SBOM source name, the refs of its components (see `Sbom.sources`)."""
    support_rule_of: Mapping[str, str] = field(default_factory=dict)
    """By component ref, the support rule whose facts it carries."""

    @property
    def name(self) -> str:
        return self.root.name

    @cached_property
    def tests_naming(self) -> dict[str, tuple[SecurityTest, ...]]:
        """By requirement or control id, the tests that name it in `verifies`, in file
        order (built once: the matrices ask for every requirement)."""
        out: dict[str, list[SecurityTest]] = {}
        for test in self.tests.tests:
            for ident in dict.fromkeys(test.verifies):
                out.setdefault(ident, []).append(test)
        return {ident: tuple(tests) for ident, tests in out.items()}

    @cached_property
    def tests_citing(self) -> dict[str, tuple[SecurityTest, ...]]:
        """By evidence id, the tests that cite it in `evidence`, in file order."""
        out: dict[str, list[SecurityTest]] = {}
        for test in self.tests.tests:
            for ident in dict.fromkeys(test.evidence):
                out.setdefault(ident, []).append(test)
        return {ident: tuple(tests) for ident, tests in out.items()}

    def sbom_roots(self, name: str) -> tuple[str, ...]:
        """The components of SBOM `name` that no other of its components depends on."""
        members = self.sbom_members.get(name, ())
        inside = set(members)
        needed = {
            ref
            for c in self.sbom.components
            if c.ref in inside
            for ref in c.depends_on
            if ref != c.ref
        }
        return tuple(ref for ref in dict.fromkeys(members) if ref not in needed)

    def asset_components(self) -> dict[str, tuple[str, ...]]:
        """By asset id, the components it is built from: its own `components`, and the
        top-level components of every SBOM imported for it (`source.asset`)."""
        out = {asset.id: tuple(asset.components) for asset in self.architecture.assets}
        for source in self.sbom.sources:
            if source.asset in out and source.name is not None:
                extra = [r for r in self.sbom_roots(source.name) if r not in out[source.asset]]
                out[source.asset] = (*out[source.asset], *extra)
        return out

    @property
    def is_cyber_device(self) -> bool:
        """Whether the device is a cyber device under FD&C Act 524B(c)."""
        return self.manifest.device.cyber_device.is_cyber_device

    def residual_risk_acceptable(self, threat: Threat) -> bool | None:
        """Whether a threat's post-mitigation risk is acceptable under the policy matrix.

        None when the threat has no post-mitigation rating.
        """
        rating = threat.post_mitigation
        if rating is None:
            return None
        acceptance = self.manifest.policy.risk_acceptance
        return acceptance.is_acceptable(rating.exploitability, rating.severity)

    def latest_date(self) -> date | None:
        """The newest date the project's data records (evidence, tests, vulnerability
        history): the reproducible default date of generated documents."""
        days: list[date] = [e.performed for e in self.evidence.evidence]
        days.extend(t.performed for t in self.tests.tests if t.performed)
        for v in self.vulnerabilities.vulnerabilities:
            days.append(v.discovered)
            if v.assessed:
                days.append(v.assessed.on)
            if v.remediation:
                r = v.remediation
                days.extend(d for d in (r.customer_communication, r.fixed_on, r.deployed_on) if d)
        return max(days, default=None)

    def document_date(self, as_of: date | None = None) -> date:
        """The date of generated documents (see cyberfile.dates.document_date)."""
        return dates.document_date(as_of, self.latest_date())

    def risk_control(self, vulnerability: Vulnerability) -> RiskControl:
        """Controlled or uncontrolled risk of a vulnerability under this project's policy."""
        return vulnerability.risk_control(self.manifest.policy)
