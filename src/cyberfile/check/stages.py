"""Run a command's checking steps over a loaded project.

Which steps a command runs is decided once, in `cyberfile.diagnostics.rules.COMMAND_STAGES`;
this module maps each step to the checks that implement it, so that a command reports
exactly the rules it runs (and SARIF and JUnit list exactly those)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cyberfile import dates
from cyberfile.check.drift import drift_rules
from cyberfile.check.evidence_files import check_evidence_files
from cyberfile.check.references import build_index, check_references
from cyberfile.check.sbom import check_sbom
from cyberfile.check.selection import RuleSelection, rules_run, selection_for
from cyberfile.check.traceability import check_traceability
from cyberfile.check.waivers import apply_waivers
from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.diagnostics.position import Position
from cyberfile.diagnostics.rules import COMMAND_STAGES, RULES, Stage
from cyberfile.load.project import LoadResult, load_project
from cyberfile.model.project import MANIFEST_NAME


@dataclass(frozen=True)
class Checked:
    diagnostics: list[Diagnostic]
    """What the steps found and the selection keeps, sorted by file, line and column."""
    rules: tuple[str, ...]
    """The codes of the rules that ran (the command's rules that the selection keeps)."""


REQUIRED_PARTS = ("architecture", "threats", "controls", "sbom", "postmarket")
"""Parts without which the package lacks an FDA element (threat model, controls,
architecture views, SBOM, management plan)."""


def missing_parts(result: LoadResult) -> list[Diagnostic]:
    """CF113 for each required part that is neither NAME.yaml nor NAME/ (a part that is
    present but unreadable has its own error)."""
    manifest = result.root / MANIFEST_NAME
    found = []
    for part in REQUIRED_PARTS:
        present = (result.root / f"{part}.yaml").exists() or (result.root / part).is_dir()
        if present or part in result.misspelt:
            continue
        found.append(
            rules.PART_MISSING(
                Position(manifest, 1, 1),
                f"the project has no {part} part: neither {part}.yaml nor {part}/",
            )
        )
    return found


def run_stages(
    result: LoadResult,
    command: str,
    as_of: date | None = None,
    command_line: RuleSelection | None = None,
    skip: frozenset[Stage] = frozenset(),
) -> Checked:
    """Run `command`'s checking steps over a loaded project, but those in `skip` (an old
    revision read from git has no evidence files to check)."""
    stages = tuple(stage for stage in COMMAND_STAGES[command] if stage not in skip)
    selection, problems = selection_for(result, command_line)
    diagnostics = [*result.diagnostics, *problems]
    project = result.project
    if project is not None:
        sources = result.sources
        if Stage.REFERENCES in stages:
            index = build_index(project, sources, diagnostics)
            if result.complete:
                diagnostics.extend(check_references(project, index, sources, result.written_ids))
        if Stage.TRACEABILITY in stages:
            diagnostics.extend(missing_parts(result))
        if Stage.TRACEABILITY in stages and result.complete:
            diagnostics.extend(check_traceability(project, sources, result.invalid))
        if Stage.EVIDENCE_FILES in stages:
            diagnostics.extend(check_evidence_files(project, sources))
        if Stage.SBOM in stages:
            diagnostics.extend(check_sbom(project, sources))
        if Stage.DRIFT in stages:
            if as_of is None:
                raise ValueError("the drift step needs a date")
            diagnostics.extend(drift_rules(project, sources, as_of))
    ran = tuple(code for code in rules_run(command, selection) if RULES[code].stage not in skip)
    if project is not None and Stage.WAIVERS in stages:
        day = as_of or dates.today()
        diagnostics = apply_waivers(project, result.sources, diagnostics, ran, day)
    kept = sorted((d for d in diagnostics if selection.keeps(d)), key=Diagnostic.sort_key)
    return Checked(kept, ran)


def check_project(
    root: Path,
    command: str,
    as_of: date | None = None,
    command_line: RuleSelection | None = None,
) -> Checked:
    """Load the project at `root` and run `command`'s steps."""
    return run_stages(load_project(root), command, as_of, command_line)
