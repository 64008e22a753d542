"""What changed since an item's review (drift CF500): the fields of the item, and the
items it references, that differ from the content its review stamp covers.

A stamp `reviewed: {by, on, fingerprint}` only hashes the reviewed content
(`cyberfile.check.fingerprint`), so that content is looked up in git history: it is the
project at a commit where the item's fingerprint, computed with that commit's project,
equals the stamp's. Then `cyberfile.check.changes.item_fields` compares it with today's
item, and each item it references (then or now) with today's.

Which commits, at a bounded cost:

- No suspect stamp, no git: nothing here runs.
- One `git log --pickaxe-regex -S 'FP1|FP2|...' --max-count=5 -- .` in the project
  folder lists, newest first, the commits where one of the suspect stamps' fingerprints
  (at most `MAX_PATTERNS` of them) was written, moved or removed: where a review was
  committed.
- The project is read at each of those commits (`load_project_at`, from git objects;
  the working tree, index and repository are left as they are), at most `MAX_LOADS`
  of them, newest first, and every suspect item not yet placed is fingerprinted there; a
  match is its reviewed content. Reading stops once every suspect item is placed.

An item not placed (a stamp written but not yet committed, a review committed together
with further changes, a commit beyond the budget, a shallow clone) keeps the generic
message; so does every item when the project is not in a git repository, has no
commits, or git is missing. Nothing is reported about that: the history only makes the
message more precise. The same repository state gives the same answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cyberfile.check.changes import FieldChange, id_order, item_fields
from cyberfile.check.fingerprint import Fingerprints, reviewables
from cyberfile.check.references import references
from cyberfile.load.git import GitError, load_project_at, run_git
from cyberfile.model.items import Item, Kind, items
from cyberfile.model.project import Project

MAX_LOADS = 5
"""Commits read at most per drift run."""
MAX_PATTERNS = 256
"""Fingerprints searched for at most (the search only picks commits: every suspect item
is fingerprinted at each commit read)."""
SHOWN_FIELDS = 3
"""Fields named per item before "and N more"."""
SHOWN_ITEMS = 3
"""Referenced items named before "N more items it references changed"."""

ReferenceStatus = Literal["changed", "added", "removed", "now referenced", "no longer referenced"]


@dataclass(frozen=True)
class ReferenceChange:
    """An item the reviewed item references (in the reviewed version, today, or both)
    whose content is not what the review covered."""

    kind: Kind
    ident: str
    status: ReferenceStatus
    """changed; added or removed (the item did not exist then, or does not now); now
    referenced or no longer referenced (it existed on both sides)."""
    fields: tuple[FieldChange, ...] = ()
    """For `changed`: what differs (empty when the id now names an item of another kind)."""


@dataclass(frozen=True)
class SinceReview:
    """What differs from the reviewed content."""

    commit: str
    """The commit whose project holds the reviewed content."""
    fields: tuple[FieldChange, ...]
    """Of the item itself."""
    references: tuple[ReferenceChange, ...]
    """In the order of their ids."""


class _Side:
    """A project's items by id (first occurrence, as fingerprints take them), its
    reviewable items by kind and id, and the ids each item references."""

    def __init__(self, project: Project) -> None:
        self.items: dict[str, Item] = {}
        for item in items(project):
            self.items.setdefault(item.ident, item)
        self.reviewable: dict[tuple[Kind, str], list[Item]] = {}
        for item in reviewables(project):
            self.reviewable.setdefault((item.kind, item.ident), []).append(item)
        self.refs: dict[str, set[str]] = {}
        for ref in references(project):
            self.refs.setdefault(ref.owner, set()).add(ref.target)

    def referenced(self, ident: str) -> dict[str, Item]:
        """The items `ident` references that exist (what its fingerprint covers)."""
        return {t: self.items[t] for t in self.refs.get(ident, ()) if t in self.items}


def _commits(root: Path, fingerprints: list[str]) -> list[str]:
    """The newest commits (at most MAX_LOADS) that wrote or removed one of the
    fingerprints under the project folder; none when git cannot tell."""
    digests = "|".join(fp.removeprefix("sha256:") for fp in fingerprints)
    try:
        process = run_git(
            root,
            "log",
            "--no-show-signature",
            "--no-renames",
            "--no-textconv",
            f"--max-count={MAX_LOADS}",
            "--format=%H",
            "--pickaxe-regex",
            f"-S{digests}",
            "--",
            ".",
        )
    except OSError:
        return []  # git is missing
    if process.returncode != 0:
        return []  # not a repository, no commits yet, unreadable
    lines = process.stdout.decode("ascii", "replace").split()
    return list(dict.fromkeys(line for line in lines if line))[:MAX_LOADS]


def _compare(
    commit: str, ident: str, before: Item, after: Item, old: _Side, now: _Side
) -> SinceReview:
    then, today = old.referenced(ident), now.referenced(ident)
    changes: list[ReferenceChange] = []
    for target in sorted(then.keys() | today.keys(), key=id_order):
        b, a = then.get(target), today.get(target)
        if b is not None and a is not None:
            if b.kind is not a.kind:
                changes.append(ReferenceChange(a.kind, target, "changed"))
                continue
            fields = item_fields(b.model, a.model)
            if fields:
                changes.append(ReferenceChange(a.kind, target, "changed", fields))
        elif a is not None:
            status: ReferenceStatus = "now referenced" if target in old.items else "added"
            changes.append(ReferenceChange(a.kind, target, status))
        elif b is not None:
            status = "no longer referenced" if target in now.items else "removed"
            changes.append(ReferenceChange(b.kind, target, status))
    return SinceReview(commit, item_fields(before.model, after.model), tuple(changes))


def since_review(project: Project, suspects: Sequence[Item]) -> list[SinceReview | None]:
    """For each suspect item (reviewed, its fingerprint no longer matching), what differs
    from its reviewed content, or None when that content is not found (see the module)."""
    found: list[SinceReview | None] = [None] * len(suspects)
    wanted: dict[int, str] = {}
    for i, item in enumerate(suspects):
        stamp = item.model.reviewed
        if stamp is not None and stamp.fingerprint is not None:
            wanted[i] = stamp.fingerprint
    if not wanted:
        return found
    commits = _commits(project.root, list(dict.fromkeys(wanted.values()))[:MAX_PATTERNS])
    if not commits:
        return found
    now: _Side | None = None  # today's index, once something is placed
    for commit in commits:
        try:
            result, _ = load_project_at(project.root, commit)
        except GitError:
            continue
        assert result.project is not None
        old = _Side(result.project)
        fingerprints = Fingerprints(result.project)
        for i, fingerprint in list(wanted.items()):
            item = suspects[i]
            for before in old.reviewable.get((item.kind, item.ident), ()):
                if fingerprints.of(item.ident, before.model) != fingerprint:
                    continue
                now = now or _Side(project)
                diff = _compare(commit, item.ident, before, item, old, now)
                if diff.fields or diff.references:
                    found[i] = diff
                del wanted[i]
                break
        if not wanted:
            break
    return found


def _fields(fields: Sequence[FieldChange]) -> str:
    names = list(dict.fromkeys(f.field for f in fields))
    shown = ", ".join(names[:SHOWN_FIELDS])
    more = len(names) - SHOWN_FIELDS
    return f"{shown} and {more} more" if more > 0 else shown


def _reference(change: ReferenceChange) -> str:
    what = f"{change.kind} {change.ident}"
    if change.status == "changed":
        return f"{what} changed ({_fields(change.fields)})" if change.fields else f"{what} changed"
    if change.status in ("added", "removed"):
        return f"{what} was {change.status}"
    return f"it {'now' if change.status == 'now referenced' else 'no longer'} references {what}"


def describe(item: Item, since: SinceReview) -> str:
    """The CF500 message naming what changed:
    `threat THR-010: since its review of 2026-10-28 by J. Rivera, it changed
    (post_mitigation.exploitability); data flow DF-APP-PUMP changed (protocol)`."""
    stamp = item.model.reviewed
    parts: list[str] = []
    if since.fields:
        parts.append(f"it changed ({_fields(since.fields)})")
    parts.extend(_reference(c) for c in since.references[:SHOWN_ITEMS])
    more = len(since.references) - SHOWN_ITEMS
    if more > 0:
        parts.append(f"{more} more item{'s' if more > 1 else ''} it references changed")
    return f"{item.kind} {item.ident}: since its review of {stamp.on} by {stamp.by}, " + "; ".join(
        parts
    )
