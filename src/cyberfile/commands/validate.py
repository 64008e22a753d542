"""`cyberfile validate`: discover projects, check each, render one report."""

from __future__ import annotations

from pathlib import Path

from cyberfile.check.diagnostic import Severity
from cyberfile.check.validate import validate
from cyberfile.load.project import discover
from cyberfile.report import renderer
from cyberfile.report.model import ExitCode, ProjectReport, Report


def run_validate(
    paths: list[Path],
    cwd: Path,
    fmt: str,
    fail_on: str,
    color: bool,
    ignore: tuple[str, ...] = (),
    enable: tuple[str, ...] = (),
) -> tuple[ExitCode, str]:
    roots, general = discover(paths, cwd)
    projects = []
    for root in roots:
        _, diagnostics = validate(root, ignore, enable)
        projects.append(ProjectReport(root, diagnostics))
    report = Report("validate", projects, general, color, fail_on=Severity(fail_on))
    return report.exit_code(Severity(fail_on)), renderer(fmt)(report)
