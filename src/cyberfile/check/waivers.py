"""Waivers: time-boxed acknowledgements of findings (cyberfile.yaml `waivers`).

A waiver in force (its `until` on or after the command's date) covers the findings of its
rule whose subject is one of its items. A covered finding is still reported, marked with
the waiver's reason, approver and expiry, but fails nothing. An expired waiver covers
nothing and is reported (CF140); a waiver in force that covers nothing is reported
(CF141); a waiver of an unknown rule, of a rule that reports unreadable input, or of an
item the project does not define is an error (CF142).

The subject of a finding is the item written nearest above the finding's position in the
same file (a component's `end_of_support` belongs to the component), or, for a finding
with no position in an item, the id its message starts with."""

from __future__ import annotations

import bisect
import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from cyberfile.check.index import position
from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic, Waived
from cyberfile.load.yamlsource import SourceMap
from cyberfile.model.items import items
from cyberfile.model.project import MANIFEST_NAME, Project

MANIFEST_PART = "cyberfile"


class Subjects:
    """Which item a finding is about, from where it is written."""

    def __init__(self, project: Project, sources: dict[str, SourceMap]) -> None:
        self.idents: set[str] = set()
        starts: dict[Path, list[tuple[int, int, str]]] = defaultdict(list)
        for item in items(project):
            self.idents.add(item.ident)
            source = sources.get(item.part)
            where = source.value(item.path) if source else None
            if where is not None:
                starts[where.file].append((where.line, where.column, item.ident))
        self._starts = {file: sorted(entries) for file, entries in starts.items()}

    def of(self, diagnostic: Diagnostic) -> str | None:
        where = diagnostic.position
        entries = self._starts.get(where.file) if where is not None else None
        if where is not None and entries:
            index = bisect.bisect_right(entries, (where.line, where.column, "\uffff")) - 1
            if index >= 0:
                return entries[index][2]
        head = diagnostic.message.split(":", 1)[0].strip()
        if head.startswith("pkg:"):
            head = diagnostic.message.split(": ", 1)[0].strip()
        return head if head in self.idents else None


def apply_waivers(
    project: Project,
    sources: dict[str, SourceMap],
    diagnostics: Iterable[Diagnostic],
    rules_run: Iterable[str],
    day: date,
) -> list[Diagnostic]:
    """The findings with those a waiver in force covers marked waived, and the findings
    about the waivers themselves (CF140-CF142) for the rules this command ran."""
    found = list(diagnostics)
    waivers = project.manifest.waivers
    if not waivers:
        return found
    ran = set(rules_run)
    subjects = Subjects(project, sources)
    manifest = sources.get(MANIFEST_PART)
    out: list[Diagnostic] = []
    used: set[int] = set()
    in_force = [(i, w) for i, w in enumerate(waivers) if w.until >= day and w.rule in ran]
    by_rule: dict[str, list[tuple[int, frozenset[str]]]] = defaultdict(list)
    for i, waiver in in_force:
        by_rule[waiver.rule].append((i, frozenset(waiver.items)))
    for diagnostic in found:
        candidates = by_rule.get(diagnostic.code)
        if not candidates or diagnostic.unreadable:
            out.append(diagnostic)
            continue
        subject = subjects.of(diagnostic)
        match = next((i for i, names in candidates if subject in names), None)
        if match is None:
            out.append(diagnostic)
            continue
        used.add(match)
        waiver = waivers[match]
        out.append(
            dataclasses.replace(
                diagnostic, waived=Waived(waiver.reason, waiver.approved_by, waiver.until)
            )
        )
    for i, waiver in enumerate(waivers):
        where = position(sources, MANIFEST_PART, ("waivers", i)) if manifest else None
        rule = rules.RULES.get(waiver.rule)
        if rule is None or rule.unreadable:
            if rules.WAIVER_INVALID.code in ran:
                why = "is not a rule of cyberfile" if rule is None else "reports input that "
                why += "" if rule is None else "cannot be read, which no waiver can accept"
                out.append(
                    rules.WAIVER_INVALID(
                        where, f"waiver {i + 1} of {MANIFEST_NAME}: {waiver.rule} {why}"
                    )
                )
            continue
        unknown = [name for name in waiver.items if name not in subjects.idents]
        if unknown and rules.WAIVER_INVALID.code in ran:
            out.append(
                rules.WAIVER_INVALID(
                    where,
                    f"waiver of {waiver.rule} names {', '.join(unknown)}, not defined in the "
                    "project",
                )
            )
        if waiver.rule not in ran:
            continue  # another command runs this rule: it judges the waiver
        if waiver.until < day:
            if rules.WAIVER_EXPIRED.code in ran:
                out.append(
                    rules.WAIVER_EXPIRED(
                        where,
                        f"waiver of {waiver.rule} for {', '.join(waiver.items)} expired on "
                        f"{waiver.until} (approved by {waiver.approved_by}): its findings "
                        "count again",
                    )
                )
        elif i not in used and not unknown and rules.WAIVER_UNUSED.code in ran:
            out.append(
                rules.WAIVER_UNUSED(
                    where,
                    f"waiver of {waiver.rule} for {', '.join(waiver.items)} (until "
                    f"{waiver.until}) matches no {waiver.rule} finding",
                )
            )
    return out
