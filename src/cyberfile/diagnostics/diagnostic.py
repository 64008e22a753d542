"""A finding about a project: rule code, severity, message, hint and where it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

from cyberfile.diagnostics.position import Position


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"

    @property
    def rank(self) -> int:
        return 2 if self is Severity.ERROR else 1


@dataclass(frozen=True)
class Waived:
    """The waiver that covers a finding: shown with it, and the finding fails nothing."""

    reason: str
    approved_by: str
    until: date


@dataclass(frozen=True)
class Diagnostic:
    code: str
    name: str
    severity: Severity
    message: str
    hint: str | None
    position: Position | None
    unreadable: bool = False
    """True when the input could not be read at all (exit code 2)."""
    leading: bool = False
    """A problem with the project's files themselves (a misspelt part file, a part given
    twice): it explains other findings, so it sorts before all of them."""
    waived: Waived | None = None
    """Covered by a waiver in force: still reported, never failing the run."""

    @property
    def file(self) -> Path | None:
        return self.position.file if self.position else None

    def sort_key(self) -> tuple[bool, str, int, int, str, str]:
        """Leading problems first, then by file, line and column."""
        pos = self.position
        if pos is None:
            return (not self.leading, "", 0, 0, self.code, self.message)
        return (not self.leading, str(pos.file), pos.line, pos.column, self.code, self.message)
