"""Waivers: a waived finding stays visible (text, JSON, SARIF, documents) but fails
nothing; an expired waiver suppresses nothing and is itself reported; one that matches
nothing is reported; unreadable input cannot be waived. End of support with a plan."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .conftest import Run, edit

OLD_COMPONENT = (
    "components:\n"
    "  - ref: pkg:pypi/django@3.2.25\n    name: django\n    version: 3.2.25\n"
    "    supplier: Django Software Foundation\n    purl: pkg:pypi/django@3.2.25\n"
    "    support: no_longer_maintained\n    end_of_support: 2024-04-01\n"
)


def _old_component(project: Path, plan: bool = False) -> None:
    text = OLD_COMPONENT
    if plan:
        text += (
            "    replacement_plan: Django 5.2 LTS in release 2.5.0 (CR-1432), due 2027-03\n"
            "    justification: Reachable only from the gateway's LAN; security fixes "
            "back-ported by the vendor until the upgrade\n"
        )
    edit(project / "sbom.yaml", "components: []", text)
    edit(project / "architecture.yaml", "components: []", "components: [pkg:pypi/django@3.2.25]")


def _waiver(
    project: Path, until: str, rule: str = "CF411", item: str = "pkg:pypi/django@3.2.25"
) -> None:
    with (project / "cyberfile.yaml").open("a", encoding="utf-8") as handle:
        handle.write(
            "waivers:\n"
            f"  - rule: {rule}\n"
            f"    items: [{item}]\n"
            "    reason: Replaced by Django 5.2 in 2.5.0 (CR-1432); gateway LAN only\n"
            "    approved_by: J. Rivera\n"
            f"    until: {until}\n"
        )


def _drift(cli: Callable[..., Run], project: Path, *extra: str) -> Run:
    return cli("drift", str(project), "--as-of", "2026-12-01", *extra)


def test_without_a_waiver_end_of_support_passed_fails(
    cli: Callable[..., Run], project: Path
) -> None:
    _old_component(project)
    run = _drift(cli, project)
    assert run.code == 1 and "CF411 error" in run.out


def test_a_waived_finding_is_shown_and_fails_nothing(
    cli: Callable[..., Run], project: Path
) -> None:
    _old_component(project)
    _waiver(project, "2027-03-31")
    run = _drift(cli, project)
    assert run.code == 0, run.out
    assert "CF411 error (waived)" in run.out
    assert "waived: until 2027-03-31, approved by J. Rivera: Replaced by Django 5.2" in run.out
    assert "1 waived" in run.out
    data = json.loads(_drift(cli, project, "--format", "json").out)
    finding = next(d for d in data["diagnostics"] if d["code"] == "CF411")
    assert finding["waived"] == {
        "reason": "Replaced by Django 5.2 in 2.5.0 (CR-1432); gateway LAN only",
        "approved_by": "J. Rivera",
        "until": "2027-03-31",
    }
    assert data["summary"]["errors"] == 0 and data["summary"]["waived"] == 1
    sarif = json.loads(_drift(cli, project, "--format", "sarif").out)
    result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "CF411")
    assert result["suppressions"][0]["kind"] == "external"
    assert "CR-1432" in result["suppressions"][0]["justification"]
    junit = _drift(cli, project, "--format", "junit")
    assert junit.code == 0 and "waived until 2027-03-31" in junit.out


def test_an_expired_waiver_suppresses_nothing_and_is_reported(
    cli: Callable[..., Run], project: Path
) -> None:
    _old_component(project)
    _waiver(project, "2026-11-30")
    run = _drift(cli, project)
    assert run.code == 1
    assert "CF411 error pkg:pypi/django@3.2.25" in run.out
    assert (
        "CF140 warning waiver of CF411 for pkg:pypi/django@3.2.25 expired on 2026-11-30" in run.out
    )
    assert "cyberfile.yaml:" in run.out  # with its line
    # the day it expires it still holds
    on_the_day = cli("drift", str(project), "--as-of", "2026-11-30")
    assert on_the_day.code == 0, on_the_day.out


def test_a_waiver_that_matches_nothing_is_reported(cli: Callable[..., Run], project: Path) -> None:
    _old_component(project, plan=False)
    _waiver(project, "2027-03-31", item="THR-001")
    run = _drift(cli, project)
    assert run.code == 1  # the CF411 is not covered: the waiver names another item
    assert (
        "CF141 warning waiver of CF411 for THR-001 (until 2027-03-31) matches no CF411" in run.out
    )


def test_validate_rules_can_be_waived_and_drift_leaves_them_to_validate(
    cli: Callable[..., Run], project: Path
) -> None:
    edit(
        project / "sbom.yaml",
        "components: []",
        "components:\n  - ref: pkg:pypi/six@1.16.0\n    name: six\n    version: 1.16.0\n"
        "    supplier: B. Peterson\n    purl: pkg:pypi/six@1.16.0\n    support: unknown\n",
    )
    edit(project / "architecture.yaml", "components: []", "components: [pkg:pypi/six@1.16.0]")
    _waiver(project, "2099-12-31", rule="CF400", item="pkg:pypi/six@1.16.0")
    run = cli("validate", str(project), "--fail-on", "warning", "--ignore", "CF204")
    assert run.code == 0, run.out
    assert "CF400 warning (waived)" in run.out
    drift = _drift(cli, project)
    assert "CF141" not in drift.out  # drift runs CF400 too and finds it covered


def test_unreadable_input_and_unknown_items_cannot_be_waived(
    cli: Callable[..., Run], project: Path
) -> None:
    _waiver(project, "2027-03-31", rule="CF101", item="THR-001")
    run = cli("validate", str(project))
    assert run.code == 1
    assert "CF142 error" in run.out and "cannot be read" in run.out
    text = (project / "cyberfile.yaml").read_text(encoding="utf-8").replace("CF101", "CF200")
    (project / "cyberfile.yaml").write_text(
        text.replace("[THR-001]", "[THR-999]"), encoding="utf-8"
    )
    run = cli("validate", str(project))
    assert run.code == 1 and "CF142 error waiver of CF200 names THR-999" in run.out


def test_a_waiver_needs_an_expiry_a_reason_and_an_approver(
    cli: Callable[..., Run], project: Path
) -> None:
    with (project / "cyberfile.yaml").open("a", encoding="utf-8") as handle:
        handle.write("waivers:\n  - {rule: CF411, items: [THR-001], reason: later}\n")
    run = cli("validate", str(project))
    assert run.code == 1
    assert "approved_by" in run.out and "until" in run.out


def test_end_of_support_with_a_plan_is_a_warning(cli: Callable[..., Run], project: Path) -> None:
    _old_component(project, plan=True)
    run = _drift(cli, project)
    assert run.code == 0, run.out
    assert "CF411 warning pkg:pypi/django@3.2.25: support ended 2024-04-01" in run.out
    assert "replacement planned: Django 5.2 LTS in release 2.5.0" in run.out


def test_documents_show_the_waiver(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    _old_component(project)
    _waiver(project, "2027-03-31")
    out = tmp_path / "out"
    run = cli("build", str(project), "-o", str(out), "--no-pdf", "--as-of", "2026-12-01")
    assert run.code == 0, run.out + run.err
    report = next(out.rglob("readiness-report.md")).read_text(encoding="utf-8")
    row = next(line for line in report.splitlines() if line.startswith("| CF411 |"))
    assert "waived until 2027-03-31, approved by J. Rivera" in row
    site = next(out.rglob("site/index.html")).read_text(encoding="utf-8")
    assert "waived until 2027-03-31" in site
