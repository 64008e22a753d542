"""Shared fixtures: real projects on disk (the bundled example, fresh `init` scaffolds)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cyberfile.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "projects" / "example-infusion-pump"
SHARED_DATA = REPO.parent / "shared" / "data"


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """Run `cyberfile ARGS` in-process (optionally from another folder)."""

    def run(*args: str, cwd: Path | None = None) -> Run:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def project(tmp_path: Path, cli: Callable[..., Run]) -> Path:
    """A fresh project made by `cyberfile init`, to break on purpose."""
    root = tmp_path / "device"
    result = cli("init", str(root))
    assert result.code == 0, result.err
    return root


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under root, to prove a command wrote nothing."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact snippet in a file (the test fails if it is not there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, snippet: str) -> int:
    """1-based line number of the first line containing snippet."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if snippet in line:
            return number
    raise AssertionError(f"{snippet!r} not in {path}")
