"""`cyberfile sbom import`: merge a CycloneDX SBOM into a project's sbom.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from cyberfile.edit import roundtrip
from cyberfile.edit.roundtrip import write_atomic_bytes
from cyberfile.errors import ExitCode, InputError
from cyberfile.load.project import load_clean, one_project
from cyberfile.report.terminal import echo
from cyberfile.sbom.cyclonedx_read import ImportedSbom
from cyberfile.sbom.merge import MergeReport, merge, relative_source
from cyberfile.sbom.read import read_sbom


class ImportProblem(InputError):
    """The import cannot go ahead; nothing was written."""


@dataclass
class ImportOutcome:
    sbom: ImportedSbom
    report: MergeReport
    written: list[Path] = field(default_factory=list)
    references_updated: list[tuple[Path, str, str]] = field(default_factory=list)
    """(file, old ref, new ref) for asset component lists that followed a version change."""


def _rename_asset_refs(root: Path, renamed: dict[str, str], outcome: ImportOutcome) -> None:
    """Point assets' `components` at the new refs of components whose version changed."""
    single = root / "architecture.yaml"
    files = [single] if single.is_file() else sorted((root / "architecture").glob("*.yaml"))
    for path in files:
        document = roundtrip.load(path)
        assets = document.get("assets")
        if not isinstance(assets, CommentedSeq):
            continue
        touched = False
        for asset in assets:
            refs = asset.get("components") if isinstance(asset, CommentedMap) else None
            if not isinstance(refs, CommentedSeq):
                continue
            for index, ref in enumerate(refs):
                if ref in renamed:
                    refs[index] = renamed[ref]
                    outcome.references_updated.append((path, str(ref), renamed[ref]))
                    touched = True
        if touched and roundtrip.save(path, document):
            outcome.written.append(path)


COPY_FOLDER = "artifacts/sbom"
"""Where `--copy` puts an SBOM that lives outside the project."""


def inside_project(sbom_file: Path, root: Path, copy: bool) -> Path | None:
    """Where an outside SBOM is copied to (None when it is inside the project already).
    `source.file` is recorded relative to the project, and a path that climbs out of it
    breaks `drift` on every other checkout, so an outside file is refused unless `copy`."""
    real_root = root.resolve()
    if real_root in sbom_file.resolve().parents:
        return None
    target = root / COPY_FOLDER / sbom_file.name
    if not copy:
        raise ImportProblem(
            f"{sbom_file.as_posix()} is outside the project folder {root.as_posix()}; the "
            "recorded source would point outside the repository and break drift on every "
            f"other checkout. Copy it into the project (e.g. {target.as_posix()}) and import "
            "that, or run again with --copy to do it"
        )
    return target


def import_sbom(
    sbom_file: Path, root: Path, dry_run: bool = False, copy: bool = False
) -> ImportOutcome:
    """Read, merge and (unless dry_run) write; raise ImportProblem or SbomReadError."""
    load_clean(root)
    copy_to = inside_project(sbom_file, root, copy)
    imported = read_sbom(sbom_file)  # an invalid file is refused before anything is copied
    recorded = copy_to or sbom_file
    target = roundtrip.part_file(root, "sbom", "components.yaml")
    if (root / "sbom").is_dir() and not (root / "sbom.yaml").exists():
        raise ImportProblem(
            f"{root.as_posix()}: sbom is a folder of files; import merges into a single "
            "sbom.yaml (move the components into one file first)"
        )
    document = roundtrip.load_part_file(root, target, "sbom", "components")
    report = merge(document, imported, relative_source(recorded, root))
    outcome = ImportOutcome(imported, report)
    if dry_run:
        return outcome
    if copy_to is not None:
        write_atomic_bytes(copy_to, sbom_file.read_bytes())
        outcome.written.append(copy_to)
    if roundtrip.save(target, document):
        outcome.written.append(target)
    if report.renamed:
        _rename_asset_refs(root, report.renamed, outcome)
    return outcome


def run(file: Path, project: Path | None, cwd: Path, dry_run: bool, copy: bool = False) -> ExitCode:
    root = one_project(project, cwd)
    outcome = import_sbom(file, root, dry_run, copy)
    report = outcome.report
    spec = outcome.sbom.spec_version
    kind = spec if spec.startswith("SPDX") else f"CycloneDX {spec}"
    echo(f"{file.as_posix()}: {kind}, {len(outcome.sbom.components)} components")
    for ref in report.added:
        echo(f"  added            {ref}  (support: unknown)")
    for old, new in report.version_changed:
        echo(f"  version changed  {old} -> {new}")
    for ref, fields in report.updated:
        echo(f"  updated          {ref}  ({', '.join(fields)})")
    for ref in report.removed:
        echo(f"  removed          {ref}")
    for note in outcome.sbom.skipped:
        echo(f"  skipped          {note}")
    for path, old, new in outcome.references_updated:
        echo(f"  reference        {path.as_posix()}: {old} -> {new}")
    echo(
        f"{'would change' if dry_run else 'changed'}: {len(report.added)} added, "
        f"{len(report.removed)} removed, {len(report.version_changed)} version changes, "
        f"{len(report.updated)} updated, {report.unchanged} unchanged"
        + ("" if dry_run else f"; wrote {len(outcome.written)} file(s)")
    )
    if report.removed or report.added:
        echo(f"next: cyberfile validate {root.as_posix()}")
    return ExitCode.OK
