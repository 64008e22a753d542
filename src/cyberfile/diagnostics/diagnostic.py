"""A finding about a project: rule code, severity, message, hint and where it is."""

from __future__ import annotations

from dataclasses import dataclass
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
class Diagnostic:
    code: str
    name: str
    severity: Severity
    message: str
    hint: str | None
    position: Position | None
    unreadable: bool = False
    """True when the input could not be read at all (exit code 2)."""

    @property
    def file(self) -> Path | None:
        return self.position.file if self.position else None

    def sort_key(self) -> tuple[str, int, int, str, str]:
        pos = self.position
        if pos is None:
            return ("", 0, 0, self.code, self.message)
        return (str(pos.file), pos.line, pos.column, self.code, self.message)
