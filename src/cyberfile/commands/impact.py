"""`cyberfile impact`: which devices, at which versions, contain a component or are
touched by a vulnerability, with the recorded assessment. Like grep, it exits 1 when
nothing matches."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from packageurl import PackageURL

from cyberfile.errors import ExitCode
from cyberfile.load.project import discover, load_project
from cyberfile.model.project import Project
from cyberfile.model.sbom import Component
from cyberfile.report.terminal import echo, table


@dataclass(frozen=True)
class ImpactRow:
    project: str
    device: str
    device_version: str
    component: str | None
    component_version: str | None
    vulnerability: str | None
    status: str | None
    risk: str | None


def _package_key(text: str) -> tuple[str, str | None, str, str | None] | None:
    try:
        purl = PackageURL.from_string(text)
    except ValueError:
        return None
    name = purl.name.lower() if purl.type == "pypi" else purl.name
    return purl.type, purl.namespace, name.replace("_", "-"), purl.version


def _bare_name(text: str) -> str:
    return text.strip().lower().replace("_", "-")


def _component_matches(component: Component, query: str) -> bool:
    if query in (component.ref, component.purl):
        return True
    if not query.startswith("pkg:"):
        # a bare package name matches components of that name in any ecosystem
        names = {_bare_name(component.name)}
        for text in (component.purl, component.ref):
            key = _package_key(text) if text else None
            if key is not None:
                names.add(_bare_name(key[2]))
        return _bare_name(query) in names
    wanted = _package_key(query)
    if wanted is None:
        return False
    for text in (component.purl, component.ref):
        have = _package_key(text) if text else None
        if have and have[:3] == wanted[:3] and (wanted[3] is None or wanted[3] == have[3]):
            return True
    return False


def _rows_for(project: Project, query: str) -> list[ImpactRow]:
    device = project.manifest.device
    base = (project.root.as_posix(), device.name, device.version)
    rows: list[ImpactRow] = []
    components = [c for c in project.sbom.components if _component_matches(c, query)]
    by_ref = {c.ref: c for c in project.sbom.components}
    for component in components:
        hits = [v for v in project.vulnerabilities.vulnerabilities if component.ref in v.components]
        if not hits:
            rows.append(ImpactRow(*base, component.ref, component.version, None, None, None))
        for v in hits:
            rows.append(
                ImpactRow(
                    *base,
                    component.ref,
                    component.version,
                    v.id,
                    v.status.value,
                    project.risk_control(v).value,
                )
            )
    if components:
        return rows
    for v in project.vulnerabilities.vulnerabilities:
        if query == v.id or query in v.aliases:
            refs = v.components or ("",)
            for ref in refs:
                found = by_ref.get(ref)
                rows.append(
                    ImpactRow(
                        *base,
                        ref or None,
                        found.version if found else None,
                        v.id,
                        v.status.value,
                        project.risk_control(v).value,
                    )
                )
    return rows


def impact(roots: list[Path], query: str) -> tuple[list[ImpactRow], list[str]]:
    """Rows for every project that contains or records `query`; and unreadable projects."""
    rows: list[ImpactRow] = []
    skipped: list[str] = []
    for root in roots:
        project = load_project(root).project
        if project is None:
            skipped.append(root.as_posix())
            continue
        rows.extend(_rows_for(project, query))
    return rows, skipped


COLUMNS = ("project", "device", "version", "component", "vulnerability", "status", "risk")


def run(query: str, paths: list[Path], cwd: Path, fmt: str) -> ExitCode:
    roots, general = discover(paths, cwd)
    for problem in general:
        echo(f"cyberfile impact: {problem.message}", err=True)
    if not roots:
        return ExitCode.UNREADABLE
    rows, skipped = impact(roots, query)
    if fmt == "json":
        document = {
            "query": query,
            "projects_searched": len(roots),
            "results": [asdict(r) for r in rows],
            "unreadable_projects": skipped,
        }
        echo(json.dumps(document, indent=2, ensure_ascii=False))
    elif rows:
        table(
            f"impact of {query}",
            COLUMNS,
            [
                [
                    r.project,
                    r.device,
                    r.device_version,
                    r.component or "",
                    r.vulnerability or "",
                    r.status or "",
                    r.risk or "",
                ]
                for r in rows
            ],
        )
    else:
        echo(f"no project contains or records {query} ({len(roots)} searched)")
    for root in skipped:
        echo(f"cyberfile impact: {root}: could not be read; run cyberfile validate", err=True)
    if skipped or general:
        return ExitCode.UNREADABLE
    return ExitCode.OK if rows else ExitCode.FINDINGS
