"""Diagnostics as one JSON document, stable in key order and content for CI to keep."""

from __future__ import annotations

import json
from typing import Any

from cyberfile import __version__
from cyberfile.diagnostics.diagnostic import Diagnostic, Severity
from cyberfile.report.model import Report, display_path

FORMAT_VERSION = 1


def _diagnostic(diagnostic: Diagnostic, project: str | None) -> dict[str, Any]:
    pos = diagnostic.position
    return {
        "code": diagnostic.code,
        "name": diagnostic.name,
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
        "file": display_path(pos.file) if pos else None,
        "line": pos.line if pos else None,
        "column": pos.column if pos else None,
        "project": project,
        "waived": (
            {
                "reason": diagnostic.waived.reason,
                "approved_by": diagnostic.waived.approved_by,
                "until": diagnostic.waived.until.isoformat(),
            }
            if diagnostic.waived
            else None
        ),
    }


def _count(diagnostics: list[Diagnostic], severity: Severity) -> int:
    """Findings of `severity` that count: waived ones are counted apart."""
    return sum(1 for d in diagnostics if d.severity is severity and d.waived is None)


def render(report: Report) -> str:
    diagnostics = [_diagnostic(d, None) for d in report.general]
    projects = []
    for project in report.projects:
        name = display_path(project.root)
        diagnostics.extend(_diagnostic(d, name) for d in project.diagnostics)
        entry: dict[str, Any] = {
            "path": name,
            "errors": _count(project.diagnostics, Severity.ERROR),
            "warnings": _count(project.diagnostics, Severity.WARNING),
            "waived": sum(1 for d in project.diagnostics if d.waived),
        }
        if project.facts:
            entry[report.command] = project.facts
        projects.append(entry)
    document = {
        "tool": {"name": "cyberfile", "version": __version__},
        "format_version": FORMAT_VERSION,
        "command": report.command,
        "as_of": report.as_of.isoformat() if report.as_of else None,
        "projects": projects,
        "diagnostics": diagnostics,
        "summary": {
            "errors": report.count(Severity.ERROR),
            "warnings": report.count(Severity.WARNING),
            "waived": report.waived(),
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
