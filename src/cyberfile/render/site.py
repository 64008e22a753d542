"""The audit site: the documents, a landing page with readiness and drift, built with
mkdocs and the Material theme (navigation by document, search, the same SVG diagrams
as the PDFs). The build is reproducible: mkdocs takes its date from SOURCE_DATE_EPOCH."""

from __future__ import annotations

import io
import logging
from datetime import datetime
from pathlib import Path

import yaml

from cyberfile.check.readiness import ReadinessItem, score
from cyberfile.dates import source_date
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.errors import InputError
from cyberfile.model.project import Project
from cyberfile.render.documents import DOCUMENTS
from cyberfile.render.environment import md_table
from cyberfile.render.escape import escape_markdown, one_line


class SiteError(InputError):
    """mkdocs failed; the message has its output."""


def landing_page(
    project: Project, items: list[ReadinessItem], drift: list[Diagnostic], day: str
) -> str:
    device = project.manifest.device
    lines = [
        f"# {escape_markdown(one_line(device.name))}",
        "",
        f"Cybersecurity documentation of {escape_markdown(one_line(device.name))} software "
        f"version {escape_markdown(one_line(device.version))}, "
        f"{escape_markdown(one_line(device.manufacturer))}. As of {day}.",
        "",
        f"## Readiness: {score(items)} %",
        "",
        md_table(
            ["Element", "Guidance", "Status"],
            [[i.element, i.section, i.status.value] for i in items],
        ),
        "",
        "## Postmarket drift",
        "",
    ]
    if drift:
        lines.append(
            md_table(
                ["Code", "Severity", "Finding", "Where"],
                [
                    [
                        d.code,
                        d.severity.value,
                        d.message,
                        f"{d.position.file.name}:{d.position.line}" if d.position else "",
                    ]
                    for d in drift
                ],
            )
        )
    else:
        lines.append("No postmarket promise is overdue or due soon.")
    lines += ["", "## Documents", ""]
    lines += [f"- [{spec.title}]({spec.slug}.md)" for spec in DOCUMENTS]
    return "\n".join(lines) + "\n"


def build_site(source: Path, out: Path, project: Project, day: datetime) -> None:
    """Build the site from `source` (documents, diagrams/, index.md) into `out`."""
    config = {
        "site_name": f"{one_line(project.manifest.device.name)} cybersecurity file",
        "docs_dir": str(source.resolve()),
        "site_dir": str(out.resolve()),
        "use_directory_urls": False,  # works from file:// and from any web server
        "strict": True,
        # font: false - no Google Fonts: the site works offline and calls no third party
        "theme": {
            "name": "material",
            "features": ["navigation.sections", "toc.follow"],
            "palette": {"primary": "blue grey"},
            "font": False,
        },
        "plugins": ["search"],
        "markdown_extensions": ["tables", "toc"],
        "nav": [{"Overview": "index.md"}] + [{spec.title: f"{spec.slug}.md"} for spec in DOCUMENTS],
        "extra_css": ["print-and-tables.css"],
    }
    (source / "print-and-tables.css").write_text(
        ".md-typeset table:not([class]) { font-size: .68rem; }\n"
        ".md-typeset img { max-width: 100%; background: white; }\n",
        encoding="utf-8",
    )
    config_path = source.parent / "mkdocs.yml"
    config_path.write_text(
        yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    log = io.StringIO()
    handler = logging.StreamHandler(log)
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with source_date(day):
            build(load_config(str(config_path)))
    except (MkDocsException, SystemExit, OSError) as exc:
        raise SiteError(f"mkdocs failed: {exc}\n{log.getvalue()}") from None
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    config_path.unlink()
