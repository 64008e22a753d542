"""The report pipeline of every command that reports diagnostics: find the projects,
check each, render one report in the chosen format, return the exit code it means."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from cyberfile.check.selection import RuleSelection, rules_run
from cyberfile.check.stages import check_project
from cyberfile.errors import ExitCode
from cyberfile.load.project import discover
from cyberfile.report import renderer
from cyberfile.report.model import ProjectReport, Report, ReportOptions
from cyberfile.report.terminal import out


def emit(report: Report) -> ExitCode:
    """Print the report in its format; the exit code it means."""
    out(renderer(report.options.fmt)(report), color=report.options.color)
    return report.exit_code()


def check_and_report(
    command: str,
    paths: list[Path],
    cwd: Path,
    options: ReportOptions,
    selection: RuleSelection,
    as_of: date | None = None,
) -> ExitCode:
    """`validate` and `drift`: the command's checking steps over every project found."""

    def check(root: Path) -> ProjectReport:
        checked = check_project(root, command, as_of, selection)
        return ProjectReport(root, checked.diagnostics, checked.rules)

    return emit(build_report(command, paths, cwd, options, selection, check, as_of))


def build_report(
    command: str,
    paths: list[Path],
    cwd: Path,
    options: ReportOptions,
    selection: RuleSelection,
    check: Callable[[Path], ProjectReport],
    as_of: date | None = None,
) -> Report:
    roots, general = discover(paths, cwd)
    projects = [check(root) for root in roots]
    return Report(
        command,
        projects,
        general,
        options,
        as_of=as_of,
        rules=rules_run(command, selection),
    )
