"""`cyberfile drift`: the postmarket promises measured against a date; never writes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cyberfile import dates
from cyberfile.check.selection import command_line_selection
from cyberfile.errors import ExitCode
from cyberfile.report.emit import check_and_report
from cyberfile.report.model import ReportOptions


def run(
    paths: list[Path],
    cwd: Path,
    as_of: str | None,
    options: ReportOptions,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    enable: Sequence[str] = (),
) -> ExitCode:
    day = dates.as_of(as_of)
    selection = command_line_selection("drift", select, ignore, enable)
    return check_and_report("drift", paths, cwd, options, selection, day)
