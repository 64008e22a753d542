"""`cyberfile sbom import`: merge a CycloneDX SBOM into a project's sbom.yaml."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from cyberfile.edit import roundtrip
from cyberfile.edit.roundtrip import ensure_list, write_atomic, write_atomic_bytes
from cyberfile.errors import ExitCode, InputError
from cyberfile.load.project import LoadResult, load_clean, one_project
from cyberfile.model.sbom import SOURCE_NAME_PATTERN
from cyberfile.report.terminal import echo
from cyberfile.sbom.cyclonedx_read import ImportedSbom
from cyberfile.sbom.merge import MergeReport, Target, merge, relative_source
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
    target: Path | None = None
    """The sbom file the SBOM was merged into."""
    moved: list[tuple[str, str]] = field(default_factory=list)
    """(ref, SBOM): components this SBOM dropped that moved to another SBOM sharing them."""
    moved_file: tuple[Path, Path] | None = None
    """(sbom.yaml, sbom/NAME.yaml) when a second SBOM turned the part into a folder."""
    claimed: list[tuple[str, str]] = field(default_factory=list)
    """(ref, SBOM): components --claim-from moved from that SBOM's file into this one's."""


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


SBOM_SUFFIXES = (".cdx.json", ".cdx.xml", ".spdx.json", ".spdx", ".bom.json", ".json", ".xml")


def name_from_file(path: Path) -> str:
    """A source name from an SBOM file's name: `pump-firmware.spdx.json` -> pump-firmware."""
    text = path.name.lower()
    for suffix in SBOM_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    return re.sub(r"[^a-z0-9._-]+", "-", text).strip("-._")[:64] or "sbom"


@dataclass
class Plan:
    """Where an import writes: the file of its SBOM, and what other files hold."""

    target: Path
    merge: Target
    move_single: Path | None = None
    """sbom.yaml, when it must move into the folder sbom/ first (a second SBOM arrives)."""
    others: dict[str, Path] = field(default_factory=dict)
    """The other SBOMs' files by name."""


def _plan(
    result: LoadResult, root: Path, recorded: str, name: str | None, asset: str | None
) -> Plan:
    project = result.project
    assert project is not None
    if asset is not None:
        assets = [a.id for a in project.architecture.assets]
        if asset not in assets:
            raise ImportProblem(
                f"--asset {asset}: no such asset in {root.as_posix()}"
                + (f" (assets: {', '.join(assets)})" if assets else " (it has no assets)")
            )
    files = dict(result.sbom_files)
    sources = {s.name: s for s in project.sbom.sources if s.name is not None}
    single = root / "sbom.yaml"
    if name is None:
        same_file = [n for n, s in sources.items() if s.file == recorded]
        for_asset = [n for n, s in sources.items() if asset and s.asset == asset]
        if len(same_file) == 1:
            name = same_file[0]
        elif len(for_asset) == 1:
            name = for_asset[0]
        elif asset is None and not (root / "sbom").is_dir():
            # one SBOM per device, in sbom.yaml: as it always was
            return Plan(single, Target(elsewhere={}))
        elif asset is None and len(sources) > 1:
            raise ImportProblem(
                f"{root.as_posix()} has several SBOMs ({', '.join(sorted(sources))}); say "
                "which one this file is with --name NAME (a new name adds an SBOM)"
            )
        else:
            name = name_from_file(Path(recorded))
    elif not re.fullmatch(SOURCE_NAME_PATTERN, name):
        raise ImportProblem(
            f"--name {name!r}: use lowercase letters, digits, '.', '_' and '-' "
            "(it names the file sbom/NAME.yaml), e.g. firmware"
        )
    move_single = None
    if single.is_file():
        if single in files.values() and [n for n, p in files.items() if p == single] == [name]:
            return Plan(single, _target(name, asset, result, single, keep_name=True))
        # a second SBOM: sbom.yaml moves into the folder, under its own source's name; one
        # with neither source nor components (as `init` writes it) becomes this SBOM's file
        own = next((n for n, p in files.items() if p == single), None)
        if own is None and not project.sbom.components:
            own = name
        move_single = root / "sbom" / f"{own or 'sbom'}.yaml"
        files = {n: (move_single if p == single else p) for n, p in files.items()}
        if own is not None:
            files[own] = move_single
    path = files.get(name, root / "sbom" / f"{name}.yaml")
    if move_single is not None and path == move_single and name != own:
        path = root / "sbom" / f"{name}.yaml"
    holder = [n for n, p in files.items() if p == path]
    if holder != [name] and (path.exists() or path == move_single):
        what = f"SBOM '{holder[0]}'" if holder else "components written by hand"
        raise ImportProblem(
            f"{path.relative_to(root).as_posix()} already holds {what}; choose another --name"
        )
    plan = Plan(path, _target(name, asset, result, path), move_single)
    plan.others = {n: p for n, p in files.items() if p != path}
    return plan


def _target(
    name: str, asset: str | None, result: LoadResult, path: Path, keep_name: bool = False
) -> Target:
    """What the merge writes into `path`'s source, and what the other files hold."""
    project = result.project
    assert project is not None
    elsewhere: dict[str, tuple[str, str]] = {}
    by_ref = {c.ref: c for c in project.sbom.components}
    for other in result.sbom_members:
        if result.sbom_files.get(other) == path:
            continue
        own = project.sbom_members.get(other, ())
        source = next((s for s in project.sbom.sources if s.name == other), None)
        shared = set(source.shared) if source else set()
        for ref in own:
            component = by_ref.get(ref)
            if component is None or ref in shared:
                continue
            elsewhere[ref] = (other, ref)
            if component.purl:
                elsewhere[component.purl] = (other, ref)
    return Target(name=None if keep_name else name, asset=asset, elsewhere=elsewhere)


def import_sbom(
    sbom_file: Path,
    root: Path,
    dry_run: bool = False,
    copy: bool = False,
    name: str | None = None,
    asset: str | None = None,
    claim_from: str | None = None,
) -> ImportOutcome:
    """Read, merge and (unless dry_run) write; raise ImportProblem or SbomReadError."""
    result = load_clean(root)
    copy_to = inside_project(sbom_file, root, copy)
    imported = read_sbom(sbom_file)  # an invalid file is refused before anything is copied
    if copy_to is not None and _refers_to_other_documents(sbom_file):
        raise ImportProblem(
            f"{sbom_file.as_posix()} refers to other SPDX documents (externalDocumentRefs, "
            "as Yocto writes them); --copy copies one file and the references would be lost. "
            f"Copy its whole folder into the project (e.g. {COPY_FOLDER}/<name>/) and import "
            "the file from there"
        )
    recorded = relative_source(copy_to or sbom_file, root)
    plan = _plan(result, root, recorded, name, asset)
    single = root / "sbom.yaml"
    moved_text = _moved_text(root, plan.move_single) if plan.move_single else None

    def document_at(path: Path) -> CommentedMap:
        if path == plan.move_single and moved_text is not None:
            return roundtrip.loads(moved_text)
        return roundtrip.load_part_file(root, path, "sbom", "components")

    document = document_at(plan.target)
    others: dict[Path, CommentedMap] = {}
    claimed: list[tuple[str, str]] = []
    if claim_from is not None:
        if claim_from not in plan.others:
            known = ", ".join(sorted(plan.others)) or "none"
            raise ImportProblem(
                f"--claim-from {claim_from}: no other SBOM of that name (other SBOMs: {known})"
            )
        plan.merge = _claim(imported, plan, claim_from, document, document_at, others, claimed)
    report = merge(document, imported, recorded, plan.merge)
    outcome = ImportOutcome(imported, report, target=plan.target, claimed=claimed)
    moves = _keep_shared(plan, report, outcome, lambda p: others.get(p) or document_at(p))
    moves = {**others, **moves}
    if plan.move_single is not None:
        outcome.moved_file = (single, plan.move_single)
    if dry_run:
        return outcome
    if copy_to is not None:
        write_atomic_bytes(copy_to, sbom_file.read_bytes())
        outcome.written.append(copy_to)
    if (
        plan.move_single is not None
        and moved_text is not None
        and plan.move_single != plan.target
        and plan.move_single not in moves
    ):
        write_atomic(plan.move_single, moved_text)
        outcome.written.append(plan.move_single)
    if roundtrip.save(plan.target, document):
        outcome.written.append(plan.target)
    for path, other in moves.items():
        if roundtrip.save(path, other):
            outcome.written.append(path)
    if plan.move_single is not None:
        # last: until here the project still reads as it did (a crash leaves both, which
        # validate reports)
        single.unlink()
    if report.renamed:
        _rename_asset_refs(root, report.renamed, outcome)
    return outcome


def _refers_to_other_documents(path: Path) -> bool:
    """Whether an SPDX file names other SPDX documents (JSON `externalDocumentRefs`, or a
    tag-value `ExternalDocumentRef:` line)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return False
    if b"ExternalDocumentRef:" in raw:
        return True
    if b"externalDocumentRefs" not in raw:
        return False
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return False
    return isinstance(data, dict) and bool(data.get("externalDocumentRefs"))


def _claim(
    imported: ImportedSbom,
    plan: Plan,
    claim_from: str,
    document: CommentedMap,
    document_at: Callable[[Path], CommentedMap],
    others: dict[Path, CommentedMap],
    claimed: list[tuple[str, str]],
) -> Target:
    """--claim-from NAME: components of the imported SBOM that SBOM NAME's file holds move
    into this SBOM's file, with their annotations and comments; NAME lists them as shared.
    How one merged SBOM is split into per-build SBOMs without losing notes."""
    remaining = dict(plan.merge.elsewhere)
    for component in imported.components:
        found = remaining.get(component.ref) or (
            remaining.get(component.purl) if component.purl else None
        )
        if found is None:
            continue
        name, ref = found
        path = plan.others.get(name)
        if path is None or name != claim_from:
            continue
        other = others.get(path) or document_at(path)
        entries = other.get("components")
        entry = next(
            (e for e in entries or () if isinstance(e, CommentedMap) and e.get("ref") == ref),
            None,
        )
        if not isinstance(entries, CommentedSeq) or entry is None:
            continue
        others[path] = other
        entries.remove(entry)
        source = other.get("source")
        if isinstance(source, CommentedMap):
            shared = source.get("shared")
            if not isinstance(shared, CommentedSeq):
                shared = CommentedSeq()
                shared.fa.set_flow_style()
                source["shared"] = shared
            shared.append(ref)
        ensure_list(document, "components").append(entry)
        claimed.append((ref, name))
        remaining = {k: v for k, v in remaining.items() if v[1] != ref}
    return dataclasses.replace(plan.merge, elsewhere=remaining)


def _keep_shared(
    plan: Plan,
    report: MergeReport,
    outcome: ImportOutcome,
    document_at: Callable[[Path], CommentedMap],
) -> dict[Path, CommentedMap]:
    """A component this SBOM no longer has, which another SBOM lists as shared, moves to
    that SBOM's file (with its annotations) instead of leaving the project."""
    documents: dict[Path, CommentedMap] = {}
    for ref in list(report.removed):
        for name, path in sorted(plan.others.items()):
            document = documents.get(path) or document_at(path)
            source = document.get("source")
            shared = source.get("shared") if isinstance(source, CommentedMap) else None
            if not isinstance(source, CommentedMap) or not isinstance(shared, CommentedSeq):
                continue
            if ref not in shared:
                continue
            documents[path] = document
            shared.remove(ref)
            if not shared:
                del source["shared"]
            ensure_list(document, "components").append(report.removed_entries[ref])
            report.removed.remove(ref)
            outcome.moved.append((ref, name))
            break
    return documents


def _moved_text(root: Path, target: Path) -> str:
    """sbom.yaml as sbom/NAME.yaml: comments and all, its schema line re-pointed."""
    lines = (root / "sbom.yaml").read_text(encoding="utf-8").splitlines(keepends=True)
    header = roundtrip.new_file_text(root, target, "sbom")
    if lines and header and lines[0].startswith("# yaml-language-server: $schema="):
        lines[0] = header
    return "".join(lines)


SHOWN = 20
"""Lines shown per kind of change; --verbose shows all."""


def _lines(label: str, texts: list[str], verbose: bool) -> None:
    shown = texts if verbose else texts[:SHOWN]
    for text in shown:
        echo(f"  {label:<16} {text}")
    if len(texts) > len(shown):
        echo(f"  {label:<16} ... and {len(texts) - len(shown)} more (--verbose lists all)")


def run(
    file: Path,
    project: Path | None,
    cwd: Path,
    dry_run: bool,
    copy: bool = False,
    name: str | None = None,
    asset: str | None = None,
    verbose: bool = False,
    claim_from: str | None = None,
) -> ExitCode:
    root = one_project(project, cwd)
    outcome = import_sbom(file, root, dry_run, copy, name, asset, claim_from)
    report = outcome.report
    spec = outcome.sbom.spec_version
    kind = spec if spec.startswith("SPDX") else f"CycloneDX {spec}"
    where = outcome.target.relative_to(root).as_posix() if outcome.target else "sbom.yaml"
    echo(f"{file.as_posix()}: {kind}, {len(outcome.sbom.components)} components -> {where}")
    if outcome.moved_file is not None:
        old, new = outcome.moved_file
        echo(
            f"  {'would move' if dry_run else 'moved':<16} {old.relative_to(root).as_posix()} "
            f"-> {new.relative_to(root).as_posix()} (one file per SBOM)"
        )
    _lines("added", [f"{ref}  (support: unknown)" for ref in report.added], verbose)
    _lines("version changed", [f"{old} -> {new}" for old, new in report.version_changed], verbose)
    _lines("updated", [f"{ref}  ({', '.join(f)})" for ref, f in report.updated], verbose)
    _lines("removed", report.removed, verbose)
    _lines(
        "shared", [f"{ref}  (written in SBOM '{other}')" for ref, other in report.shared], verbose
    )
    _lines(
        "kept",
        [f"{ref}  (moved to SBOM '{other}', which has it too)" for ref, other in outcome.moved],
        verbose,
    )
    _lines(
        "claimed",
        [f"{ref}  (from SBOM '{o}', which keeps it as shared)" for ref, o in outcome.claimed],
        verbose,
    )
    _lines("skipped", list(outcome.sbom.skipped), verbose)
    _lines(
        "reference",
        [f"{path.as_posix()}: {old} -> {new}" for path, old, new in outcome.references_updated],
        verbose,
    )
    echo(
        f"{'would change' if dry_run else 'changed'}: {len(report.added)} added, "
        f"{len(report.removed)} removed, {len(report.version_changed)} version changes, "
        f"{len(report.updated)} updated, {len(report.shared)} shared, "
        + (f"{len(outcome.claimed)} claimed, " if outcome.claimed else "")
        + f"{report.unchanged} unchanged"
        + ("" if dry_run else f"; wrote {len(outcome.written)} file(s)")
    )
    if report.removed or report.added:
        echo(f"next: cyberfile validate {root.as_posix()}")
    return ExitCode.OK
