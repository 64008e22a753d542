"""`cyberfile impact`: one question across a portfolio of device projects."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import EXAMPLE, Run


@pytest.fixture
def portfolio(tmp_path: Path, cli: Callable[..., Run]) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "projects" / "pump")
    other = tmp_path / "projects" / "monitor"
    assert cli("init", str(other), "--name", "Vital Monitor").code == 0
    (other / "sbom.yaml").write_text(
        "components:\n"
        "  - {ref: 'pkg:pypi/django@5.1.3', name: django, version: 5.1.3,"
        " support: actively_maintained}\n",
        encoding="utf-8",
    )
    return tmp_path


def results(cli: Callable[..., Run], root: Path, query: str) -> list[dict]:
    run = cli("impact", query, "--format", "json", cwd=root)
    assert run.code == 0, run.err
    return json.loads(run.out)["results"]


def test_versionless_purl_finds_every_version(cli: Callable[..., Run], portfolio: Path) -> None:
    rows = results(cli, portfolio, "pkg:pypi/django")
    assert {(r["device"], r["component_version"]) for r in rows} == {
        ("InfuSafe 3000 Infusion Pump", "4.2.15"),
        ("Vital Monitor", "5.1.3"),
    }
    pump = [r for r in rows if r["device"].startswith("InfuSafe")]
    assert {r["vulnerability"] for r in pump} == {"PYSEC-2024-102", "PYSEC-2024-70"}
    assert all(r["status"] for r in pump)


def test_versioned_purl_is_exact(cli: Callable[..., Run], portfolio: Path) -> None:
    rows = results(cli, portfolio, "pkg:pypi/django@5.1.3")
    assert [(r["device"], r["vulnerability"]) for r in rows] == [("Vital Monitor", None)]


def test_vulnerability_by_alias(cli: Callable[..., Run], portfolio: Path) -> None:
    rows = results(cli, portfolio, "CVE-2023-28859")
    assert [(r["vulnerability"], r["component"], r["status"], r["risk"]) for r in rows] == [
        ("PYSEC-2023-46", "pkg:pypi/redis@4.5.3", "not_affected", "controlled")
    ]


def test_nothing_found(cli: Callable[..., Run], portfolio: Path) -> None:
    run = cli("impact", "pkg:npm/left-pad", cwd=portfolio)
    # like grep: nothing found is exit 1
    assert run.code == 1 and "no project contains or records pkg:npm/left-pad (2 searched)" in (
        run.out
    )
