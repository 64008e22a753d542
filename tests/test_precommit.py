"""The pre-commit hooks through the real pre-commit framework, from a fresh repository.

pre-commit installs this repository into its own virtualenv; so that the test needs no
network, pip is pointed at `.wheelhouse/`, which the README's test command fills
(`pip wheel -w .wheelhouse . hatchling`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import REPO, Run, edit

WHEELHOUSE = REPO / ".wheelhouse"

pytestmark = pytest.mark.slow  # pre-commit builds its own virtualenv: ~45 s


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@x",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@x",
        },
    )


@pytest.fixture(scope="module")
def hook_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    if not any(WHEELHOUSE.glob("hatchling-*.whl")):
        pytest.fail("no .wheelhouse: run the README's test command (it builds the wheelhouse)")
    cache = tmp_path_factory.mktemp("pre-commit-home")
    return {
        **os.environ,
        "PRE_COMMIT_HOME": str(cache),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(WHEELHOUSE),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def _try_repo(
    repo: Path, hook: str, env: dict[str, str], *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(REPO),
            hook,
            "--all-files",
            "--verbose",
            *extra,
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


@pytest.fixture
def device_repo(tmp_path: Path, cli: Callable[..., Run]) -> Path:
    repo = tmp_path / "device-repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    assert cli("init", str(repo / "projects" / "pump")).code == 0
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "device project")
    return repo


def test_validate_hook_passes_then_fails_on_a_broken_project(
    device_repo: Path, hook_env: dict[str, str]
) -> None:
    good = _try_repo(device_repo, "cyberfile-validate", hook_env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "cyberfile validate" in good.stdout and "Passed" in good.stdout
    edit(
        device_repo / "projects" / "pump" / "threats.yaml",
        "controls: [CTL-BLE-AUTH]",
        "controls: [CTL-NOPE]",
    )
    _git(device_repo, "add", "-A")
    bad = _try_repo(device_repo, "cyberfile-validate", hook_env)
    assert bad.returncode == 1
    assert "Failed" in bad.stdout
    assert "projects/pump/threats.yaml:" in bad.stdout and "CF121" in bad.stdout


def test_drift_hook_runs_on_push_only(device_repo: Path, hook_env: dict[str, str]) -> None:
    on_commit = _try_repo(device_repo, "cyberfile-drift", hook_env)
    # on commit the drift hook does not run at all
    assert "Passed" not in on_commit.stdout and "Failed" not in on_commit.stdout, on_commit.stdout
    pushed = _try_repo(device_repo, "cyberfile-drift", hook_env, "--hook-stage", "pre-push")
    # a new project owes nothing yet: its plan took effect today
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert "cyberfile drift" in pushed.stdout and "Passed" in pushed.stdout
    # a plan in effect for years with no scan recorded: drift blocks the push
    edit(
        device_repo / "projects" / "pump" / "postmarket.yaml",
        "effective: ",
        "effective: 2020-01-01  # was ",
    )
    shutil.rmtree(device_repo / "projects" / "pump" / "artifacts")
    _git(device_repo, "add", "-A")
    late = _try_repo(device_repo, "cyberfile-drift", hook_env, "--hook-stage", "pre-push")
    assert late.returncode == 1, late.stdout + late.stderr
    assert "CF302" in late.stdout
