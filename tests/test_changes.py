"""What changed between two versions of a project (issue #15): the engine
(cyberfile.check.changes) and its text, JSON and Markdown renderers, on two copies of the
example device, the second edited as a team would edit it."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from cyberfile.check.changes import (
    ComponentChange,
    EvidenceChange,
    FieldChange,
    ItemChange,
    PartChange,
    ProjectChanges,
    Rating,
    TestResultChange,
    diff_projects,
    item_fields,
)
from cyberfile.load.project import load_project
from cyberfile.model.controls import Control
from cyberfile.model.items import Kind
from cyberfile.model.project import Project
from cyberfile.model.testing import SecurityTest
from cyberfile.model.threats import Threat
from cyberfile.render.changes import changes_json, changes_markdown, changes_text

from .conftest import EXAMPLE

HOSTILE = "<script>alert(1)</script> | *x*"


def _edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not written exactly once in {relative}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _load(root: Path) -> Project:
    project = load_project(root).project
    assert project is not None
    return project


def _threat_block(root: Path, relative: str, ident: str) -> str:
    """The YAML of one threat, from its `- id:` line to the next one."""
    lines = (root / relative).read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index(f"  - id: {ident}\n")
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith("  - id: ")),
        len(lines),
    )
    return "".join(lines[start:end])


def _edit_head(head: Path) -> None:
    # the device version, and one postmarket promise
    _edit(head, "cyberfile.yaml", 'version: "2.4.0"', 'version: "2.4.1"')
    _edit(
        head,
        "postmarket.yaml",
        "{source: NVD CVE feed, kind: vulnerability_database, every: 1d}",
        "{source: NVD CVE feed, kind: vulnerability_database, every: 7d}",
    )
    # the threat model's method, outside any item
    _edit(
        head,
        "threats/00-model.yaml",
        "name: STRIDE per element, with attack trees for multi-patient paths",
        "name: STRIDE per element",
    )
    # components: CPython 3.11.9 -> 3.12.4 (ref, purl, CPE and version) with a later end
    # of support; idna 3.6 -> 3.10 (PEP 440 order, not text order); requests down to
    # 2.27.1; Mosquitto's support level only
    gateway = "sbom/gateway.yaml"
    for old, new in (
        ("ref: pkg:generic/python@3.11.9", "ref: pkg:generic/python@3.12.4"),
        ("purl: pkg:generic/python@3.11.9", "purl: pkg:generic/python@3.12.4"),
        ('version: "3.11.9"', 'version: "3.12.4"'),
        ("cpe:2.3:a:python:python:3.11.9:", "cpe:2.3:a:python:python:3.12.4:"),
        ("end_of_support: 2027-10-31", "end_of_support: 2028-10-31"),
        ("ref: pkg:pypi/idna@3.6", "ref: pkg:pypi/idna@3.10"),
        ("purl: pkg:pypi/idna@3.6", "purl: pkg:pypi/idna@3.10"),
        ('version: "3.6"', 'version: "3.10"'),
        ("ref: pkg:pypi/requests@2.28.2", "ref: pkg:pypi/requests@2.27.1"),
        ("purl: pkg:pypi/requests@2.28.2", "purl: pkg:pypi/requests@2.27.1"),
        ('version: "2.28.2"', 'version: "2.27.1"'),
        (
            "support: actively_maintained\n    support_evidence: https://mosquitto.org/blog/",
            "support: limited\n    support_evidence: https://mosquitto.org/blog/",
        ),
    ):
        _edit(head, gateway, old, new)
    # a data flow's protocol
    _edit(
        head,
        "architecture.yaml",
        "protocol: Bluetooth LE 5.0 GATT over ATT",
        "protocol: Bluetooth LE 5.3 GATT over ATT",
    )
    # THR-012: a lower residual risk, and a hostile description
    ble = "threats/ble.yaml"
    _edit(
        head,
        ble,
        "post_mitigation: {exploitability: medium, severity: serious}",
        "post_mitigation: {exploitability: low, severity: serious}",
    )
    _edit(
        head,
        ble,
        "    description: >-\n"
        "      A malformed advertising, L2CAP, ATT or SMP packet exploits an unknown\n"
        "      vulnerability in the BLE controller firmware or in the BlueZ host stack before\n"
        "      any pairing, giving the attacker code execution on the application processor.\n"
        "      BLE stacks have a history of such flaws (for example SweynTooth, BrakTooth).\n",
        f"    description: '{HOSTILE}'\n",
    )
    # THR-013 copied twice under new ids: two candidates for one removal, no rename
    block = _threat_block(head, ble, "THR-013")
    copies = block.replace("id: THR-013", "id: THR-113") + block.replace(
        "id: THR-013", "id: THR-114"
    )
    _edit(head, ble, block, copies)
    # a new threat, with a hostile title
    with (head / ble).open("a", encoding="utf-8") as out:
        out.write(
            "  - id: THR-070\n"
            f"    title: '{HOSTILE}'\n"
            "    stride: [spoofing]\n"
            "    targets: [AST-BLE-MODULE]\n"
            "    pre_mitigation: {exploitability: high, severity: serious}\n"
        )
    # THR-062 renamed THR-162, and the evidence that covers it says so
    _edit(head, "threats/lifecycle.yaml", "id: THR-062", "id: THR-162")
    evidence = head / "evidence.yaml"
    evidence.write_text(
        evidence.read_text(encoding="utf-8").replace("THR-062,", "THR-162,"), encoding="utf-8"
    )
    # evidence renewed: a new date and file digest
    _edit(
        head,
        "evidence.yaml",
        "performed: 2026-10-09\n    file: artifacts/cloud-pentest-2026.md\n"
        "    sha256: 4804237b1323fcd658978ed404a0611e1a6b8d98612df706192f50514f97b551",
        "performed: 2026-12-01\n    file: artifacts/cloud-pentest-2026.md\n    sha256: " + "a" * 64,
    )
    # a test that now fails
    _edit(
        head,
        "tests.yaml",
        "    result: pass\n    performed: 2026-10-07\n"
        "    performer: {organization: Example Medical Inc. Product Security Verification, "
        "independent: false}\n    evidence: [EV-SECVER-2026]\n  - id: TST-UAUTH",
        "    result: fail\n    performed: 2026-12-02\n"
        "    performer: {organization: Example Medical Inc. Product Security Verification, "
        "independent: false}\n    evidence: [EV-SECVER-2026]\n  - id: TST-UAUTH",
    )
    # vulnerabilities: PYSEC-2024-102 fixed in 2.4.1; a new one
    vulns = "vulnerabilities.yaml"
    _edit(
        head,
        vulns,
        "    status: affected\n    detail: >-\n      Django's urlize",
        "    status: fixed\n    detail: >-\n      Django's urlize",
    )
    _edit(
        head,
        vulns,
        '      planned_release: "2.4.1"\n      customer_communication: 2026-09-23\n',
        '      planned_release: "2.4.1"\n      customer_communication: 2026-09-23\n'
        '      fixed_in: "2.4.1"\n      fixed_on: 2026-12-01\n',
    )
    with (head / vulns).open("a", encoding="utf-8") as out:
        out.write(
            "  - id: CVE-2099-0001\n"
            "    components: [pkg:pypi/django@4.2.15]\n"
            "    discovered: 2026-12-03\n"
            "    status: affected\n"
            "    exploitability: high\n"
            "    severity: serious\n"
        )


@dataclass
class Diffed:
    base: Project
    head: Project
    changes: ProjectChanges


@pytest.fixture(scope="module")
def diffed(tmp_path_factory: pytest.TempPathFactory) -> Diffed:
    root = tmp_path_factory.mktemp("changes")
    shutil.copytree(EXAMPLE, root / "base")
    shutil.copytree(EXAMPLE, root / "head")
    _edit_head(root / "head")
    base, head = _load(root / "base"), _load(root / "head")
    return Diffed(base, head, diff_projects(base, head))


def _item(changes: ProjectChanges, kind: Kind, ident: str) -> ItemChange:
    found = [i for i in changes.items if i.kind is kind and i.ident == ident]
    assert len(found) == 1, f"{kind} {ident}: {found}"
    return found[0]


def _component(changes: ProjectChanges, ref: str) -> ComponentChange:
    found = [c for c in changes.components if c.ref == ref]
    assert len(found) == 1, f"{ref}: {changes.components}"
    return found[0]


# ---------------------------------------------------------------------------------------
# The engine


def test_identical_projects_have_no_changes(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "a")
    # formatting and comments are not changes
    _edit(
        tmp_path / "a",
        "threats/ble.yaml",
        "  - id: THR-010\n",
        "  # a comment added\n  - id: THR-010\n",
    )
    changes = diff_projects(_load(EXAMPLE), _load(tmp_path / "a"))
    assert changes.is_empty
    assert changes.items == ()
    assert changes.counts["changed"] == 0
    assert changes_text(changes, "v2.4.0", "HEAD") == (
        "No changes between v2.4.0 and HEAD: both hold the same project content "
        "(comments, formatting and key order aside).\n"
    )
    assert changes_json(changes, {"revision": "v2.4.0"}, {"revision": "HEAD"})["empty"] is True


def test_component_upgrade_has_versions_and_support(diffed: Diffed) -> None:
    python = _component(diffed.changes, "pkg:generic/python@3.12.4")
    assert python == ComponentChange(
        ref="pkg:generic/python@3.12.4",
        name="python",
        status="upgraded",
        version_before="3.11.9",
        version_after="3.12.4",
        support=(FieldChange("end_of_support", "2027-10-31", "2028-10-31"),),
        fields=(),  # the purl and CPE changed only by the version
        ref_before="pkg:generic/python@3.11.9",
    )
    # no removal and addition for the same component
    refs = {c.ref for c in diffed.changes.components}
    assert "pkg:generic/python@3.11.9" not in refs


def test_versions_are_ordered_by_their_ecosystem(diffed: Diffed) -> None:
    idna = _component(diffed.changes, "pkg:pypi/idna@3.10")
    assert (idna.status, idna.version_before, idna.version_after) == ("upgraded", "3.6", "3.10")
    requests = _component(diffed.changes, "pkg:pypi/requests@2.27.1")
    assert (requests.status, requests.version_before, requests.version_after) == (
        "downgraded",
        "2.28.2",
        "2.27.1",
    )
    assert requests.ref_before == "pkg:pypi/requests@2.28.2"


def test_support_change_of_a_component(diffed: Diffed) -> None:
    mosquitto = _component(diffed.changes, "pkg:generic/mosquitto@2.0.18")
    assert mosquitto.status == "changed"
    assert mosquitto.support == (FieldChange("support", "actively_maintained", "limited"),)
    assert mosquitto.fields == ()
    assert mosquitto.ref_before is None


def test_components_are_not_among_items(diffed: Diffed) -> None:
    assert all(i.kind is not Kind.COMPONENT for i in diffed.changes.items)
    assert [c.ref for c in diffed.changes.components] == [
        "pkg:generic/mosquitto@2.0.18",
        "pkg:generic/python@3.12.4",
        "pkg:pypi/idna@3.10",
        "pkg:pypi/requests@2.27.1",
    ]


def test_new_threat_is_added(diffed: Diffed) -> None:
    added = _item(diffed.changes, Kind.THREAT, "THR-070")
    assert (added.status, added.title, added.fields) == ("added", HOSTILE, ())


def test_data_flow_protocol_and_the_threats_that_reference_it(diffed: Diffed) -> None:
    flow = _item(diffed.changes, Kind.DATA_FLOW, "DF-APP-PUMP")
    assert flow.status == "changed"
    assert [f.field for f in flow.fields] == ["protocol"]
    (protocol,) = flow.fields
    assert isinstance(protocol.before, str)
    assert isinstance(protocol.after, str)
    assert protocol.before.startswith("Bluetooth LE 5.0 GATT over ATT, CBOR")
    assert protocol.after == protocol.before.replace("LE 5.0", "LE 5.3")
    referencing = {
        i.ident
        for i in diffed.changes.items
        if i.kind is Kind.THREAT and "DF-APP-PUMP" in i.references
    }
    assert referencing == {"THR-004", "THR-010", "THR-011", "THR-025", "THR-113", "THR-114"}
    thr010 = _item(diffed.changes, Kind.THREAT, "THR-010")
    assert (thr010.status, thr010.fields, thr010.references) == ("changed", (), ("DF-APP-PUMP",))
    # the views that show the flow have their reviews on it too
    assert _item(diffed.changes, Kind.VIEW, "VIEW-GLOBAL").references == ("DF-APP-PUMP",)


def test_renamed_threat_and_references_to_the_new_id(diffed: Diffed) -> None:
    renamed = _item(diffed.changes, Kind.THREAT, "THR-162")
    assert (renamed.status, renamed.renamed_from, renamed.fields) == ("renamed", "THR-062", ())
    assert renamed.title == "Keys and patient data remain on a decommissioned or resold pump"
    assert not [i for i in diffed.changes.items if i.ident == "THR-062"]
    # the evidence that covers it changed by that id only, and says so
    pentest = _item(diffed.changes, Kind.EVIDENCE, "EV-PENTEST-2026")
    (covers,) = pentest.fields
    assert covers.field == "covers"
    assert isinstance(covers.before, list)
    assert isinstance(covers.after, list)
    assert "THR-062" in covers.before
    assert "THR-162" in covers.after
    assert [x for x in covers.before if x != "THR-062"] == [
        x for x in covers.after if x != "THR-162"
    ]
    assert "THR-162" in pentest.references


def test_two_identical_candidates_are_not_guessed(diffed: Diffed) -> None:
    assert _item(diffed.changes, Kind.THREAT, "THR-013").status == "removed"
    assert _item(diffed.changes, Kind.THREAT, "THR-113").status == "added"
    assert _item(diffed.changes, Kind.THREAT, "THR-114").status == "added"


def test_risk_rating_before_and_after(diffed: Diffed) -> None:
    risks = {r.threat: r for r in diffed.changes.risks}
    thr012 = risks["THR-012"]
    assert thr012.status == "changed"
    assert thr012.residual_before == Rating("medium", "serious", False)
    assert thr012.residual_after == Rating("low", "serious", True)
    assert thr012.initial_before == thr012.initial_after == Rating("high", "critical", False)
    added = risks["THR-070"]
    assert (added.status, added.initial_before, added.initial_after, added.residual_after) == (
        "added",
        None,
        Rating("high", "serious", False),
        None,
    )
    # a rename with the same ratings is no risk change
    assert "THR-162" not in risks
    assert set(risks) == {"THR-012", "THR-013", "THR-070", "THR-113", "THR-114"}


def test_hostile_description_is_a_field_change(diffed: Diffed) -> None:
    thr012 = _item(diffed.changes, Kind.THREAT, "THR-012")
    assert [f.field for f in thr012.fields] == ["description", "post_mitigation.exploitability"]
    assert thr012.fields[0].after == HOSTILE
    assert thr012.fields[1] == FieldChange("post_mitigation.exploitability", "medium", "low")


def test_vulnerability_newly_fixed_and_newly_known(diffed: Diffed) -> None:
    vulns = {v.ident: v for v in diffed.changes.vulnerabilities}
    fixed = vulns["PYSEC-2024-102"]
    assert fixed.status == "newly fixed"
    assert (fixed.before_state, fixed.after_state) == ("affected", "fixed")
    assert (fixed.before_risk, fixed.after_risk) == ("controlled", "controlled")
    assert (fixed.fixed_in, fixed.fixed_on) == ("2.4.1", "2026-12-01")
    assert fixed.components == ("pkg:pypi/django@4.2.15",)
    assert fixed.dates == (FieldChange("remediation.fixed_on", None, "2026-12-01"),)
    assert [f.field for f in fixed.fields] == [
        "status",
        "remediation.fixed_in",
        "remediation.fixed_on",
    ]
    new = vulns["CVE-2099-0001"]
    assert new.status == "newly known"
    assert (new.before_state, new.after_state) == (None, "affected")
    assert (new.before_risk, new.after_risk) == (None, "uncontrolled")
    assert new.discovered == "2026-12-03"
    assert set(vulns) == {"PYSEC-2024-102", "CVE-2099-0001"}


def test_evidence_renewed(diffed: Diffed) -> None:
    assert diffed.changes.evidence == (
        EvidenceChange(
            ident="EV-CLOUD-PENTEST-2026",
            title="Independent penetration test of drug library and update services (CLA-2026-077)",
            performed_before="2026-10-09",
            performed_after="2026-12-01",
            sha256_before="4804237b1323fcd658978ed404a0611e1a6b8d98612df706192f50514f97b551",
            sha256_after="a" * 64,
            file_before="artifacts/cloud-pentest-2026.md",
            file_after="artifacts/cloud-pentest-2026.md",
        ),
    )


def test_test_result_changed(diffed: Diffed) -> None:
    assert diffed.changes.tests == (
        TestResultChange(
            ident="TST-BLE-PAIR",
            title="BLE pairing method, pairing window and bond limit",
            result_before="pass",
            result_after="fail",
            performed_before="2026-10-07",
            performed_after="2026-12-02",
        ),
    )
    test = _item(diffed.changes, Kind.TEST, "TST-BLE-PAIR")
    assert test.fields == (
        FieldChange("result", "pass", "fail"),
        FieldChange("performed", "2026-10-07", "2026-12-02"),
    )


def test_device_version_and_postmarket(diffed: Diffed) -> None:
    changes = diffed.changes
    assert (changes.version_before, changes.version_after) == ("2.4.0", "2.4.1")
    assert changes.manifest.part == "cyberfile.yaml"
    assert changes.manifest.fields == (FieldChange("device.version", "2.4.0", "2.4.1"),)
    assert changes.postmarket.part == "postmarket.yaml"
    assert changes.postmarket.fields == (FieldChange("monitoring[1].every", "1d", "7d"),)
    assert changes.parts == (
        PartChange(
            "threats.yaml",
            (
                FieldChange(
                    "methodology.name",
                    "STRIDE per element, with attack trees for multi-patient paths",
                    "STRIDE per element",
                ),
            ),
        ),
    )


def test_items_are_in_kind_then_natural_id_order(diffed: Diffed) -> None:
    threats = [i.ident for i in diffed.changes.items if i.kind is Kind.THREAT]
    assert threats == [
        "THR-004",
        "THR-010",
        "THR-011",
        "THR-012",
        "THR-013",
        "THR-025",
        "THR-070",
        "THR-113",
        "THR-114",
        "THR-162",
    ]
    kinds = [i.kind for i in diffed.changes.items]
    order = list(Kind)
    assert kinds == sorted(kinds, key=order.index)
    assert diffed.changes.counts == {
        "added": 4,  # THR-070, THR-113, THR-114, CVE-2099-0001
        "removed": 1,  # THR-013
        # DF-APP-PUMP, THR-012, TST-BLE-PAIR, three evidence items, PYSEC-2024-102, and
        # the Mosquitto component
        "changed": 8,
        "renamed": 1,  # THR-162
        "references_changed": 20,
        "upgraded": 3,  # python, idna, requests (down)
        "risk_ratings": 5,
        "vulnerabilities": 2,
        "evidence_renewed": 1,
        "test_results": 1,
        "settings": 3,  # device.version, monitoring[1].every, methodology.name
    }


# ---------------------------------------------------------------------------------------
# One item, field by field (what CF500 names)


def _threat(**values: object) -> Threat:
    data: dict[str, object] = {"id": "THR-001", "title": "T", "stride": ["spoofing"]}
    data.update(values)
    return Threat.model_validate(data)


def test_item_fields_paths_defaults_and_review_stamp() -> None:
    before = _threat(
        pre_mitigation={"exploitability": "high", "severity": "critical"},
        multi_patient_harm=True,
        stride=["spoofing", "tampering"],
    )
    after = _threat(
        pre_mitigation={"exploitability": "low", "severity": "critical"},
        stride=["tampering", "spoofing"],
        safety_hazard="HAZ-1",
        reviewed={"by": "J. Rivera", "on": "2026-11-12"},
    )
    assert item_fields(before, after) == (
        FieldChange("stride", ["spoofing", "tampering"], ["tampering", "spoofing"]),
        FieldChange("pre_mitigation.exploitability", "high", "low"),
        FieldChange("safety_hazard", None, "HAZ-1"),
        FieldChange("multi_patient_harm", True, False),
    )
    # the review stamp is not content
    assert item_fields(before, before.model_copy(update={"reviewed": None})) == ()
    stamped = _threat(reviewed={"by": "J. Rivera", "on": "2026-11-12"})
    assert item_fields(_threat(), stamped) == ()


def _test_with(findings: list[dict[str, object]]) -> SecurityTest:
    return SecurityTest.model_validate(
        {
            "id": "TST-1",
            "title": "Pen test",
            "type": "penetration_test",
            "result": "pass",
            "findings": findings,
        }
    )


def _finding(ident: str, status: str) -> dict[str, object]:
    return {
        "id": ident,
        "title": f"Finding {ident}",
        "severity": "low",
        "status": status,
        "rationale": "Deferred to 2.5.",
    }


def test_item_fields_lists_of_mappings_by_id() -> None:
    before = _test_with([_finding("F-1", "open"), _finding("F-2", "open"), _finding("F-3", "open")])
    after = _test_with([_finding("F-1", "open"), _finding("F-2", "open"), _finding("F-3", "fixed")])
    assert item_fields(before, after) == (FieldChange("findings[2].status", "open", "fixed"),)
    # an entry removed and one added are matched by id, not by position
    after = _test_with([_finding("F-2", "fixed"), _finding("F-4", "open")])
    assert item_fields(before, after) == (
        FieldChange("findings[0].status", "open", "fixed"),
        FieldChange("findings[1]", None, _finding("F-4", "open")),
        FieldChange("findings[0]", _finding("F-1", "open"), None),
        FieldChange("findings[2]", _finding("F-3", "open"), None),
    )


def test_item_fields_nested_requirement_renamed_in_place() -> None:
    def control(req: str) -> Control:
        return Control.model_validate(
            {
                "id": "CTL-A",
                "title": "A",
                "category": "authentication",
                "requirements": [{"id": req, "text": "The pump shall authenticate."}],
            }
        )

    assert item_fields(control("REQ-A-1"), control("REQ-A-2")) == (
        FieldChange("requirements[0].id", "REQ-A-1", "REQ-A-2"),
    )


# ---------------------------------------------------------------------------------------
# Renderers


def test_text_lines(diffed: Diffed) -> None:
    text = changes_text(diffed.changes, "v2.4.0", "HEAD")
    lines = text.splitlines()
    assert lines[0] == (
        "Changes from v2.4.0 to HEAD: 4 added, 1 removed, 8 changed, 1 renamed, "
        "20 with changed references only, 3 component versions changed, 5 risk ratings, "
        "2 vulnerabilities, 1 evidence item renewed, 1 test result, 3 settings"
    )
    assert lines[1] == "Device version 2.4.0 -> 2.4.1"
    expected = [
        "Device (cyberfile.yaml)",
        "    device.version: 2.4.0 -> 2.4.1",
        "Components",
        "  pkg:generic/python@3.12.4 (python): Upgraded 3.11.9 -> 3.12.4 "
        "(was pkg:generic/python@3.11.9)",
        "    end_of_support: 2027-10-31 -> 2028-10-31",
        "  pkg:generic/mosquitto@2.0.18 (mosquitto): Support changed",
        "    support: actively_maintained -> limited",
        "  pkg:pypi/requests@2.27.1 (requests): Downgraded 2.28.2 -> 2.27.1 "
        "(was pkg:pypi/requests@2.28.2)",
        "  DF-APP-PUMP: Changed",
        "    protocol: Bluetooth LE 5.0 GATT over ATT, CBOR application messages w… -> "
        "Bluetooth LE 5.3 GATT over ATT, CBOR application messages w…",
        "  THR-162 (Keys and patient data remain on a decommissioned…): Renamed from THR-062",
        "  THR-013 (BLE jamming or connection flooding blocks the cli…): Removed",
        "    post_mitigation.exploitability: medium -> low",
        "    covers: added THR-162; removed THR-062",
        "Risk ratings",
        "  THR-012 (Memory corruption in the BLE host stack gives cod…): residual "
        "medium/serious (not acceptable) -> low/serious (acceptable)",
        "Vulnerabilities",
        "  PYSEC-2024-102 (pkg:pypi/django@4.2.15): Newly fixed: affected -> fixed",
        "    remediation.fixed_in: added 2.4.1",
        "    remediation.fixed_on: added 2026-12-01",
        "  CVE-2099-0001 (pkg:pypi/django@4.2.15): Newly known: affected, risk uncontrolled",
        "Evidence renewed",
        "  EV-CLOUD-PENTEST-2026 (Independent penetration test of drug library and…): "
        "performed 2026-10-09 -> 2026-12-01; sha256 4804237b1323… -> aaaaaaaaaaaa…",
        "Test results",
        "  TST-BLE-PAIR (BLE pairing method, pairing window and bond limit): "
        "result pass -> fail; performed 2026-10-07 -> 2026-12-02",
        "Postmarket plan (postmarket.yaml)",
        "    monitoring[1].every: 1d -> 7d",
        "    methodology.name: STRIDE per element, with attack trees for multi-patient pat… "
        "-> STRIDE per element",
    ]
    for line in expected:
        assert line in lines, line
    # items unchanged themselves are one line per section, with what changed under them
    threats_only = [line for line in lines if "THR-010" in line]
    assert len(threats_only) == 1
    assert threats_only[0].startswith("  Unchanged, but what they reference changed: ")
    assert threats_only[0].endswith("(DF-APP-PUMP)")
    # sections in reviewer order
    headings = [line for line in lines if line and not line.startswith(" ")][2:]
    assert headings == [
        "Device (cyberfile.yaml)",
        "Components",
        "Assets",
        "Data flows",
        "Views",
        "Threats",
        "Risk ratings",
        "Tests",
        "Evidence items",
        "Vulnerabilities",
        "Evidence renewed",
        "Test results",
        "Postmarket plan (postmarket.yaml)",
        "Other values (threats.yaml)",
    ]


def test_text_shows_where_long_values_differ(diffed: Diffed) -> None:
    changes = ProjectChanges(
        items=(
            ItemChange(
                Kind.THREAT,
                "THR-001",
                "changed",
                (FieldChange("description", "x " * 40 + "end", "x " * 40 + "finish"),),
            ),
        )
    )
    text = changes_text(changes, "a", "b")
    assert "    description: …x x x x x end -> …x x x x x finish" in text.splitlines()


def test_json_round_trips_with_documented_keys(diffed: Diffed) -> None:
    document = changes_json(diffed.changes, {"revision": "v2.4.0"}, {"revision": "HEAD"})
    assert json.loads(json.dumps(document, sort_keys=True)) == document
    assert document["format"] == "cyberfile-diff/1"
    assert set(document) == {
        "format",
        "base",
        "head",
        "empty",
        "counts",
        "device",
        "manifest",
        "postmarket",
        "parts",
        "items",
        "components",
        "risks",
        "vulnerabilities",
        "evidence",
        "tests",
    }
    assert document["base"] == {"revision": "v2.4.0"}
    assert document["device"] == {"version_before": "2.4.0", "version_after": "2.4.1"}
    python = next(c for c in document["components"] if c["name"] == "python")
    assert python == {
        "ref": "pkg:generic/python@3.12.4",
        "ref_before": "pkg:generic/python@3.11.9",
        "name": "python",
        "status": "upgraded",
        "version_before": "3.11.9",
        "version_after": "3.12.4",
        "support": [{"field": "end_of_support", "before": "2027-10-31", "after": "2028-10-31"}],
        "fields": [],
    }
    renamed = next(i for i in document["items"] if i["id"] == "THR-162")
    assert renamed == {
        "kind": "threat",
        "id": "THR-162",
        "status": "renamed",
        "title": "Keys and patient data remain on a decommissioned or resold pump",
        "renamed_from": "THR-062",
        "fields": [],
        "references": [],
    }
    fixed = next(v for v in document["vulnerabilities"] if v["id"] == "PYSEC-2024-102")
    assert (fixed["status"], fixed["state_before"], fixed["state_after"]) == (
        "newly fixed",
        "affected",
        "fixed",
    )
    thr012 = next(r for r in document["risks"] if r["threat"] == "THR-012")
    assert thr012["residual_after"] == {
        "exploitability": "low",
        "severity": "serious",
        "acceptable": True,
    }


def test_markdown_escapes_what_comes_from_yaml(diffed: Diffed) -> None:
    markdown = changes_markdown(diffed.changes, "v2.4.0 <b>", "HEAD")
    assert "<script>" not in markdown
    assert "<b>" not in markdown
    assert markdown.startswith("# Changes from v2.4.0 &lt;b&gt; to HEAD\n")
    escaped = r"&lt;script&gt;alert(1)&lt;/script&gt; \| \*x\*"
    # the new threat's title and THR-012's new description
    assert f"| THR-070 | {escaped} | Added |  |  |  |" in markdown
    assert "| description | A malformed advertising, L2CAP" in markdown
    # and in the risk ratings table
    assert markdown.count(escaped) == 3
    assert "## Risk ratings" in markdown
    assert (
        "| THR-012 | Memory corruption in the BLE host stack gives code execution on the "
        "pump | high/critical (not acceptable) | high/critical (not acceptable) | "
        "medium/serious (not acceptable) | low/serious (acceptable) |"
    ) in markdown
    assert "| Component | Name | Change | Version before | Version after | Details |" in markdown


def test_markdown_and_text_when_nothing_changed() -> None:
    empty = ProjectChanges(version_before="1", version_after="1")
    assert changes_markdown(empty, "a*b", "c") == (
        "# Changes\n\nNo changes between a\\*b and c: both hold the same project content "
        "(comments, formatting and key order aside).\n"
    )


def test_policy_change_and_component_renamed(tmp_path: Path) -> None:
    """The acceptance matrix loses (low, minor): ratings and risk control change without
    any edit of the threats and vulnerabilities. A component's ref changes, nothing else."""
    shutil.copytree(EXAMPLE, tmp_path / "head")
    head = tmp_path / "head"
    _edit(head, "cyberfile.yaml", "      - [low, minor]\n", "")
    _edit(head, "sbom/gateway.yaml", "ref: pkg:generic/mosquitto@2.0.18", "ref: mosquitto-broker")
    changes = diff_projects(_load(EXAMPLE), _load(head))

    assert changes.manifest.fields == (
        FieldChange(
            "policy.risk_acceptance.acceptable",
            [
                ["low", "negligible"],
                ["low", "minor"],
                ["low", "serious"],
                ["low", "critical"],
                ["medium", "negligible"],
                ["medium", "minor"],
                ["high", "negligible"],
            ],
            [
                ["low", "negligible"],
                ["low", "serious"],
                ["low", "critical"],
                ["medium", "negligible"],
                ["medium", "minor"],
                ["high", "negligible"],
            ],
        ),
    )
    risks = {r.threat: r for r in changes.risks}
    thr043 = risks["THR-043"]  # post-mitigation low/minor
    assert (thr043.residual_before, thr043.residual_after) == (
        Rating("low", "minor", True),
        Rating("low", "minor", False),
    )
    assert thr043.initial_before == thr043.initial_after
    vulns = {v.ident: v for v in changes.vulnerabilities}
    django = vulns["PYSEC-2024-102"]  # affected, low/minor
    assert (django.status, django.fields) == ("changed", ())
    assert (django.before_state, django.after_state) == ("affected", "affected")
    assert (django.before_risk, django.after_risk) == ("controlled", "uncontrolled")
    assert all(
        (v.before_risk, v.after_risk) == ("controlled", "uncontrolled") for v in vulns.values()
    )

    (mosquitto,) = changes.components
    assert mosquitto == ComponentChange(
        ref="mosquitto-broker",
        name="mosquitto",
        status="renamed",
        version_before="2.0.18",
        version_after="2.0.18",
        ref_before="pkg:generic/mosquitto@2.0.18",
    )
    text = changes_text(changes, "a", "b").splitlines()
    assert "    policy.risk_acceptance.acceptable: removed low, minor" in text
    assert "  mosquitto-broker (mosquitto): Renamed from pkg:generic/mosquitto@2.0.18" in text
    assert (
        "  PYSEC-2024-102 (pkg:pypi/django@4.2.15): Changed; risk controlled -> uncontrolled"
        in text
    )
