"""Id uniqueness and reference resolution (CF120-CF122)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cyberfile.check.index import Definition, Kind, ProjectIndex, definitions, position
from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.diagnostics.position import PathKey
from cyberfile.load.yamlsource import SourceMap
from cyberfile.model.project import Project
from cyberfile.model.purl import package_of

ANY_ITEM = frozenset(Kind)


@dataclass(frozen=True)
class Reference:
    owner: str
    part: str
    path: PathKey
    field: str
    target: str
    allowed: frozenset[Kind]


def _refs(
    owner: str, part: str, base: PathKey, field: str, values: tuple[str, ...], allowed: set[Kind]
) -> Iterator[Reference]:
    kinds = frozenset(allowed)
    for j, value in enumerate(values):
        yield Reference(owner, part, (*base, field, j), field, value, kinds)


def references(project: Project) -> Iterator[Reference]:
    """Every reference in the project with the kinds of item it may name."""
    arch = project.architecture
    for i, asset in enumerate(arch.assets):
        base = ("assets", i)
        yield from _refs(
            asset.id, "architecture", base, "components", asset.components, {Kind.COMPONENT}
        )
    for i, boundary in enumerate(arch.trust_boundaries):
        yield from _refs(
            boundary.id,
            "architecture",
            ("trust_boundaries", i),
            "assets",
            boundary.assets,
            {Kind.ASSET},
        )
    for i, flow in enumerate(arch.data_flows):
        base = ("data_flows", i)
        for field, value in (("from", flow.from_), ("to", flow.to)):
            yield Reference(
                flow.id, "architecture", (*base, field), field, value, frozenset({Kind.ASSET})
            )
    for i, view in enumerate(arch.views):
        yield from _refs(
            view.id,
            "architecture",
            ("views", i),
            "elements",
            view.elements,
            {Kind.ASSET, Kind.DATA_FLOW, Kind.TRUST_BOUNDARY},
        )
    for i, threat in enumerate(project.threats.threats):
        base = ("threats", i)
        yield from _refs(
            threat.id, "threats", base, "targets", threat.targets, {Kind.ASSET, Kind.DATA_FLOW}
        )
        yield from _refs(threat.id, "threats", base, "controls", threat.controls, {Kind.CONTROL})
    for i, control in enumerate(project.controls.controls):
        yield from _refs(
            control.id,
            "controls",
            ("controls", i),
            "implemented_in",
            control.implemented_in,
            {Kind.ASSET},
        )
    for i, test in enumerate(project.tests.tests):
        base = ("tests", i)
        yield from _refs(
            test.id, "tests", base, "verifies", test.verifies, {Kind.REQUIREMENT, Kind.CONTROL}
        )
        yield from _refs(test.id, "tests", base, "evidence", test.evidence, {Kind.EVIDENCE})
    for i, item in enumerate(project.evidence.evidence):
        yield from _refs(item.id, "evidence", ("evidence", i), "covers", item.covers, set(ANY_ITEM))
    for i, component in enumerate(project.sbom.components):
        yield from _refs(
            component.ref,
            "sbom",
            ("components", i),
            "depends_on",
            component.depends_on,
            {Kind.COMPONENT},
        )
    for i, vulnerability in enumerate(project.vulnerabilities.vulnerabilities):
        base = ("vulnerabilities", i)
        yield from _refs(
            vulnerability.id,
            "vulnerabilities",
            base,
            "components",
            vulnerability.components,
            {Kind.COMPONENT},
        )
        yield from _refs(
            vulnerability.id,
            "vulnerabilities",
            base,
            "found_by",
            vulnerability.found_by,
            {Kind.TEST},
        )
    for i, anomaly in enumerate(project.anomalies.anomalies):
        yield from _refs(
            anomaly.id, "anomalies", ("anomalies", i), "found_by", anomaly.found_by, {Kind.TEST}
        )


_PLURAL = {
    Kind.ASSET: "assets",
    Kind.TRUST_BOUNDARY: "trust boundaries",
    Kind.DATA_FLOW: "data flows",
    Kind.VIEW: "views",
    Kind.THREAT: "threats",
    Kind.CONTROL: "controls",
    Kind.REQUIREMENT: "requirements",
    Kind.TEST: "tests",
    Kind.EVIDENCE: "evidence items",
    Kind.ANOMALY: "anomalies",
    Kind.COMPONENT: "SBOM components",
    Kind.VULNERABILITY: "vulnerabilities",
}


def _expected(allowed: frozenset[Kind]) -> str:
    names = [_PLURAL[k] for k in Kind if k in allowed]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def build_index(
    project: Project, sources: dict[str, SourceMap], diagnostics: list[Diagnostic]
) -> ProjectIndex:
    """Index every identified item; report duplicate ids (CF120)."""
    items: dict[str, Definition] = {}
    components: dict[str, Definition] = {}
    vulnerabilities: dict[str, Definition] = {}

    def add(table: dict[str, Definition], item: Definition, what: str) -> None:
        first = table.get(item.ident)
        if first is None:
            table[item.ident] = item
            return
        first_pos = position(sources, first.part, first.path)
        where = f" at {first_pos.file}:{first_pos.line}" if first_pos else ""
        diagnostics.append(
            rules.DUPLICATE_ID(
                position(sources, item.part, (*item.path, what)),
                f"{what} {item.ident!r} is already used by a {first.kind}{where}",
            )
        )

    for item in definitions(project):
        add(items, item, "id")
    for i, component in enumerate(project.sbom.components):
        add(components, Definition(component.ref, Kind.COMPONENT, "sbom", ("components", i)), "ref")
    aliases: dict[str, str] = {}
    for i, vulnerability in enumerate(project.vulnerabilities.vulnerabilities):
        definition = Definition(
            vulnerability.id, Kind.VULNERABILITY, "vulnerabilities", ("vulnerabilities", i)
        )
        add(vulnerabilities, definition, "id")
        for alias in vulnerability.aliases:
            aliases.setdefault(alias, vulnerability.id)
    packages = {p for p in (package_of(ref) for ref in components) if p}
    return ProjectIndex(items, components, vulnerabilities, aliases, packages)


def check_references(
    project: Project,
    index: ProjectIndex,
    sources: dict[str, SourceMap],
    written_ids: set[str],
) -> Iterator[Diagnostic]:
    """Every reference names an existing item of an allowed kind (CF121, CF122)."""
    for ref in references(project):
        kind = index.kind_of(ref.target)
        if kind is not None and kind in ref.allowed:
            continue
        where = position(sources, ref.part, ref.path)
        expected = _expected(ref.allowed)
        if kind is None:
            if ref.target in written_ids:
                continue  # the item exists but is invalid; its own error says why
            if (
                ref.part == "vulnerabilities"
                and ref.field == "components"
                and (package_of(ref.target) in index.packages)
            ):
                continue  # an older version of a component: drift reports it (CF426)
            yield rules.DANGLING_REFERENCE(
                where,
                f"{ref.owner}: {ref.field} names {ref.target!r}, which is not defined "
                f"in the project",
                _suggest(ref.target, index, ref.allowed) or f"{ref.field} must name {expected}",
            )
        else:
            yield rules.WRONG_REFERENCE_KIND(
                where,
                f"{ref.owner}: {ref.field} names {ref.target!r}, which is a {kind}; "
                f"{ref.field} must name {expected}",
            )


def _suggest(target: str, index: ProjectIndex, allowed: frozenset[Kind]) -> str | None:
    import difflib

    pool = [d.ident for d in index.items.values() if d.kind in allowed]
    if Kind.COMPONENT in allowed:
        pool.extend(index.components)
    if Kind.VULNERABILITY in allowed:
        pool.extend(index.vulnerabilities)
    close = difflib.get_close_matches(target, pool, n=1, cutoff=0.75)
    return f"did you mean {close[0]!r}?" if close else None
