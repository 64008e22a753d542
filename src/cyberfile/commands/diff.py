"""`cyberfile diff`: what changed in a project between two git revisions (by default from
the baseline of the last submission to the working tree); read-only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cyberfile.check.baseline import Comparison, Version, checked, compare, read_version
from cyberfile.diagnostics.diagnostic import Diagnostic, Severity
from cyberfile.errors import ExitCode, InputError
from cyberfile.load.project import load_project, one_project
from cyberfile.render.changes import changes_json, changes_markdown, changes_text
from cyberfile.render.escape import escape_markdown
from cyberfile.report.model import display_path
from cyberfile.report.terminal import out
from cyberfile.report.text import diagnostic_line


def _side(version: Version) -> dict[str, Any]:
    """What one side of the comparison is, for JSON."""
    revision = version.revision
    return {
        "label": version.label(),
        "path": display_path(version.project.root),
        "revision": revision.given if revision else None,
        "commit": revision.commit if revision else None,
        "date": revision.date if revision else None,
        "subject": revision.subject if revision else None,
        "version": version.project.manifest.device.version,
        "errors": sum(d.severity is Severity.ERROR for d in version.findings),
        "warnings": sum(d.severity is Severity.WARNING for d in version.findings),
    }


def _findings_text(version: Version, name: str) -> list[str]:
    """The errors of one side: the diff still runs, and says so."""
    errors = [d for d in version.findings if d.severity is Severity.ERROR]
    if not errors:
        return []
    which = "The working tree" if version.revision is None else f"{name} {version.label()}"
    lines = [
        "",
        f"{which} does not validate ({len(errors)} error(s)); "
        "the comparison reads what its files say:",
    ]
    if any(d.unreadable for d in errors):
        lines[1] += (
            " (a file that could not be read counts as empty: its items show as removed or added)"
        )
    lines += [f"  {diagnostic_line(d)}" for d in errors]
    return lines


def _text(comparison: Comparison) -> str:
    base, head = comparison.base, comparison.head
    lines = []
    baseline = _baseline_line(comparison)
    if baseline is not None:
        lines.append(baseline)
    lines.append(changes_text(comparison.changes, base.label(), head.label()).rstrip("\n"))
    lines += _findings_text(base, "The base")
    lines += _findings_text(head, "The head")
    return "\n".join(lines) + "\n"


def _baseline_line(comparison: Comparison) -> str | None:
    s = comparison.submission
    if s is None:
        return None
    number = f" {s.number}" if s.number else ""
    return f"Baseline: {s.type.value}{number}, version {s.version}"


def _markdown(comparison: Comparison) -> str:
    text = changes_markdown(comparison.changes, comparison.base.label(), comparison.head.label())
    baseline = _baseline_line(comparison)
    if baseline is not None:
        heading, _, rest = text.partition("\n")
        text = f"{heading}\n\n{escape_markdown(baseline)}\n{rest}"
    for version, name in ((comparison.base, "The base"), (comparison.head, "The head")):
        lines = _findings_text(version, name)
        if lines:
            text += "\n## Findings\n\n" + escape_markdown(lines[1]) + "\n\n"
            text += "\n".join(f"- {escape_markdown(line.strip())}" for line in lines[2:]) + "\n"
    return text


def _json(comparison: Comparison) -> str:
    document = changes_json(comparison.changes, _side(comparison.base), _side(comparison.head))
    submission = comparison.submission
    document["submission"] = (
        submission.model_dump(mode="json", exclude_none=True) if submission else None
    )
    document["findings"] = {
        "base": [_diagnostic_json(d) for d in comparison.base.findings],
        "head": [_diagnostic_json(d) for d in comparison.head.findings],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _diagnostic_json(diagnostic: Diagnostic) -> dict[str, Any]:
    pos = diagnostic.position
    return {
        "code": diagnostic.code,
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
        "file": display_path(pos.file) if pos else None,
        "line": pos.line if pos else None,
        "column": pos.column if pos else None,
    }


def working_tree(root: Path) -> Version:
    """The project as its files are now."""
    result = load_project(root)
    if result.project is None:
        first = result.diagnostics[0] if result.diagnostics else None
        raise InputError(
            f"{root.as_posix()}: the project cannot be read"
            + (f": {diagnostic_line(first)}" if first else "")
        )
    return checked(result, None)


def run(path: Path | None, cwd: Path, base: str | None, head: str | None, fmt: str) -> ExitCode:
    """Print the changes; exit 0, or 2 (InputError/UsageError) when a side cannot be read."""
    root = one_project(path, cwd)
    head_version = working_tree(root) if head is None else read_version(root, head)
    comparison = compare(root, head_version, base)
    if fmt == "json":
        out(_json(comparison))
    elif fmt == "md":
        out(_markdown(comparison))
    else:
        out(_text(comparison))
    return ExitCode.OK
