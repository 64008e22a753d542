"""Id uniqueness and reference resolution (CF120-CF122); data flow ends (CF123)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cyberfile.check.index import Definition, ProjectIndex, position
from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.diagnostics.position import PathKey
from cyberfile.load.yamlsource import SourceMap
from cyberfile.model.items import SPECS, Kind, items, referenced
from cyberfile.model.project import Project
from cyberfile.model.purl import package_of


@dataclass(frozen=True)
class Reference:
    owner: str
    part: str
    path: PathKey
    field: str
    target: str
    allowed: frozenset[Kind]


def references(project: Project) -> Iterator[Reference]:
    """Every reference in the project with the kinds of item it may name (the table of
    item kinds in cyberfile.model.items says which)."""
    for item in items(project):
        for field, path, target in referenced(item):
            yield Reference(item.ident, item.part, path, field.name, target, field.allowed)


def _expected(allowed: frozenset[Kind]) -> str:
    names = [SPECS[k].plural for k in Kind if k in allowed]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def build_index(
    project: Project, sources: dict[str, SourceMap], diagnostics: list[Diagnostic]
) -> ProjectIndex:
    """Index every identified item; report duplicate ids (CF120)."""
    named: dict[str, Definition] = {}
    components: dict[str, Definition] = {}
    vulnerabilities: dict[str, Definition] = {}
    tables = {Kind.COMPONENT: components, Kind.VULNERABILITY: vulnerabilities}

    def add(table: dict[str, Definition], item: Definition, what: str) -> None:
        first = table.get(item.ident)
        if first is None:
            table[item.ident] = item
            return
        first_pos = position(sources, first.part, first.path)
        where = f" at {first_pos.file}:{first_pos.line}" if first_pos else ""
        diagnostics.append(
            rules.DUPLICATE_ID(
                position(sources, item.part, (*item.path, what))
                or position(sources, item.part, item.path),
                f"{what} {item.ident!r} is already used by a {first.kind}{where}",
            )
        )

    aliases: dict[str, str] = {}
    for item in items(project):
        definition = Definition(item.ident, item.kind, item.part, item.path)
        add(tables.get(item.kind, named), definition, item.spec.ident)
        if item.kind is Kind.VULNERABILITY:
            for alias in item.model.aliases:
                aliases.setdefault(alias, item.ident)
    packages = {p for p in (package_of(ref) for ref in components) if p}
    return ProjectIndex(named, components, vulnerabilities, aliases, packages)


def check_references(
    project: Project,
    index: ProjectIndex,
    sources: dict[str, SourceMap],
    written_ids: set[str],
) -> Iterator[Diagnostic]:
    """Every reference names an existing item of an allowed kind (CF121, CF122); no data
    flow runs from an asset to itself (CF123)."""
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
            if (
                ref.part == "evidence"
                and ref.field == "covers"
                and package_of(ref.target) in index.packages
            ):
                continue  # evidence is history: it covered the version the SBOM had then
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
    yield from check_data_flow_ends(project, index, sources)


def check_data_flow_ends(
    project: Project, index: ProjectIndex, sources: dict[str, SourceMap]
) -> Iterator[Diagnostic]:
    """A data flow from an asset to itself (CF123), at its `to` value. An end that names
    no asset is CF121 or CF122 already."""
    for item in items(project):
        if item.kind is not Kind.DATA_FLOW:
            continue
        flow = item.model
        if flow.from_ != flow.to or index.kind_of(flow.to) is not Kind.ASSET:
            continue
        yield rules.DATA_FLOW_SELF_LOOP(
            position(sources, item.part, (*item.path, "to")),
            f"{item.ident}: from and to both name {flow.to!r}; a data flow is a path "
            "between two elements",
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
