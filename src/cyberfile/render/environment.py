"""The Jinja environment for documents: project templates override built-in ones by
name; every printed value is escaped unless the renderer built it (`Trusted`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.render.escape import Trusted, escape_markdown, finalize, one_line
from cyberfile.resources import data_dir


def cell(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, Trusted):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return escape_markdown(", ".join(str(v) for v in value))
    return escape_markdown(one_line(value))


def md_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Trusted:
    """A Markdown table; every cell escaped and kept on one line."""
    lines = [
        "| " + " | ".join(escape_markdown(h) for h in headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    count = 0
    for row in rows:
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
        count += 1
    if count == 0:
        return Trusted("*None recorded.*")
    return Trusted("\n".join(lines))


def gap(reason: Any) -> Trusted:
    """A visible gap: the document says what is missing instead of inventing it."""
    return Trusted(f"**Gap:** {escape_markdown(one_line(reason))}")


def figure(name: str, caption: Any) -> Trusted:
    """An SVG diagram made at build time, referenced from documents/ (site and PDF)."""
    return Trusted(f"![{escape_markdown(one_line(caption))}](diagrams/{name}.svg)")


def doc_link(slug: str, title: Any) -> Trusted:
    return Trusted(f"[{escape_markdown(one_line(title))}]({slug}.md)")


def finding_row(diagnostic: Diagnostic) -> list[str]:
    """Code, message and file:line of a finding, for a table."""
    pos = diagnostic.position
    where = f"{pos.file.name}:{pos.line}" if pos else ""
    return [diagnostic.code, diagnostic.message, where]


def not_affected_row(item: Any) -> list[Any]:
    """A not_affected vulnerability (a `render.risk` item) as one row of a table."""
    v = item.vulnerability
    ids = v.id + (f" ({', '.join(v.aliases)})" if v.aliases else "")
    justification = v.justification.value if v.justification else gap("no justification")
    assessed = (
        f"{v.assessed.by}, {v.assessed.on.isoformat()}"
        if v.assessed
        else gap("no assessor and date")
    )
    return [
        ids,
        list(v.components),
        justification,
        v.detail or gap("no detail"),
        kev_text(v),
        assessed,
    ]


def kev_text(vulnerability: Any) -> str:
    """Whether a vulnerability is known exploited, as recorded: "not recorded" when the
    key was not written (unset is not "no")."""
    if "known_exploited" not in vulnerability.model_fields_set:
        return "not recorded"
    return "yes" if vulnerability.known_exploited else "no"


def sbom_format(spec_version: str | None) -> str:
    """How a recorded `spec_version` reads: `SPDX-2.3` as SPDX 2.3, `1.6` as CycloneDX 1.6."""
    if not spec_version:
        return "(format not recorded)"
    if spec_version.startswith("SPDX-"):
        return one_line(f"SPDX {spec_version[5:]}")
    return one_line(
        spec_version if spec_version.startswith("SPDX") else f"CycloneDX {spec_version}"
    )


def utc_text(moment: Any) -> str:
    """A timezone-aware datetime as `2026-11-20T14:32:05Z` (the form SBOMs record)."""
    from datetime import UTC

    return str(moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def make_environment(project_root: Path | None) -> Environment:
    loaders = []
    if project_root is not None and (project_root / "templates").is_dir():
        loaders.append(FileSystemLoader(str(project_root / "templates")))
    loaders.append(FileSystemLoader(str(data_dir("templates") / "documents")))
    environment = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=False,  # Markdown, escaped by `finalize` instead
        finalize=finalize,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(md_table=md_table, gap=gap, figure=figure, doc_link=doc_link)
    environment.filters["one_line"] = one_line
    environment.filters["finding_row"] = finding_row
    environment.filters["not_affected_row"] = not_affected_row
    environment.filters["kev_text"] = kev_text
    environment.filters["sbom_format"] = sbom_format
    environment.filters["utc_text"] = utc_text
    environment.tests["contains"] = lambda sequence, item: item in sequence
    return environment
