"""`cyberfile validate`: schema, references and traceability gaps; never writes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cyberfile.check.selection import command_line_selection
from cyberfile.errors import ExitCode
from cyberfile.report.emit import check_and_report
from cyberfile.report.model import ReportOptions


def run(
    paths: list[Path],
    cwd: Path,
    options: ReportOptions,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    enable: Sequence[str] = (),
) -> ExitCode:
    selection = command_line_selection("validate", select, ignore, enable)
    return check_and_report("validate", paths, cwd, options, selection)
