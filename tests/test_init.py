"""`cyberfile init`: a new project that validates, and nothing overwritten."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cyberfile.load.project import load_project

from .conftest import Run, tree_digest


def test_init_then_validate(cli: Callable[..., Run], tmp_path: Path) -> None:
    target = tmp_path / "x"
    run = cli("init", str(target))
    assert run.code == 0
    assert "next: cyberfile validate" in run.out
    assert cli("validate", str(target)).code == 0
    names = {p.name for p in target.iterdir()}
    assert {"cyberfile.yaml", "threats.yaml", "schemas", "artifacts"} <= names


def test_init_comments_explain_fields(cli: Callable[..., Run], tmp_path: Path) -> None:
    cli("init", str(tmp_path / "x"))
    for path in (tmp_path / "x").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        comments = [line for line in text.splitlines() if "#" in line]
        assert len(comments) >= 3, f"{path.name} has too few explanatory comments"


def test_init_refuses_to_overwrite(cli: Callable[..., Run], project: Path) -> None:
    before = tree_digest(project)
    run = cli("init", str(project))
    assert run.code == 2
    assert "already holds a project" in run.err
    assert tree_digest(project) == before


def test_init_refuses_a_folder_with_a_file_it_would_write(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    target = tmp_path / "x"
    target.mkdir()
    (target / "threats.yaml").write_text("mine\n", encoding="utf-8")
    run = cli("init", str(target))
    assert run.code == 2 and "threats.yaml already exists" in run.err
    assert (target / "threats.yaml").read_text(encoding="utf-8") == "mine\n"
    assert not (target / "cyberfile.yaml").exists()


def test_init_into_a_file_is_refused(cli: Callable[..., Run], tmp_path: Path) -> None:
    (tmp_path / "f").write_text("", encoding="utf-8")
    assert cli("init", str(tmp_path / "f")).code == 2


def test_names_with_yaml_special_characters(cli: Callable[..., Run], tmp_path: Path) -> None:
    name = 'Pump "Pro": 3000 # <b>&amp;</b> \\ {x}'
    maker = "O'Neil Medical\nLtd"
    assert cli("init", str(tmp_path / "x"), "--name", name, "--manufacturer", maker).code == 0
    project = load_project(tmp_path / "x").project
    assert project is not None
    assert project.manifest.device.name == name
    assert project.manifest.device.manufacturer == maker


def test_a_new_project_is_clean_under_validate_and_drift_on_its_first_commit(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan takes effect the day of `init`: nothing is owed yet. A week later the
    weekly scan is due, and drift says so."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796428800")  # 2026-12-05
    root = tmp_path / "pump"
    assert cli("init", str(root)).code == 0
    assert "effective: 2026-12-05" in (root / "postmarket.yaml").read_text(encoding="utf-8")
    assert cli("validate", str(root)).code == 0
    first = cli("drift", str(root), "--as-of", "2026-12-05")
    assert first.code == 0 and "0 errors, 0 warnings" in first.out, first.out
    soon = cli("drift", str(root), "--as-of", "2026-12-10")
    assert (
        soon.code == 0
        and "CF301" in soon.out
        and "first vulnerability_scan due 2026-12-12" in soon.out
    )
    late = cli("drift", str(root), "--as-of", "2026-12-20")
    assert late.code == 1
    assert "in effect since 2026-12-05" in late.out and "first was due 2026-12-12" in late.out
