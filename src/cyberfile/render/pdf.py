"""One PDF per document with WeasyPrint: print CSS with page numbers, a running header
with device and version, tables that break across pages with repeated headers."""

from __future__ import annotations

import html
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cyberfile.dates import source_date
from cyberfile.errors import InputError
from cyberfile.model.project import Project
from cyberfile.render.escape import one_line
from cyberfile.render.links import item_name, link_ids


class PdfUnavailable(InputError):
    """WeasyPrint or its system libraries (Pango) are missing."""


PRINT_CSS = """
@page { size: A4; margin: 22mm 16mm 20mm 16mm;
  @top-left { content: "%(device)s %(version)s"; font-size: 8pt; color: #555; }
  @top-right { content: "%(title)s"; font-size: 8pt; color: #555; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; }
  @bottom-left { content: "%(date)s"; font-size: 8pt; color: #555; } }
body { font-family: "DejaVu Sans", Arimo, Arial, sans-serif; font-size: 9.5pt; line-height: 1.35; }
h1 { font-size: 17pt; } h2 { font-size: 13pt; margin-top: 1.2em; } h3 { font-size: 11pt; }
h2, h3, h4 { break-after: avoid; }
table { border-collapse: collapse; width: 100%%; margin: .6em 0; font-size: 8pt;
  table-layout: fixed; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 0.5pt solid #999; padding: 2pt 4pt; vertical-align: top; text-align: left;
  overflow-wrap: anywhere; }
th { background: #e8edf3; }
img { max-width: 100%%; }
a.cf-id { color: #1a4d8f; text-decoration: none; }
"""


def _css_text(text: str) -> str:
    """Text for a CSS string inside <style>: no quote, backslash or '<' can break out."""
    return one_line(text).replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")


def load_weasyprint() -> object:
    try:
        import weasyprint  # type: ignore[import-untyped]
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(
            f"PDFs need WeasyPrint and its system libraries (Pango): {exc}. Install them "
            "(see https://doc.courtbouillon.org/weasyprint/stable/first_steps.html), or "
            "build without PDFs: cyberfile build --no-pdf"
        ) from None
    return weasyprint


@dataclass(frozen=True)
class PdfJob:
    """One document to print; plain data so that it can go to a worker process."""

    markdown_text: str
    title: str
    device: str
    version: str
    day: str
    base: Path
    out: Path


def jobs_for(
    project: Project,
    documents: dict[str, str],
    titles: dict[str, str],
    day: str,
    base: Path,
    out: Path,
) -> list[PdfJob]:
    device = project.manifest.device
    return [
        PdfJob(text, titles[slug], device.name, device.version, day, base, out / f"{slug}.pdf")
        for slug, text in documents.items()
    ]


def write_pdfs(jobs: list[PdfJob], moment: datetime) -> None:
    """Print every job, on as many processes as there are cores (at most 4). `moment`
    becomes SOURCE_DATE_EPOCH, which the font subsetter stamps into embedded fonts."""
    workers = max(1, min(4, os.cpu_count() or 1, len(jobs)))
    with source_date(moment):
        if workers == 1:
            for job in jobs:
                write_pdf(job)
            return
        # longest first, so that the long documents do not end up queued behind each other
        ordered = sorted(jobs, key=lambda job: -len(job.markdown_text))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(write_pdf, ordered, chunksize=1):
                pass


_ROW_START = re.compile(r"<tr>(\s*<td>)((?:(?!</td>).)*)</td>", re.DOTALL)
_HEADING = re.compile(r"<(h[2-4])( id=\"[^\"]*\")?>((?:(?!</h).)*)</h[2-4]>", re.DOTALL)
_ID_TEXT = re.compile(r"^\s*((?:pkg:\S+)|[A-Z][A-Z0-9]*(?:-[A-Za-z0-9]+)+|GHSA(?:-[0-9a-z]{4}){3})")


def _anchor(ident: str) -> str:
    return "item-" + item_name(ident)


def link_within(body: str) -> str:
    """Ids linked to where their item is in this same document: the table row whose first
    cell is the id, or the heading that starts with it. An id the document only mentions
    stays text; no link leaves the PDF."""
    anchors: dict[str, str] = {}

    def row(match: re.Match[str]) -> str:
        found = _ID_TEXT.match(html.unescape(match.group(2)))
        if not found or found.group(1) in anchors:
            return match.group(0)
        anchors[found.group(1)] = _anchor(found.group(1))
        return f'<tr id="{anchors[found.group(1)]}">{match.group(1)}{match.group(2)}</td>'

    def heading(match: re.Match[str]) -> str:
        found = _ID_TEXT.match(html.unescape(re.sub(r"<[^>]+>", "", match.group(3))))
        if not found or found.group(1) in anchors:
            return match.group(0)
        anchors[found.group(1)] = _anchor(found.group(1))
        tag, anchor = match.group(1), anchors[found.group(1)]
        return f'<{tag}{match.group(2) or ""}><a id="{anchor}"></a>{match.group(3)}</{tag}>'

    body = _HEADING.sub(heading, body)
    body = _ROW_START.sub(row, body)
    if not anchors:
        return body
    return link_ids(body, lambda ident: f"#{anchors[ident]}" if ident in anchors else None)


def write_pdf(job: PdfJob) -> None:
    import markdown

    weasyprint = load_weasyprint()
    body = markdown.markdown(job.markdown_text, extensions=["tables", "toc"])
    # links between documents are for the site; a PDF names the document instead, and
    # keeps no path of the build folder
    body = re.sub(r'<a href="[^":#/]+\.md">(.*?)</a>', r"\1", body)
    body = link_within(body)
    title = job.title
    css = PRINT_CSS % {
        "device": _css_text(job.device),
        "version": _css_text(job.version),
        "title": _css_text(title),
        "date": job.day,
    }
    document = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title><style>{css}</style></head>"
        f"<body>{body}</body></html>"
    )
    weasyprint.HTML(string=document, base_url=str(job.base) + "/").write_pdf(  # type: ignore[attr-defined]
        str(job.out)
    )
