"""`cyberfile validate` as a user meets it: each mistake gets one precise diagnostic."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Run, edit, line_of, tree_digest


def diagnostics(cli: Callable[..., Run], root: Path, *extra: str) -> tuple[int, list[dict]]:
    run = cli("validate", "--format", "json", *extra, str(root))
    assert "Traceback" not in run.out + run.err
    return run.code, json.loads(run.out)["diagnostics"]


def only(found: list[dict], code: str) -> dict:
    matching = [d for d in found if d["code"] == code]
    assert len(matching) == 1, found
    return matching[0]


def test_fresh_scaffold_validates(cli: Callable[..., Run], project: Path) -> None:
    code, found = diagnostics(cli, project)
    assert code == 0
    assert [d["code"] for d in found] == ["CF204"]  # the scaffold's test has not been run


def test_text_output_is_path_line_col_code(cli: Callable[..., Run], project: Path) -> None:
    edit(project / "threats.yaml", "controls: [CTL-BLE-AUTH]", "controls: [CTL-BLE-AUTHX]")
    run = cli("validate", str(project))
    line = line_of(project / "threats.yaml", "CTL-BLE-AUTHX")
    expected = f"{(project / 'threats.yaml').as_posix()}:{line}:16: CF121 error THR-001:"
    assert expected in run.out
    assert "hint: did you mean 'CTL-BLE-AUTH'?" in run.out
    assert run.out.rstrip().endswith("1 project checked: 1 error, 1 warning")
    assert run.code == 1


def test_unknown_key_points_at_the_key(cli: Callable[..., Run], project: Path) -> None:
    edit(project / "threats.yaml", "    title: Unauthenticated", "    titel: Unauthenticated")
    code, found = diagnostics(cli, project)
    unknown = only(found, "CF111")
    assert unknown["line"] == line_of(project / "threats.yaml", "titel:")
    assert unknown["column"] == 5
    assert unknown["hint"] == "did you mean 'title'?"
    assert "CF112" not in {d["code"] for d in found}  # the missing title is the same slip
    assert code == 1


def test_wrong_type_deep_in_a_list(cli: Callable[..., Run], project: Path) -> None:
    edit(project / "architecture.yaml", "carries: [data, commands]", "carries: [data, comands]")
    _, found = diagnostics(cli, project)
    bad = only(found, "CF110")
    assert bad["file"].endswith("architecture.yaml")
    assert bad["line"] == line_of(project / "architecture.yaml", "comands")
    assert "DF-APP-DEVICE: carries[1]: 'comands' is not one of" in bad["message"]
    assert bad["hint"] == "did you mean 'commands'?"


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('version: "1.0.0"', "version: 1.10", "found the number 1.10"),
        ("critical_function: true", "critical_function: yes", "expected true or false"),
        ("id: THR-001", "id: thr-001", "is not a valid id"),
        (
            "submission: {type: 510k}",
            "submission: {type: 510k, target_date: 2027-02-30}",
            "not a calendar date",
        ),
        ("triage_within: 14d", "triage_within: 14 days", "not a duration"),
        ("stride: [spoofing]", "stride: []", "at least 1"),
    ],
)
def test_value_errors(
    cli: Callable[..., Run], project: Path, old: str, new: str, words: str
) -> None:
    target = next(p for p in sorted(project.glob("*.yaml")) if old in p.read_text(encoding="utf-8"))
    edit(target, old, new)
    code, found = diagnostics(cli, project)
    bad = only(found, "CF110")
    assert words in bad["message"]
    assert bad["line"] == line_of(target, new)
    assert code == 1


def test_duplicate_id_across_parts(cli: Callable[..., Run], project: Path) -> None:
    edit(project / "controls.yaml", "- id: REQ-BLE-AUTH-1", "- id: THR-001")
    _, found = diagnostics(cli, project)
    dup = only(found, "CF120")
    assert dup["file"].endswith("controls.yaml")
    assert "already used by a threat at" in dup["message"]
    assert "threats.yaml:" in dup["message"]


def test_wrong_reference_kind(cli: Callable[..., Run], project: Path) -> None:
    edit(project / "threats.yaml", "controls: [CTL-BLE-AUTH]", "controls: [REQ-BLE-AUTH-1]")
    _, found = diagnostics(cli, project)
    wrong = only(found, "CF122")
    assert "which is a requirement; controls must name controls" in wrong["message"]
    assert wrong["line"] == line_of(project / "threats.yaml", "controls: [REQ")


@pytest.mark.parametrize(
    ("file", "old", "new", "field"),
    [
        ("architecture.yaml", "    to: AST-DEVICE-FW", "    to: AST-NOPE", "to"),
        ("architecture.yaml", "assets: [AST-DEVICE-FW]}", "assets: [AST-NOPE]}", "assets"),
        (
            "architecture.yaml",
            "elements: [AST-DEVICE-FW]\n  - id: VIEW-UPDATE",
            "elements: [DF-NOPE]\n  - id: VIEW-UPDATE",
            "elements",
        ),
        ("threats.yaml", "targets: [DF-APP-DEVICE]", "targets: [DF-NOPE]", "targets"),
        (
            "controls.yaml",
            "implemented_in: [AST-DEVICE-FW, AST-APP]",
            "implemented_in: [AST-DEVICE-FW, AST-NOPE]",
            "implemented_in",
        ),
        ("tests.yaml", "verifies: [REQ-BLE-AUTH-1]", "verifies: [REQ-NOPE]", "verifies"),
        ("architecture.yaml", "components: []", "components: [pkg:generic/nope@1]", "components"),
    ],
)
def test_dangling_references(
    cli: Callable[..., Run], project: Path, file: str, old: str, new: str, field: str
) -> None:
    edit(project / file, old, new)
    _, found = diagnostics(cli, project)
    dangling = only(found, "CF121")
    assert dangling["file"].endswith(file)
    assert f"{field} names" in dangling["message"]
    assert dangling["line"] == line_of(project / file, new.splitlines()[0])


def test_evidence_references_and_files(cli: Callable[..., Run], project: Path) -> None:
    (project / "evidence.yaml").write_text(
        "evidence:\n"
        "  - {id: EV-OK, type: other, title: o, performed: 2026-01-01, file: artifacts/README.md}\n"
        "  - {id: EV-MISSING, type: other, title: m, performed: 2026-01-01, file: artifacts/x.pd}\n"
        "  - {id: EV-UP, type: other, title: u, performed: 2026-01-01, file: ../secret.txt}\n"
        "  - {id: EV-ABS, type: other, title: a, performed: 2026-01-01, file: /etc/passwd}\n"
        "  - {id: EV-LINK, type: other, title: l, performed: 2026-01-01, file: artifacts/link}\n"
        "  - {id: EV-COVERS, type: other, title: c, performed: 2026-01-01, covers: [THR-404]}\n",
        encoding="utf-8",
    )
    (project.parent / "secret.txt").write_text("outside", encoding="utf-8")
    (project / "artifacts" / "link").symlink_to(project.parent / "secret.txt")
    _, found = diagnostics(cli, project)
    by_line = {(d["code"], d["line"]) for d in found if d["file"].endswith("evidence.yaml")}
    assert by_line == {
        ("CF130", 3),
        ("CF131", 4),
        ("CF131", 5),
        ("CF131", 6),
        ("CF121", 7),
    }
    messages = " ".join(d["message"] for d in found)
    assert "climbs out" in messages and "absolute" in messages and "link" in messages


def test_traceability_gaps_are_warnings(cli: Callable[..., Run], project: Path) -> None:
    edit(project / "threats.yaml", "controls: [CTL-BLE-AUTH]", "controls: []")
    edit(project / "tests.yaml", "result: not_run", "result: fail")
    edit(project / "tests.yaml", "verifies: [REQ-BLE-AUTH-1]", "verifies: [CTL-BLE-AUTH]")
    edit(
        project / "architecture.yaml", "    type: multi_patient_harm", "    type: security_use_case"
    )
    edit(
        project / "threats.yaml",
        "post_mitigation: {exploitability: low, severity: serious}",
        "post_mitigation: {exploitability: high, severity: serious}",
    )
    (project / "sbom.yaml").write_text(
        "components:\n  - {ref: 'pkg:pypi/six@1.16.0', name: six, version: '1.16.0'}\n",
        encoding="utf-8",
    )
    code, found = diagnostics(cli, project)
    codes = sorted(d["code"] for d in found)
    assert codes == ["CF200", "CF202", "CF203", "CF205", "CF206", "CF207", "CF400"]
    assert all(d["severity"] == "warning" for d in found)
    assert code == 0
    code, _ = diagnostics(cli, project, "--fail-on", "warning")
    assert code == 1


def test_control_without_requirement(cli: Callable[..., Run], project: Path) -> None:
    text = (project / "controls.yaml").read_text(encoding="utf-8")
    (project / "controls.yaml").write_text(text.split("    requirements:")[0], encoding="utf-8")
    _, found = diagnostics(cli, project)
    codes = {d["code"] for d in found}
    assert "CF201" in codes
    assert "CF122" not in codes  # the test now verifies nothing that exists...
    assert "CF121" not in codes or any("REQ-BLE-AUTH-1" in d["message"] for d in found)


def test_not_affected_needs_a_reason_and_purls_are_checked(
    cli: Callable[..., Run], project: Path
) -> None:
    (project / "sbom.yaml").write_text(
        "components:\n  - {ref: app, name: app, purl: 'pkg:pypi', justification: own code}\n",
        encoding="utf-8",
    )
    edit(project / "architecture.yaml", "components: []", "components: [app]")
    (project / "vulnerabilities.yaml").write_text(
        "vulnerabilities:\n"
        "  - id: CVE-2024-0001\n"
        "    components: [app]\n"
        "    discovered: 2026-01-01\n"
        "    status: not_affected\n",
        encoding="utf-8",
    )
    _, found = diagnostics(cli, project)
    assert only(found, "CF402")["line"] == 2
    assert only(found, "CF401")["line"] == 5


def test_yaml_errors_exit_2_with_position(cli: Callable[..., Run], project: Path) -> None:
    (project / "controls.yaml").write_text("controls:\n\t- id: CTL-X\n", encoding="utf-8")
    code, found = diagnostics(cli, project)
    bad = only(found, "CF100")
    assert (bad["line"], bad["column"]) == (2, 1)
    assert "tabs" in bad["hint"]
    assert code == 2
    # an unreadable part must not flood the output with false dangling references
    assert {d["code"] for d in found} <= {"CF100", "CF204"}


def test_folder_parts_are_concatenated(cli: Callable[..., Run], project: Path) -> None:
    threats = (project / "threats.yaml").read_text(encoding="utf-8")
    (project / "threats.yaml").unlink()
    (project / "threats").mkdir()
    (project / "threats" / "a.yaml").write_text(threats, encoding="utf-8")
    (project / "threats" / "b.yaml").write_text(
        "threats:\n"
        "  - id: THR-002\n"
        "    title: Second\n"
        "    stride: [tampering]\n"
        "    controls: [CTL-NOPE]\n",
        encoding="utf-8",
    )
    _, found = diagnostics(cli, project)
    dangling = only(found, "CF121")
    assert dangling["file"].endswith("threats/b.yaml")
    assert dangling["line"] == 5
    (project / "threats" / "c.yaml").write_text(
        "methodology: {name: Attack trees}\n", encoding="utf-8"
    )
    _, found = diagnostics(cli, project)
    layout = only(found, "CF105")
    assert layout["file"].endswith("threats/c.yaml")
    assert "already defined in" in layout["message"] and "a.yaml" in layout["message"]


def test_part_file_and_folder_together(cli: Callable[..., Run], project: Path) -> None:
    (project / "controls").mkdir()
    (project / "controls" / "more.yaml").write_text("controls: []\n", encoding="utf-8")
    _, found = diagnostics(cli, project)
    assert "both controls.yaml and the folder controls/" in only(found, "CF105")["message"]


def test_yml_files_are_not_silently_ignored(cli: Callable[..., Run], project: Path) -> None:
    (project / "anomalies.yaml").rename(project / "anomalies.yml")
    _, found = diagnostics(cli, project)
    assert "rename it to anomalies.yaml" in only(found, "CF105")["hint"]


def test_newer_schema_version_is_refused(cli: Callable[..., Run], project: Path) -> None:
    edit(project / "cyberfile.yaml", "schema_version: 1", "schema_version: 7")
    code, found = diagnostics(cli, project)
    refused = only(found, "CF106")
    assert "format version 7" in refused["message"]
    assert code == 2


def test_not_a_project_exits_2(cli: Callable[..., Run], tmp_path: Path) -> None:
    run = cli("validate", str(tmp_path))
    assert run.code == 2
    assert "not a cyberfile project" in run.out
    run = cli("validate", str(tmp_path / "nope"))
    assert run.code == 2 and "no such file or folder" in run.out


def test_usage_errors_exit_2(cli: Callable[..., Run], project: Path) -> None:
    assert cli("validate", "--format", "yaml", str(project)).code == 2
    assert cli("frobnicate").code == 2


def test_default_discovery_of_projects(cli: Callable[..., Run], tmp_path: Path) -> None:
    assert cli("init", str(tmp_path / "projects" / "one")).code == 0
    assert cli("init", str(tmp_path / "projects" / "two")).code == 0
    run = cli("validate", cwd=tmp_path)
    assert "2 projects checked" in run.out
    assert "projects/one/tests.yaml" in run.out and "projects/two/tests.yaml" in run.out
    run = cli("validate", cwd=tmp_path / "projects" / "one")
    assert "1 project checked" in run.out


def test_validate_writes_nothing(cli: Callable[..., Run], project: Path) -> None:
    edit(project / "threats.yaml", "title: Unauthenticated", "titel: Unauthenticated")
    before = tree_digest(project.parent)
    cli("validate", str(project))
    cli("validate", "--format", "json", str(project))
    assert tree_digest(project.parent) == before


def test_all_mistakes_at_once_sorted(cli: Callable[..., Run], project: Path) -> None:
    edit(project / "threats.yaml", "controls: [CTL-BLE-AUTH]", "controls: [CTL-X]")
    edit(project / "architecture.yaml", "kind: firmware", "kind: firmwear")
    edit(project / "cyberfile.yaml", "device_class: II", "device_class: IV")
    _, found = diagnostics(cli, project)
    keys = [(d["file"], d["line"], d["column"]) for d in found]
    assert keys == sorted(keys)
    assert {"CF121", "CF110"} <= {d["code"] for d in found}
    assert sum(d["code"] == "CF110" for d in found) == 2


def test_hostile_strings_stay_data(cli: Callable[..., Run], project: Path) -> None:
    edit(
        project / "threats.yaml",
        "title: Unauthenticated app sends commands to the device",
        'title: "<script>alert(1)</script> $(rm -rf /) {{7*7}}"',
    )
    code, found = diagnostics(cli, project)
    assert code == 0 and [d["code"] for d in found] == ["CF204"]


def test_unknown_part_file_is_reported(cli: Callable[..., Run], project: Path) -> None:
    # A copy next to the part it resembles; a misspelt part that is missing is CF105.
    (project / "anomalies-old.yaml").write_text("anomalies: []\n", encoding="utf-8")
    code, found = diagnostics(cli, project)
    unknown = only(found, "CF107")
    assert unknown["file"].endswith("anomalies-old.yaml")
    assert unknown["hint"] == "did you mean anomalies.yaml?"
    assert code == 0  # a warning


def test_part_file_linking_outside_is_not_read(cli: Callable[..., Run], project: Path) -> None:
    outside = project.parent / "elsewhere.yaml"
    outside.write_text("anomalies: []\n", encoding="utf-8")
    (project / "anomalies.yaml").unlink()
    (project / "anomalies.yaml").symlink_to(outside)
    _, found = diagnostics(cli, project)
    assert "outside the project folder" in only(found, "CF131")["message"]


def test_broken_manifest_still_checks_the_parts(cli: Callable[..., Run], project: Path) -> None:
    text = (project / "cyberfile.yaml").read_text(encoding="utf-8")
    (project / "cyberfile.yaml").write_text(
        text.replace("  manufacturer:", "  maker:"), encoding="utf-8"
    )
    edit(project / "threats.yaml", "controls: [CTL-BLE-AUTH]", "controls: [CTL-X]")
    code, found = diagnostics(cli, project)
    assert {"CF111", "CF112", "CF121"} <= {d["code"] for d in found}
    assert code == 1


def test_unreadable_manifest_exits_2(cli: Callable[..., Run], project: Path) -> None:
    (project / "cyberfile.yaml").write_bytes(b"\xff\xfe garbage \x00")
    code, found = diagnostics(cli, project)
    assert code == 2
    assert found[0]["file"].endswith("cyberfile.yaml")


HOSTILE = {
    "alias-bomb": "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"b{i}: &b{i} [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" for i in range(30)),
    "deep-nesting": "threats: " + "[" * 10_000 + "]" * 10_000 + "\n",
    "python-tag": "threats: !!python/object/apply:os.system ['touch /tmp/cyberfile-pwned']\n",
    "binary": bytes(range(256)).decode("latin-1") * 8,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_yaml_fails_cleanly(cli: Callable[..., Run], project: Path, name: str) -> None:
    (project / "threats.yaml").write_bytes(HOSTILE[name].encode("utf-8", "surrogateescape"))
    code, found = diagnostics(cli, project)
    assert code == 2
    assert found[0]["file"].endswith("threats.yaml")
    assert found[0]["code"] in {"CF100", "CF101", "CF102"}
    assert not Path("/tmp/cyberfile-pwned").exists()


def test_bad_cvss_vector_has_file_and_line(cli: Callable[..., Run], project: Path) -> None:
    (project / "vulnerabilities.yaml").write_text(
        "vulnerabilities:\n"
        "  - id: CVE-2024-0001\n"
        "    discovered: 2026-01-01\n"
        "    status: under_investigation\n"
        "    cvss: 'CVSS:3.1/AV:N/AC:L'\n",
        encoding="utf-8",
    )
    _, found = diagnostics(cli, project)
    bad = only(found, "CF403")
    assert (bad["line"], bad["column"]) == (5, 11)
    assert "Missing mandatory metrics" in bad["message"]


def test_one_mistake_one_diagnostic(cli: Callable[..., Run], project: Path) -> None:
    edit(project / "threats.yaml", "stride: [spoofing]", "stride: [spoofng]")
    _, found = diagnostics(cli, project)
    assert [d["code"] for d in found if d["severity"] == "error"] == ["CF110"]
    assert "did you mean 'spoofing'" in only(found, "CF110")["hint"]
