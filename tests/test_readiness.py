"""Readiness comes from the same checks users run: every rule's findings concern an element."""

from __future__ import annotations

from cyberfile.check.readiness import CHECKLIST, PART_ELEMENT, RULE_ELEMENT
from cyberfile.diagnostics.rules import RULES, Stage

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
