"""What a command reports: diagnostics per project, and the exit code they mean."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from pathlib import Path

from cyberfile.diagnostics.diagnostic import Diagnostic, Severity


class ExitCode(IntEnum):
    """The contract with CI, documented in docs/cli.md."""

    OK = 0
    FINDINGS = 1
    UNREADABLE = 2
    INTERNAL_ERROR = 3


@dataclass(frozen=True)
class ProjectReport:
    root: Path
    diagnostics: list[Diagnostic]


@dataclass(frozen=True)
class Report:
    command: str
    projects: list[ProjectReport]
    general: list[Diagnostic] = field(default_factory=list)
    """Diagnostics that belong to no project (e.g. a path that is not a project)."""
    color: bool = False
    as_of: date | None = None
    """The date drift measured against (None for validate)."""
    fail_on: Severity = Severity.ERROR

    def all(self) -> list[Diagnostic]:
        return [*self.general, *(d for p in self.projects for d in p.diagnostics)]

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.all() if d.severity is severity)

    def exit_code(self, fail_on: Severity) -> ExitCode:
        diagnostics = self.all()
        if any(d.unreadable for d in diagnostics):
            return ExitCode.UNREADABLE
        if any(d.severity.rank >= fail_on.rank for d in diagnostics):
            return ExitCode.FINDINGS
        return ExitCode.OK


def display_path(path: Path) -> str:
    return path.as_posix()
