"""`cyberfile review`: stamp items as reviewed, with the fingerprint of what was reviewed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from cyberfile.check.fingerprint import Fingerprints, Reviewable, reviewables
from cyberfile.edit import roundtrip
from cyberfile.load.project import load_for_writing


class ReviewProblem(Exception):
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
    result, problem = load_for_writing(root)
    if problem or result.project is None:
        raise ReviewProblem(f"{root.as_posix()}: {problem}")
    project = result.project
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
            stamp = item.item.reviewed
            suspect = stamp is not None and stamp.fingerprint != fingerprints.of(
                item.ident, item.item
            )
            if suspect and item not in chosen:
                chosen.append(item)
    by_file: dict[Path, list[tuple[Reviewable, str]]] = defaultdict(list)
    for item in chosen:
        position = result.sources[item.part].value(item.path)
        if position is None:
            raise ReviewProblem(f"{item.ident}: cannot find where it is written")
        by_file[position.file].append((item, fingerprints.of(item.ident, item.item)))
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
