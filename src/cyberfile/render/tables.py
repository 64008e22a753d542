"""The traceability matrices as CSV and as an XLSX workbook (frozen header, filters, one
sheet per matrix). Cells are written as text only: a value from YAML that starts with
`=` never becomes a spreadsheet formula."""

from __future__ import annotations

import csv
import io
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

from cyberfile.model.project import Project
from cyberfile.trace.matrix import (
    ChainRow,
    ComponentRow,
    CoverageRow,
    ElementRow,
    EvidenceRow,
    ViewRow,
    chains,
    component_vulnerabilities,
    element_rows,
    evidence_rows,
    requirement_coverage,
    view_rows,
)
from cyberfile.trace.testing import FindingRow, finding_rows

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _headers(cls: type) -> list[str]:
    return [f.name.replace("_", " ") for f in fields(cls)]


def _sheet(name: str, cls: type, rows: list[Any]) -> tuple[str, list[str], list[tuple[str, ...]]]:
    # the rows are flat dataclasses of strings: no deep copy (dataclasses.astuple) needed
    names = [f.name for f in fields(cls)]
    return name, _headers(cls), [tuple(str(getattr(r, n)) for n in names) for r in rows]


Matrix = tuple[str, list[str], list[tuple[str, ...]]]


def matrices(project: Project) -> list[Matrix]:
    """(sheet name, headers, rows) for each matrix; the last column of each is its gap.
    The first is the threat -> evidence chain matrix, also written as the CSV. Computed
    once per project (a project is immutable; the CSV and the workbook both ask)."""
    cached: list[Matrix] | None = project.__dict__.get("_matrices")
    if cached is None:
        cached = _matrices(project)
        object.__setattr__(project, "_matrices", cached)
    return cached


def _matrices(project: Project) -> list[Matrix]:
    return [
        _sheet("Threat chains", ChainRow, chains(project)),
        _sheet("Requirement coverage", CoverageRow, requirement_coverage(project)),
        _sheet("Evidence", EvidenceRow, evidence_rows(project)),
        _sheet("Test findings", FindingRow, finding_rows(project)),
        _sheet("Architecture elements", ElementRow, element_rows(project)),
        _sheet("Views", ViewRow, view_rows(project)),
        _sheet("Components", ComponentRow, component_vulnerabilities(project)),
    ]


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formula injection (OWASP): a leading quote keeps it text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def traceability_csv(project: Project) -> str:
    """The threat -> evidence chain matrix as CSV (one row per chain, gaps marked)."""
    _, headers, rows = matrices(project)[0]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_safe(" ".join(v.split())) for v in row])
    return buffer.getvalue()


def traceability_xlsx(project: Project, path: Path, created: datetime) -> None:
    """The matrices as one workbook, one sheet each; `created` fixes the document date so that the
    same project gives the same bytes."""
    import xlsxwriter  # type: ignore[import-untyped]

    workbook = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    workbook.set_properties(
        {
            "title": f"Traceability: {project.manifest.device.name}",
            "author": "cyberfile",
            "created": created,
        }
    )
    header = workbook.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1})
    gap = workbook.add_format({"bg_color": "#F7D4D4"})
    for name, headers, rows in matrices(project):
        sheet = workbook.add_worksheet(name)
        for col, title in enumerate(headers):
            sheet.write_string(0, col, title, header)
        widths = [len(h) for h in headers]
        for r, row in enumerate(rows, start=1):
            marked = bool(row[-1])
            for col, value in enumerate(row):
                text = " ".join(value.split())
                sheet.write_string(r, col, text, gap if marked else None)
                widths[col] = max(widths[col], min(len(text), 60))
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width + 2)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
    workbook.close()
