"""Readiness comes from the same checks users run: every rule's findings concern an element."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cyberfile.check.readiness import CHECKLIST, PART_ELEMENT, RULE_ELEMENT
from cyberfile.diagnostics.rules import RULES, Stage

from .conftest import Run, edit

FOLLOW_THEIR_FILE = {"CF303", "CF304", "CF500", "CF501"}
"""Rules about any item: their findings concern the element of the file they are in."""


def test_every_rule_says_which_element_its_findings_concern() -> None:
    elements = {key for key, *_ in CHECKLIST}
    for code, rule in RULES.items():
        by_file = rule.stage in (Stage.READ, Stage.REFERENCES, Stage.EVIDENCE_FILES)
        if code in RULE_ELEMENT:
            element = RULE_ELEMENT[code]
            assert element is None or element in elements, code
        else:
            assert by_file or code in FOLLOW_THEIR_FILE, (
                f"{code} ({rule.name}): add it to readiness.RULE_ELEMENT"
            )
    assert set(PART_ELEMENT.values()) <= elements


def test_a_finding_is_counted_once(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    """validate and drift share the SBOM step: its findings were counted twice."""
    edit(
        project / "sbom.yaml",
        "components: []",
        "components:\n  - ref: pkg:pypi/six@1.16.0\n    name: six\n    version: 1.16.0\n"
        "    supplier: Benjamin Peterson\n    purl: pkg:pypi/six@1.16.0\n"
        "    support: actively_maintained\n",
    )
    edit(project / "architecture.yaml", "components: []", "components: [pkg:pypi/six@1.16.0]")
    assert cli("build", str(project), "-o", str(tmp_path), "--no-pdf", "--no-site").code == 0
    readiness = (tmp_path / project.name / "documents" / "readiness-report.md").read_text("utf-8")
    assert "1 warning(s) reported: CF404 end-of-support-unstated" in readiness
    assert "CF404 end-of-support-unstated \u00d72" not in readiness
