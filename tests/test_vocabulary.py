"""Test types and evidence types are one vocabulary: `penetration_test` and `fuzz_test`
everywhere. The old test types `penetration` and `fuzz` are still read, as the new
spelling, with a deprecated-value warning at the value."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from cyberfile.check.drift import RETEST_TYPES
from cyberfile.load.deprecations import DEPRECATED_VALUES
from cyberfile.model import vocabulary

from .conftest import EXAMPLE, Run, edit, line_of

SCAFFOLD_TYPE = "type: security_requirement"
AS_OF = "2026-11-26"


def run_json(cli: Callable[..., Run], *args: str) -> tuple[int, list[dict]]:
    run = cli(*args, "--format", "json")
    assert "Traceback" not in run.out + run.err
    return run.code, json.loads(run.out)["diagnostics"]


def deprecated(found: list[dict]) -> list[dict]:
    return [d for d in found if d["name"] == "deprecated-value"]


@pytest.mark.parametrize(
    ("old", "new"), [("penetration", "penetration_test"), ("fuzz", "fuzz_test")]
)
def test_old_test_type_is_read_with_one_warning_at_the_value(
    cli: Callable[..., Run], project: Path, old: str, new: str
) -> None:
    tests = project / "tests.yaml"
    edit(tests, SCAFFOLD_TYPE, f"type: {old}")
    code, found = run_json(cli, "validate", str(project))
    assert code == 0
    assert [d["severity"] for d in found if d["severity"] == "error"] == []
    (warning,) = deprecated(found)
    assert warning["code"] == "CF109"
    assert warning["severity"] == "warning"
    assert Path(warning["file"]) == tests
    assert warning["line"] == line_of(tests, f"type: {old}")
    assert warning["column"] == 11  # "    type: " is ten characters
    assert f"'{old}'" in warning["message"] and f"'{new}'" in warning["message"]
    assert warning["message"].startswith("TST-BLE-AUTH-1: ")
    assert warning["hint"] == f"write `{new}`"
    # the text format prints path:line:col CODE severity
    text = cli("validate", str(project)).out
    assert f"{tests.as_posix()}:{warning['line']}:11: CF109 warning" in text


def test_new_test_type_has_no_warning(cli: Callable[..., Run], project: Path) -> None:
    edit(project / "tests.yaml", SCAFFOLD_TYPE, "type: penetration_test")
    code, found = run_json(cli, "validate", str(project))
    assert code == 0
    assert deprecated(found) == []
    assert [d["code"] for d in found] == ["CF204"]  # the scaffold's test has not been run


def test_unknown_test_type_is_an_error_with_a_suggestion(
    cli: Callable[..., Run], project: Path
) -> None:
    edit(project / "tests.yaml", SCAFFOLD_TYPE, "type: pentest")
    code, found = run_json(cli, "validate", str(project))
    assert code == 1
    (error,) = [d for d in found if d["severity"] == "error"]
    assert error["code"] == "CF110"
    assert error["line"] == line_of(project / "tests.yaml", "type: pentest")
    assert error["hint"] == "did you mean 'penetration_test'?"
    assert deprecated(found) == []


def test_old_spelling_in_a_part_folder_points_at_its_file(
    cli: Callable[..., Run], project: Path
) -> None:
    folder = project / "tests"
    folder.mkdir()
    (project / "tests.yaml").rename(folder / "a.yaml")
    text = (folder / "a.yaml").read_text(encoding="utf-8")
    (folder / "b.yaml").write_text(
        text.replace("TST-BLE-AUTH-1", "TST-FUZZ-1").replace(SCAFFOLD_TYPE, "type: fuzz"),
        encoding="utf-8",
    )
    code, found = run_json(cli, "validate", str(project))
    assert code == 0
    (warning,) = deprecated(found)
    assert Path(warning["file"]) == folder / "b.yaml"
    assert warning["line"] == line_of(folder / "b.yaml", "type: fuzz")
    assert warning["message"].startswith("TST-FUZZ-1: ")


def test_the_example_and_the_scaffold_use_the_new_spellings(
    cli: Callable[..., Run], project: Path
) -> None:
    for root in (EXAMPLE, project):
        _, found = run_json(cli, "validate", str(root))
        assert deprecated(found) == []


def test_a_test_of_the_old_type_is_retested_by_periodic_testing_of_the_new(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    pump = tmp_path / "pump"
    shutil.copytree(EXAMPLE, pump)
    tests = pump / "tests.yaml"
    text = tests.read_text(encoding="utf-8")
    start = text.index("  - id: TST-PENTEST-DEVICE")
    end = text.index("\n  - id: ", start + 1) + 1
    item = (
        text[start:end]
        .replace("type: penetration_test", "type: penetration")
        .replace("performed: 2026-09-14", "performed: 2025-09-01", 1)
    )
    tests.write_text(text[:start] + item + text[end:], encoding="utf-8")
    _, found = run_json(cli, "drift", str(pump), "--as-of", AS_OF, "--select", "CF310,CF109")
    assert sorted((d["code"], d["line"]) for d in found) == [
        ("CF109", line_of(tests, "type: penetration")),
        ("CF310", line_of(tests, "performed: 2025-09-01")),
    ]
    (overdue,) = [d for d in found if d["code"] == "CF310"]
    assert overdue["message"].startswith("TST-PENTEST-DEVICE: last performed 2025-09-01")
    assert "penetration_test every 365 days" in overdue["message"]


def test_shared_activities_are_spelt_alike() -> None:
    shared = {t.value for t in vocabulary.TestType} & {e.value for e in vocabulary.EvidenceType}
    assert shared == {"penetration_test", "fuzz_test", "static_analysis", "vulnerability_scan"}
    for test_type in vocabulary.TestType:
        if test_type.value in shared:
            assert RETEST_TYPES[test_type].value == test_type.value
    assert (
        RETEST_TYPES[vocabulary.TestType.SOFTWARE_COMPOSITION_ANALYSIS]
        is vocabulary.EvidenceType.VULNERABILITY_SCAN
    )
    # every deprecated test type maps to a current value and is not one itself
    for entry in (e for e in DEPRECATED_VALUES if e.path == ("tests", "*", "type")):
        assert entry.new in {t.value for t in vocabulary.TestType}
        assert entry.old not in {t.value for t in vocabulary.TestType}
