"""The documents' Markdown tables as HTML, for the audit site.

A big project's documents are mostly tables (a 50,000-item traceability matrix), and
Python-Markdown spends nearly all of a site build's conversion time on them: it runs its
inline patterns over every cell, and even a raw HTML block is parsed tag by tag. The
tables cyberfile writes are regular (`cyberfile.render.environment.md_table` and the
templates' own) and almost every cell is plain escaped text. So, before mkdocs sees a
page, each table is replaced by a placeholder paragraph and converted here to the HTML
that Python-Markdown's `tables` extension makes; after mkdocs has built the page, the
placeholder's paragraph is replaced by that HTML (`fill`):

- a cell of plain text (no unescaped inline syntax) is unescaped here, exactly as
  Python-Markdown would (its backslash escapes; `&`, `<`, `>` as entities);
- any other cell (a link, emphasis, code, an entity) is converted by Python-Markdown
  itself, and links to another page (`threat-model.md#x`) are rewritten to the built
  page (`threat-model.html#x`), as mkdocs does for the Markdown it converts.

Only a table that is a block of its own (a blank line before and after, a separator
row under its header) is converted; anything else is left to mkdocs. A test checks that
the pages of the example come out the same either way.
"""

from __future__ import annotations

import hashlib
import re
from html import escape

import markdown

_SEPARATOR = re.compile(r"^\|(?:\s*:?-+:?\s*\|)+\s*$")
_CELL = re.compile(r"(?<!\\)\|")
_SYNTAX = re.compile(r"(?<!\\)[\[\]*_`<!&]|\\\\")
"""A cell that needs Python-Markdown: unescaped inline syntax, an entity or an escaped
backslash (a plain cell is handled here)."""
_PAGE_LINK = re.compile(r'href="([^":/?#]+)\.md(#[^"]*)?"')
_GAP = "**Gap:** "
"""How `cyberfile.render.environment.gap` starts a cell (the most common one with syntax)."""
_PLACEHOLDER = re.compile(r"<p>(cyberfile-table-[A-Za-z0-9_.-]+)</p>")


class TableConverter:
    """Converts the tables of pages; one Python-Markdown instance for the cells that
    need it."""

    def __init__(self) -> None:
        self._markdown = markdown.Markdown(extensions=["tables"])
        chars = sorted(self._markdown.ESCAPED_CHARS, key=len)
        self._escaped = re.compile(r"\\([" + re.escape("".join(chars)) + "])")

    def cell(self, text: str) -> str:
        """One cell's HTML."""
        text = text.strip()
        if not _SYNTAX.search(text):
            return self._plain(text)
        if text.startswith(_GAP) and not _SYNTAX.search(text, len(_GAP)):
            return "<strong>Gap:</strong> " + self._plain(text[len(_GAP) :])
        self._markdown.reset()
        html = self._markdown.convert(text)
        if html.startswith("<p>") and html.endswith("</p>"):
            html = html[3:-4]
        return _PAGE_LINK.sub(r'href="\1.html\2"', html)

    def _plain(self, text: str) -> str:
        return escape(self._escaped.sub(r"\1", text), quote=False)

    def _cells(self, line: str) -> list[str]:
        inner = line.strip()
        inner = inner[1:] if inner.startswith("|") else inner
        inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
        return [self.cell(part) for part in _CELL.split(inner)]

    def _table(self, lines: list[str]) -> list[str]:
        header = self._cells(lines[0])
        out = ["<table>", "<thead>", "<tr>"]
        out += [f"<th>{cell}</th>" for cell in header]
        out += ["</tr>", "</thead>", "<tbody>"]
        for line in lines[2:]:
            cells = self._cells(line)
            cells = (cells + [""] * len(header))[: len(header)]
            out.append("<tr>")
            out += [f"<td>{cell}</td>" for cell in cells]
            out.append("</tr>")
        out += ["</tbody>", "</table>"]
        return out

    def page(self, text: str, name: str) -> tuple[str, dict[str, str]]:
        """`text` with a placeholder paragraph for every table that is a block of its own,
        and the HTML of each table by placeholder (`name` makes them unique per page)."""
        lines = text.split("\n")
        out: list[str] = []
        tables: dict[str, str] = {}
        nonce = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        i = 0
        while i < len(lines):
            line = lines[i]
            starts = (
                line.startswith("|")
                and (i == 0 or not lines[i - 1].strip())
                and i + 1 < len(lines)
                and _SEPARATOR.match(lines[i + 1]) is not None
            )
            if not starts:
                out.append(line)
                i += 1
                continue
            end = i + 2
            while end < len(lines) and lines[end].startswith("|"):
                end += 1
            if end < len(lines) and lines[end].strip():
                out.append(line)  # not a block of its own: left to mkdocs
                i += 1
                continue
            placeholder = f"cyberfile-table-{name}-{len(tables)}-{nonce}"
            tables[placeholder] = "\n".join(self._table(lines[i:end]))
            out.append(placeholder)
            i = end
        return "\n".join(out), tables


def fill(html: str, tables: dict[str, str]) -> str:
    """The built page with each placeholder paragraph replaced by its table."""
    if not tables:
        return html
    return _PLACEHOLDER.sub(lambda m: tables.get(m.group(1), m.group(0)), html)
