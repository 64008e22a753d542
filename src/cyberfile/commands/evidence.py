"""`cyberfile evidence add` and `cyberfile evidence rehash`: record an evidence file with
its sha256 in one command, or record the new digest of a file that was changed on purpose.

Both refuse a project whose files have errors (as every writing command does), keep the
comments and key order of the file they write, write it atomically, and write nothing at
all when they refuse or with `--dry-run`.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString

from cyberfile import dates
from cyberfile.check.evidence_files import resolve_inside
from cyberfile.check.references import build_index
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.digest import file_sha256
from cyberfile.edit import roundtrip
from cyberfile.errors import ExitCode, InputError, UsageError
from cyberfile.load.project import LoadResult, load_clean, one_project
from cyberfile.model.base import ITEM_ID_PATTERN
from cyberfile.model.items import items
from cyberfile.model.project import MANIFEST_NAME, Project
from cyberfile.model.vocabulary import EvidenceType
from cyberfile.report.terminal import echo

COPY_FOLDER = "artifacts"
"""Where `--copy` puts an evidence file that lives outside the project (the scaffold's
artifacts/README.md: "Evidence files ... live here")."""

PART = "evidence"


class EvidenceProblem(InputError):
    """The evidence cannot be recorded; nothing was written."""


def file_digest(path: Path) -> str:
    """sha256 of a file, read in blocks."""
    try:
        return file_sha256(path)
    except OSError as exc:
        raise EvidenceProblem(f"{path.as_posix()}: cannot read ({exc.strerror or exc})") from None


# --- checking what the command line asks for ------------------------------------------


def _close(word: str, pool: list[str], cutoff: float = 0.6) -> str | None:
    close = difflib.get_close_matches(word, pool, n=1, cutoff=cutoff)
    return close[0] if close else None


def evidence_type(value: str) -> EvidenceType:
    """The evidence type named by `--type`; UsageError listing the types otherwise."""
    allowed = [t.value for t in EvidenceType]
    if value in allowed:
        return EvidenceType(value)
    guess = _close(value.strip().lower().replace("-", "_").replace(" ", "_"), allowed, 0.5)
    hint = f"did you mean '{guess}'? " if guess else ""
    raise UsageError(
        f"--type {value!r} is not an evidence type; {hint}use one of: {', '.join(allowed)}"
    )


def performed_day(value: str | None) -> date:
    """The `--performed` date: required (cyberfile never takes the day work was done from
    the clock or a file's mtime), a real date, not after today."""
    if value is None or not value.strip():
        raise UsageError(
            "--performed YYYY-MM-DD is required: the day the work was done (the report's "
            "date). cyberfile does not guess it from the clock or the file's modification "
            "time; drift measures the plan's cadence from it"
        )
    try:
        return dates.as_of(value, records=True)
    except dates.DateError as exc:
        raise UsageError(f"--performed: {exc}") from None


def yaml_text(value: str, option: str) -> str:
    """Text for the YAML file, written so that it reads back exactly: one that holds
    control characters or line separators is written double-quoted with escapes (the
    other styles would fold a U+0085 or U+2028 into a space)."""
    if not value.strip():
        raise UsageError(f"{option}: must not be empty")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(
            f"{option}: {value!r} is not valid text (bytes that are not UTF-8)"
        ) from None
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        quoted: str = DoubleQuotedScalarString(value)
        return quoted
    return value


def _pool(project: Project) -> tuple[dict[str, str], list[str]]:
    """What `covers` may name, with its kind, the way validate indexes the project; and
    the names to suggest from."""
    diagnostics: list[Diagnostic] = []  # duplicate ids: validate reports them, not us
    index = build_index(project, {}, diagnostics)
    kinds: dict[str, str] = {}
    for ident, definition in index.items.items():
        kinds[ident] = str(definition.kind)
    for ref in index.components:
        kinds[ref] = "component"
    for ident in index.vulnerabilities:
        kinds[ident] = "vulnerability"
    for alias in index.aliases:
        kinds.setdefault(alias, "vulnerability")
    return kinds, sorted(kinds)


def covered(project: Project, covers: tuple[str, ...]) -> list[str]:
    """The `--covers` ids (each once, in the order given); UsageError naming every id the
    project does not define, with the closest one it does."""
    if not covers:
        raise UsageError(
            "--covers ID is required (repeat it for each id): the threats, controls, "
            "requirements, tests, component refs or vulnerabilities this evidence is about"
        )
    kinds, pool = _pool(project)
    unknown: list[str] = []
    for ident in covers:
        if ident in kinds:
            continue
        guess = _close(ident, pool)
        text = f"--covers {ident!r}: no item, component or vulnerability of the project has this id"
        if guess:
            text += f"; did you mean {guess!r}?"
        elif "," in ident or " " in ident.strip():
            text += "; give each id its own --covers"
        unknown.append(text)
    if unknown:
        raise UsageError("; ".join(unknown))
    return list(dict.fromkeys(covers))


def evidence_id(wanted: str | None, kind: EvidenceType, performed: date, taken: set[str]) -> str:
    """`--id` when given (checked), else EV-<TYPE>-<YYYYMMDD>, with -2, -3, ... appended
    when an item of the project already has that id."""
    if wanted is not None:
        if not re.fullmatch(ITEM_ID_PATTERN, wanted):
            raise UsageError(
                f"--id {wanted!r}: ids are capital letters and digits in parts joined by "
                "'-', e.g. EV-PENTEST-2026"
            )
        if wanted in taken:
            raise UsageError(f"--id {wanted}: the project already has an item with this id")
        return wanted
    base = f"EV-{kind.value.upper().replace('_', '-')}-{performed.strftime('%Y%m%d')}"
    ident, n = base, 1
    while ident in taken:
        n += 1
        ident = f"{base}-{n}"
    return ident


def title_from(name: str) -> str:
    """A title from a file name: `pentest_report-2026.pdf` -> "Pentest report 2026"."""
    stem = Path(name).stem
    words = re.sub(r"[\s_-]+", " ", stem).strip()
    return (words[:1].upper() + words[1:]) if words else name


# --- where the file is --------------------------------------------------------------


@dataclass
class Placement:
    """The evidence file as the project will record it."""

    source: Path
    """The file given on the command line."""
    recorded: str
    """Its path relative to the project folder (after the copy)."""
    copy_to: Path | None = None
    """Where --copy writes it; None when it is inside the project, or already copied."""
    already_copied: bool = False


def _shown(root: Path) -> str:
    """The project folder as the user knows it (the current folder by its full path)."""
    return root.resolve().as_posix() if root == Path() else root.as_posix()


def _is_inside(path: Path, root: Path) -> bool:
    real_root = root.resolve()
    return real_root in path.resolve().parents


def place(source: Path, root: Path, copy: bool) -> Placement:
    """Where the evidence file is, relative to the project; refuses a file outside the
    project unless `copy`, and a copy that would overwrite a different file."""
    if not source.exists():
        raise EvidenceProblem(f"{source.as_posix()}: no such file")
    if not source.is_file():
        raise EvidenceProblem(f"{source.as_posix()}: not a file")
    if _is_inside(source, root):
        recorded = Path(os.path.relpath(source.resolve(), root.resolve())).as_posix()
        return Placement(source, recorded)
    target = root / COPY_FOLDER / source.name
    if not copy:
        raise EvidenceProblem(
            f"{source.as_posix()} is outside the project folder {_shown(root)}; evidence "
            "files are recorded relative to the project and must be committed with it, or "
            "drift cannot check them on another checkout. Copy it into the project (e.g. "
            f"{target.as_posix()}) and add that, or run again with --copy to do it"
        )
    recorded = f"{COPY_FOLDER}/{source.name}"
    if target.exists() or target.is_symlink():
        if target.is_file() and file_digest(target) == file_digest(source):
            return Placement(source, recorded, already_copied=True)
        raise EvidenceProblem(
            f"--copy: {target.as_posix()} already exists and is not the same file; "
            "nothing was overwritten. Rename the file, or copy it into the project under "
            "another name yourself and add that"
        )
    return Placement(source, recorded, copy_to=target)


def _check_recordable(placement: Placement, root: Path) -> None:
    """The path must read back as the same file (validate splits on '\\') and must not
    be one of the files the command writes (its digest would be wrong at once)."""
    recorded = placement.recorded
    if "\\" in recorded:
        raise EvidenceProblem(
            f"{recorded!r}: a file name with a backslash reads as a folder on Windows and in "
            "cyberfile; rename the file"
        )
    first = recorded.split("/", 1)[0]
    if recorded == MANIFEST_NAME or first in (f"{PART}.yaml", PART):
        raise EvidenceProblem(
            f"{recorded}: a file of the project's own {PART} records cannot be evidence "
            "(its digest changes as soon as the item is written)"
        )


# --- add ----------------------------------------------------------------------------


@dataclass
class Added:
    ident: str
    target: Path
    """The part file the item was (or would be) written into."""
    item: CommentedMap
    placement: Placement
    written: list[Path] = field(default_factory=list)


def _entry(
    ident: str,
    kind: EvidenceType,
    title: str,
    report_id: str | None,
    performed: date,
    recorded: str,
    digest: str,
    covers: list[str],
) -> CommentedMap:
    entry = CommentedMap()
    entry["id"] = ident
    entry["type"] = kind.value
    entry["title"] = title
    if report_id is not None:
        entry["report_id"] = report_id
    entry["performed"] = performed  # a date object: written plain, not quoted
    entry["file"] = yaml_text(recorded, "FILE")
    entry["sha256"] = digest
    entry["covers"] = CommentedSeq(covers)
    entry["covers"].fa.set_flow_style()
    return entry


def _reads_back(entry: CommentedMap) -> None:
    """Guard: the item as written parses to the same values (a string the YAML writer
    cannot represent exactly must never be written half-right)."""
    text = roundtrip.dumps(CommentedMap([(PART, CommentedSeq([entry]))]))
    again = roundtrip.loads(text)[PART][0]
    for key, value in entry.items():
        if isinstance(value, list):
            same = [str(v) for v in again[key]] == [str(v) for v in value]
        else:
            same = again[key] == value or str(again[key]) == str(value)
        if not same:
            raise EvidenceProblem(f"{key} {str(value)!r} cannot be written as YAML text exactly")


def add(
    file: Path,
    root: Path,
    type_name: str,
    covers: tuple[str, ...],
    ident: str | None = None,
    title: str | None = None,
    performed: str | None = None,
    report_id: str | None = None,
    copy: bool = False,
    dry_run: bool = False,
) -> Added:
    """Check everything, then (unless dry_run) copy the file and append the item."""
    kind = evidence_type(type_name)
    day = performed_day(performed)
    result = load_clean(root)
    project = result.project
    assert project is not None
    placement = place(file, root, copy)
    _check_recordable(placement, root)
    wanted = covered(project, covers)
    taken = set(result.written_ids) | {item.ident for item in items(project)}
    new_id = evidence_id(ident, kind, day, taken)
    text = yaml_text(title if title is not None else title_from(file.name), "--title")
    report = yaml_text(report_id, "--report-id") if report_id is not None else None
    digest = file_digest(file)
    entry = _entry(new_id, kind, text, report, day, placement.recorded, digest, wanted)
    _reads_back(entry)
    target = roundtrip.part_file(root, PART, f"{new_id.lower()}.yaml")
    document = roundtrip.load_part_file(root, target, PART, PART)
    roundtrip.ensure_list(document, PART).append(entry)
    added = Added(new_id, target, entry, placement)
    if dry_run:
        return added
    if placement.copy_to is not None:
        data = file.read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise EvidenceProblem(f"{file.as_posix()} changed while it was read; run again")
        roundtrip.write_atomic_bytes(placement.copy_to, data)
        added.written.append(placement.copy_to)
    if roundtrip.save(target, document):
        added.written.append(target)
    return added


def _show_item(item: CommentedMap) -> None:
    for line in roundtrip.dumps(CommentedSeq([item])).splitlines():
        echo(f"  {line}")


def run_add(
    file: Path,
    project: Path | None,
    cwd: Path,
    type_name: str,
    covers: tuple[str, ...],
    ident: str | None,
    title: str | None,
    performed: str | None,
    report_id: str | None,
    copy: bool,
    dry_run: bool,
) -> ExitCode:
    root = one_project(project, cwd)
    added = add(file, root, type_name, covers, ident, title, performed, report_id, copy, dry_run)
    placement = added.placement
    where = added.target.as_posix()
    if placement.copy_to is not None:
        verb = "would copy" if dry_run else "copied"
        echo(f"{verb} {file.as_posix()} -> {placement.copy_to.as_posix()}")
    elif placement.already_copied:
        echo(f"{file.as_posix()}: already in the project as {placement.recorded} (same file)")
    if dry_run:
        echo(f"would add {added.ident} to {where} (dry run: nothing written):")
    else:
        echo(f"added {added.ident} to {where}:")
    _show_item(added.item)
    if not dry_run:
        echo(f"wrote {len(added.written)} file(s); next: cyberfile validate {root.as_posix()}")
    return ExitCode.OK


# --- rehash -------------------------------------------------------------------------


@dataclass
class Rehashed:
    ident: str
    file: str
    old: str | None
    new: str
    target: Path
    written: bool = False

    @property
    def unchanged(self) -> bool:
        return self.old == self.new


def _find(project: Project, ident: str) -> int:
    """Index of evidence item `ident`; UsageError when there is none."""
    for i, item in enumerate(project.evidence.evidence):
        if item.id == ident:
            return i
    kinds, _ = _pool(project)
    evidence_ids = [e.id for e in project.evidence.evidence]
    if ident in kinds:
        kind = kinds[ident]
        article = "an" if kind[:1] in "aeiou" else "a"
        raise UsageError(f"{ident} is {article} {kind}, not an evidence item")
    guess = _close(ident, evidence_ids)
    hint = f"; did you mean {guess!r}?" if guess else ""
    raise UsageError(f"{ident}: the project has no evidence item with this id{hint}")


def _item_in(document: CommentedMap, ident: str) -> CommentedMap | None:
    items = document.get(PART)
    if not isinstance(items, CommentedSeq):
        return None
    for item in items:
        if isinstance(item, CommentedMap) and item.get("id") == ident:
            return item
    return None


def _set_digest(item: CommentedMap, digest: str) -> None:
    """Replace `sha256` in place (keeping its quoting), or add it after `file`."""
    old = item.get("sha256")
    if "sha256" in item:
        item["sha256"] = type(old)(digest) if isinstance(old, ScalarString) else digest
        return
    keys = list(item.keys())
    at = keys.index("file") + 1 if "file" in keys else len(keys)
    item.insert(at, "sha256", digest)


def _where(result: LoadResult, index: int) -> Path:
    source = result.sources.get(PART)
    position = source.value((PART, index)) if source else None
    if position is None:
        raise EvidenceProblem("cannot find where the evidence item is written")
    return Path(position.file)


def rehash(root: Path, ident: str, dry_run: bool = False) -> Rehashed:
    result = load_clean(root)
    project = result.project
    assert project is not None
    index = _find(project, ident)
    item = project.evidence.evidence[index]
    if item.file is None:
        raise UsageError(
            f"{ident} records no file, so there is nothing to hash; give it `file:` "
            "(a path inside the project) first"
        )
    resolved = resolve_inside(project.root, item.file)
    if isinstance(resolved, str):
        raise EvidenceProblem(f"{ident}: file {item.file!r} {resolved}")
    if not resolved.is_file():
        shown = (root / item.file).as_posix()
        raise EvidenceProblem(
            f"{ident}: {shown} does not exist; restore it, or correct `file:` first"
        )
    new = file_digest(resolved)
    path = _where(result, index)
    outcome = Rehashed(ident, item.file, item.sha256, new, path)
    if outcome.unchanged or dry_run:
        return outcome
    document = roundtrip.load(path)
    entry = _item_in(document, ident)
    if entry is None:
        raise EvidenceProblem(f"{ident}: not found in {path.as_posix()}")
    _set_digest(entry, new)
    outcome.written = roundtrip.save(path, document)
    return outcome


def run_rehash(ident: str, project: Path | None, cwd: Path, dry_run: bool) -> ExitCode:
    root = one_project(project, cwd)
    outcome = rehash(root, ident, dry_run)
    if outcome.unchanged:
        echo(
            f"{outcome.ident}: {outcome.file} is unchanged (sha256 {outcome.new}); nothing written"
        )
        return ExitCode.OK
    echo(f"{outcome.ident}: {outcome.file}")
    echo(f"  sha256 {outcome.old or '(none recorded)'} -> {outcome.new}")
    if dry_run:
        echo(f"would write {outcome.target.as_posix()} (dry run: nothing written)")
    else:
        echo(f"wrote {outcome.target.as_posix()}")
    return ExitCode.OK
