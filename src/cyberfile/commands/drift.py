"""`cyberfile drift`: discover projects, run the drift rules as of a date, render."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from cyberfile.check.drift import check_drift
from cyberfile.check.selection import RuleSelection, selection_for
from cyberfile.commands.validate import run_check
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.load.project import load_project
from cyberfile.report.model import ExitCode


def drift_diagnostics(
    root: Path, as_of: date, command_line: RuleSelection | None = None
) -> list[Diagnostic]:
    result = load_project(root)
    selection, problems = selection_for(result, command_line)
    found = [*check_drift(result, as_of), *problems]
    return sorted((d for d in found if selection.keeps(d)), key=Diagnostic.sort_key)


def run_drift(
    paths: list[Path],
    cwd: Path,
    as_of: date,
    fmt: str,
    fail_on: str,
    color: bool,
    command_line: RuleSelection | None = None,
) -> tuple[ExitCode, str]:
    return run_check(
        "drift",
        lambda root: drift_diagnostics(root, as_of, command_line),
        paths,
        cwd,
        fmt,
        fail_on,
        color,
        as_of,
    )
