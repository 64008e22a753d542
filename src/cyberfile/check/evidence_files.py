"""Files the project points to (evidence files, components' compiled_files lists) exist
and stay inside the project folder (CF130, CF131)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath

from cyberfile.check.index import position
from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.diagnostics.position import PathKey
from cyberfile.load.yamlsource import SourceMap
from cyberfile.model.project import Project


def resolve_inside(root: Path, relative: str) -> Path | str:
    """The real path of `relative` under `root`, or the reason it is not acceptable."""
    if PurePosixPath(relative).is_absolute() or PureWindowsPath(relative).is_absolute():
        return "is an absolute path"
    if PureWindowsPath(relative).drive:
        return "names a drive"
    parts = PurePosixPath(relative.replace("\\", "/")).parts
    if ".." in parts:
        return "climbs out of the folder with '..'"
    real_root = root.resolve()
    target = (root / Path(*parts)).resolve()
    if target != real_root and real_root not in target.parents:
        return "is a link that leads outside the project folder"
    return target


def _project_files(project: Project) -> Iterator[tuple[str, str, PathKey, str, str]]:
    """(owner, part, path of the value, field name, the file as written)."""
    for i, item in enumerate(project.evidence.evidence):
        if item.file is not None:
            yield item.id, "evidence", ("evidence", i, "file"), "file", item.file
    for i, component in enumerate(project.sbom.components):
        if component.compiled_files is not None:
            path = ("components", i, "compiled_files")
            yield component.ref, "sbom", path, "compiled_files", component.compiled_files


def check_evidence_files(project: Project, sources: dict[str, SourceMap]) -> Iterator[Diagnostic]:
    for owner, part, path, field, written in _project_files(project):
        where = position(sources, part, path)
        target = resolve_inside(project.root, written)
        if isinstance(target, str):
            yield rules.PATH_OUTSIDE_PROJECT(where, f"{owner}: {field} {written!r} {target}")
        elif not target.is_file():
            yield rules.EVIDENCE_FILE_MISSING(
                where, f"{owner}: {field} {written!r} does not exist in the project folder"
            )
