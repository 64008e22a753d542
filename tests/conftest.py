"""Shared fixtures: real projects on disk (the bundled example, fresh `init` scaffolds).

Real public data (OSV advisories, the CISA KEV catalog, CycloneDX SBOMs and VEX, the SARIF and
OpenVEX schemas) is read from `../shared/data`, the folder beside the repository
(`SHARED_DATA`); the environment variable `CYBERFILE_SHARED_DATA` points it elsewhere (e.g.
`CYBERFILE_SHARED_DATA=/nonexistent` to check the policy below). Tests that need it say so in
one of two ways, and this module alone decides what happens when it is missing:

- the mark `@pytest.mark.shared_data("kev", "osv-pypa/vulns")` (paths relative to the folder;
  also as a module's `pytestmark`), with `shared_data_files()` to parametrize over its files;
- `shared_data_path("schemas/x.json")` inside a test, which returns the path.

A missing path skips the test, with a reason naming it, except when the environment variable
`CI` is `true` (CI runs `CI=true bash .ci/run`): then the test fails with that message, so
that CI never passes by silently skipping the real-data tests.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cyberfile.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "projects" / "example-infusion-pump"
SHARED_DATA = Path(os.environ.get("CYBERFILE_SHARED_DATA") or REPO.parent / "shared" / "data")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def _missing_shared_data(relative: str) -> str | None:
    """None if SHARED_DATA/relative exists, else a message saying what is missing and where."""
    path = SHARED_DATA / relative
    if path.exists():
        return None
    where = (
        "the folder named by CYBERFILE_SHARED_DATA"
        if os.environ.get("CYBERFILE_SHARED_DATA")
        else "../shared/data beside the repository"
    )
    return f"shared test data {relative!r} is missing: expected {path} ({where})"


def _skip_or_fail(message: str) -> None:
    if _in_ci():
        pytest.fail(f"{message}; CI=true, so missing shared data fails", pytrace=False)
    pytest.skip(message)


def shared_data_path(relative: str) -> Path:
    """SHARED_DATA/relative for use inside a test; skips it (fails it under CI=true) if missing."""
    message = _missing_shared_data(relative)
    if message is not None:
        _skip_or_fail(message)
    return SHARED_DATA / relative


def shared_data_files(folder: str, pattern: str) -> list[Path]:
    """Files under SHARED_DATA/folder matching pattern (recursively), to parametrize a test
    marked `shared_data(folder)`. When none exist, one placeholder path, so that the test is
    still collected and its mark skips or fails it (an empty parameter set would skip silently).
    """
    return sorted((SHARED_DATA / folder).rglob(pattern)) or [SHARED_DATA / folder / pattern]


def _shared_data_problem(item: pytest.Item) -> str | None:
    for mark in item.iter_markers("shared_data"):
        for relative in mark.args:
            message = _missing_shared_data(relative)
            if message is not None:
                return message
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Outside CI, skip a `shared_data` test before its fixtures run."""
    message = _shared_data_problem(item)
    if message is not None and not _in_ci():
        pytest.skip(message)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    """Under CI=true, fail it (a failure of the test, not an error of its setup)."""
    message = _shared_data_problem(item)
    if message is not None:
        _skip_or_fail(message)


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the developer's own feed cache (~/.cache/cyberfile)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


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


def section(markdown: str, heading: str) -> str:
    """From a heading to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = markdown.index(f"\n{heading}\n")
    rest = markdown[start + len(heading) + 2 :]
    stop = re.search(rf"^#{{1,{len(level)}}} ", rest, re.MULTILINE)
    return rest[: stop.start()] if stop else rest


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed identity and dates, whatever the user's config."""
    import subprocess

    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Example Medical",
        "GIT_AUTHOR_EMAIL": "psirt@example.com",
        "GIT_COMMITTER_NAME": "Example Medical",
        "GIT_COMMITTER_EMAIL": "psirt@example.com",
        "GIT_AUTHOR_DATE": "2025-03-01T12:00:00+00:00",
        "GIT_COMMITTER_DATE": "2025-03-01T12:00:00+00:00",
    }
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def example_repository(folder: Path) -> Path:
    """A git repository holding the example as submitted at version 2.3.0 (tag v2.3.0, made
    by tests/example_baseline.py) and, in the next commit, as it is now, with its
    `submissions` baseline pointing at the tag. Returns the project folder."""
    import shutil

    from .example_baseline import make_baseline

    project = folder / "projects" / EXAMPLE.name
    shutil.copytree(EXAMPLE, project)
    make_baseline(project)
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "InfuSafe 3000 2.3.0 as submitted (K250871)")
    git(folder, "tag", "v2.3.0")
    shutil.rmtree(project)
    shutil.copytree(EXAMPLE, project)
    manifest = project / "cyberfile.yaml"
    text = manifest.read_text(encoding="utf-8")
    baseline = re.search(r"baseline: ([0-9a-f]{40})", text)
    assert baseline, "the example names its baseline commit"
    manifest.write_text(text.replace(baseline.group(0), "baseline: v2.3.0"), encoding="utf-8")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "InfuSafe 3000 2.4.0")
    return project


@pytest.fixture(scope="session")
def example_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example in a git repository with its 2.3.0 baseline (read-only: copy to change)."""
    return example_repository(tmp_path_factory.mktemp("example-repo"))


@pytest.fixture
def plain_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the developer's git configuration nor a repository above the test's folder
    counts, nor a repository a git hook exported (GIT_DIR)."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


def pin_pypi_components(project: Path, pins: dict[str, str]) -> None:
    """Give a fresh `init` project PyPI components (name -> version), used by its asset."""
    entries = "".join(
        f"  - ref: pkg:pypi/{name}@{version}\n    name: {name}\n    version: '{version}'\n"
        f"    supplier: Upstream\n    purl: pkg:pypi/{name}@{version}\n"
        "    support: actively_maintained\n"
        for name, version in pins.items()
    )
    edit(project / "sbom.yaml", "components: []", "components:\n" + entries)
    refs = ", ".join(f"pkg:pypi/{n}@{v}" for n, v in pins.items())
    edit(project / "architecture.yaml", "components: []", f"components: [{refs}]")
