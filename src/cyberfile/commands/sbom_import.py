"""`cyberfile sbom import`: merge a CycloneDX SBOM into a project's sbom.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from cyberfile.edit import roundtrip
from cyberfile.load.project import load_for_writing
from cyberfile.sbom.cyclonedx_read import ImportedSbom, read_cyclonedx
from cyberfile.sbom.merge import MergeReport, merge, relative_source


class ImportProblem(Exception):
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


def import_sbom(sbom_file: Path, root: Path, dry_run: bool = False) -> ImportOutcome:
    """Read, merge and (unless dry_run) write; raise ImportProblem or SbomReadError."""
    _, problem = load_for_writing(root)
    if problem:
        raise ImportProblem(f"{root.as_posix()}: {problem}")
    imported = read_cyclonedx(sbom_file)
    target = roundtrip.part_file(root, "sbom", "components.yaml")
    if (root / "sbom").is_dir() and not (root / "sbom.yaml").exists():
        raise ImportProblem(
            f"{root.as_posix()}: sbom is a folder of files; import merges into a single "
            "sbom.yaml (move the components into one file first)"
        )
    document = roundtrip.load_part_file(root, target, "sbom", "components")
    report = merge(document, imported, relative_source(sbom_file, root))
    outcome = ImportOutcome(imported, report)
    if dry_run:
        return outcome
    if roundtrip.save(target, document):
        outcome.written.append(target)
    if report.renamed:
        _rename_asset_refs(root, report.renamed, outcome)
    return outcome
