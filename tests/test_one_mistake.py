"""One mistake, one finding: a slip in the files is reported once, where it is, as written,
and not again as the gaps and broken references that follow from it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Run, edit, line_of
from .test_validate import diagnostics, only

COMPONENT = """\
  - ref: pkg:generic/zlib@1.3.1
    name: zlib
    version: "1.3.1"
    support: actively_maintained
"""


def test_number_in_a_part_folder_is_shown_as_written(
    cli: Callable[..., Run], project: Path
) -> None:
    (project / "sbom.yaml").unlink()
    (project / "sbom").mkdir()
    (project / "sbom" / "a.yaml").write_text(f"components:\n{COMPONENT}", encoding="utf-8")
    second = project / "sbom" / "b.yaml"
    second.write_text(
        "components:\n  - ref: pkg:generic/libfoo@2.10\n    name: libfoo\n    version: 2.10\n",
        encoding="utf-8",
    )
    code, found = diagnostics(cli, project)
    bad = only(found, "CF110")
    assert "found the number 2.10" in bad["message"], bad
    assert bad["hint"] == 'quote the value so it stays text: "2.10"'
    assert bad["file"].endswith("sbom/b.yaml")
    assert (bad["line"], bad["column"]) == (line_of(second, "version: 2.10"), 14)
    assert code == 1


def test_misspelt_key_is_one_finding(cli: Callable[..., Run], project: Path) -> None:
    edit(project / "threats.yaml", "    title: Unauthenticated", "    titel: Unauthenticated")
    code, found = diagnostics(cli, project)
    assert [d["code"] for d in found if d["severity"] == "error"] == ["CF111"], found
    unknown = only(found, "CF111")
    assert unknown["message"] == "unknown key 'titel' in THR-001"
    assert unknown["hint"] == "did you mean 'title'?"
    assert code == 1
    # An unknown key that is not the missing field misspelt: two findings.
    edit(project / "threats.yaml", "    titel: Unauthenticated", "    summary: Unauthenticated")
    _, found = diagnostics(cli, project)
    assert {d["code"] for d in found if d["severity"] == "error"} == {"CF111", "CF112"}
    assert "missing the required field 'title'" in only(found, "CF112")["message"]


def _asset_with_a_component(project: Path) -> None:
    edit(project / "sbom.yaml", "components: []", f"components:\n{COMPONENT}")
    edit(project / "architecture.yaml", "components: []", "components: [pkg:generic/zlib@1.3.1]")


@pytest.mark.parametrize(
    ("case", "file", "old", "new"),
    [
        # the test still verifies REQ-BLE-AUTH-1 (no CF202)
        ("test", "tests.yaml", "result: not_run", "result: pass\n    performed: 2026-13-45"),
        # the asset still uses the component (no CF205)
        ("asset", "architecture.yaml", "kind: firmware", "kind: firmwear"),
        # the view is still the global_system view (no CF206)
        ("view", "architecture.yaml", "title: Global system view", 'title: ""'),
    ],
)
def test_invalid_item_leaves_no_traceability_gap(
    cli: Callable[..., Run], project: Path, case: str, file: str, old: str, new: str
) -> None:
    if case == "asset":
        _asset_with_a_component(project)
    edit(project / file, old, new)
    code, found = diagnostics(cli, project)
    bad = only(found, "CF110")
    assert bad["file"].endswith(file)
    assert [d["code"] for d in found if d["severity"] == "error"] == ["CF110"], found
    gaps = [d for d in found if d["code"].startswith("CF2") and d["code"] != "CF204"]
    assert gaps == []
    assert code == 1


@pytest.mark.parametrize(
    ("part", "misspelt"),
    [
        ("threats", "threat.yaml"),
        ("controls", "control.yaml"),
        ("tests", "test.yaml"),
        ("anomalies", "anomaly.yaml"),
    ],
)
def test_misspelt_part_file_is_the_first_and_only_error(
    cli: Callable[..., Run], project: Path, part: str, misspelt: str
) -> None:
    (project / f"{part}.yaml").rename(project / misspelt)
    shown = (project / misspelt).as_posix()
    run = cli("validate", str(project))
    first = run.out.splitlines()[0]
    assert first.startswith(f"{shown}:1:1: CF105 error {misspelt} is not a cyberfile part"), run.out
    assert f"hint: rename the file to {part}.yaml" in run.out
    code, found = diagnostics(cli, project)
    assert found[0]["file"] == shown and found[0]["code"] == "CF105"
    # Nothing that names its ids is dangling; no gap comes from the part not being read.
    assert [d["code"] for d in found if d["severity"] == "error"] == ["CF105"], found
    assert not [d for d in found if d["code"] in ("CF107", "CF121", "CF202")]
    assert code == 1
