"""The risk documents say only what the data and the checks establish, and state every gap.

Unassessed is never controlled (model, documents, matrix, impact); the risk management
report concludes over threats, vulnerabilities and anomalies together, naming each open
item and each deadline overdue on the document date; the risk assessment prints the
project's scales and cites them correctly; the vulnerability assessment says how
vulnerabilities were searched and which components no search covers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from cyberfile.load.project import load_project
from cyberfile.model import testing
from cyberfile.model.common import RiskRating
from cyberfile.model.manifest import Policy
from cyberfile.model.project import Project
from cyberfile.model.vocabulary import Exploitability, RiskControl, Severity
from cyberfile.model.vulnerabilities import Vulnerability
from cyberfile.render.documents import DocumentMeta, render_documents
from cyberfile.vulndb.match import target_of

from .conftest import EXAMPLE, Run, section

DOC_DATE = date(2026, 11, 25)
"""The example's document date (its newest recorded date)."""


@pytest.fixture(scope="module")
def example() -> Project:
    project = load_project(EXAMPLE).project
    assert project is not None
    return project


def render(project: Project, day: date = DOC_DATE) -> dict[str, str]:
    return render_documents(project, DocumentMeta(day, None, "cyberfile test"))


def vuln(**fields: Any) -> Vulnerability:
    return Vulnerability.model_validate(
        {
            "id": "CVE-2026-0001",
            "components": ["pkg:pypi/requests@2.28.2"],
            "discovered": "2026-01-01",
            "status": "affected",
            **fields,
        }
    )


def with_vulnerabilities(project: Project, *extra: Vulnerability, keep: bool = True) -> Project:
    kept = project.vulnerabilities.vulnerabilities if keep else ()
    vulnerabilities = project.vulnerabilities.model_copy(
        update={"vulnerabilities": (*kept, *extra)}
    )
    return replace(project, vulnerabilities=vulnerabilities)


def with_manifest(project: Project, **policy: Any) -> Project:
    updated = project.manifest.policy.model_copy(update=policy)
    return replace(project, manifest=project.manifest.model_copy(update={"policy": updated}))


def row(markdown: str, first_cell: str) -> str:
    """The table row whose first cell is `first_cell`."""
    for line in markdown.splitlines():
        if line.startswith(f"| {first_cell} |"):
            return line
    raise AssertionError(f"no row for {first_cell}")


# 1. Unassessed is never controlled, anywhere -------------------------------------------


def test_model_under_investigation_is_not_assessed_whatever_its_ratings() -> None:
    policy = Policy()
    preliminary = vuln(status="under_investigation", exploitability="low", severity="negligible")
    assert preliminary.risk_control(policy) is RiskControl.NOT_ASSESSED
    assessed_on = vuln(
        status="under_investigation",
        exploitability="high",
        severity="critical",
        assessed={"by": "x", "on": "2026-01-02"},
    )
    assert assessed_on.risk_control(policy) is RiskControl.NOT_ASSESSED
    assert vuln(severity="minor").risk_control(policy) is RiskControl.NOT_ASSESSED
    assert vuln(exploitability="low").risk_control(policy) is RiskControl.NOT_ASSESSED
    rated = vuln(exploitability="low", severity="minor")
    assert rated.risk_control(policy) is RiskControl.CONTROLLED


def test_unassessed_vulnerability_is_nowhere_controlled(
    example: Project, cli: Callable[..., Run]
) -> None:
    # The example's CVE-2023-32681 is under investigation with a preliminary (low,
    # negligible) rating: the bug printed "controlled" for it.
    docs = render(example)
    assessment = docs["vulnerability-assessment"]
    summary = row(assessment, "CVE-2023-32681")
    assert "| not yet assessed |" in summary and "| controlled |" not in summary
    details = section(assessment, "### CVE-2023-32681 (PYSEC-2023-74, GHSA-j8r2-6x86-q33q)")
    assert "| Residual risk | not yet assessed |" in details
    assert "preliminary" in details
    assert "| Assessed | not yet assessed; triage due 2026-12-09 |" in details

    # Every line of every document that names it: never "controlled".
    printed = [
        (slug, line)
        for slug, text in docs.items()
        for line in text.splitlines()
        if "CVE-2023-32681" in line
    ]
    assert {"traceability-matrix", "vulnerability-assessment"} <= {s for s, _ in printed}
    for slug, line in printed:
        assert not re.search(r"\bcontrolled\b", line), (slug, line)
    matrix = next(line for slug, line in printed if slug == "traceability-matrix")
    assert "not\\_assessed" in matrix or "not yet assessed" in matrix

    report = docs["security-risk-management-report"]
    named = next(line for line in report.splitlines() if "**CVE-2023-32681**" in line)
    assert "residual risk not yet assessed" in named

    run = cli("impact", "CVE-2023-32681", "--format", "json", str(EXAMPLE))
    assert run.code == 0, run.err
    assert {r["risk"] for r in json.loads(run.out)["results"]} == {"not_assessed"}


def test_affected_without_ratings_is_not_assessed_in_documents(example: Project) -> None:
    project = with_vulnerabilities(example, vuln(id="CVE-2026-1111", severity="serious"))
    docs = render(project)
    assert "| not yet assessed |" in row(docs["vulnerability-assessment"], "CVE-2026-1111")
    assert (
        "**CVE-2026-1111** (vulnerability): residual risk not yet assessed"
        in (docs["security-risk-management-report"])
    )


# 2. The residual-risk conclusion --------------------------------------------------------


def without_cpes(example: Project) -> Project:
    """The example before its embedded components had CPE names (no CVE matching)."""
    components = tuple(c.model_copy(update={"cpe": None}) for c in example.sbom.components)
    return replace(example, sbom=example.sbom.model_copy(update={"components": components}))


def without_open_source_advisories(example: Project) -> Project:
    """The example as it was before its plan named the embedded projects it follows, and
    before its components had CPEs."""
    kept = tuple(
        m for m in example.postmarket.monitoring if not m.source.startswith("Open-source project")
    )
    assert len(kept) == len(example.postmarket.monitoring) - 1
    return replace(
        without_cpes(example),
        postmarket=example.postmarket.model_copy(update={"monitoring": kept}),
    )


def test_conclusion_names_every_open_item_of_the_example(example: Project) -> None:
    complete = section(
        render(example)["security-risk-management-report"], "## Residual risk conclusion"
    )
    assert "cannot be matched against any feed" not in complete
    # The example's app and cloud components no recorded scan has checked yet are named.
    assert (
        "**Gap:** 36 of 101 SBOM components can be matched against a vulnerability feed but "
        "no recorded vulnerability scan has checked them" in complete
    )
    report = render(without_open_source_advisories(example))["security-risk-management-report"]
    conclusion = section(report, "## Residual risk conclusion")
    assert "The residual risk of all" not in conclusion
    assert "Of 27 threats, 25 have an acceptable residual risk" in conclusion
    assert "Of 425 known vulnerabilities, 424 have a controlled residual risk" in conclusion
    assert "1 not yet assessed" in conclusion
    assert "4 unresolved anomalies" in conclusion
    # The limits of the vulnerability search are stated where the conclusion is read.
    assert "3 of 101 SBOM components cannot be matched against any feed" in conclusion
    assert "the data does not establish that every residual risk is acceptable" in conclusion
    for item in ("THR-012", "THR-021", "CVE-2023-32681"):
        assert f"- **{item}**" in conclusion
    # The rationale is reproduced as recorded; the report does not claim it is a
    # benefit-risk analysis.
    assert "outweighs the risk or why the risk is otherwise controlled" not in report
    assert "this report does not itself contain that analysis" in conclusion


def test_conclusion_states_acceptability_only_when_the_data_establishes_it(
    example: Project,
) -> None:
    low = RiskRating(exploitability=Exploitability.LOW, severity=Severity.MINOR)
    threats = tuple(t.model_copy(update={"post_mitigation": low}) for t in example.threats.threats)
    tests = tuple(t.model_copy(update={"findings": ()}) for t in example.tests.tests)
    clean = replace(
        example,
        threats=example.threats.model_copy(update={"threats": threats}),
        tests=example.tests.model_copy(update={"tests": tests}),
        vulnerabilities=example.vulnerabilities.model_copy(
            update={
                "vulnerabilities": tuple(
                    v for v in example.vulnerabilities.vulnerabilities if v.id != "CVE-2023-32681"
                )
            }
        ),
    )
    conclusion = section(
        render(clean)["security-risk-management-report"], "## Residual risk conclusion"
    )
    assert "The residual risk of all 27 threats is acceptable under the criteria above." in (
        conclusion
    )
    assert "The residual risk of all 424 known vulnerabilities is controlled" in conclusion
    assert "**Conclusion:** the data establishes" in conclusion
    assert "- **" not in conclusion


def test_overdue_clocks_are_named_as_of_the_document_date(example: Project) -> None:
    risky = vuln(
        id="CVE-2026-2222",
        discovered="2026-09-01",
        exploitability="high",
        severity="critical",
        assessed={"by": "x", "on": "2026-09-05"},
    )
    project = with_vulnerabilities(example, risky)
    late = section(
        render(project)["security-risk-management-report"], "## Residual risk conclusion"
    )
    named = next(line for line in late.splitlines() if "**CVE-2026-2222**" in line)
    assert "residual risk uncontrolled" in named
    assert "**Overdue:** communication to customers was due 2026-10-01 (55 days" in named
    assert "**Overdue:** remediation (fix validated and distributed) was due 2026-10-31" in named
    assert "1 uncontrolled" in late and "have a deadline overdue on 2026-11-25" in late

    # The same data on an earlier document date: uncontrolled, but nothing overdue yet.
    early = section(
        render(project, date(2026, 9, 20))["security-risk-management-report"],
        "## Residual risk conclusion",
    )
    named = next(line for line in early.splitlines() if "**CVE-2026-2222**" in line)
    assert "residual risk uncontrolled" in named and "Overdue" not in named
    assert "Communication to customers due 2026-10-01" in named

    details = render(project)["vulnerability-assessment"]
    assert "**overdue** by 55 days on 2026-11-25" in section(details, "### CVE-2026-2222")


def test_conclusion_names_anomalies_without_rationale_and_untracked_findings(
    example: Project,
) -> None:
    anomalies = tuple(
        a.model_copy(update={"rationale": None}) if a.id == "ANOM-002" else a
        for a in example.anomalies.anomalies
    )
    finding = testing.TestFinding(
        id="NSL-99", title="Open debug endpoint", severity="high", status="open"
    )
    tests = tuple(
        t.model_copy(update={"findings": (*t.findings, finding)})
        if t.id == "TST-PENTEST-DEVICE"
        else t
        for t in example.tests.tests
    )
    project = replace(
        example,
        anomalies=example.anomalies.model_copy(update={"anomalies": anomalies}),
        tests=example.tests.model_copy(update={"tests": tests}),
    )
    conclusion = section(
        render(project)["security-risk-management-report"], "## Residual risk conclusion"
    )
    assert "3 of them have a recorded security impact and rationale" in conclusion
    assert "- **ANOM-002** (unresolved anomaly): **Gap:** no rationale for releasing with it" in (
        conclusion
    )
    assert "- **NSL-99** (finding of TST-PENTEST-DEVICE, high, open): Open debug endpoint." in (
        conclusion
    )
    # The findings the example tracks in anomalies and vulnerabilities are not repeated.
    assert "NSL-01" not in conclusion and "NSL-03" not in conclusion


# 3. The risk assessment -----------------------------------------------------------------


def test_risk_assessment_prints_the_scales_and_cites_them_correctly(example: Project) -> None:
    docs = render(example)
    assessment = docs["cybersecurity-risk-assessment"]
    scales = example.manifest.policy.scales
    assert scales.severity is not None and scales.exploitability is not None
    assert f"| serious | {scales.severity.serious} |" in assessment
    assert f"| high | {scales.exploitability.high} |" in assessment
    assert "Injury or impairment requiring professional medical intervention" in assessment
    assert "ISO 14971 scale" not in assessment and "ISO 14971: negligible" not in assessment
    assert "Postmarket Management of Cybersecurity in Medical Devices* (December 2016)" in (
        assessment
    )
    assert "ISO 14971:2019 prescribes no normative severity scale" in assessment
    assert "exploitability rather than probability" in assessment
    # Design risk of threats is acceptable / not acceptable, never (un)controlled.
    table = section(assessment, "## Assessment")
    assert "| not acceptable |" in row(table, "THR-012")
    assert "controlled" not in table
    report = docs["security-risk-management-report"]
    assert "ISO 14971: negligible" not in report
    assert "acceptable (controlled)" not in report
    assert "not acceptable (uncontrolled)" not in report


def test_missing_scales_are_a_visible_gap_not_invented(example: Project) -> None:
    bare = with_manifest(example, scales=Policy().scales)
    assessment = render(bare)["cybersecurity-risk-assessment"]
    assert "**Gap:** the levels of exploitability are not defined" in assessment
    assert "**Gap:** the levels of severity of patient harm are not defined" in assessment
    assert "professional medical intervention" not in assessment
    assert "| Level | Definition |" not in assessment


def test_unacceptable_risk_without_rationale_is_a_gap(example: Project) -> None:
    threats = tuple(
        t.model_copy(update={"residual_risk_rationale": None}) if t.id == "THR-012" else t
        for t in example.threats.threats
    )
    project = replace(example, threats=example.threats.model_copy(update={"threats": threats}))
    docs = render(project)
    part = section(
        docs["cybersecurity-risk-assessment"],
        "### THR-012: Memory corruption in the BLE host stack gives code execution on the pump",
    )
    assert (
        "**Gap:** the post-mitigation risk is not acceptable and no residual\\_risk\\_rationale"
        in (part)
    )
    assert "benefit-risk analysis (ISO 14971:2019 §7.4)" in docs["cybersecurity-risk-assessment"]
    named = next(
        line
        for line in docs["security-risk-management-report"].splitlines()
        if "**THR-012**" in line
    )
    assert "**Gap:** not acceptable under the criteria and no residual\\_risk\\_rationale" in named


# 4. The vulnerability assessment --------------------------------------------------------


def test_vulnerability_assessment_states_how_it_searched(example: Project) -> None:
    # The example's only gaps: components a feed can match that no recorded scan checked.
    gaps = [
        line
        for line in section(
            render(example)["vulnerability-assessment"], "## Coverage by component"
        ).splitlines()
        if "**Gap:**" in line
    ]
    assert len(gaps) == 36
    assert all("can match it, but no recorded vulnerability scan has checked it" in g for g in gaps)
    example = without_open_source_advisories(example)
    text = render(example)["vulnerability-assessment"]
    assert "Every known vulnerability of the SBOM's components" not in text
    components = example.sbom.components
    unmatchable = [c for c in components if isinstance(target_of(c), str)]
    assert (len(components), len(unmatchable)) == (101, 28)
    # Without CPEs, 28 components are of a type no feed matches; the recorded scan's
    # report still lists 18 of them as checked by the CPE they had when it ran.
    assert (
        "Of the 101 components of the SBOM, 55 were checked against a vulnerability feed by a "
        "recorded scan (OSV (PyPI): 37, CVE by CPE: 18; newest check: EV-SCAN-20261125 of "
        "2026-11-25: 55), 36 are of a type a vulnerability feed can match by package identity "
        "or CPE but no recorded scan has checked them (OSV (Maven): 20, OSV (Go): 11, "
        f"OSV (Debian): 5), and {len(unmatchable) - 18} cannot be matched against any feed" in text
    )
    # Sources of the plan, and the last scan with what its record says it read.
    for source in example.postmarket.monitoring:
        assert f"| {source.source} |" in text
    assert "The last recorded vulnerability scan is **EV-OSV-SCAN-20261125** of 2026-11-25" in text
    assert (
        'What it read, as its record states: "Weekly SBOM vulnerability scan VS-2026-W48 '
        '(OSV, CISA KEV, supplier advisories)"' in text
    )
    # A scan whose report lists no component establishes nothing about one.
    assert "EV-OSV-SCAN-20261125 (its report artifacts/osv-scan-2026-11-25.md does not list" in (
        text
    )
    # Per component: the scan that checked it, the supplier advisory that names it, own
    # software, or a gap.
    coverage = section(text, "## Coverage by component")
    assert "| checked by EV-SCAN-20261125 of 2026-11-25 against OSV (PyPI) |" in row(
        coverage, "pkg:pypi/django@4.2.15"
    )
    assert "monitored through Supplier advisories: OpenSSL" in row(
        coverage, "pkg:generic/nordic/nrf-connect-sdk@2.6.0"
    )
    assert "manufacturer's own software, monitored through" in row(
        coverage, "pkg:generic/example-medical/pump-controller@2.4.0"
    )
    assert "**Gap:** not matchable" in row(coverage, "pkg:generic/lvgl@8.3.11")
    assert (
        "**Gap:** 3 component(s) cannot be matched against any feed and no other monitoring is "
        "recorded for them: pkg:generic/paho.mqtt.c@1.3.13, pkg:generic/lvgl@8.3.11, "
        "pkg:generic/swupdate@2023.12." in text
    )


def without_cyberfile_scans(example: Project) -> Project:
    """The example without the scans whose report lists the components it checked."""
    kept = tuple(e for e in example.evidence.evidence if not (e.file or "").endswith(".json"))
    assert len(kept) == len(example.evidence.evidence) - 1
    return replace(example, evidence=example.evidence.model_copy(update={"evidence": kept}))


def test_components_with_a_cpe_are_covered_by_cve_records(example: Project) -> None:
    text = render(example)["vulnerability-assessment"]
    assert "Of the 101 components of the SBOM, 55 were checked against a vulnerability feed" in (
        text
    )
    assert "OSV (PyPI): 37, CVE by CPE: 18" in text
    assert "| checked by EV-SCAN-20261125 of 2026-11-25 against CVE by CPE (denx:u\\_boot) |" in (
        row(text, "pkg:generic/u-boot@2024.01")
    )
    # That it has a CPE says only that CVE records could match it.
    unscanned = render(without_cyberfile_scans(example))["vulnerability-assessment"]
    assert (
        "| **Gap:** CVE records by CPE can match it, but no recorded vulnerability scan has "
        "checked it |" in row(unscanned, "pkg:generic/u-boot@2024.01")
    )


def test_coverage_counts_are_computed(example: Project) -> None:
    example = without_cpes(example)
    fewer = replace(
        example,
        sbom=example.sbom.model_copy(update={"components": example.sbom.components[1:]}),
        postmarket=example.postmarket.model_copy(
            update={
                "monitoring": tuple(
                    m for m in example.postmarket.monitoring if m.kind.value != "supplier_advisory"
                )
            }
        ),
    )
    text = render(fewer)["vulnerability-assessment"]
    # one Maven component (the first) is gone; the scan report still covers 55
    assert "Of the 100 components of the SBOM, 55 were checked" in text
    assert "35 are of a type a vulnerability feed can match" in text
    assert "and 10 cannot be matched against any feed" in text
    assert "Of the 10 that cannot be matched, 0 are monitored through a supplier advisory" in text
    assert "**Gap:** not matchable" in row(text, "pkg:generic/paho.mqtt.c@1.3.13")
    assert "**Gap:** 5 component(s) cannot be matched" in text
    # without the recorded scan's report nothing is checked, and no CPE is left
    text = render(without_cyberfile_scans(fewer))["vulnerability-assessment"]
    assert "Of the 100 components of the SBOM, 0 were checked" in text
    assert "72 are of a type a vulnerability feed can match" in text
    assert "and 28 cannot be matched against any feed" in text
    assert "**Gap:** not matchable" in row(text, "pkg:generic/openssl@3.0.13")
    assert "**Gap:** 72 component(s) can be matched against a vulnerability feed, but no" in text
    assert "**Gap:** 23 component(s) cannot be matched" in text


def test_no_scan_recorded_is_a_gap(example: Project) -> None:
    evidence = tuple(e for e in example.evidence.evidence if e.type.value != "vulnerability_scan")
    project = replace(example, evidence=example.evidence.model_copy(update={"evidence": evidence}))
    text = render(project)["vulnerability-assessment"]
    assert "**Gap:** no vulnerability scan is recorded" in text
    assert "The last recorded vulnerability scan" not in text


def test_triage_overdue_on_the_document_date(example: Project) -> None:
    text = render(example, date(2027, 1, 15))["vulnerability-assessment"]
    details = section(text, "### CVE-2023-32681 (PYSEC-2023-74, GHSA-j8r2-6x86-q33q)")
    assert "not yet assessed; triage due 2026-12-09; **triage overdue** by 37 days" in details
    assessed = section(text, "### PYSEC-2024-102 (CVE-2024-45230)")
    assert "| Assessed | Priya Natarajan, 2026-09-09 |" in assessed


# 5. The example --------------------------------------------------------------------------


def test_example_defines_its_scales_and_validates(cli: Callable[..., Run]) -> None:
    project = load_project(EXAMPLE).project
    assert project is not None
    scales = project.manifest.policy.scales
    assert scales.exploitability is not None and scales.severity is not None
    run = cli("validate", str(EXAMPLE))
    assert run.code == 0, run.out + run.err
    assert "0 errors, 0 warnings" in run.out + run.err


def test_mitigation_summary_counts_what_the_tests_establish(example: Project) -> None:
    report = render(example)["security-risk-management-report"]
    assert "verified by 24 tests" not in report
    assert "Each of the 38 requirements is named by at least one test" in report
    first = example.tests.tests[0]
    failed = first.model_copy(update={"result": testing.TestResult.FAIL})
    project = replace(
        example,
        tests=example.tests.model_copy(update={"tests": (failed, *example.tests.tests[1:])}),
    )
    mitigation = section(
        render(project)["security-risk-management-report"], "## Mitigation activities"
    )
    assert "38 of the 38 requirements are named by at least one test" in mitigation
    assert "(23 pass, 1 fail)" in mitigation
