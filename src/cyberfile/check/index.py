"""Where every identified item of a project is defined, and what kind of item it is."""

from __future__ import annotations

from dataclasses import dataclass

from cyberfile.diagnostics.position import PathKey, Position
from cyberfile.load.yamlsource import SourceMap
from cyberfile.model.items import Kind


@dataclass(frozen=True)
class Definition:
    ident: str
    kind: Kind
    part: str
    path: PathKey


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
