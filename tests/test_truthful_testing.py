"""The testing document and the traceability matrix say only what the data establishes.

Each test here would have caught a sentence the documents used to print regardless of the
data: "All tests passed" above a penetration report with open Medium findings, a test of
2.4.0-rc4 presented as a test of 2.4.0, and a cloud penetration test credited with the
pump's PIN back-off requirement because both belong to the same control."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from cyberfile.load.project import load_project
from cyberfile.render.documents import DocumentMeta, render_documents

from .conftest import EXAMPLE, Run, edit, line_of

META = DocumentMeta(date(2026, 11, 26), None, "cyberfile test")


def documents(root: Path) -> dict[str, str]:
    project = load_project(root).project
    assert project is not None
    return render_documents(project, META)


def validate(cli: Callable[..., Run], root: Path) -> list[dict]:
    run = cli("validate", "--format", "json", str(root))
    return list(json.loads(run.out)["diagnostics"])


def build(cli: Callable[..., Run], root: Path, out: Path) -> Path:
    run = cli("build", str(root), "-o", str(out), "--as-of", "2026-11-26", "--no-pdf", "--no-site")
    assert run.code == 0, run.out + run.err
    return out / root.name


def chain_rows(built: Path) -> list[dict[str, str]]:
    text = (built / "traceability.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def example_docs() -> dict[str, str]:
    return documents(EXAMPLE)


@pytest.fixture
def pump(tmp_path: Path) -> Path:
    root = tmp_path / "pump"
    shutil.copytree(EXAMPLE, root)
    return root


@pytest.fixture
def scaffold(tmp_path: Path, cli: Callable[..., Run]) -> Path:
    root = tmp_path / "device"
    assert cli("init", str(root)).code == 0
    return root


FINDINGS = """    findings:
      - {id: PT-01, title: Debug shell on UART, severity: high, status: open}
      - id: PT-02
        title: Verbose banner
        severity: medium
        status: accepted
        rationale: Banner holds no version; removed in 1.1
      - id: PT-03
        title: Weak cipher offered
        severity: medium
        status: deferred
        rationale: Disabled in 1.1
        tracked_in: REQ-BLE-AUTH-1
      - {id: PT-04, title: Missing header, severity: low, status: fixed}
"""


# ------------------------------------------------------------------ testing document


def test_testing_document_prints_the_penetration_test_as_reported(
    example_docs: dict[str, str],
) -> None:
    text = example_docs["cybersecurity-testing"]
    assert "All tests passed" not in text
    # the version the report names, against the version under submission
    assert "tested 2.4.0-rc4; the version under submission is 2.4.0" in text
    assert "no test records that it ran against 2.4.0, the version under submission" in text
    # every finding of NSL-2026-0419 with its status, rationale and where it is tracked
    assert "3 not fixed (2 medium, 1 low), 3 fixed" in text
    for row in (
        "| TST-PENTEST-DEVICE | NSL-01 |",
        "| NSL-02 | BLE advertising name",
        "| deferred |",
        "| PYSEC-2024-102 |",
        "| NSL-04 | Gateway HTTP response lacked Permissions-Policy header | low | fixed |",
    ):
        assert row in text, row
    assert "configurable in firmware 2.5" in text  # the release plan of NSL-02
    # tool settings, scope, independence and the report the evidence is
    assert "Prowler 4.4 against the CIS AWS Foundations Benchmark 3.0" in text
    assert "Out of scope: the manufacturer cloud services" in text
    assert "Northbridge Security Labs LLC (independent)" in text
    assert "EV-PENTEST-2026 (report NSL-2026-0419, file artifacts/pentest-2026.md)" in text
    # a test that names only controls covers them; it verifies no requirement
    device = text.split("### TST-PENTEST-DEVICE")[1].split("###")[0]
    assert "| Verifies requirements | none named |" in device
    assert "| Covers controls as a whole | CTL-MTLS, CTL-BLE-PAIRING," in device
    assert "| Result | pass (3 of 4 findings not fixed) |" in device


def test_no_findings_recorded_is_not_no_findings(scaffold: Path) -> None:
    text = documents(scaffold)["cybersecurity-testing"]
    assert "All tests passed" not in text and "Every recorded test has the result pass" not in text
    assert "No findings are recorded for any of the 1 test. This means that none were" in text
    assert (
        "Findings: none recorded. This means that `tests.yaml` lists no findings for this "
        "test, not that the test found none." in text
    )
    assert "| Version tested | not recorded (the version under submission is 1.0.0) |" in text
    assert "| Tool | not recorded |" in text and "| Tool settings | not recorded |" in text
    assert "- **TST-BLE-AUTH-1** (not\\_run):" in text  # not passed is listed, not hidden
    assert "| Performer | not recorded |" in text


def test_finding_summary_counts_only_what_is_recorded(scaffold: Path) -> None:
    edit(scaffold / "tests.yaml", "    result: not_run", FINDINGS + "    result: pass")
    edit(
        scaffold / "tests.yaml",
        "    method: Describe the test procedure.\n",
        "    method: Describe the test procedure.\n"
        "    version_tested: 1.0.0\n"
        "    performer: {organization: Example Test Lab}\n"
        "    tool: {name: nmap, version: '7.95', settings: -sS -p- against the device}\n",
    )
    text = documents(scaffold)["cybersecurity-testing"]
    assert "4 findings recorded in 1 of 1 test: 3 not fixed (1 high, 2 medium), 1 fixed." in text
    assert "1 finding not fixed has no rationale." in text
    assert "Version tested: 1 test ran against 1.0.0, the version under submission." in text
    assert "| Version tested | 1.0.0, the version under submission |" in text
    assert "| Tool settings | -sS -p- against the device |" in text
    # independence that is not written is not printed as "not independent"
    assert "Example Test Lab (independence not recorded)" in text
    assert "Performer independence, as recorded: 1 independence not recorded." in text
    assert "No findings are recorded" not in text
    # the open high finding is shown with a visible gap, not with an invented rationale
    assert (
        "| PT-01 | Debug shell on UART | high | open | **Gap:** no rationale | not recorded |"
        in (text)
    )
    assert "including 1 with findings not fixed (TST-BLE-AUTH-1; listed above)" in text


def test_unjustified_open_finding_is_cf208_at_the_finding(
    cli: Callable[..., Run], scaffold: Path
) -> None:
    edit(scaffold / "tests.yaml", "    result: not_run", FINDINGS + "    result: not_run")
    found = [d for d in validate(cli, scaffold) if d["code"] == "CF208"]
    assert len(found) == 1, found  # PT-02 and PT-03 have a rationale, PT-04 is fixed
    (cf208,) = found
    assert cf208["severity"] == "warning" and cf208["name"] == "test-finding-unjustified"
    assert cf208["line"] == line_of(scaffold / "tests.yaml", "PT-01")
    assert (
        "TST-BLE-AUTH-1: finding PT-01 (high, open) is not fixed and has no rationale"
        in (cf208["message"])
    )


def test_example_findings_are_justified(cli: Callable[..., Run]) -> None:
    assert not [d for d in validate(cli, EXAMPLE) if d["code"] == "CF208"]


# ------------------------------------------------------------------ traceability matrix


def test_requirement_is_verified_only_by_a_test_that_names_it(
    cli: Callable[..., Run], tmp_path: Path, example_docs: dict[str, str]
) -> None:
    rows = chain_rows(build(cli, EXAMPLE, tmp_path / "out"))
    pin = [r for r in rows if r["requirement"] == "REQ-UAUTH-2"]
    assert pin and {r["test"] for r in pin} == {"TST-UAUTH"}  # not TST-PENTEST-CLOUD
    cloud = [
        r for r in rows if r["test"] == "TST-PENTEST-CLOUD" and r["control"] == "CTL-USER-AUTH"
    ]
    assert {(r["requirement"], r["verifies"]) for r in cloud} == {
        ("REQ-UAUTH-1", "requirement"),  # named in its verifies
        ("", "control"),  # the control as a whole
    }
    matrix = example_docs["traceability-matrix"]
    assert "| REQ-UAUTH-2 | CTL-USER-AUTH | TST-UAUTH | pass | TST-PENTEST-CLOUD |  |" in matrix
    assert (
        "| THR-004 | HAZ-042 | CTL-USER-AUTH | control as a whole | TST-PENTEST-CLOUD |" in matrix
    )


def test_control_level_test_leaves_the_requirement_unverified(
    cli: Callable[..., Run], scaffold: Path, tmp_path: Path
) -> None:
    edit(scaffold / "tests.yaml", "verifies: [REQ-BLE-AUTH-1]", "verifies: [CTL-BLE-AUTH]")
    assert "CF202" in {d["code"] for d in validate(cli, scaffold)}
    rows = chain_rows(build(cli, scaffold, tmp_path / "out"))
    gaps = [r for r in rows if r["requirement"] == "REQ-BLE-AUTH-1"]
    assert [(r["test"], r["gap"]) for r in gaps] == [
        (
            "GAP",
            "requirement verified by no test that names it "
            "(the control is covered by TST-BLE-AUTH-1)",
        )
    ]
    assert [r["verifies"] for r in rows if r["test"] == "TST-BLE-AUTH-1"] == ["control"]
    matrix = documents(scaffold)["traceability-matrix"]
    assert "1 requirements: 0 verified by a test that names them, 1 not (REQ-BLE-AUTH-1)" in (
        matrix
    )
    assert "| REQ-BLE-AUTH-1 | CTL-BLE-AUTH |  |  | TST-BLE-AUTH-1 | not verified by a test" in (
        matrix
    )


def test_matrix_links_evidence_to_its_report_hazards_views_and_labeling(
    cli: Callable[..., Run], example_docs: dict[str, str], tmp_path: Path
) -> None:
    built = build(cli, EXAMPLE, tmp_path / "out")
    rows = chain_rows(built)
    device = next(r for r in rows if r["test"] == "TST-PENTEST-DEVICE")
    assert device["report"] == "NSL-2026-0419"
    assert device["evidence file"] == "artifacts/pentest-2026.md"
    assert device["evidence sha256"] == (
        "7b7fcbf1197e6b29ff968c238fd49c30c1876801a62548ac836c772f0b8ee802"
    )
    assert device["findings not fixed"] == (
        "NSL-01 (medium, accepted), NSL-02 (low, accepted), NSL-03 (medium, deferred)"
    )
    first = rows[0]
    assert first["threat"] == "THR-001" and first["safety hazard"] == "HAZ-011"
    assert "VIEW-GLOBAL" in first["views"]
    with zipfile.ZipFile(built / "traceability.xlsx") as workbook:
        names = workbook.read("xl/workbook.xml").decode()
    for sheet in ("Evidence", "Test findings", "Architecture elements", "Views"):
        assert f'name="{sheet}"' in names
    matrix = example_docs["traceability-matrix"]
    assert (
        "| EV-PENTEST-2026 | penetration\\_test | NSL-2026-0419 | artifacts/pentest-2026.md | "
        "7b7fcbf1197e6b29ff968c238fd49c30c1876801a62548ac836c772f0b8ee802 |" in matrix
    )
    assert "| TST-PENTEST-DEVICE | NSL-03 | medium | deferred | PYSEC-2024-102 |  |" in matrix
    assert "ports\\_and\\_interfaces: port 6514 named |  |" in matrix
    assert "| VIEW-GLOBAL | global\\_system |" in matrix


def test_port_missing_from_the_labeling_is_a_gap(pump: Path) -> None:
    edit(pump / "labeling.yaml", "TCP 443 to the EHR, TCP 6514 to the SIEM.", "TCP 443 to the EHR.")
    matrix = documents(pump)["traceability-matrix"]
    assert (
        "| ports\\_and\\_interfaces: port 6514 | port 6514 not named in the "
        "ports\\_and\\_interfaces labeling |" in matrix
    )


@pytest.mark.slow
def test_matrices_are_deterministic(cli: Callable[..., Run], tmp_path: Path) -> None:
    first = build(cli, EXAMPLE, tmp_path / "a")
    second = build(cli, EXAMPLE, tmp_path / "b")
    for name in ("traceability.csv", "traceability.xlsx"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
