"""`cyberfile scan` on real data: the example's PyPI pins against the real OSV copy."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from cyberfile.diagnostics.rules import RULES
from cyberfile.load.project import load_project

from .conftest import EXAMPLE, REPO, SHARED_DATA, Run, line_of, shared_data_path, tree_digest

OSV = SHARED_DATA / "osv-pypa" / "vulns"
KEV = SHARED_DATA / "kev" / "known_exploited_vulnerabilities.json"
EXPECTED = json.loads(
    (REPO / "tests" / "data" / "example_expected_osv_matches.json").read_text(encoding="utf-8")
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.shared_data("osv-pypa/vulns", "kev/known_exploited_vulnerabilities.json"),
]

HEADER = "# yaml-language-server: $schema=../../schemas/vulnerabilities.schema.json\n"


@pytest.fixture
def pump(tmp_path: Path) -> Path:
    """A copy of the example whose vulnerability list is empty but for one hand entry."""
    root = tmp_path / "projects" / "pump"
    shutil.copytree(EXAMPLE, root)
    (root / "vulnerabilities.yaml").write_text(
        HEADER + "# Kept by hand: the scan must not touch this comment or entry.\n"
        "vulnerabilities:\n"
        "  - id: CVE-2024-1086   # nf_tables\n"
        "    components: [pkg:generic/linux@6.1.114]\n"
        "    discovered: 2026-07-02\n"
        "    status: affected\n"
        "    exploitability: low\n"
        "    severity: serious\n"
        "    assessed: {by: J. Rivera, on: 2026-07-09}\n",
        encoding="utf-8",
    )
    evidence = (root / "evidence.yaml").read_text(encoding="utf-8")
    # the example's evidence cites the removed vulnerabilities; keep the copy valid
    for vulnerability in load_project(EXAMPLE).project.vulnerabilities.vulnerabilities:  # type: ignore[union-attr]
        if vulnerability.id != "CVE-2024-1086":
            evidence = evidence.replace(f", {vulnerability.id}", "").replace(
                f"{vulnerability.id}, ", ""
            )
    (root / "evidence.yaml").write_text(evidence, encoding="utf-8")
    return root


def scan(cli: Callable[..., Run], root: Path, *extra: str) -> Run:
    return cli(
        "scan", str(root), "--osv", str(OSV), "--kev", str(KEV), "--as-of", "2026-11-29", *extra
    )


def test_scan_finds_exactly_the_hand_verified_matches(cli: Callable[..., Run], pump: Path) -> None:
    original = (pump / "vulnerabilities.yaml").read_text(encoding="utf-8")
    run = scan(cli, pump)
    assert run.code == 1, run.out + run.err  # new findings
    assert "Traceback" not in run.out + run.err
    project = load_project(pump).project
    assert project is not None
    found = {
        (ref, frozenset((v.id, *v.aliases)))
        for v in project.vulnerabilities.vulnerabilities
        if v.status == "under_investigation"
        for ref in v.components
    }
    expected = {
        (ref, frozenset((m["id"], *m["aliases"])))
        for ref, entry in EXPECTED["components"].items()
        for m in entry["affected_by"]
    }
    assert found == expected
    # nothing for the versions no advisory affects
    clean = {ref for ref, entry in EXPECTED["components"].items() if not entry["affected_by"]}
    assert not {ref for ref, _ in found} & clean
    # appended, with comments and the hand entry left exactly as they were
    text = (pump / "vulnerabilities.yaml").read_text(encoding="utf-8")
    assert text.startswith(original)
    assert "# cyberfile scan 2026-11-29:" in text
    assert "discovered: 2026-11-29\n" in text
    assert cli("validate", str(pump)).code == 0


def test_new_findings_carry_source_cvss_and_kev_flag(cli: Callable[..., Run], pump: Path) -> None:
    scan(cli, pump)
    project = load_project(pump).project
    assert project is not None
    new = {v.id: v for v in project.vulnerabilities.vulnerabilities if v.id != "CVE-2024-1086"}
    idna = new["CVE-2024-3651"]
    assert idna.aliases == ("PYSEC-2024-60",)
    assert idna.source == "osv" and idna.known_exploited is False
    assert idna.cvss == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"
    assert str(idna.discovered) == "2026-11-29"
    assert all(v.assessed is None for v in new.values())
    evidence = {e.id: e for e in project.evidence.evidence}["EV-SCAN-20261129"]
    assert evidence.type == "vulnerability_scan" and str(evidence.performed) == "2026-11-29"
    assert "CISA KEV (1404 entries)" in evidence.title


def test_existing_assessments_are_never_changed_but_kev_is_reported(
    cli: Callable[..., Run], pump: Path
) -> None:
    run = scan(cli, pump)
    assert "CVE-2024-1086: listed in CISA KEV on 2024-05-30, but known_exploited is false" in (
        run.out
    )
    project = load_project(pump).project
    assert project is not None
    kept = next(v for v in project.vulnerabilities.vulnerabilities if v.id == "CVE-2024-1086")
    assert kept.known_exploited is False and kept.status == "affected"


def test_second_scan_changes_nothing(cli: Callable[..., Run], pump: Path) -> None:
    scan(cli, pump)
    before = tree_digest(pump)
    run = scan(cli, pump)
    assert tree_digest(pump) == before
    assert "wrote" not in run.out


def test_example_scan_finds_nothing_new(cli: Callable[..., Run], tmp_path: Path) -> None:
    root = tmp_path / "example"
    shutil.copytree(EXAMPLE, root)
    run = scan(cli, root, "--dry-run")
    assert run.code == 0, run.out
    # piped, the summary is plain columns: checked, not matchable, known, new, notices
    row = next(line for line in run.out.splitlines() if line.startswith(f"{root.as_posix()} "))
    # checked, not matchable, known, new, notices, undetermined, settled: the PyPI-only feed
    # checks the 37 PyPI components; the other 64 (27 generic firmware components, 36
    # Maven, Go and Debian components of the app and cloud SBOMs that it holds no records
    # for, 1 container image) are not matchable. Each component is counted once.
    assert row.split()[1:] == ["37", "64", "6", "0", "0", "0", "0"]
    project = load_project(root).project
    assert project is not None and len(project.sbom.components) == 37 + 64


def test_dry_run_writes_nothing(cli: Callable[..., Run], pump: Path) -> None:
    before = tree_digest(pump)
    run = scan(cli, pump, "--dry-run")
    assert run.code == 1 and "dry run: nothing written" in run.out
    assert tree_digest(pump) == before


def test_unmatchable_components_are_listed(cli: Callable[..., Run], pump: Path) -> None:
    # concise lists every finding (the full format shows the first ones of a rule)
    run = scan(cli, pump, "--dry-run", "--output-format", "concise")
    unmatchable = [line for line in run.out.splitlines() if " CF442 warning " in line]
    assert len(unmatchable) == 64
    openssl = line_of(pump / "sbom" / "firmware.yaml", "ref: pkg:generic/openssl@3.0.13")
    assert any(
        line.startswith(f"{pump.as_posix()}/sbom/firmware.yaml:{openssl}:")
        and "pkg:generic/openssl@3.0.13: OSV: has purl type 'generic'" in line
        for line in unmatchable
    )


def test_missing_part_file_is_created_with_schema_line(cli: Callable[..., Run], pump: Path) -> None:
    (pump / "vulnerabilities.yaml").unlink()
    (pump / "evidence.yaml").write_text("evidence: []\n", encoding="utf-8")
    for test in ("tests.yaml",):
        text = (pump / test).read_text(encoding="utf-8")
        (pump / test).write_text(
            "\n".join(line for line in text.splitlines() if "evidence:" not in line) + "\n",
            encoding="utf-8",
        )
    scan(cli, pump)
    text = (pump / "vulnerabilities.yaml").read_text(encoding="utf-8")
    assert text.startswith(HEADER)


def test_feed_errors_exit_2(cli: Callable[..., Run], pump: Path, tmp_path: Path) -> None:
    run = cli("scan", str(pump), "--osv", str(tmp_path / "nope"))
    assert run.code == 2 and "no such file or folder" in run.err
    run = cli("scan", str(pump), "--osv", str(OSV), "--kev", str(pump / "sbom" / "gateway.yaml"))
    assert run.code == 2 and "not JSON" in run.err


def test_scan_refuses_a_project_with_errors(cli: Callable[..., Run], pump: Path) -> None:
    (pump / "sbom" / "gateway.yaml").write_text("components: [\n", encoding="utf-8")
    before = tree_digest(pump)
    run = scan(cli, pump)
    assert run.code == 2 and "sbom/gateway.yaml:2:1: CF100 error" in run.out
    assert tree_digest(pump) == before


def test_scan_reports_in_json_and_valid_sarif(cli: Callable[..., Run], pump: Path) -> None:
    before = tree_digest(pump)
    run = scan(cli, pump, "--dry-run", "--format", "json")
    assert run.code == 1 and tree_digest(pump) == before
    document = json.loads(run.out)
    assert document["command"] == "scan" and document["as_of"] == "2026-11-29"
    codes = [d["code"] for d in document["diagnostics"]]
    expected_new = {m["id"] for e in EXPECTED["components"].values() for m in e["affected_by"]}
    assert codes.count("CF440") == len(expected_new)
    assert codes.count("CF441") == 1 and codes.count("CF442") == 64
    facts = document["projects"][0]["scan"]
    assert (facts["checked"], facts["not_matchable"], facts["dry_run"]) == (37, 64, True)
    assert facts["checked"] + facts["not_matchable"] == len(facts["coverage"]) == 101
    idna = next(d for d in document["diagnostics"] if "CVE-2024-3651" in d["message"])
    assert idna["line"] == line_of(pump / "sbom" / "gateway.yaml", "ref: pkg:pypi/idna@")
    assert "would be recorded as under_investigation" in idna["message"]

    sarif = json.loads(scan(cli, pump, "--dry-run", "--format", "sarif").out)
    schema = json.loads(shared_data_path("schemas/sarif-schema-2.1.0.json").read_text("utf-8"))
    jsonschema.Draft4Validator(schema).validate(sarif)
    described = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {"CF440", "CF441", "CF442"} <= described
    assert all("scan" in RULES[code].commands for code in described)


def test_scan_refuses_a_date_in_the_future(cli: Callable[..., Run], pump: Path) -> None:
    before = tree_digest(pump)
    run = cli("scan", str(pump), "--osv", str(OSV), "--as-of", "2999-01-01")
    assert run.code == 2 and "2999-01-01 is in the future" in run.err
    assert tree_digest(pump) == before
