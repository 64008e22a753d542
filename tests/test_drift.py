"""`cyberfile drift` on the example at a fixed date: each rule fires on the case made to
break it and nowhere else (compared with the unbroken example), and `review` clears
suspect reviews without touching anything else in the file."""

from __future__ import annotations

import difflib
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from junitparser import Failure, JUnitXml

from cyberfile.diagnostics.rules import RULES

from .conftest import EXAMPLE, Run, edit, line_of, shared_data_path

AS_OF = "2026-11-26"
BASELINE = {  # true findings of the example on that day: components past end of support,
    # each with a replacement plan and justification (warnings) and a waiver in force
    ("CF411", "sbom/firmware.yaml", "pkg:generic/openssl@3.0.13"),
    ("CF411", "sbom/firmware.yaml", "pkg:generic/freertos-kernel@11.1.0"),
    ("CF411", "sbom/gateway.yaml", "pkg:pypi/django@4.2.15"),
}
Finding = tuple[str, str, int]


@pytest.fixture
def pump(tmp_path: Path) -> Path:
    root = tmp_path / "pump"
    shutil.copytree(EXAMPLE, root)
    return root


def drift(cli: Callable[..., Run], root: Path, *extra: str) -> tuple[int, list[dict]]:
    run = cli("drift", str(root), "--as-of", AS_OF, "--format", "json", *extra)
    assert "Traceback" not in run.out + run.err
    return run.code, json.loads(run.out)["diagnostics"]


def new_findings(cli: Callable[..., Run], root: Path, *extra: str) -> list[Finding]:
    """Findings beyond the example's baseline, as (code, file relative to root, line)."""
    _, found = drift(cli, root, *extra)
    out = []
    for d in found:
        file = Path(d["file"]).relative_to(root).as_posix()
        if (d["code"], file, d["message"].split(": ")[0]) in BASELINE:
            continue
        out.append((d["code"], file, d["line"]))
    return sorted(out)


def test_the_example_has_only_its_true_findings(cli: Callable[..., Run], pump: Path) -> None:
    """Drift-clean as of its document date: the three components past end of support are
    planned and waived, as a real team would have them; without the waivers they count."""
    code, found = drift(cli, pump)
    assert {
        (d["code"], Path(d["file"]).relative_to(pump).as_posix(), d["message"].split(": ")[0])
        for d in found
    } == BASELINE
    assert all(d["severity"] == "warning" and d["waived"] for d in found)
    assert code == 0
    assert drift(cli, pump, "--fail-on", "warning")[0] == 0
    text = (pump / "cyberfile.yaml").read_text(encoding="utf-8")
    (pump / "cyberfile.yaml").write_text(text.split("\nwaivers:")[0] + "\n", encoding="utf-8")
    code, found = drift(cli, pump, "--fail-on", "warning")
    assert code == 1 and not any(d["waived"] for d in found)


def _evidence_line(root: Path, ident: str, key: str) -> int:
    lines = (root / "evidence.yaml").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if f"id: {ident}" in line)
    return next(i for i in range(start, len(lines)) if lines[i].strip().startswith(key)) + 1


def test_cf300_evidence_overdue(cli: Callable[..., Run], pump: Path) -> None:
    edit(pump / "evidence.yaml", "performed: 2026-03-10", "performed: 2025-10-01")
    line = line_of(pump / "postmarket.yaml", "{type: training, every: 1y}")
    assert new_findings(cli, pump) == [("CF300", "postmarket.yaml", line)]


def test_cf301_evidence_due_soon(cli: Callable[..., Run], pump: Path) -> None:
    edit(pump / "evidence.yaml", "performed: 2026-03-10", "performed: 2025-12-10")
    line = line_of(pump / "postmarket.yaml", "{type: training, every: 1y}")
    assert new_findings(cli, pump) == [("CF301", "postmarket.yaml", line)]


def test_cf302_evidence_never_recorded(cli: Callable[..., Run], pump: Path) -> None:
    edit(pump / "evidence.yaml", "type: cvd_exercise", "type: other")
    line = line_of(pump / "postmarket.yaml", "{type: cvd_exercise, every: 1y}")
    assert new_findings(cli, pump) == [("CF302", "postmarket.yaml", line)]


def test_cf303_evidence_file_changed(cli: Callable[..., Run], pump: Path) -> None:
    with (pump / "artifacts" / "pentest-2026.md").open("a", encoding="utf-8") as handle:
        handle.write("\nEdited after the fact.\n")
    line = _evidence_line(pump, "EV-PENTEST-2026", "sha256:")
    assert new_findings(cli, pump) == [("CF303", "evidence.yaml", line)]


def test_cf304_evidence_digest_unrecorded(cli: Callable[..., Run], pump: Path) -> None:
    edit(
        pump / "evidence.yaml",
        "    sha256: 7b7fcbf1197e6b29ff968c238fd49c30c1876801a62548ac836c772f0b8ee802\n",
        "",
    )
    line = _evidence_line(pump, "EV-PENTEST-2026", "file:")
    assert new_findings(cli, pump) == [("CF304", "evidence.yaml", line)]


def test_cf310_test_retest_overdue(cli: Callable[..., Run], pump: Path) -> None:
    edit(pump / "tests.yaml", "performed: 2026-08-17", "performed: 2025-08-01")
    line = line_of(pump / "tests.yaml", "performed: 2025-08-01")
    assert new_findings(cli, pump) == [("CF310", "tests.yaml", line)]


def test_cf311_failed_test_unrecorded(cli: Callable[..., Run], pump: Path) -> None:
    text = (pump / "tests.yaml").read_text(encoding="utf-8")
    start = text.index("  - id: TST-FUZZ-BLE")
    result = text.index("result: pass", start)
    (pump / "tests.yaml").write_text(
        text[:result] + "result: fail" + text[result + len("result: pass") :], encoding="utf-8"
    )
    line = line_of(pump / "tests.yaml", "result: fail")
    assert new_findings(cli, pump) == [("CF311", "tests.yaml", line)]
    # recorded as an anomaly found by the test: nothing to report
    edit(
        pump / "anomalies.yaml",
        "anomalies:\n",
        "anomalies:\n  - {id: ANOM-FUZZ, title: BLE parser crash, found_by: [TST-FUZZ-BLE]}\n",
    )
    assert new_findings(cli, pump) == []


def test_cf410_sbom_source_changed(cli: Callable[..., Run], pump: Path) -> None:
    (pump / "build.cdx.json").write_text('{"bomFormat": "CycloneDX"}\n', encoding="utf-8")
    recorded = hashlib.sha256(b"the file as it was imported").hexdigest()
    # replace the source record of one of the example's SBOMs with one for build.cdx.json
    sbom_yaml = pump / "sbom" / "gateway.yaml"
    text = sbom_yaml.read_text(encoding="utf-8")
    end = text.index("components:\n")
    start = text.find("source:\n")
    start = end if start < 0 else start
    record = f"source: {{file: build.cdx.json, sha256: {recorded}}}\n"
    sbom_yaml.write_text(text[:start] + record + text[end:], encoding="utf-8")
    line = line_of(sbom_yaml, "source: {file: build.cdx.json")
    assert new_findings(cli, pump) == [("CF410", "sbom/gateway.yaml", line)]


GATEWAY_SBOM = "sbom/gateway.yaml"
"""The example's SBOM file that holds pkg:pypi/six@1.16.0."""


def _set_end_of_support(root: Path, ref: str, day: str, plan: bool) -> int:
    text = (root / GATEWAY_SBOM).read_text(encoding="utf-8")
    start = text.index(f"  - ref: {ref}")
    end = text.find("\n  - ref:", start + 1)
    block = text[start:end]
    lines = [
        line
        for line in block.split("\n")
        if not line.lstrip().startswith(("end_of_support:", "replacement_plan:", "justification:"))
    ]
    # drop folded continuation lines of a removed replacement_plan or justification
    kept = [line for line in lines if not line.startswith("      ") or line.startswith("      -")]
    kept.append(f"    end_of_support: {day}")
    if plan:
        kept.append("    replacement_plan: Upgrade in release 2.5.")
    new_block = "\n".join(kept)
    (root / GATEWAY_SBOM).write_text(text[:start] + new_block + text[end:], encoding="utf-8")
    return line_of(root / GATEWAY_SBOM, f"    end_of_support: {day}")


def test_cf412_end_of_support_near(cli: Callable[..., Run], pump: Path) -> None:
    line = _set_end_of_support(pump, "pkg:pypi/six@1.16.0", "2026-12-10", plan=True)
    assert new_findings(cli, pump) == [("CF412", GATEWAY_SBOM, line)]


def test_cf413_end_of_support_unplanned(cli: Callable[..., Run], pump: Path) -> None:
    line = _set_end_of_support(pump, "pkg:pypi/six@1.16.0", "2026-12-10", plan=False)
    found = new_findings(cli, pump)
    assert ("CF412", GATEWAY_SBOM, line) in found
    assert [f[0] for f in found] == ["CF412", "CF413"]


def _add_vulnerability(root: Path, body: str) -> int:
    text = (root / "vulnerabilities.yaml").read_text(encoding="utf-8").rstrip("\n")
    (root / "vulnerabilities.yaml").write_text(
        text + "\n  - id: CVE-2026-99999\n    components: [pkg:pypi/six@1.16.0]\n" + body,
        encoding="utf-8",
    )
    return line_of(root / "vulnerabilities.yaml", "id: CVE-2026-99999")


def test_cf420_triage_overdue(cli: Callable[..., Run], pump: Path) -> None:
    start = _add_vulnerability(
        pump, "    discovered: 2026-10-01\n    status: under_investigation\n"
    )
    assert new_findings(cli, pump) == [("CF420", "vulnerabilities.yaml", start + 3)]


def test_cf421_triage_due_soon(cli: Callable[..., Run], pump: Path) -> None:
    start = _add_vulnerability(
        pump, "    discovered: 2026-11-18\n    status: under_investigation\n"
    )
    assert new_findings(cli, pump) == [("CF421", "vulnerabilities.yaml", start + 3)]


UNCONTROLLED = (
    "    status: affected\n    exploitability: high\n    severity: critical\n"
    "    assessed: {{by: J. Rivera, on: {assessed}}}\n"
)


def test_cf422_communication_overdue(cli: Callable[..., Run], pump: Path) -> None:
    start = _add_vulnerability(
        pump, "    discovered: 2026-10-01\n" + UNCONTROLLED.format(assessed="2026-10-03")
    )
    # 30 days passed without telling customers; the 60-day fix is due in 4 days
    assert new_findings(cli, pump) == [
        ("CF422", "vulnerabilities.yaml", start),
        ("CF424", "vulnerabilities.yaml", start),
    ]


def test_cf423_remediation_overdue(cli: Callable[..., Run], pump: Path) -> None:
    start = _add_vulnerability(
        pump,
        "    discovered: 2026-08-01\n"
        + UNCONTROLLED.format(assessed="2026-08-03")
        + "    remediation: {customer_communication: 2026-08-20}\n",
    )
    assert new_findings(cli, pump) == [("CF423", "vulnerabilities.yaml", start)]


def test_cf424_uncontrolled_deadline_near(cli: Callable[..., Run], pump: Path) -> None:
    start = _add_vulnerability(
        pump, "    discovered: 2026-11-10\n" + UNCONTROLLED.format(assessed="2026-11-12")
    )
    assert new_findings(cli, pump) == [("CF424", "vulnerabilities.yaml", start)]


def test_cf425_known_exploited_open(cli: Callable[..., Run], pump: Path) -> None:
    text = (pump / "vulnerabilities.yaml").read_text(encoding="utf-8")
    start = text.index("  - id: PYSEC-2024-102")
    flag = text.index("known_exploited: false", start)
    (pump / "vulnerabilities.yaml").write_text(
        text[:flag] + "known_exploited: true" + text[flag + len("known_exploited: false") :],
        encoding="utf-8",
    )
    status = text.index("    status: affected", start)
    line = text.count("\n", 0, status) + 1
    assert new_findings(cli, pump) == [("CF425", "vulnerabilities.yaml", line)]


def test_cf426_assessed_component_gone(cli: Callable[..., Run], pump: Path) -> None:
    edit(
        pump / "vulnerabilities.yaml",
        "    components: [pkg:pypi/django@4.2.15]\n",
        "    components: [pkg:pypi/django@4.2.14]\n",
    )
    line = line_of(pump / "vulnerabilities.yaml", "pkg:pypi/django@4.2.14")
    assert new_findings(cli, pump) == [("CF426", "vulnerabilities.yaml", line)]
    assert cli("validate", str(pump)).code == 0  # an older version is not a dangling reference


def test_cf500_changed_data_flow_makes_its_threats_suspect_and_review_clears_them(
    cli: Callable[..., Run], pump: Path
) -> None:
    edit(
        pump / "architecture.yaml",
        "protocol: MQTT 3.1.1 over TLS 1.3 (Mosquitto broker on the gateway;",
        "protocol: MQTT 3.1.1 over TLS 1.2 (Mosquitto broker on the gateway;",
    )
    found = new_findings(cli, pump)
    assert found and {code for code, _, _ in found} == {"CF500"}
    _, diagnostics = drift(cli, pump)
    suspect = sorted(d["message"].split()[1] for d in diagnostics if d["code"] == "CF500")
    targeting = sorted(t for t in suspect if t.startswith("THR-"))
    assert targeting == suspect and "THR-020" in suspect
    before = {p: p.read_text(encoding="utf-8") for p in (pump / "threats").glob("*.yaml")}
    run = cli(
        "review", "--all-suspect", "--by", "J. Rivera", "--on", "2026-11-26", "--project", str(pump)
    )
    assert run.code == 0 and all(f"threat {t}" in run.out for t in suspect)
    assert new_findings(cli, pump) == []
    # only the stamps changed: every other line, comments included, is as it was
    for path, old in before.items():
        new = path.read_text(encoding="utf-8")
        changed = [
            line
            for line in difflib.ndiff(old.splitlines(), new.splitlines())
            if line[:2] in ("- ", "+ ")
        ]
        assert all("reviewed: {by: J. Rivera, on: 2026-" in line for line in changed), changed


def test_review_stamps_new_items_and_refuses_unknown_ids(
    cli: Callable[..., Run], pump: Path
) -> None:
    run = cli(
        "review", "CTL-MTLS", "--by", "A. Auditor", "--on", "2026-11-26", "--project", str(pump)
    )
    assert run.code == 0
    assert "reviewed: {by: A. Auditor, on: 2026-11-26, fingerprint: sha256:" in (
        pump / "controls.yaml"
    ).read_text(encoding="utf-8")
    assert new_findings(cli, pump) == []
    edit(pump / "controls.yaml", "The pump shall", "The pump must")  # any wording change
    assert {c for c, _, _ in new_findings(cli, pump)} == {"CF500"}
    bad = cli("review", "NOPE-1", "--by", "x", "--project", str(pump))
    assert bad.code == 2 and "no reviewable item" in bad.err


def test_cf501_never_reviewed_is_opt_in(cli: Callable[..., Run], pump: Path) -> None:
    assert new_findings(cli, pump) == []
    found = new_findings(cli, pump, "--enable", "CF501")
    assert found and {c for c, _, _ in found} == {"CF501"}
    assert not any(f.startswith("threats/") for _, f, _ in found)  # threats are stamped
    edit(pump / "cyberfile.yaml", "policy:", "rules: {enable: [CF501], ignore: [CF411]}\npolicy:")
    _, diagnostics = drift(cli, pump)
    assert {d["code"] for d in diagnostics} == {"CF501"}


def test_unknown_rule_codes(cli: Callable[..., Run], pump: Path) -> None:
    edit(pump / "cyberfile.yaml", "policy:", "rules: {ignore: [CF999]}\npolicy:")
    assert [c for c, _, _ in new_findings(cli, pump)] == ["CF108"]
    assert cli("drift", str(pump), "--ignore", "CF999").code == 2


def test_fingerprint_ignores_formatting_and_layout(cli: Callable[..., Run], pump: Path) -> None:
    path = pump / "threats" / "network.yaml"
    text = path.read_text(encoding="utf-8")
    reformatted = text.replace(
        "pre_mitigation: {exploitability: high, severity: serious}",
        "pre_mitigation:\n      severity: serious\n"
        "      exploitability: high  # reordered, block style",
    )
    assert reformatted != text
    path.write_text(reformatted, encoding="utf-8")
    # move the network threats into a differently named file of the folder
    path.rename(pump / "threats" / "zz-moved.yaml")
    assert new_findings(cli, pump) == []


def test_sarif_output_is_valid_sarif_2_1_0(cli: Callable[..., Run], pump: Path) -> None:
    schema_path = shared_data_path("schemas/sarif-schema-2.1.0.json")
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    edit(pump / "tests.yaml", "performed: 2026-08-17", "performed: 2025-08-01")
    for command in (["drift", "--as-of", AS_OF], ["validate"]):
        run = cli(*command, str(pump), "--format", "sarif")
        document = json.loads(run.out)
        jsonschema.Draft4Validator(schema).validate(document)
        results = document["runs"][0]["results"]
        rule_ids = [r["id"] for r in document["runs"][0]["tool"]["driver"]["rules"]]
        for result in results:
            assert rule_ids[result["ruleIndex"]] == result["ruleId"]
            location = result["locations"][0]["physicalLocation"]
            assert location["region"]["startLine"] >= 1
            assert location["artifactLocation"]["uri"].endswith(".yaml")
    drift_run = json.loads(cli("drift", "--as-of", AS_OF, str(pump), "--format", "sarif").out)
    assert "CF310" in {r["ruleId"] for r in drift_run["runs"][0]["results"]}


def test_junit_output_parses(cli: Callable[..., Run], pump: Path, tmp_path: Path) -> None:
    run = cli("drift", "--as-of", AS_OF, str(pump), "--format", "junit")
    report = tmp_path / "drift.xml"
    report.write_text(run.out, encoding="utf-8")
    xml = JUnitXml.fromfile(str(report))
    suites = list(xml)
    assert len(suites) == 1
    cases = list(suites[0])
    failed = [c for c in cases if any(isinstance(r, Failure) for r in c.result)]
    assert failed == []  # the example's three CF411 are waived
    waived = [c for c in cases if c.name.startswith("CF411") and " at " in c.name]
    assert len(waived) == 3 and all("waived until" in (c.system_out or "") for c in waived)
    names = {c.name for c in cases}
    drift_rules = [r for r in RULES.values() if r.drift and not r.opt_in]
    assert all(any(n.startswith(r.code) for n in names) for r in drift_rules)
    assert suites[0].tests == len(cases)


def test_select_reports_only_the_chosen_rules(cli: Callable[..., Run], pump: Path) -> None:
    edit(pump / "tests.yaml", "performed: 2026-08-17", "performed: 2025-08-01")
    _, found = drift(cli, pump, "--select", "CF310")
    assert [d["code"] for d in found] == ["CF310"]
    edit(pump / "cyberfile.yaml", "policy:", "rules: {select: [CF411]}\npolicy:")
    _, found = drift(cli, pump)
    assert {d["code"] for d in found} == {"CF411"}
    _, found = drift(cli, pump, "--select", "CF310")  # the command line replaces it
    assert [d["code"] for d in found] == ["CF310"]


def test_drift_writes_nothing(cli: Callable[..., Run], pump: Path) -> None:
    from .conftest import tree_digest

    edit(pump / "tests.yaml", "performed: 2026-08-17", "performed: 2025-08-01")
    before = tree_digest(pump)
    for fmt in ("text", "json", "sarif", "junit"):
        cli("drift", str(pump), "--as-of", AS_OF, "--format", fmt)
    assert tree_digest(pump) == before
