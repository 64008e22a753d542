"""The site's tables are converted ahead of mkdocs (cyberfile.render.site_tables): the
pages must come out as Python-Markdown would have made them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import markdown
import pytest

from cyberfile.render.environment import gap, md_table
from cyberfile.render.site_tables import TableConverter, fill

from .conftest import EXAMPLE, Run

_LINK = re.compile(r'href="([^":/?#]+)\.md(#[^"]*)?"')


def _python_markdown(text: str) -> list[str]:
    """Python-Markdown's page, as mkdocs links pages, blank lines aside."""
    html = markdown.Markdown(extensions=["tables", "toc"]).convert(text)
    return [line for line in _LINK.sub(r'href="\1.html\2"', html).splitlines() if line.strip()]


def _converted(text: str) -> list[str]:
    page, tables = TableConverter().page(text, "page")
    html = markdown.Markdown(extensions=["tables", "toc"]).convert(page)
    html = fill(_LINK.sub(r'href="\1.html\2"', html), tables)
    return [line for line in html.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    from cyberfile.cli import main

    out = tmp_path_factory.mktemp("docs")
    code = main(["build", str(EXAMPLE), "-o", str(out), "--no-pdf", "--no-site"])
    assert code == 0
    return sorted((out / EXAMPLE.name / "documents").glob("*.md"))


def test_every_page_of_the_example_is_what_python_markdown_makes(documents: list[Path]) -> None:
    assert len(documents) >= 15
    converted = 0
    for path in documents:
        text = path.read_text(encoding="utf-8")
        assert _converted(text) == _python_markdown(text), path.name
        converted += len(TableConverter().page(text, "x")[1])
    assert converted > 100  # the tables were converted, not left to mkdocs


@pytest.mark.parametrize(
    "value",
    [
        '<script>alert(1)</script> | *x* [y](javascript:alert(2)) `z` & "q"',
        "a \\ b ~ c _d_ **e** #f !g",
        "C:\\Program Files\\x | 1 < 2 > 0 &amp; &#169;",
        "",
        "no document number (cyberfile.yaml document control)",
    ],
)
def test_hostile_and_odd_cells_match_python_markdown(value: str) -> None:
    text = "Before.\n\n" + md_table(["Id", "Value"], [["THR-1", value], [gap(value), "x"]])
    text += "\n\nAfter.\n"
    assert _converted(text) == _python_markdown(text)
    assert "<script>" not in "\n".join(_converted(text))


def test_a_table_that_is_not_a_block_of_its_own_is_left_to_mkdocs() -> None:
    text = "Para\n| a | b |\n|---|---|\n| 1 | 2 |\n\n| c |\n|---|\n| 3 |\ntext after\n"
    page, tables = TableConverter().page(text, "p")
    assert tables == {}
    assert page == text


def test_the_site_shows_the_converted_tables(cli: Callable[..., Run], tmp_path: Path) -> None:
    result = cli("build", str(EXAMPLE), "-o", str(tmp_path), "--no-pdf")
    assert result.code == 0, result.err
    html = (tmp_path / EXAMPLE.name / "site" / "traceability-matrix.html").read_text("utf-8")
    assert "cyberfile-table-" not in html
    assert html.count("<table>") >= 3
