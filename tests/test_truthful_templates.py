"""No sentence of a submission document asserts what the data or a check does not establish.

Each test here would have caught a sentence the built-in templates used to print whatever
the data said: a residual-risk conclusion drawn over no threats at all, a transfer to the
ISO 14971 file that no threat records, cyberfile's default policy and acceptance matrix
presented as the manufacturer's, unwritten yes/no keys printed as "no", a search for
vulnerabilities that no record shows, metrics that hide what they are computed from, and
sections that come out empty instead of saying what is missing. They build a bare project
(`cyberfile init`, then most parts emptied), a fresh `init` project changed on purpose,
and the bundled example, through `cyberfile build`."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from cyberfile.cli import main

from .conftest import EXAMPLE, Run, edit, section

AS_OF = "2026-11-26"
UPDATES = "## Updates and patches (524B(b)(1); guidance §VII.C)"


def build(cli: Callable[..., Run], root: Path, out: Path) -> dict[str, str]:
    """Build `root` (a draft if it has errors) and return its documents by name."""
    args = ["-o", str(out), "--as-of", AS_OF, "--no-pdf", "--no-site", "--allow-errors"]
    run = cli("build", str(root), *args)
    assert run.code == 0, run.out + run.err
    folder = out / root.name / "documents"
    return {p.stem: p.read_text(encoding="utf-8") for p in folder.glob("*.md")}


def updates_section(plan: str) -> str:
    """The management plan's section on updates and patches, whatever its heading cites."""
    start = plan.index("\n## Updates and patches")
    rest = plan[plan.index("\n", start + 1) :]
    stop = re.search(r"^## ", rest, re.MULTILINE)
    return rest[: stop.start()] if stop else rest


def row(markdown: str, first_cell: str) -> str:
    """The table row whose first cell is `first_cell`."""
    for line in markdown.splitlines():
        if line.startswith(f"| {first_cell} |"):
            return line
    raise AssertionError(f"no row for {first_cell}")


def make_bare(root: Path) -> Path:
    """An `init` project with no threats, assets, controls, tests, postmarket plan or
    policy: every part that can be empty is empty."""
    manifest = root / "cyberfile.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text[: text.index("\npolicy:")] + "\n", encoding="utf-8")
    (root / "threats.yaml").write_text("threats: []\n", encoding="utf-8")
    (root / "architecture.yaml").write_text("assets: []\n", encoding="utf-8")
    (root / "controls.yaml").write_text("controls: []\n", encoding="utf-8")
    (root / "tests.yaml").write_text("tests: []\n", encoding="utf-8")
    (root / "postmarket.yaml").write_text("{}\n", encoding="utf-8")
    return root


@pytest.fixture
def bare_docs(cli: Callable[..., Run], tmp_path: Path) -> dict[str, str]:
    """The documents of a bare project (its own `init`, beside the `project` fixture's)."""
    root = tmp_path / "bare"
    assert cli("init", str(root)).code == 0
    return build(cli, make_bare(root), tmp_path / "bare-out")


@pytest.fixture(scope="module")
def example_docs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The bundled example, built as it is. That it validates is test_example's concern;
    here only what its documents say matters."""
    out = tmp_path_factory.mktemp("example")
    args = ["build", str(EXAMPLE), "-o", str(out), "--no-pdf", "--no-site", "--allow-errors"]
    assert main(args) == 0
    folder = out / EXAMPLE.name / "documents"
    return {p.stem: p.read_text(encoding="utf-8") for p in folder.glob("*.md")}


def add_component(root: Path, purl: str, name: str, supplier: str) -> None:
    edit(
        root / "sbom.yaml",
        "components: []",
        f"components:\n  - ref: {purl}\n    name: {name}\n    version: 1.0.0\n"
        f"    supplier: {supplier}\n    purl: {purl}\n    support: actively_maintained\n"
        "    end_of_support: 2030-01-01\n",
    )
    edit(root / "architecture.yaml", "components: []", f"components: [{purl}]")


def set_vulnerabilities(root: Path, entries: str) -> None:
    (root / "vulnerabilities.yaml").write_text("vulnerabilities:\n" + entries, encoding="utf-8")


# 1. The residual-risk conclusion over no threats ------------------------------------------


def test_no_threats_is_no_conclusion_on_threats(bare_docs: dict[str, str]) -> None:
    conclusion = section(
        bare_docs["security-risk-management-report"], "## Residual risk conclusion"
    )
    assert "the data establishes that the residual risk of every threat is acceptable" not in (
        conclusion
    )
    final = next(line for line in conclusion.splitlines() if line.startswith("**Conclusion:**"))
    assert "the threat model is missing" in final
    assert "no conclusion on the residual risk of threats can be drawn" in final


# 2. Transfer to the ISO 14971 safety risk file ---------------------------------------------


def test_hazard_transfer_is_stated_only_for_threats_that_name_a_hazard(
    cli: Callable[..., Run], project: Path, tmp_path: Path, example_docs: dict[str, str]
) -> None:
    # The init project's THR-001 is rated serious and names no hazard.
    methods = section(
        build(cli, project, tmp_path / "out")["security-risk-management-report"], "## Methods"
    )
    assert "are transferred to the ISO 14971 safety risk file through the hazard" not in methods
    assert "No threat names a hazard of the ISO 14971 safety risk file" in methods
    assert (
        "**Gap:** 1 threat(s) rated minor or worse for severity of patient harm name no hazard "
        "of the ISO 14971 safety risk file (threats.yaml safety\\_hazard): THR-001"
    ) in methods

    example = section(example_docs["security-risk-management-report"], "## Methods")
    assert "Each of the 27 threats names the hazard of the ISO 14971 safety risk file" in example
    assert "**Gap:**" not in example


# 3. Known exploited vulnerabilities handled out of cycle ----------------------------------


def test_kev_out_of_cycle_only_when_the_plan_says_so(
    cli: Callable[..., Run], project: Path, tmp_path: Path, example_docs: dict[str, str]
) -> None:
    # The init plan monitors CISA KEV, but its out-of-cycle text names no KEV vulnerability.
    monitoring = section(
        build(cli, project, tmp_path / "out")["cybersecurity-management-plan"],
        "## Vulnerability monitoring",
    )
    assert "is handled out of cycle" not in monitoring
    assert "Known exploited vulnerabilities (CISA KEV) are monitored as listed above." in (
        monitoring
    )
    assert (
        "**Gap:** the plan does not say how a known exploited vulnerability in a shipped "
        "component is handled"
    ) in monitoring

    example = section(example_docs["cybersecurity-management-plan"], "## Vulnerability monitoring")
    assert "The plan's out-of-cycle process names known exploited vulnerabilities" in example
    assert "**Gap:**" not in example


# 4. Policy durations: the manufacturer's or cyberfile's -----------------------------------


def test_policy_durations_are_not_a_commitment_without_policy_or_plan(
    cli: Callable[..., Run],
    project: Path,
    tmp_path: Path,
    bare_docs: dict[str, str],
    example_docs: dict[str, str],
) -> None:
    bare = updates_section(bare_docs["cybersecurity-management-plan"])
    assert "Uncontrolled risks are communicated to customers within 30 days" not in bare
    assert "**Gap:** no postmarket plan is recorded (postmarket.yaml)" in bare
    assert "cyberfile's built-in defaults" in bare

    # A plan, but no policy written: the values are named as cyberfile's defaults.
    manifest = project / "cyberfile.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text[: text.index("\npolicy:")] + "\n", encoding="utf-8")
    plan = updates_section(build(cli, project, tmp_path / "out")["cybersecurity-management-plan"])
    assert "Uncontrolled risks are communicated to customers within 30 days" not in plan
    assert (
        "**Gap:** cyberfile.yaml policy does not set triage\\_within, "
        "uncontrolled\\_risk.communicate\\_within, uncontrolled\\_risk.remediate\\_within"
    ) in plan

    # The example writes its policy and has a plan: a commitment, with its source.
    example = updates_section(example_docs["cybersecurity-management-plan"])
    assert (
        "Uncontrolled risks are communicated to customers within 30 days and remediated within "
        "60 days of discovery; new vulnerabilities are assessed within 14 days "
        "(cyberfile.yaml `policy`)."
    ) in example
    assert "built-in default" not in example and "**Gap:**" not in example


# 5. The acceptance matrix: the manufacturer's or cyberfile's ------------------------------


def test_default_acceptance_matrix_is_not_the_manufacturers(
    cli: Callable[..., Run], project: Path, tmp_path: Path, example_docs: dict[str, str]
) -> None:
    docs = build(cli, project, tmp_path / "out")  # init writes no policy.risk_acceptance
    criteria = section(docs["security-risk-management-report"], "## Risk acceptance criteria")
    assert "cyberfile's built-in default matrix" in criteria
    assert "**Gap:** the manufacturer has not defined risk acceptance criteria" in criteria
    conclusion = section(docs["security-risk-management-report"], "## Residual risk conclusion")
    assert "the conclusion holds only against that default" in conclusion
    assessment = section(docs["cybersecurity-risk-assessment"], "### Acceptance criteria")
    assert "(cyberfile.yaml `policy.risk_acceptance`)" not in assessment
    assert "cyberfile's built-in default matrix" in assessment
    assert "**Gap:** the manufacturer has not defined risk acceptance criteria" in assessment

    for document, heading in (
        ("security-risk-management-report", "## Risk acceptance criteria"),
        ("cybersecurity-risk-assessment", "### Acceptance criteria"),
    ):
        example = section(example_docs[document], heading)
        assert "policy.risk\\_acceptance" in example or "policy.risk_acceptance" in example
        assert "default" not in example and "**Gap:**" not in example


# 6. Unwritten yes/no keys are not "no" -----------------------------------------------------


def test_unwritten_yes_no_keys_print_not_recorded(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    edit(project / "threats.yaml", "    multi_patient_harm: false\n", "")
    set_vulnerabilities(
        project,
        "  - {id: CVE-2026-0001, components: [pkg:pypi/six@1.16.0], discovered: 2026-11-01,"
        " status: under_investigation}\n"
        "  - {id: CVE-2026-0002, components: [pkg:pypi/six@1.16.0], discovered: 2026-11-01,"
        " status: under_investigation, known_exploited: false}\n",
    )
    add_component(project, "pkg:pypi/six@1.16.0", "six", "Benjamin Peterson")
    plan = project / "postmarket.yaml"
    plan.write_text(plan.read_text(encoding="utf-8") + "isao: {name: H-ISAC}\n", encoding="utf-8")
    docs = build(cli, project, tmp_path / "out")

    assert "| Multi-patient harm | not recorded |" in docs["threat-model"]
    assets = section(docs["security-architecture"], "## Assets")
    assert "| AST-APP | Clinician app | software | not recorded |" in assets
    assert "| AST-DEVICE-FW | Device firmware | firmware | yes |" in assets

    vulns = docs["vulnerability-assessment"]
    assert "| not recorded |" in row(vulns, "CVE-2026-0001")
    assert "| no |" in row(vulns, "CVE-2026-0002")  # written by hand or by the scan
    details = section(vulns, "### CVE-2026-0001")
    assert "| Known exploited (CISA KEV) | not recorded |" in details
    assert "| Known exploited (CISA KEV) | no |" in section(vulns, "### CVE-2026-0002")

    isao = section(docs["cybersecurity-management-plan"], "## Information sharing (ISAO)")
    assert "not a member" not in isao and "does not share" not in isao
    assert "H-ISAC: membership not recorded; sharing of customer communications not recorded" in (
        isao
    )


# 7. No vulnerabilities recorded by no search ----------------------------------------------


def test_no_vulnerabilities_without_a_search_is_a_gap(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    add_component(project, "pkg:pypi/six@1.16.0", "six", "Benjamin Peterson")
    (project / "postmarket.yaml").write_text("{}\n", encoding="utf-8")  # no monitoring
    summary = section(
        build(cli, project, tmp_path / "out")["vulnerability-assessment"], "## Summary"
    )
    assert "by the searches above" not in summary
    assert "**Gap:** no vulnerabilities are recorded, and no search for them is recorded" in summary


# 8. A status without an assessor is a gap in the record, not "not yet assessed" -----------


def test_assessed_status_without_assessor_is_a_gap(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    add_component(project, "pkg:pypi/six@1.16.0", "six", "Benjamin Peterson")
    set_vulnerabilities(
        project,
        "  - {id: CVE-2026-0003, components: [pkg:pypi/six@1.16.0], discovered: 2026-11-01,"
        " status: not_affected, justification: code_not_reachable, known_exploited: false,"
        " detail: Not reachable.}\n"
        "  - {id: CVE-2026-0004, components: [pkg:pypi/six@1.16.0], discovered: 2026-11-01,"
        " status: under_investigation, known_exploited: false}\n",
    )
    vulns = build(cli, project, tmp_path / "out")["vulnerability-assessment"]
    # not_affected vulnerabilities are listed together, one row each
    not_affected = section(vulns, "## Not affected")
    (row,) = [line for line in not_affected.splitlines() if line.startswith("| CVE-2026-0003 |")]
    assert "not yet assessed" not in row
    assert row.endswith("| no | **Gap:** no assessor and date |")
    open_ = section(vulns, "### CVE-2026-0004")
    assert "| Assessed | not yet assessed; triage due 2026-11-15" in open_


# 9. The manufacturer's own software: the sources actually used ----------------------------


def test_own_software_coverage_names_the_sources_used(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    # Its own firmware, which no feed can match, is named by a supplier advisory source; the
    # plan has no internal testing or report channel at all.
    add_component(
        project,
        "pkg:generic/example-manufacturer/pump-fw@1.0.0",
        "pump-fw",
        "Example Manufacturer",
    )
    (project / "postmarket.yaml").write_text(
        "monitoring:\n"
        "  - {source: 'Supplier advisories: pump-fw', kind: supplier_advisory, every: 7d}\n",
        encoding="utf-8",
    )
    coverage = section(
        build(cli, project, tmp_path / "out")["vulnerability-assessment"],
        "### Coverage of the SBOM's components",
    )
    assert "internal testing and report channels" not in coverage
    assert (
        "1 is the manufacturer's own software, monitored through the plan's source "
        '"Supplier advisories: pump-fw"'
    ) in coverage


# 10. "None: every rated residual risk is acceptable" over nothing rated -------------------


def test_no_unacceptable_risk_is_not_claimed_without_rated_threats(
    bare_docs: dict[str, str],
) -> None:
    unacceptable = section(
        bare_docs["cybersecurity-risk-assessment"],
        "## Residual risks not acceptable under the criteria",
    )
    assert "every rated residual risk is acceptable" not in unacceptable
    assert "**Gap:** no threats are recorded (threats.yaml), so no residual risk is assessed" in (
        unacceptable
    )


# 11. Metrics say what they are computed from ---------------------------------------------


def test_metrics_say_what_each_value_is_computed_from(
    cli: Callable[..., Run], project: Path, tmp_path: Path, bare_docs: dict[str, str]
) -> None:
    empty = row(bare_docs["metrics"], "all")
    assert "n/a" not in empty and "not recorded" not in empty
    assert "nothing to measure" in empty

    add_component(project, "pkg:pypi/six@1.16.0", "six", "Benjamin Peterson")
    fixed = (
        "  - {{id: {id}, components: [pkg:pypi/six@1.16.0], discovered: 2026-01-01,"
        " status: fixed, known_exploited: false, exploitability: low, severity: minor,"
        " assessed: {{by: x, on: 2026-01-02}}, remediation: {{{remediation}}}}}\n"
    )
    set_vulnerabilities(
        project,
        fixed.format(id="CVE-2026-0001", remediation="fixed_in: 1.0.1, fixed_on: 2026-01-11")
        + fixed.format(id="CVE-2026-0002", remediation="fixed_in: 1.0.1, fixed_on: 2026-01-21")
        + fixed.format(id="CVE-2026-0003", remediation="fixed_in: 1.0.1, fixed_on: 2026-01-31")
        + fixed.format(id="CVE-2026-0004", remediation="fixed_in: 1.0.1"),
    )
    metrics = build(cli, project, tmp_path / "out")["metrics"]
    overall = row(metrics, "all")
    assert "| n/a |" not in overall
    assert (
        "20 (mean over 3 of 4 fixed vulnerabilities that record `fixed_on`; 1 without a "
        "date: CVE-2026-0004)"
    ) in overall
    assert "100.0 (4 of 4)" in overall
    assert (
        "**Gap:** not recorded: none of the 4 fixed vulnerabilities records both fixed\\_on "
        "and deployed\\_on"
    ) in overall
    assert "A value shown as not recorded is a gap in the data, not a zero" not in metrics


# 12. No empty section: every missing part is a gap ----------------------------------------


def test_empty_parts_are_gaps_not_empty_sections(bare_docs: dict[str, str]) -> None:
    for document, heading in (
        ("threat-model", "## Threats"),
        ("cybersecurity-testing", "## Tests"),
        ("security-architecture", "## Assets"),
        ("security-architecture", "## Trust boundaries"),
        ("security-architecture", "## Communication paths (Appendix 2)"),
        ("cybersecurity-management-plan", "## Periodic security testing"),
        ("cybersecurity-management-plan", "## Personnel"),
        ("cybersecurity-risk-assessment", "## Assessment"),
        ("traceability-matrix", "## Threat to evidence"),
        ("traceability-matrix", "## Requirement coverage"),
        ("traceability-matrix", "## Architecture elements"),
    ):
        text = section(bare_docs[document], heading)
        assert "**Gap:**" in text, (document, heading)
        assert "|---|" not in text, (document, heading)  # no table without rows


def test_gap_cells_use_the_gap_marker(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    edit(project / "architecture.yaml", "    protocol: BLE 5.0 GATT, LE Secure Connections\n", "")
    edit(
        project / "controls.yaml",
        "        acceptance_criteria: Commands from an unbonded central are rejected and logged.\n",
        "",
    )
    docs = build(cli, project, tmp_path / "out")
    for document in ("security-architecture", "security-controls", "cybersecurity-management-plan"):
        assert "GAP:" not in docs[document], document
    assert "| Protocol and version | **Gap:** not stated |" in docs["security-architecture"]
    assert "| **Gap:** no acceptance criteria stated |" in docs["security-controls"]
    assert (
        "| Policy | **Gap:** no policy published (postmarket.yaml cvd.policy\\_url) |"
        in (docs["cybersecurity-management-plan"])
    )


# 13. The update timeline belongs to the 524B(b)(1) plan ----------------------------------


def test_update_timeline_is_cited_as_part_of_the_b1_plan(example_docs: dict[str, str]) -> None:
    plan = example_docs["cybersecurity-management-plan"]
    assert "## Updates and patches (524B(b)(2))" not in plan
    assert f"\n{UPDATES}\n" in plan
