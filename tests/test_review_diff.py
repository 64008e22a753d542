"""Drift CF500 names what changed since a review: the reviewed content is found in git
history (a commit where the item's fingerprint equals its stamp's), and the fields of the
item and of the items it references that differ from it are named. Without that history
the generic message stays, and the finding is never dropped. Real repositories in
tmp_path; drift reads them and writes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import EXAMPLE, Run, edit, tree_digest

if shutil.which("git") is None:
    pytest.skip(
        "git is not on the PATH: CF500 reads review history from it", allow_module_level=True
    )

AS_OF = "2026-11-26"
PROTOCOL = "protocol: Bluetooth LE 5.0 GATT over ATT"  # DF-APP-PUMP's, targeted by THR-010
NEW_PROTOCOL = "protocol: Bluetooth LE 5.3 GATT over ATT"
THR_010_RISK = (
    "post_mitigation: {exploitability: low, severity: critical}\n    safety_hazard: HAZ-011"
)
FIRMWARE_NAME = "name: Pump controller firmware\n"  # AST-PUMP-FW's, referenced by many items


def generic(kind_ident: str, on: str, by: str) -> str:
    return f"{kind_ident} changed, or something it references did, after its review of {on} by {by}"


@pytest.fixture(autouse=True)
def _plain_git(plain_git: None) -> None:
    """Every test here runs with git isolated (tests/conftest.py plain_git)."""


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.pump = root / "pump"
        self.commits = 0

    def git(self, *args: str) -> str:
        when = f"2026-11-{1 + self.commits:02d}T12:00:00+00:00"
        env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        env["GIT_OPTIONAL_LOCKS"] = "0"
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@e", *args],
            cwd=self.root,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def commit(self, message: str) -> None:
        self.commits += 1
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """The example, committed in a fresh repository (its stamps as written there)."""
    repo = Repo(tmp_path / "repo")
    shutil.copytree(EXAMPLE, repo.pump)
    repo.git("-c", "init.defaultBranch=main", "init", "-q")
    repo.commit("the example")
    return repo


def review(cli: Callable[..., Run], pump: Path, ident: str) -> None:
    run = cli("review", ident, "--by", "X", "--on", "2026-11-20", "--project", str(pump))
    assert run.code == 0, run.err


def suspect(cli: Callable[..., Run], pump: Path, top: Path | None = None) -> dict[str, str]:
    """CF500 messages by item id; drift leaves every file under `top` (the repository
    with its .git) and `git status` as they were."""
    top = top or pump
    status = _status(top)
    before = tree_digest(top)
    run = cli("drift", str(pump), "--as-of", AS_OF, "--format", "json", "--select", "CF500")
    assert "Traceback" not in run.out + run.err
    assert tree_digest(top) == before
    assert _status(top) == status
    found = json.loads(run.out)["diagnostics"]
    return {d["message"].split()[1].rstrip(":"): d["message"] for d in found}


def _status(top: Path) -> str | None:
    if not (top / ".git").exists():
        return None
    return subprocess.run(
        ["git", "status", "--porcelain"],
        cwd=top,
        env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.mark.parametrize("committed", [True, False], ids=["committed", "uncommitted"])
def test_a_changed_data_flow_is_named_with_its_field(
    cli: Callable[..., Run], repo: Repo, committed: bool
) -> None:
    review(cli, repo.pump, "THR-010")
    repo.commit("review THR-010")
    edit(repo.pump / "architecture.yaml", PROTOCOL, NEW_PROTOCOL)
    if committed:
        repo.commit("BLE 5.3")
    messages = suspect(cli, repo.pump, repo.root)
    assert messages["THR-010"] == (
        "threat THR-010: since its review of 2026-11-20 by X, data flow DF-APP-PUMP changed "
        "(protocol)"
    )
    # the other threats that target it, reviewed in the first commit
    assert messages["THR-011"] == (
        "threat THR-011: since its review of 2026-10-28 by J. Rivera, data flow DF-APP-PUMP "
        "changed (protocol)"
    )
    assert all(m.endswith("data flow DF-APP-PUMP changed (protocol)") for m in messages.values())


def test_a_changed_field_of_the_item_itself_is_named(cli: Callable[..., Run], repo: Repo) -> None:
    edit(
        repo.pump / "threats" / "ble.yaml",
        THR_010_RISK,
        THR_010_RISK.replace("exploitability: low", "exploitability: medium"),
    )
    repo.commit("THR-010 is easier to exploit")
    assert suspect(cli, repo.pump, repo.root)["THR-010"] == (
        "threat THR-010: since its review of 2026-10-28 by J. Rivera, it changed "
        "(post_mitigation.exploitability)"
    )


def test_own_fields_and_referenced_items_changed_or_no_longer_referenced_at_most_three(
    cli: Callable[..., Run], repo: Repo
) -> None:
    ble = repo.pump / "threats" / "ble.yaml"
    edit(
        ble,
        "    controls: [CTL-BLE-PAIRING, CTL-RBAC, CTL-CRYPTO]\n",
        "    controls: [CTL-BLE-PAIRING, CTL-RBAC]\n",
    )
    edit(ble, THR_010_RISK, THR_010_RISK.replace("exploitability: low", "exploitability: medium"))
    edit(
        ble,
        "lifecycle_phase: operation\n    description: >-\n      An attacker in radio range",
        "lifecycle_phase: maintenance_update\n    description: >-\n      An attacker nearby",
    )
    edit(
        ble,
        "    multi_patient_harm: false\n    residual_risk_rationale: >-\n      Pairing is only",
        "    multi_patient_harm: true\n    residual_risk_rationale: >-\n      Pairing is only",
    )
    edit(repo.pump / "architecture.yaml", PROTOCOL, NEW_PROTOCOL)
    messages = suspect(cli, repo.pump, repo.root)
    assert messages["THR-010"] == (
        "threat THR-010: since its review of 2026-10-28 by J. Rivera, it changed "
        "(lifecycle_phase, description, controls and 2 more); it no longer references control "
        "CTL-CRYPTO; data flow DF-APP-PUMP changed (protocol)"
    )
    repo.commit("THR-010 reworked")
    architecture, controls = repo.pump / "architecture.yaml", repo.pump / "controls.yaml"
    edit(architecture, "name: BLE radio module firmware\n", "name: BLE radio firmware\n")
    edit(
        controls,
        "    title: Role-based authorization and on-pump",
        "    title: Authorization and on-pump",
    )
    edit(
        controls,
        "    title: Authenticated BLE bonding confirmed",
        "    title: BLE bonding confirmed",
    )
    assert suspect(cli, repo.pump, repo.root)["THR-010"] == (
        "threat THR-010: since its review of 2026-10-28 by J. Rivera, it changed "
        "(lifecycle_phase, description, controls and 2 more); asset AST-BLE-MODULE changed "
        "(name); control CTL-BLE-PAIRING changed (title); it no longer references control "
        "CTL-CRYPTO; 2 more items it references changed"
    )


def test_not_a_git_repository_keeps_the_generic_message(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    pump = tmp_path / "pump"
    shutil.copytree(EXAMPLE, pump)
    edit(pump / "architecture.yaml", PROTOCOL, NEW_PROTOCOL)
    messages = suspect(cli, pump)
    assert messages["THR-010"] == generic("threat THR-010", "2026-10-28", "J. Rivera")
    assert {m.split(" changed, or")[0] for m in messages.values()} == {
        f"threat {t}" for t in ("THR-004", "THR-010", "THR-011", "THR-013", "THR-025")
    }


def test_a_review_never_committed_keeps_the_generic_message(
    cli: Callable[..., Run], repo: Repo
) -> None:
    """The stamp of a review run on uncommitted content is in no commit: generic. A
    stamp from the committed example beside it is still placed."""
    ble = repo.pump / "threats" / "ble.yaml"
    edit(ble, "a man in the middle during pairing", "a man in the middle while pairing")
    review(cli, repo.pump, "THR-010")
    edit(repo.pump / "architecture.yaml", PROTOCOL, NEW_PROTOCOL)
    messages = suspect(cli, repo.pump, repo.root)
    assert messages["THR-010"] == generic("threat THR-010", "2026-11-20", "X")
    assert messages["THR-011"].endswith("data flow DF-APP-PUMP changed (protocol)")


def test_a_repository_without_commits_keeps_the_generic_message(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    repo = Repo(tmp_path / "repo")
    shutil.copytree(EXAMPLE, repo.pump)
    repo.git("-c", "init.defaultBranch=main", "init", "-q")
    edit(repo.pump / "architecture.yaml", PROTOCOL, NEW_PROTOCOL)
    messages = suspect(cli, repo.pump, repo.root)
    assert messages["THR-010"] == generic("threat THR-010", "2026-10-28", "J. Rivera")


def _git_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []
    run = subprocess.run

    def spy(args: Any, *rest: Any, **options: Any) -> Any:
        if isinstance(args, list) and args[:1] == ["git"]:
            calls.append(args)
        return run(args, *rest, **options)

    monkeypatch.setattr(subprocess, "run", spy)
    return calls


def test_no_suspect_review_runs_no_git(
    cli: Callable[..., Run], repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _git_calls(monkeypatch)
    assert suspect(cli, repo.pump) == {}
    assert calls == []


def test_one_log_and_at_most_five_commits_read_and_nothing_dropped(
    cli: Callable[..., Run], repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seven reviews, each in its own commit on its own content of AST-PUMP-FW (which
    they all reference): the five newest are placed, the other two, and the stamps of the
    first commit, keep the generic message."""
    reviewed = ["THR-001", "THR-002", "THR-004", "THR-012", "THR-022", "THR-050", "THR-051"]
    name = FIRMWARE_NAME
    for k, ident in enumerate(reviewed, 1):
        new = f"name: Pump controller firmware {k}\n"
        edit(repo.pump / "architecture.yaml", name, new)
        name = new
        review(cli, repo.pump, ident)
        repo.commit(f"review {ident}")
    edit(repo.pump / "architecture.yaml", name, "name: Pump controller firmware 8\n")
    repo.commit("firmware 8")
    calls = _git_calls(monkeypatch)
    messages = suspect(cli, repo.pump)
    logs = [c for c in calls if "log" in c and any(a.startswith("-S") for a in c)]
    loads = [c for c in calls if "cat-file" in c]
    assert len(logs) == 1 and len(loads) == 5
    placed = {i for i, m in messages.items() if "after its review of" not in m}
    assert placed == set(reviewed[2:])
    for ident in reviewed[2:]:
        assert messages[ident].endswith(", asset AST-PUMP-FW changed (name)")
    assert messages["THR-001"] == generic("threat THR-001", "2026-11-20", "X")
    # every suspect review is still reported: the same items as without git
    plain = repo.root.parent / "plain"
    shutil.copytree(repo.pump, plain)
    assert suspect(cli, plain).keys() == messages.keys()


def test_referenced_items_added_and_removed(cli: Callable[..., Run], repo: Repo) -> None:
    edit(repo.pump / "controls.yaml", "  - id: CTL-CRYPTO\n", "  - id: CTL-CRYPTO-2\n")
    edit(
        repo.pump / "threats" / "ble.yaml",
        "    controls: [CTL-BLE-PAIRING, CTL-RBAC, CTL-CRYPTO]\n",
        "    controls: [CTL-BLE-PAIRING, CTL-RBAC, CTL-CRYPTO-2]\n",
    )
    assert suspect(cli, repo.pump, repo.root)["THR-010"] == (
        "threat THR-010: since its review of 2026-10-28 by J. Rivera, it changed (controls); "
        "control CTL-CRYPTO was removed; control CTL-CRYPTO-2 was added"
    )
