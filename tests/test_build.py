"""`cyberfile build`: everything it promises, reproducibly, escaped, and all-or-nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from cyberfile.render.documents import DOCUMENTS

from .conftest import EXAMPLE, REPO, Run, edit, example_repository, git, tree_digest

GOLDEN = REPO / "tests" / "golden"
AS_OF = "2026-11-26"
HOSTILE_NAME = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">'
HOSTILE_LINK = "[click me](javascript:window.__pwned=3)"


@pytest.fixture(scope="module")
def example_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cyberfile.cli import main

    out = tmp_path_factory.mktemp("build")
    # the example in a repository of its own, with the 2.3.0 baseline of its change summary
    # (the checkout's history is not needed, and may be shallow)
    source = example_repository(out / "repo")
    assert main(["build", str(source), "-o", str(out), "--as-of", AS_OF, "--no-pdf"]) == 0
    return out / "example-infusion-pump"


def _without_commits(text: str, project: Path) -> str:
    """The golden files name no commit: the ids depend on every byte of the example."""
    for rev in ("HEAD", "v2.3.0"):
        commit = git(project, "rev-parse", rev)
        text = text.replace(commit, f"<{rev} commit>").replace(commit[:12], f"<{rev} commit>")
    return text


def test_build_writes_the_whole_package(example_build: Path) -> None:
    for spec in DOCUMENTS:
        assert (example_build / "documents" / f"{spec.slug}.md").is_file(), spec.slug
    assert (example_build / "documents" / "diagrams" / "dataflow-system.svg").is_file()
    assert (example_build / "documents" / "diagrams" / "risk-matrix.svg").is_file()
    for name in (
        "traceability.csv",
        "traceability.xlsx",
        "sbom.cdx.json",
        "vex.cdx.json",
        "vex.openvex.json",
        "site/index.html",
        "site/threat-model.html",
        "site/search/search_index.json",
        "manifest.json",
    ):
        assert (example_build / name).is_file(), name


def test_manifest_lists_every_input_and_output(example_build: Path) -> None:
    import hashlib

    manifest = json.loads((example_build / "manifest.json").read_text(encoding="utf-8"))
    outputs = {
        p.relative_to(example_build).as_posix()
        for p in example_build.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert set(manifest["outputs"]) == outputs
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((example_build / name).read_bytes()).hexdigest() == digest
    assert manifest["outputs"] and "threats/network.yaml" in manifest["inputs"]
    assert "artifacts/pentest-2026.md" in manifest["inputs"]
    assert manifest["date"] == AS_OF


@pytest.mark.parametrize("slug", [spec.slug for spec in DOCUMENTS])
def test_documents_match_the_golden_files(example_build: Path, slug: str) -> None:
    """Reviewed renderings of the example; regenerate with CYBERFILE_UPDATE_GOLDEN=1."""
    text = (example_build / "documents" / f"{slug}.md").read_text(encoding="utf-8")
    text = _without_commits(text, example_build.parent / "repo")
    golden = GOLDEN / f"{slug}.md"
    if os.environ.get("CYBERFILE_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"no golden file for {slug}: run with CYBERFILE_UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.slow  # two full builds with PDFs
def test_two_builds_are_byte_identical(cli: Callable[..., Run], tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert cli("build", str(EXAMPLE), "-o", str(tmp_path / name), "--as-of", AS_OF).code == 0
    first, second = tree_digest(tmp_path / "a"), tree_digest(tmp_path / "b")
    assert first == second
    assert any(name.startswith("example-infusion-pump/pdf/") for name in first)


@pytest.mark.slow  # a build with PDFs
def test_pdfs_render_with_readable_tables(cli: Callable[..., Run], tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm (poppler-utils) is needed to check the PDFs; .ci/run installs it")
    assert cli("build", str(EXAMPLE), "-o", str(tmp_path), "--as-of", AS_OF, "--no-site").code == 0
    pdf = tmp_path / "example-infusion-pump" / "pdf" / "traceability-matrix.pdf"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2 and all(p.stat().st_size > 10_000 for p in pages)
    text = subprocess.run(
        ["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "InfuSafe 3000 Infusion Pump 2.4.0" in text  # running header
    assert "Page 1 of" in text  # page numbers
    assert "THR-001" in text and "CTL-MTLS" in text  # the table made it


def test_xlsx_has_one_filtered_sheet_per_matrix_and_no_formulas(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    root = tmp_path / "pump"
    shutil.copytree(EXAMPLE, root)
    edit(
        root / "threats" / "network.yaml",
        "title: Compromise of the InfuSafe Gateway",
        'title: \'=HYPERLINK("http://evil.example","x")\'',
    )
    assert cli("build", str(root), "-o", str(tmp_path / "out"), "--no-pdf", "--no-site").code == 0
    out = tmp_path / "out" / "pump"
    with zipfile.ZipFile(out / "traceability.xlsx") as workbook:
        names = workbook.read("xl/workbook.xml").decode()
        for sheet in (
            "Threat chains",
            "Requirement coverage",
            "Evidence",
            "Test findings",
            "Architecture elements",
            "Views",
            "Components",
        ):
            assert f'name="{sheet}"' in names
        sheet1 = workbook.read("xl/worksheets/sheet1.xml").decode()
        assert "<pane " in sheet1 and "autoFilter" in sheet1
        assert "<f>" not in sheet1  # written as text, never as a formula
    csv_text = (out / "traceability.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in csv_text  # neutralised for spreadsheets


@pytest.mark.slow
def test_hostile_strings_stay_inert_text(cli: Callable[..., Run], tmp_path: Path) -> None:
    root = tmp_path / "pump"
    shutil.copytree(EXAMPLE, root)
    edit(root / "sbom" / "gateway.yaml", "name: six", f"name: '{HOSTILE_NAME}'")
    edit(
        root / "sbom" / "gateway.yaml",
        'supplier: "six project (Benjamin Peterson)"',
        f"supplier: '{HOSTILE_LINK}'",
    )
    assert cli("build", str(root), "-o", str(tmp_path / "out"), "--no-pdf").code == 0
    out = tmp_path / "out" / "pump"
    markdown = (out / "documents" / "sbom.md").read_text(encoding="utf-8")
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
    html = (out / "site" / "sbom.html").read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in html
    assert "<img src=x" not in html  # the tag is text: &lt;img src=x ...
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html


@pytest.mark.slow
def test_project_templates_override_and_title_page_fields(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    root = tmp_path / "pump"
    shutil.copytree(EXAMPLE, root)
    (root / "templates").mkdir()
    (root / "templates" / "metrics.md.j2").write_text(
        '{% include "_header.md.j2" %}\nOur own metrics page for {{ device.name }}.\n',
        encoding="utf-8",
    )
    edit(
        root / "cyberfile.yaml",
        "policy:",
        "documents:\n  company: ACME Regulatory\n  numbers: {threat-model: DOC-0042}\npolicy:",
    )
    assert cli("build", str(root), "-o", str(tmp_path / "out"), "--no-pdf", "--no-site").code == 0
    docs = tmp_path / "out" / "pump" / "documents"
    assert "Our own metrics page for InfuSafe 3000" in (docs / "metrics.md").read_text()
    threat_model = (docs / "threat-model.md").read_text()
    assert "| Document number | DOC-0042 |" in threat_model
    assert "| Manufacturer | ACME Regulatory |" in threat_model


def test_missing_data_shows_as_gaps(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    assert cli("build", str(project), "-o", str(tmp_path), "--no-pdf").code == 0
    docs = tmp_path / project.name / "documents"
    labeling = (docs / "labeling.md").read_text()
    assert labeling.count("**Gap:** no labeling text for this topic") == 14
    readiness = (docs / "readiness-report.md").read_text()
    assert "| Labeling | §VI.A | missing |" in readiness
    sbom = (docs / "sbom.md").read_text()
    assert "**Gap:**" in sbom


@pytest.mark.slow
def test_failed_build_leaves_the_previous_output(cli: Callable[..., Run], tmp_path: Path) -> None:
    root = tmp_path / "pump"
    shutil.copytree(EXAMPLE, root)
    out = tmp_path / "out"
    assert cli("build", str(root), "-o", str(out), "--no-pdf").code == 0
    before = tree_digest(out)
    (root / "templates").mkdir()
    (root / "templates" / "labeling.md.j2").write_text("{{ no_such_variable }}\n", encoding="utf-8")
    run = cli("build", str(root), "-o", str(out), "--no-pdf")
    assert run.code != 0 and "Traceback" not in run.err
    assert tree_digest(out) == before  # untouched, and no half-built folder left behind
    edit(root / "threats" / "network.yaml", "stride: [denial_of_service]", "stride: [dos]")
    run = cli("build", str(root), "-o", str(out), "--no-pdf")
    assert run.code == 1 and " CF110 error " in run.out and "nothing was built" in run.err
    assert tree_digest(out) == before
    (root / "threats" / "network.yaml").write_text("threats: [\n", encoding="utf-8")
    run = cli("build", str(root), "-o", str(out), "--no-pdf", "--allow-errors")
    assert run.code == 2 and "cannot be read" in run.err  # unreadable: never built
    assert tree_digest(out) == before


@pytest.mark.slow
def test_missing_weasyprint_is_a_clear_message(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if it were not installed
    out = tmp_path / "out"
    run = cli("build", str(project), "-o", str(out), "--pdf")
    assert run.code == 2
    assert "PDFs need WeasyPrint" in run.err and "--no-pdf" in run.err
    assert "Traceback" not in run.err
    assert not (out / project.name).exists()
    assert cli("build", str(project), "-o", str(out), "--no-pdf").code == 0


@pytest.mark.slow
def test_default_output_folder_relative_to_where_it_runs(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "projects" / "pump")
    run = cli("build", "--no-pdf", cwd=tmp_path)
    assert run.code == 0, run.err
    assert (tmp_path / "build" / "pump" / "site" / "index.html").is_file()
    assert not list((tmp_path / "build").glob(".*"))  # no staging folder left


def test_a_project_with_errors_is_not_built_unless_a_marked_draft(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """A dangling reference used to build silently, with readiness 'Traceability: complete'."""
    edit(project / "threats.yaml", "controls: [CTL-", "controls: [CTL-NOPE, CTL-")
    out = tmp_path / "out"
    refused = cli("build", str(project), "-o", str(out), "--no-pdf", "--no-site")
    assert refused.code == 1
    assert "CF121 error THR-001: controls names 'CTL-NOPE'" in refused.out
    assert "nothing was built" in refused.err and not out.exists()

    draft = cli("build", str(project), "-o", str(out), "--no-pdf", "--no-site", "--allow-errors")
    assert draft.code == 0 and "every document is marked DRAFT" in draft.err
    docs = out / project.name / "documents"
    for document in docs.glob("*.md"):
        assert "**DRAFT – validation errors.**" in document.read_text(encoding="utf-8"), document
    readiness = (docs / "readiness-report.md").read_text(encoding="utf-8")
    assert "| CF121 | THR-001: controls names 'CTL-NOPE'" in readiness
    threat_model_row = next(r for r in readiness.splitlines() if r.startswith("| Threat model |"))
    assert "| partial |" in threat_model_row and "CF121 dangling-reference" in threat_model_row


@pytest.mark.slow
def test_document_control_numbers_revision_and_approvals(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    root = tmp_path / "pump"
    shutil.copytree(EXAMPLE, root)
    edit(root / "cyberfile.yaml", "revision: B", "revision: C")
    edit(root / "cyberfile.yaml", "Regulatory Affairs Manager", "Regulatory Affairs")
    assert cli("build", str(root), "-o", str(tmp_path / "out"), "--no-pdf", "--no-site").code == 0
    docs = tmp_path / "out" / "pump" / "documents"
    summary = (docs / "cybersecurity-summary.md").read_text(encoding="utf-8")
    testing = (docs / "cybersecurity-testing.md").read_text(encoding="utf-8")
    assert "| Document number | IS3000-CYB-001 |" in summary  # stable place in the package
    assert "| Document number | IS3000-CYB-010 |" in testing
    assert "| Revision | C |" in testing
    assert "| Product Security Lead | J. Rivera |  |  |" in testing  # signature, date blank
    assert "| Regulatory Affairs | M. Okafor |  |  |" in testing
    assert "Cybersecurity in Medical Devices: Quality Management System Considerations" in testing
    assert "510(k) premarket notification" in summary
    # the internal readiness score stays out of the submission documents
    for document in docs.glob("*.md"):
        text = document.read_text(encoding="utf-8")
        if document.stem != "readiness-report":
            assert "Readiness score" not in text and " %**" not in text, document.name


@pytest.mark.slow
def test_readiness_counts_what_drift_reports(cli: Callable[..., Run], tmp_path: Path) -> None:
    """Readiness said 'present | complete' above its own drift errors (end of support)."""
    root = tmp_path / "pump"
    shutil.copytree(EXAMPLE, root)
    out = tmp_path / "out"
    assert cli("build", str(root), "-o", str(out), "--no-pdf", "--no-site").code == 0
    docs = out / "pump" / "documents"
    readiness = (docs / "readiness-report.md").read_text(encoding="utf-8")
    drift = cli("drift", str(root), "--as-of", _document_date(readiness), "--format", "json")
    past = [d for d in json.loads(drift.out)["diagnostics"] if d["code"] == "CF411"]
    support = next(r for r in readiness.splitlines() if r.startswith("| Software level of"))
    assert past, "the example has components past end of support"
    if any(not d["waived"] for d in past):
        assert "| partial |" in support and "CF411 end-of-support-passed" in support
    else:  # accepted with a waiver in force: named in the notes, not hidden
        assert "finding(s) waived" in support and "CF411 end-of-support-passed" in support
    summary = (docs / "cybersecurity-summary.md").read_text(encoding="utf-8")
    b2 = next(r for r in summary.splitlines() if "524B(b)(2)" in r)
    assert "reasonable assurance" in b2 and "regular cycle" not in b2
    updates = next(r for r in summary.splitlines() if "regular cycle" in r)
    assert "524B(b)(1)" in updates


def _document_date(document: str) -> str:
    row = next(r for r in document.splitlines() if r.startswith("| Date |"))
    return row.split("|")[2].strip()


def test_validate_reports_a_missing_threat_model(cli: Callable[..., Run], project: Path) -> None:
    (project / "threats.yaml").unlink()
    run = cli("validate", str(project), "--format", "json")
    assert run.code == 1
    codes = [d["code"] for d in json.loads(run.out)["diagnostics"] if d["severity"] == "error"]
    assert "CF113" in codes


def test_the_524b_determination_says_what_is_missing(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """It printed 'the plan, processes and SBOM ... are provided' whatever the state."""
    assert cli("build", str(project), "-o", str(tmp_path), "--no-pdf", "--no-site").code == 0
    summary = (tmp_path / project.name / "documents" / "cybersecurity-summary.md").read_text(
        encoding="utf-8"
    )
    determination = next(r for r in summary.splitlines() if r.startswith("**Determination:**"))
    assert "are in this package" not in determination and "provided" not in determination
    assert "does not yet complete" in determination
    assert "Software bill of materials (FD&amp;C Act 524B(b)(3): missing)" in determination


def test_readiness_reports_sbom_author_and_timestamp_gaps(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    edit(
        project / "sbom.yaml",
        "components: []",
        "components:\n  - ref: pkg:pypi/six@1.16.0\n    name: six\n    version: 1.16.0\n"
        "    supplier: Benjamin Peterson\n    purl: pkg:pypi/six@1.16.0\n"
        "    support: limited\n    justification: Frozen upstream; replaced in 2.0\n",
    )
    edit(project / "architecture.yaml", "components: []", "components: [pkg:pypi/six@1.16.0]")
    assert cli("build", str(project), "-o", str(tmp_path), "--no-pdf", "--no-site").code == 0
    readiness = (tmp_path / project.name / "documents" / "readiness-report.md").read_text("utf-8")
    row = next(r for r in readiness.splitlines() if r.startswith("| Software bill of materials |"))
    assert "| partial |" in row
    assert "author of the SBOM data not recorded" in row
    assert "timestamp of the SBOM not recorded" in row


def test_item_pages_say_what_changed_since_the_baseline(example_build: Path) -> None:
    """The site's item pages name the baseline and the fields that changed; an item with
    the same content says so; the start page leads to the change summary."""
    items = example_build / "site" / "items"
    flow = (items / "DF-APP-PUMP.html").read_text(encoding="utf-8")
    assert "Changes since version 2.3.0 (v2.3.0, commit " in flow
    assert "protocol: Bluetooth LE 4.2 GATT" in flow and "Bluetooth LE 5.0 GATT" in flow
    added = (items / "THR-054.html").read_text(encoding="utf-8")
    assert "Added since the baseline." in added
    unchanged = (items / "THR-001.html").read_text(encoding="utf-8")
    assert "Unchanged: the same content as in version 2.3.0" in unchanged
    upgraded = items / "pkg-pypi-django-4.2.15.html"
    start = (example_build / "site" / "index.html").read_text(encoding="utf-8")
    assert "Changes since the last submission" in start
    assert 'href="cybersecurity-change-summary.html"' in start
    assert upgraded.parent.is_dir()


def test_without_its_baseline_the_build_says_so(cli: Callable[..., Run], tmp_path: Path) -> None:
    """A project that names a baseline its folder cannot read (a copy outside git, a
    shallow clone) is built without the change summary, with a warning, and readiness
    shows the element incomplete with the reason."""
    source = tmp_path / "src" / "example-infusion-pump"
    shutil.copytree(EXAMPLE, source)
    result = cli("build", str(source), "-o", str(tmp_path / "out"), "--as-of", AS_OF, "--no-pdf")
    assert result.code == 0, result.err
    assert "no Cybersecurity Change Summary: the baseline cannot be compared" in result.err
    assert "is not inside a git repository" in result.err
    documents = tmp_path / "out" / "example-infusion-pump" / "documents"
    assert not (documents / "cybersecurity-change-summary.md").exists()
    readiness = (documents / "readiness-report.md").read_text(encoding="utf-8")
    row = next(line for line in readiness.splitlines() if "cybersecurity changes" in line)
    assert "| partial |" in row and "cannot be compared" in row


def test_the_change_summary_does_not_conclude_on_unrated_fixes(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    """A vulnerability fixed since the baseline without exploitability and severity is
    counted as not established, never as controlled."""
    project = example_repository(tmp_path / "repo")
    vulnerabilities = project / "vulnerabilities.yaml"
    text = vulnerabilities.read_text(encoding="utf-8")
    vulnerabilities.write_text(
        text.replace(
            "vulnerabilities:\n",
            "vulnerabilities:\n"
            "  - id: CVE-2099-0001\n"
            "    components: [pkg:pypi/pillow@10.3.0]\n"
            "    discovered: 2026-10-01\n"
            "    source: osv\n"
            "    status: fixed\n"
            "    remediation: {response: update, fixed_in: '2.4.0', fixed_on: 2026-10-20}\n",
            1,
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = cli("build", str(project), "-o", str(out), "--as-of", AS_OF, "--no-pdf", "--no-site")
    assert result.code == 0, result.out + result.err
    summary = (out / project.name / "documents" / "cybersecurity-change-summary.md").read_text(
        encoding="utf-8"
    )
    assert (
        "4 vulnerabilities that the records of version 2.3.0 do not show as fixed (unknown "
        "then, or open) are fixed now; by their recorded ratings, 0 had uncontrolled risk while "
        "open, and 1 carries no rating, so whether its risk was controlled is not established."
    ) in summary
    assert "| CVE-2099-0001 | pkg:pypi/pillow@10.3.0 | not rated |" in summary
