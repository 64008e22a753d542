"""The audit site as a navigator: a page per item with backlinks, every id a link, evidence
published with its digest, hostile text kept as text, PDFs linked inside themselves."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import markdown
import pytest

from cyberfile.load.project import load_project
from cyberfile.model.items import items
from cyberfile.render.links import item_name, item_path, link_ids, safe_url
from cyberfile.render.pdf import link_within

from .conftest import EXAMPLE, Run, edit


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cyberfile.cli import main

    out = tmp_path_factory.mktemp("nav")
    assert main(["build", str(EXAMPLE), "-o", str(out), "--no-pdf", "--as-of", "2026-11-26"]) == 0
    return out / EXAMPLE.name / "site"


def _article(page: Path) -> str:
    text = page.read_text(encoding="utf-8")
    return text[text.index("<article") : text.index("</article>")]


def test_every_item_has_a_page(example_site: Path) -> None:
    project = load_project(EXAMPLE).project
    assert project is not None
    idents = {item.ident for item in items(project)}
    assert len(idents) > 100
    for ident in idents:
        page = example_site / item_path(ident)
        assert page.is_file(), ident
    index = (example_site / "items" / "index.html").read_text(encoding="utf-8")
    assert index.count('<tr><td><a href="') == len(idents)


def test_threat_to_evidence_and_back_through_links(example_site: Path) -> None:
    """THR -> CTL -> REQ -> TST -> EV by following links only, then back by backlinks."""
    project = load_project(EXAMPLE).project
    assert project is not None
    test = next(t for t in project.tests.tests if t.evidence and t.verifies)
    requirement = next(r for r in test.verifies if r.startswith("REQ-"))
    control = next(
        c for c in project.controls.controls if requirement in {r.id for r in c.requirements}
    )
    threat = next(t for t in project.threats.threats if control.id in t.controls)

    def links(ident: str) -> set[str]:
        page = _article(example_site / item_path(ident))
        return set(re.findall(r'href="([^"]+)\.html"', page))

    assert item_name(control.id) in links(threat.id)
    assert item_name(requirement) in links(control.id)
    assert item_name(test.id) in links(requirement)  # backlink: the test verifies it
    assert item_name(test.evidence[0]) in links(test.id)
    assert item_name(test.id) in links(test.evidence[0])  # backlink: the test cites it
    assert item_name(threat.id) in links(control.id)  # backlink: the threat names it
    page = _article(example_site / item_path(requirement))
    referenced_by = page[page.index('id="referenced-by"') :]
    assert (
        f'href="{item_name(test.id)}.html">{test.id}</a> <span class="cf-field">(verifies)'
        in referenced_by
    )


def test_ids_in_documents_link_to_their_pages(example_site: Path) -> None:
    matrix = (example_site / "traceability-matrix.html").read_text(encoding="utf-8")
    assert 'href="items/THR-001.html">THR-001</a>' in matrix
    page = _article(example_site / "items" / "THR-001.html")
    assert 'href="../traceability-matrix.html">Traceability Matrix</a>' in page
    start = (example_site / "index.html").read_text(encoding="utf-8")
    assert 'href="items/index.html"' in start
    for heading in (
        "Open postmarket findings",
        "Vulnerabilities that need attention",
        "Suspect reviews",
    ):
        assert heading in start


def test_diagrams_are_inline_and_open_full_size(example_site: Path) -> None:
    page = (example_site / "security-architecture.html").read_text(encoding="utf-8")
    assert '<figure class="cf-diagram">' in page and "<svg" in page
    assert not re.search(r'<img[^>]+src="diagrams/', page)  # inlined: nodes can be clicked
    full = re.findall(r'<a href="(diagrams/[^"]+\.svg)">open full size</a>', page)
    assert full and all((example_site / f).is_file() for f in full)


def test_evidence_files_are_published_with_their_digest(example_site: Path) -> None:
    project = load_project(EXAMPLE).project
    assert project is not None
    evidence = next(e for e in project.evidence.evidence if e.file and e.sha256)
    published = example_site / "evidence" / evidence.file
    assert published.read_bytes() == (EXAMPLE / evidence.file).read_bytes()
    page = _article(example_site / item_path(evidence.id))
    assert f'href="../evidence/{evidence.file}"' in page
    assert evidence.sha256 in page
    status = (
        "matches"
        if hashlib.sha256(published.read_bytes()).hexdigest() == evidence.sha256
        else "differs"
    )
    assert f'class="cf-status-{status}">{status}<' in page


def test_search_finds_item_pages(example_site: Path) -> None:
    index = json.loads((example_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"] for doc in index["docs"]}
    assert "items/THR-001.html" in locations and "threat-model.html" in locations


def test_hostile_text_stays_text_and_only_web_urls_link(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    edit(
        project / "threats.yaml",
        "title: Unauthenticated app sends commands to the device",
        "title: '<script>window.x=1</script><img src=x onerror=alert(1)>'",
    )
    edit(
        project / "postmarket.yaml",
        "  contact: security@example.com\n",
        "  contact: security@example.com\n  policy_url: https://example.com/cvd?a=1&b=<2>\n",
    )
    evidence = project / "artifacts" / "report.txt"
    evidence.write_text("report\n", encoding="utf-8")
    edit(
        project / "evidence.yaml",
        "evidence: []",
        "evidence:\n  - id: EV-R\n    type: penetration_test\n    title: javascript:alert(1)\n"
        "    performed: 2026-06-30\n    file: artifacts/report.txt\n"
        "    sha256: '" + "ab" * 32 + "'\n    covers: [THR-001]\n",
    )
    out = tmp_path / "out"
    run = cli("build", str(project), "-o", str(out), "--no-pdf")
    assert run.code == 0, run.out + run.err
    site = out / project.name / "site"
    threat = (site / "items" / "THR-001.html").read_text(encoding="utf-8")
    assert "<script>window.x" not in threat and "&lt;script&gt;window.x=1&lt;/script&gt;" in threat
    assert "<img src=x" not in threat
    page = (site / "items" / "EV-R.html").read_text(encoding="utf-8")
    assert 'href="javascript' not in page.lower()
    assert 'class="cf-status-differs">differs<' in page  # the recorded digest is wrong
    for html in site.rglob("*.html"):
        text = html.read_text(encoding="utf-8").lower()
        assert 'href="javascript:' not in text and 'href="file:' not in text, html


def test_link_ids_changes_text_only() -> None:
    known = {"THR-001": "items/THR-001.html", "pkg:npm/a@1?x=1&y=2": "items/p.html"}
    page = (
        '<p title="THR-001">THR-001.</p><a href="#">THR-001</a><code>THR-001</code>'
        "<td>pkg:npm/a@1?x=1&amp;y=2</td><p>THR-0011 XTHR-001</p>"
    )
    out = link_ids(page, known.get)
    assert out == (
        '<p title="THR-001"><a class="cf-id" href="items/THR-001.html">THR-001</a>.</p>'
        '<a href="#">THR-001</a><code>THR-001</code>'
        '<td><a class="cf-id" href="items/p.html">pkg:npm/a@1?x=1&amp;y=2</a></td>'
        "<p>THR-0011 XTHR-001</p>"
    )


def test_item_names_are_safe_file_names() -> None:
    assert item_name("THR-001") == "THR-001"
    assert item_name("GHSA-abcd-efgh-ijkl") == "GHSA-abcd-efgh-ijkl"
    purl = item_name("pkg:pypi/django@4.2.16")
    assert re.fullmatch(r"[a-z0-9.-]+", purl) and purl != item_name("pkg:pypi/django@4.2.17")
    assert "/" not in item_name("../../etc/passwd") and ".." not in item_name("../x")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.com/a?b=1", True),
        ("mailto:psirt@example.com", True),
        ("javascript:alert(1)", False),
        (" JaVaScRiPt:alert(1)", False),
        ("file:///etc/passwd", False),
        ("data:text/html,<script>", False),
        ("https://exa mple.com", False),
    ],
)
def test_only_web_and_mail_urls_become_links(url: str, ok: bool) -> None:
    assert (safe_url(url) is not None) is ok


def test_pdf_links_stay_inside_the_document() -> None:
    text = (
        "## THR-001 Spoofing\n\nSee THR-001, THR-404 and CTL-A.\n\n"
        "| Control | Threats |\n|---|---|\n| CTL-A | THR-001 |\n"
    )
    body = link_within(markdown.markdown(text, extensions=["tables", "toc"]))
    targets = set(re.findall(r'href="([^"]+)"', body))
    assert targets == {"#item-THR-001", "#item-CTL-A"}  # THR-404 is not in this document
    assert 'id="item-THR-001"' in body and 'id="item-CTL-A"' in body


@pytest.mark.slow
def test_pdfs_have_internal_links_only(tmp_path: Path) -> None:
    import zlib

    from cyberfile.cli import main

    root = tmp_path / "pump"
    shutil.copytree(EXAMPLE, root)
    assert main(["build", str(root), "-o", str(tmp_path / "out"), "--no-site"]) == 0
    pdf = (tmp_path / "out" / "pump" / "pdf" / "traceability-matrix.pdf").read_bytes()
    text = pdf + b"".join(
        zlib.decompress(m.group(1))
        for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL)
        if m.group(1)[:1] == b"x"
    )
    assert text.count(b"/Dest") > 100  # ids link to their rows
    assert b"/URI" not in text and str(tmp_path).encode() not in text


def test_document_diagrams_carry_no_site_links(example_site: Path) -> None:
    """documents/ (and the PDFs made from it) get the diagrams without links: a link there
    would point into a site that is not beside them."""
    documents = example_site.parent / "documents" / "diagrams"
    svgs = sorted(documents.glob("*.svg"))
    assert svgs
    for svg in svgs:
        assert "href" not in svg.read_text(encoding="utf-8"), svg.name
    linked = (example_site / "diagrams" / svgs[0].name).read_text(encoding="utf-8")
    assert "../items/" in linked or svgs[0].name == "risk-matrix.svg"
