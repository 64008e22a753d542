"""`cyberfile validate`: discover projects, check each, render one report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from cyberfile.check.selection import RuleSelection
from cyberfile.check.validate import validate
from cyberfile.diagnostics.diagnostic import Diagnostic, Severity
from cyberfile.load.project import discover
from cyberfile.report import renderer
from cyberfile.report.model import ExitCode, ProjectReport, Report


def run_validate(
    paths: list[Path],
    cwd: Path,
    fmt: str,
    fail_on: str,
    color: bool,
    command_line: RuleSelection | None = None,
) -> tuple[ExitCode, str]:
    return run_check(
        "validate",
        lambda root: validate(root, command_line)[1],
        paths,
        cwd,
        fmt,
        fail_on,
        color,
    )


def run_check(
    command: str,
    check: Callable[[Path], list[Diagnostic]],
    paths: list[Path],
    cwd: Path,
    fmt: str,
    fail_on: str,
    color: bool,
    as_of: date | None = None,
) -> tuple[ExitCode, str]:
    """Discover projects, check each, render one report; the exit code it means."""
    roots, general = discover(paths, cwd)
    projects = [ProjectReport(root, check(root)) for root in roots]
    severity = Severity(fail_on)
    report = Report(command, projects, general, color, as_of=as_of, fail_on=severity)
    return report.exit_code(severity), renderer(fmt)(report)
