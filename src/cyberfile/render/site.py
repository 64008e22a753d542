"""The audit site: the documents, a landing page with readiness and drift, built with
mkdocs and the Material theme (navigation by document, search, the same SVG diagrams
as the PDFs). The build is reproducible: mkdocs takes its date from SOURCE_DATE_EPOCH."""

from __future__ import annotations

import io
import logging
import shutil
from collections.abc import Collection
from datetime import datetime
from pathlib import Path

import yaml

from cyberfile.check.readiness import ReadinessItem, score
from cyberfile.dates import source_date
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.errors import InputError
from cyberfile.model.project import Project
from cyberfile.render.documents import CHANGE_SUMMARY, DOCUMENTS
from cyberfile.render.environment import md_table
from cyberfile.render.escape import escape_markdown, one_line
from cyberfile.render.navigator import ASSETS_FOLDER
from cyberfile.render.site_tables import TableConverter, fill
from cyberfile.resources import data_dir


class SiteError(InputError):
    """mkdocs failed; the message has its output."""


SUSPECT_RULES = ("CF500", "CF501")

SEARCH_EXCLUDED = "---\nsearch:\n  exclude: true\n---\n"
"""Front matter that keeps Material's own indexer off a page (see build_site)."""


def _attention(project: Project) -> list[list[str]]:
    """Vulnerabilities an auditor looks at first: uncontrolled (or unassessed) risk, known
    exploited, or SSVC exploitation active, unless fixed or not affected."""
    rows = []
    policy = project.manifest.policy
    for v in project.vulnerabilities.vulnerabilities:
        if v.status.value in ("fixed", "not_affected"):
            continue
        risk = v.risk_control(policy).value
        active = v.ssvc is not None and v.ssvc.exploitation.value == "active"
        if risk == "controlled" and not v.known_exploited and not active:
            continue
        marks = [m for m, on in (("KEV", v.known_exploited), ("SSVC active", active)) if on]
        rows.append([v.id, v.status.value, risk.replace("_", " "), ", ".join(marks)])
    return rows


def _finding_rows(findings: list[Diagnostic]) -> list[list[str]]:
    return [
        [
            d.code,
            f"{d.severity.value} (waived until {d.waived.until.isoformat()})"
            if d.waived
            else d.severity.value,
            d.message
            + (f" Waived by {d.waived.approved_by}: {d.waived.reason}" if d.waived else ""),
            f"{d.position.file.name}:{d.position.line}" if d.position else "",
        ]
        for d in findings
    ]


def landing_page(
    project: Project,
    items: list[ReadinessItem],
    drift: list[Diagnostic],
    day: str,
    documents: Collection[str] | None = None,
    changed_since: str | None = None,
) -> str:
    """The start page of an audit: readiness, open drift findings, vulnerabilities that
    need attention, suspect reviews, and the way into every item. Ids become links to
    their item pages when the site is built. `documents` are the slugs of the documents
    built; `changed_since` names the baseline the change summary compares with."""
    device = project.manifest.device
    suspect = [d for d in drift if d.code in SUSPECT_RULES]
    overdue = [d for d in drift if d.code not in SUSPECT_RULES]
    attention = _attention(project)
    lines = [
        f"# {escape_markdown(one_line(device.name))}",
        "",
        f"Cybersecurity documentation of {escape_markdown(one_line(device.name))} software "
        f"version {escape_markdown(one_line(device.version))}, "
        f"{escape_markdown(one_line(device.manufacturer).rstrip('.'))}. As of {day}.",
        "",
        "Every id in this site links to the page of its item: its fields, what it "
        "references, what references it, its review and its findings. "
        '<a href="items/index.html">All items</a> lists them by kind; the '
        "[traceability matrix](traceability-matrix.md) follows each threat to its "
        "controls, requirements, tests and evidence.",
        "",
        f"## Readiness: {score(items)} %",
        "",
        md_table(
            ["Element", "Guidance", "Status"],
            [[i.element, i.section, i.status.value] for i in items],
        ),
        "",
        "Reasons and gaps: [readiness report](readiness-report.md).",
        "",
        "## Open postmarket findings",
        "",
    ]
    if overdue:
        lines.append(md_table(["Code", "Severity", "Finding", "Where"], _finding_rows(overdue)))
    else:
        lines.append("No postmarket promise is overdue or due soon.")
    lines += ["", "## Vulnerabilities that need attention", ""]
    if attention:
        lines += [
            "Not fixed and not 'not affected', with uncontrolled or unassessed risk, "
            "listed in CISA KEV, or with SSVC exploitation active:",
            "",
            md_table(["Vulnerability", "Status", "Risk", "Exploitation"], attention),
        ]
    else:
        lines.append(
            "None: every open vulnerability has controlled risk, none is listed in CISA KEV "
            "and none has SSVC exploitation active."
        )
    lines += ["", "## Suspect reviews", ""]
    if suspect:
        lines.append(md_table(["Code", "Severity", "Finding", "Where"], _finding_rows(suspect)))
    else:
        lines.append("Drift reports no suspect or missing review (CF500, CF501).")
    if changed_since is not None and documents is not None and CHANGE_SUMMARY in documents:
        lines += [
            "",
            "## Changes since the last submission",
            "",
            f"What changed since {escape_markdown(one_line(changed_since))}, item by item, and "
            "the statements on vulnerabilities with uncontrolled risk: "
            f"[Cybersecurity Change Summary]({CHANGE_SUMMARY}.md). Item pages say what "
            "changed in each item.",
        ]
    lines += ["", "## Documents", ""]
    lines += [
        f"- [{spec.title}]({spec.slug}.md)"
        for spec in DOCUMENTS
        if (spec.slug != CHANGE_SUMMARY if documents is None else spec.slug in documents)
    ]
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
        "nav": [{"Overview": "index.md"}]
        + [
            {spec.title: f"{spec.slug}.md"}
            for spec in DOCUMENTS
            if (source / f"{spec.slug}.md").is_file()  # the change summary is not always built
        ],
        "extra_css": [f"{ASSETS_FOLDER}/cyberfile.css"],
        "extra_javascript": [f"{ASSETS_FOLDER}/cyberfile.js"],
    }
    converter = TableConverter()
    tables: dict[str, dict[str, str]] = {}
    for page in sorted(source.glob("*.md")):
        # tables become HTML here, not in Python-Markdown (cyberfile.render.site_tables);
        # the pages are indexed for search after the build, by cyberfile.render.navigator
        # (Material's indexer parses every page with html.parser: most of the site's build
        # time for big projects)
        text, tables[page.stem] = converter.page(page.read_text(encoding="utf-8"), page.stem)
        page.write_text(SEARCH_EXCLUDED + text, encoding="utf-8")
    assets = source / ASSETS_FOLDER
    assets.mkdir(parents=True, exist_ok=True)
    for name in ("cyberfile.css", "cyberfile.js"):
        shutil.copyfile(data_dir("templates") / "site" / "assets" / name, assets / name)
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
    for stem, page_tables in tables.items():
        built = out / f"{stem}.html"
        if page_tables and built.is_file():
            html = built.read_text(encoding="utf-8")
            built.write_text(fill(html, page_tables), encoding="utf-8")
