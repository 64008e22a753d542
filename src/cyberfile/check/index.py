"""Where every identified item of a project is defined, and what kind of item it is."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from cyberfile.diagnostics.position import PathKey, Position
from cyberfile.load.yamlsource import SourceMap
from cyberfile.model.project import Project


class Kind(StrEnum):
    ASSET = "asset"
    TRUST_BOUNDARY = "trust boundary"
    DATA_FLOW = "data flow"
    VIEW = "view"
    THREAT = "threat"
    CONTROL = "control"
    REQUIREMENT = "requirement"
    TEST = "test"
    EVIDENCE = "evidence item"
    ANOMALY = "anomaly"
    COMPONENT = "component"
    VULNERABILITY = "vulnerability"


@dataclass(frozen=True)
class Definition:
    ident: str
    kind: Kind
    part: str
    path: PathKey


def definitions(project: Project) -> Iterator[Definition]:
    """Every item that carries an id (or a ref, for components), with its source path."""
    arch = project.architecture
    for i, asset in enumerate(arch.assets):
        yield Definition(asset.id, Kind.ASSET, "architecture", ("assets", i))
    for i, boundary in enumerate(arch.trust_boundaries):
        yield Definition(boundary.id, Kind.TRUST_BOUNDARY, "architecture", ("trust_boundaries", i))
    for i, flow in enumerate(arch.data_flows):
        yield Definition(flow.id, Kind.DATA_FLOW, "architecture", ("data_flows", i))
    for i, view in enumerate(arch.views):
        yield Definition(view.id, Kind.VIEW, "architecture", ("views", i))
    for i, threat in enumerate(project.threats.threats):
        yield Definition(threat.id, Kind.THREAT, "threats", ("threats", i))
    for i, control in enumerate(project.controls.controls):
        yield Definition(control.id, Kind.CONTROL, "controls", ("controls", i))
        for j, requirement in enumerate(control.requirements):
            yield Definition(
                requirement.id, Kind.REQUIREMENT, "controls", ("controls", i, "requirements", j)
            )
    for i, test in enumerate(project.tests.tests):
        yield Definition(test.id, Kind.TEST, "tests", ("tests", i))
    for i, item in enumerate(project.evidence.evidence):
        yield Definition(item.id, Kind.EVIDENCE, "evidence", ("evidence", i))
    for i, anomaly in enumerate(project.anomalies.anomalies):
        yield Definition(anomaly.id, Kind.ANOMALY, "anomalies", ("anomalies", i))


@dataclass
class ProjectIndex:
    """Lookup tables over a project; built once per check run."""

    items: dict[str, Definition]
    components: dict[str, Definition]
    vulnerabilities: dict[str, Definition]
    aliases: dict[str, str]
    packages: set[str]
    """SBOM components as purls without version: pkg:pypi/django."""

    def kind_of(self, ident: str) -> Kind | None:
        found = self.items.get(ident)
        if found is not None:
            return found.kind
        if ident in self.components:
            return Kind.COMPONENT
        if ident in self.vulnerabilities or ident in self.aliases:
            return Kind.VULNERABILITY
        return None


def position(sources: dict[str, SourceMap], part: str, path: PathKey) -> Position | None:
    source = sources.get(part)
    return source.value(path) if source else None
