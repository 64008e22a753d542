"""`cyberfile validate`: load a project and run every date-independent check."""

from __future__ import annotations

from pathlib import Path

from cyberfile.check.evidence_files import check_evidence_files
from cyberfile.check.references import build_index, check_references
from cyberfile.check.sbom import check_sbom
from cyberfile.check.selection import RuleSelection, selection_for
from cyberfile.check.traceability import check_traceability
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.load.project import LoadResult, load_project


def check_loaded(result: LoadResult, selection: RuleSelection | None = None) -> list[Diagnostic]:
    """All diagnostics of a loaded project that the selection keeps, sorted by file,
    line and column."""
    chosen, problems = selection_for(result)
    selection = selection or chosen
    diagnostics = [*result.diagnostics, *problems]
    project = result.project
    if project is not None:
        index = build_index(project, result.sources, diagnostics)
        if result.complete:
            diagnostics.extend(check_references(project, index, result.sources, result.written_ids))
            diagnostics.extend(check_traceability(project, result.sources))
        diagnostics.extend(check_evidence_files(project, result.sources))
        diagnostics.extend(check_sbom(project, result.sources))
    return sorted((d for d in diagnostics if selection.keeps(d)), key=Diagnostic.sort_key)


def validate(
    root: Path, command_line: RuleSelection | None = None
) -> tuple[LoadResult, list[Diagnostic]]:
    result = load_project(root)
    selection, _ = selection_for(result, command_line)
    return result, check_loaded(result, selection)
