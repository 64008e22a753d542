"""`cyberfile review`: stamp items as reviewed, with the fingerprint of what was reviewed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from cyberfile import dates
from cyberfile.check.fingerprint import Fingerprints, Reviewable, reviewables
from cyberfile.edit import roundtrip
from cyberfile.errors import ExitCode, InputError, UsageError
from cyberfile.load.project import find_root, load_clean, one_project
from cyberfile.report.terminal import echo


class ReviewProblem(InputError):
    """Nothing was written; the message says why."""


@dataclass(frozen=True)
class Stamp:
    ident: str
    kind: str
    file: Path
    fingerprint: str


def _stamp_in(document: CommentedMap, key: str, ident: str, stamp: CommentedMap) -> bool:
    items = document.get(key)
    if not isinstance(items, CommentedSeq):
        return False
    for item in items:
        if isinstance(item, CommentedMap) and item.get("id") == ident:
            item["reviewed"] = stamp
            return True
    return False


def review(
    root: Path, idents: list[str], by: str, on: date, all_suspect: bool, dry_run: bool = False
) -> list[Stamp]:
    result = load_clean(root)
    project = result.project
    assert project is not None
    fingerprints = Fingerprints(project)
    table: dict[str, Reviewable] = {r.ident: r for r in reviewables(project)}
    chosen: list[Reviewable] = []
    for ident in idents:
        if ident not in table:
            raise ReviewProblem(
                f"{ident}: no reviewable item has this id (threats, controls, tests, assets, "
                "data flows, views and vulnerabilities can be reviewed)"
            )
        chosen.append(table[ident])
    if all_suspect:
        for item in table.values():
            stamp = item.model.reviewed
            suspect = stamp is not None and stamp.fingerprint != fingerprints.of(
                item.ident, item.model
            )
            if suspect and item not in chosen:
                chosen.append(item)
    by_file: dict[Path, list[tuple[Reviewable, str]]] = defaultdict(list)
    for item in chosen:
        position = result.sources[item.part].value(item.path)
        if position is None:
            raise ReviewProblem(f"{item.ident}: cannot find where it is written")
        by_file[position.file].append((item, fingerprints.of(item.ident, item.model)))
    stamps: list[Stamp] = []
    for path, entries in sorted(by_file.items()):
        document = roundtrip.load(path)
        for item, fingerprint in entries:
            stamp = CommentedMap([("by", by), ("on", on), ("fingerprint", fingerprint)])
            stamp.fa.set_flow_style()
            if not _stamp_in(document, str(item.path[0]), item.ident, stamp):
                raise ReviewProblem(f"{item.ident}: not found in {path.as_posix()}")
            stamps.append(Stamp(item.ident, item.kind, path, fingerprint))
        if not dry_run:
            roundtrip.save(path, document)
    return stamps


def _split(arguments: list[str], project: Path | None) -> tuple[list[str], Path | None]:
    """Item ids, and the project folder if one of the arguments names one (a path such
    as `projects/pump` is never an item id)."""
    idents: list[str] = []
    named: list[Path] = []
    for argument in arguments:
        candidate = Path(argument)
        looks_like_path = "/" in argument or "\\" in argument or argument in (".", "..")
        if looks_like_path or (candidate.is_dir() and find_root(candidate) is not None):
            named.append(candidate)
        else:
            idents.append(argument)
    if project is not None:
        named.insert(0, project)
    if len(named) > 1:
        raise UsageError(
            "name one project: " + ", ".join(p.as_posix() for p in named) + " were given"
        )
    return idents, (named[0] if named else None)


def run(
    arguments: list[str],
    by: str,
    on: str | None,
    all_suspect: bool,
    project: Path | None,
    cwd: Path,
) -> ExitCode:
    idents, named = _split(arguments, project)
    if not idents and not all_suspect:
        raise UsageError("name the items to stamp, or use --all-suspect")
    if not by.strip():
        raise UsageError("--by: the reviewer's name must not be empty")
    day = dates.as_of(on, records=True)
    root = one_project(named, cwd)
    stamps = review(root, idents, by.strip(), day, all_suspect)
    for stamp in stamps:
        echo(f"reviewed {stamp.kind} {stamp.ident} ({stamp.file.as_posix()})")
    if not stamps:
        echo("nothing to stamp: no review is suspect")
    return ExitCode.OK
