"""What a command reports: diagnostics per project, how to show them, and the exit code
they mean."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from cyberfile.diagnostics.diagnostic import Diagnostic, Severity
from cyberfile.errors import ExitCode


class TextLayout(StrEnum):
    """How the text format lays findings out (`--output-format`)."""

    FULL = "full"
    """One line per finding and its hint."""
    CONCISE = "concise"
    """One line per finding, no hints."""
    GROUPED = "grouped"
    """Findings under a heading per file, with hints."""


@dataclass(frozen=True)
class ReportOptions:
    """How a report is shown and judged; the same for every command that reports."""

    fmt: str = "text"
    fail_on: Severity = Severity.ERROR
    color: bool = False
    layout: TextLayout = TextLayout.FULL
    statistics: bool = False
    """Text: a count per rule instead of the findings (as `ruff --statistics`)."""


@dataclass(frozen=True)
class ProjectReport:
    root: Path
    diagnostics: list[Diagnostic]
    rules: tuple[str, ...] = ()
    """The codes of the rules that ran on this project (command line and cyberfile.yaml
    selection applied): SARIF describes them, JUnit lists each as a test case."""
    facts: dict[str, Any] = field(default_factory=dict)
    """Figures a command states about the project (a scan: components checked, feeds
    read); shown in the JSON format and by the command's own text summary."""


@dataclass(frozen=True)
class Report:
    command: str
    projects: list[ProjectReport]
    general: list[Diagnostic] = field(default_factory=list)
    """Diagnostics that belong to no project (e.g. a path that is not a project)."""
    options: ReportOptions = field(default_factory=ReportOptions)
    as_of: date | None = None
    """The date the command measured against (None when it does not use one)."""
    rules: tuple[str, ...] = ()
    """The codes of the command's rules under the command-line selection (for findings
    that belong to no project)."""

    def all_rules(self) -> tuple[str, ...]:
        """Every code that ran on any project, in registry order of first appearance."""
        seen = dict.fromkeys(self.rules)
        for project in self.projects:
            seen.update(dict.fromkeys(project.rules))
        return tuple(seen)

    def all(self) -> list[Diagnostic]:
        return [*self.general, *(d for p in self.projects for d in p.diagnostics)]

    def count(self, severity: Severity) -> int:
        """Findings of `severity` that count (waived ones do not)."""
        return sum(1 for d in self.all() if d.severity is severity and d.waived is None)

    def waived(self) -> int:
        return sum(1 for d in self.all() if d.waived is not None)

    def exit_code(self) -> ExitCode:
        diagnostics = self.all()
        if any(d.unreadable for d in diagnostics):
            return ExitCode.UNREADABLE
        if any(
            d.severity.rank >= self.options.fail_on.rank and d.waived is None for d in diagnostics
        ):
            return ExitCode.FINDINGS
        return ExitCode.OK


def display_path(path: Path) -> str:
    return path.as_posix()
