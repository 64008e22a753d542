"""Human-readable diagnostics: `path:line:col: CODE severity message`, then the hint.

Errors come before warnings, so that a commit blocked by the pre-commit hook shows the
error on the first screen however many warnings follow. `--output-format` chooses the
layout (full, concise, grouped by file) and `--statistics` a count per rule."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import click

from cyberfile.diagnostics.diagnostic import Diagnostic, Severity
from cyberfile.diagnostics.rules import RULES
from cyberfile.report.model import Report, TextLayout, display_path

_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow"}
HEADLINE_ABOVE = 20
"""With more findings than this, the counts are also printed before the findings."""
SUMMARISE_ABOVE = 50
"""A rule with more findings than this shows its first SHOWN_PER_RULE in the full and
grouped layouts, then one line for the rest (the concise layout lists them all)."""
SHOWN_PER_RULE = 10


def _summarised(ordered: list[Diagnostic]) -> tuple[list[Diagnostic], dict[str, int]]:
    """The findings to show, and per rule how many more were left out."""
    counts = Counter(d.code for d in ordered)
    crowded = {code for code, n in counts.items() if n > SUMMARISE_ABOVE}
    shown: list[Diagnostic] = []
    seen: Counter[str] = Counter()
    for diagnostic in ordered:
        if diagnostic.code in crowded:
            seen[diagnostic.code] += 1
            if seen[diagnostic.code] > SHOWN_PER_RULE:
                continue
        shown.append(diagnostic)
    return shown, {code: counts[code] - SHOWN_PER_RULE for code in sorted(crowded)}


def _left_out(more: dict[str, int], color: bool) -> list[str]:
    return [
        _style(
            f"... and {n:,} more {code} ({RULES[code].name if code in RULES else code}) "
            "findings: --output-format concise lists every one, --statistics counts them",
            color,
            dim=True,
        )
        for code, n in more.items()
    ]


def _style(text: str, color: bool, **style: object) -> str:
    return click.style(text, **style) if color else text  # type: ignore[arg-type]


def _where(diagnostic: Diagnostic, with_file: bool = True) -> str:
    pos = diagnostic.position
    if pos is None:
        return ""
    if with_file:
        return f"{display_path(pos.file)}:{pos.line}:{pos.column}: "
    return f"{pos.line}:{pos.column}: "


def diagnostic_line(
    diagnostic: Diagnostic, *, color: bool = False, with_file: bool = True, hint: bool = False
) -> str:
    """`path:line:col: CODE severity message` (with its hint or waiver below when asked)."""
    return _line(diagnostic, color, with_file, hint)


def _line(diagnostic: Diagnostic, color: bool, with_file: bool, hint: bool) -> str:
    waived = diagnostic.waived
    tint = "cyan" if waived else _COLORS[diagnostic.severity]
    where = _style(_where(diagnostic, with_file), color, bold=True)
    code = _style(diagnostic.code, color, fg=tint, bold=True)
    label = f"{diagnostic.severity.value} (waived)" if waived else diagnostic.severity.value
    severity = _style(label, color, fg=tint)
    text = f"{where}{code} {severity} {diagnostic.message}"
    if waived:
        text += (
            f"\n    {_style('waived:', color, dim=True)} until {waived.until.isoformat()}, "
            f"approved by {waived.approved_by}: {waived.reason}"
        )
    elif hint and diagnostic.hint:
        text += f"\n    {_style('hint:', color, dim=True)} {diagnostic.hint}"
    return text


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def errors_first(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Errors, then warnings, then waived findings; each in file, line and column order."""
    return sorted(
        diagnostics, key=lambda d: (d.waived is not None, -d.severity.rank, *d.sort_key())
    )


def _findings(report: Report) -> list[str]:
    color = report.options.color
    layout = report.options.layout
    ordered = errors_first(report.all())
    if layout is TextLayout.CONCISE:
        return [_line(d, color, True, False) for d in ordered]
    ordered, more = _summarised(ordered)
    if layout is TextLayout.FULL:
        return [_line(d, color, True, True) for d in ordered] + _left_out(more, color)
    lines: list[str] = []
    by_file: dict[str, list[Diagnostic]] = {}
    for diagnostic in ordered:
        pos = diagnostic.position
        by_file.setdefault(display_path(pos.file) if pos else "(project)", []).append(diagnostic)
    for name, group in by_file.items():
        lines.append(_style(name, color, bold=True, underline=True))
        lines.extend("  " + _line(d, color, False, True) for d in group)
        lines.append("")
    return lines + _left_out(more, color)


def _statistics(report: Report) -> list[str]:
    counts = Counter((d.code, d.severity) for d in report.all())
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    width = max((len(f"{n:,}") for n in counts.values()), default=1)
    lines = []
    for (code, severity), count in rows:
        name = RULES[code].name if code in RULES else ""
        lines.append(f"{count:>{width},}  {code}  {severity.value:<7}  {name}")
    return lines


def summary(report: Report) -> str:
    errors = report.count(Severity.ERROR)
    warnings = report.count(Severity.WARNING)
    checked = _plural(len(report.projects), "project")
    text = f"{checked} checked: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    if waived := report.waived():
        text += f", {waived:,} waived"
    if report.as_of is not None:
        text += f" (as of {report.as_of.isoformat()})"
    tint = "red" if errors else ("yellow" if warnings else "green")
    return _style(text, report.options.color, fg=tint, bold=True)


def render(report: Report) -> str:
    total = len(report.all())
    lines = []
    if report.options.statistics:
        lines = _statistics(report)
    else:
        if total > HEADLINE_ABOVE:
            lines.append(summary(report) + "; errors first")
        lines.extend(_findings(report))
    lines.append(summary(report))
    return "\n".join(lines) + "\n"
