"""Human-readable diagnostics: `path:line:col: CODE severity message`, then the hint."""

from __future__ import annotations

import click

from cyberfile.diagnostics.diagnostic import Diagnostic, Severity
from cyberfile.report.model import Report, display_path

_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow"}


def _line(diagnostic: Diagnostic, color: bool) -> str:
    pos = diagnostic.position
    where = f"{display_path(pos.file)}:{pos.line}:{pos.column}: " if pos else ""
    severity = diagnostic.severity.value
    code = diagnostic.code
    if color:
        where = click.style(where, bold=True)
        code = click.style(code, fg=_COLORS[diagnostic.severity], bold=True)
        severity = click.style(severity, fg=_COLORS[diagnostic.severity])
    text = f"{where}{code} {severity} {diagnostic.message}"
    if diagnostic.hint:
        hint = click.style("hint:", dim=True) if color else "hint:"
        text += f"\n    {hint} {diagnostic.hint}"
    return text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render(report: Report) -> str:
    lines = [_line(d, report.color) for d in report.general]
    for project in report.projects:
        lines.extend(_line(d, report.color) for d in project.diagnostics)
    errors = report.count(Severity.ERROR)
    warnings = report.count(Severity.WARNING)
    checked = _plural(len(report.projects), "project")
    summary = f"{checked} checked: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    if report.color:
        summary = click.style(
            summary, fg="red" if errors else ("yellow" if warnings else "green"), bold=True
        )
    lines.append(summary)
    return "\n".join(lines) + "\n"
