"""`cyberfile diff` end to end, on real git repositories built in a temporary folder.

The scenario starts from a copy of the bundled example at `projects/pump`, committed and
tagged `v2.4.0` (the submitted version), then a history a device team would write:

1. "Start 2.5.0": cyberfile.yaml lists the 2.4.0 submission with `baseline: v2.4.0`, and
   the device version becomes 2.5.0;
2. "Upgrade requests": pkg:pypi/requests 2.28.2 -> 2.32.3 in every file naming it;
3. "Add THR-015": a new BLE threat (with a hostile title, for the Markdown);
4. "BLE 5.3": the protocol of data flow DF-APP-PUMP;
5. "Fix PYSEC-2024-102": the vulnerability goes from affected to fixed (the last commit).

Every expectation is written by hand from that history, not computed by the engine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import EXAMPLE, Run, edit, tree_digest

if shutil.which("git") is None:
    pytest.skip("git is not on the PATH: `cyberfile diff` needs it", allow_module_level=True)

PROJECT = Path("projects") / "pump"
WHEN = "2026-11-02T10:00:00+00:00"

OLD_REQUESTS = "pkg:pypi/requests@2.28.2"
NEW_REQUESTS = "pkg:pypi/requests@2.32.3"
OLD_PROTOCOL = "Bluetooth LE 5.0 GATT over ATT"
NEW_PROTOCOL = "Bluetooth LE 5.3 GATT over ATT"
HOSTILE = "<script>alert(1)</script> | *x*"
NEW_THREAT_TITLE = f"BLE relay extends the pairing range {HOSTILE}"
NEW_THREAT = f"""\
  - id: THR-015
    title: "{NEW_THREAT_TITLE}"
    stride: [spoofing]
    targets: [DF-APP-PUMP, AST-BLE-MODULE]
    lifecycle_phase: operation
    description: >-
      Two attackers relay BLE packets between a clinician's phone at the nurses'
      station and a pump in a patient room, so that the pump accepts a pairing the
      clinician believes is with another pump.
    pre_mitigation: {{exploitability: medium, severity: critical}}
    controls: [CTL-BLE-PAIRING, CTL-RBAC]
    post_mitigation: {{exploitability: low, severity: critical}}
    safety_hazard: HAZ-011
    multi_patient_harm: false
    residual_risk_rationale: >-
      Pairing needs the numeric comparison code confirmed on the pump display itself,
      and every command carries a clinician token bound to the pump serial.
"""

SUBMISSIONS_COMMENT = "# Earlier submissions of this device."
DOCUMENT_CONTROL = "# Printed on every generated document"
SUBMISSION_240 = """\
submissions:
  - type: 510k
    number: K260417
    submitted: 2026-03-02
    decision: 2026-08-14
    version: "2.4.0"
    baseline: v2.4.0

"""


@pytest.fixture(autouse=True)
def _plain_git(plain_git: None) -> None:
    """Every test here runs with git isolated (tests/conftest.py plain_git)."""


def _git_env(when: str = WHEN) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")
    }
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_DATE=when,
        GIT_COMMITTER_DATE=when,
    )
    return env


def git(repo: Path, *args: str, when: str = WHEN) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", *args],
        cwd=repo,
        env=_git_env(when),
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def commit(repo: Path, message: str, when: str = WHEN) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, when=when)


def rev(repo: Path, name: str) -> str:
    return git(repo, "rev-parse", f"{name}^{{commit}}").strip()


def replace_everywhere(root: Path, old: str, new: str) -> list[str]:
    """Replace `old` by `new` in every YAML file of the project; the files changed."""
    changed = []
    for path in sorted(root.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if old in text:
            path.write_text(text.replace(old, new), encoding="utf-8")
            changed.append(path.relative_to(root).as_posix())
    return changed


def _build(top: Path) -> None:
    """The scenario of the module's docstring, in a new repository at `top`."""
    top.mkdir(parents=True)
    git(top, "init", "-q")
    (top / "README.md").write_text("Device files.\n", encoding="utf-8")
    commit(top, "Empty repository", when="2026-01-05T09:00:00+00:00")
    git(top, "tag", "before-project")

    pump = top / PROJECT
    shutil.copytree(EXAMPLE, pump)
    manifest = pump / "cyberfile.yaml"
    text = manifest.read_text(encoding="utf-8")
    start = text.index(SUBMISSIONS_COMMENT)
    stop = text.index("\n\n", text.index("submissions:")) + 2
    manifest.write_text(text[:start] + text[stop:], encoding="utf-8")
    commit(top, "InfuSafe 3000 2.4.0 as submitted", when="2026-03-01T09:00:00+00:00")
    git(top, "tag", "v2.4.0")

    edit(manifest, 'version: "2.4.0"', 'version: "2.5.0"')
    edit(manifest, DOCUMENT_CONTROL, SUBMISSION_240 + DOCUMENT_CONTROL)
    commit(top, "Start 2.5.0", when="2026-09-01T09:00:00+00:00")

    assert replace_everywhere(pump, OLD_REQUESTS, NEW_REQUESTS) == [
        "architecture.yaml",
        "evidence.yaml",
        "sbom/gateway.yaml",
        "vulnerabilities.yaml",
    ]
    edit(pump / "sbom" / "gateway.yaml", 'version: "2.28.2"', 'version: "2.32.3"')
    commit(top, "Upgrade requests to 2.32.3", when="2026-10-01T09:00:00+00:00")

    ble = pump / "threats" / "ble.yaml"
    ble.write_text(ble.read_text(encoding="utf-8") + NEW_THREAT, encoding="utf-8")
    commit(top, "Add THR-015 (BLE relay)", when="2026-10-15T09:00:00+00:00")

    edit(pump / "architecture.yaml", OLD_PROTOCOL, NEW_PROTOCOL)
    commit(top, "DF-APP-PUMP: BLE 5.3", when="2026-11-01T09:00:00+00:00")

    _fix_pysec_2024_102(pump)
    commit(top, "Fix PYSEC-2024-102 in 2.5.0", when="2026-11-20T09:00:00+00:00")


def _fix_pysec_2024_102(pump: Path) -> None:
    vulnerabilities = pump / "vulnerabilities.yaml"
    text = vulnerabilities.read_text(encoding="utf-8")
    start = text.index("  - id: PYSEC-2024-102\n")
    stop = text.index("\n\n", start)
    block = text[start:stop]
    block = block.replace("    status: affected\n", "    status: fixed\n", 1)
    old_remediation = (
        "    remediation:\n"
        "      response: workaround_available\n"
        '      planned_release: "2.4.1"\n'
        "      customer_communication: 2026-09-23"
    )
    assert old_remediation in block
    block = block.replace(
        old_remediation,
        "    remediation:\n"
        "      response: update\n"
        '      planned_release: "2.5.0"\n'
        "      customer_communication: 2026-09-23\n"
        '      fixed_in: "2.5.0"\n'
        "      fixed_on: 2026-11-18",
    )
    vulnerabilities.write_text(text[:start] + block + text[stop:], encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scenario's repository, built once; tests work on copies (`repo`)."""
    top = tmp_path_factory.mktemp("diff-scenario") / "repo"
    _build(top)
    return top


@pytest.fixture
def repo(built: Path, tmp_path: Path) -> Path:
    """A private copy of the scenario's repository (its .git included)."""
    top = tmp_path / "repo"
    shutil.copytree(built, top, symlinks=True)
    return top


@pytest.fixture
def diff(cli: Callable[..., Run], repo: Path) -> Callable[..., Run]:
    """`cyberfile diff ARGS` run in the repository's top folder."""

    def run(*args: str) -> Run:
        return cli("diff", *args, cwd=repo)

    return run


def text_section(out: str, heading: str) -> list[str]:
    """The lines of one section of the text report (from its heading to a blank line)."""
    lines = out.splitlines()
    start = lines.index(heading) + 1
    stop = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[start:stop]


def short(repo: Path, name: str) -> str:
    return rev(repo, name)[:12]


def worktree_digest(repo: Path) -> dict[str, str]:
    return {k: v for k, v in tree_digest(repo).items() if not k.startswith(".git/")}


def git_digest(repo: Path) -> dict[str, str]:
    return tree_digest(repo / ".git")


def refused(result: Run) -> str:
    """The one-line message of an exit 2 on stderr, with nothing on stdout."""
    assert result.code == 2, (result.code, result.out, result.err)
    assert result.out == ""
    assert "Traceback" not in result.err
    assert result.err.startswith("cyberfile diff: "), result.err
    return result.err


# ---------------------------------------------------------------------------------------
# The scenario, in the three formats


def test_text_since_the_submitted_baseline(diff: Callable[..., Run], repo: Path) -> None:
    result = diff(str(PROJECT))

    assert result.code == 0, result.err
    assert result.err == ""
    out = result.out
    lines = out.splitlines()
    assert lines[0] == "Baseline: 510k K260417, version 2.4.0"
    assert lines[1].startswith(
        f"Changes from v2.4.0 ({short(repo, 'v2.4.0')}, 2026-03-01) to the working tree: "
    )
    assert lines[2] == "Device version 2.4.0 -> 2.5.0"
    assert text_section(out, "Device (cyberfile.yaml)")[0] == "    device.version: 2.4.0 -> 2.5.0"

    assert text_section(out, "Components") == [
        f"  {NEW_REQUESTS} (requests): Upgraded 2.28.2 -> 2.32.3 (was {OLD_REQUESTS})"
    ]

    threats = text_section(out, "Threats")
    added = [line for line in threats if line.startswith("  THR-015 (")]
    assert len(added) == 1
    assert added[0].startswith("  THR-015 (BLE relay extends the pairing range")
    assert added[0].endswith("): Added")

    flows = text_section(out, "Data flows")
    at = flows.index("  DF-APP-PUMP: Changed")
    protocol = flows[at + 1]
    assert protocol.startswith(f"    protocol: {OLD_PROTOCOL}")
    assert f" -> {NEW_PROTOCOL}" in protocol
    assert not flows[at + 2].startswith("    ")  # the protocol is the only field changed

    vulnerabilities = text_section(out, "Vulnerabilities")
    at = vulnerabilities.index(
        "  PYSEC-2024-102 (pkg:pypi/django@4.2.15): Newly fixed: affected -> fixed"
    )
    assert vulnerabilities[at + 1 : at + 5] == [
        "    remediation.response: workaround_available -> update",
        "    remediation.planned_release: 2.4.1 -> 2.5.0",
        "    remediation.fixed_in: added 2.5.0",
        "    remediation.fixed_on: added 2026-11-18",
    ]
    # the advisory of requests moved with the component it names
    assert f"  CVE-2023-32681 ({NEW_REQUESTS}): Changed" in "\n".join(vulnerabilities)
    assert "does not validate" not in out


def test_json_since_the_submitted_baseline(diff: Callable[..., Run], repo: Path) -> None:
    result = diff(str(PROJECT), "--format", "json")

    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["format"] == "cyberfile-diff/1"
    assert doc["empty"] is False
    assert doc["base"]["commit"] == rev(repo, "v2.4.0")
    assert doc["base"]["revision"] == "v2.4.0"
    assert doc["base"]["date"] == "2026-03-01"
    assert doc["base"]["subject"] == "InfuSafe 3000 2.4.0 as submitted"
    assert (doc["base"]["errors"], doc["head"]["errors"]) == (0, 0)
    assert doc["head"]["commit"] is None  # the working tree
    assert doc["device"] == {"version_before": "2.4.0", "version_after": "2.5.0"}
    assert doc["submission"]["baseline"] == "v2.4.0"
    assert doc["submission"]["number"] == "K260417"
    assert doc["findings"] == {"base": [], "head": []}

    assert doc["components"] == [
        {
            "ref": NEW_REQUESTS,
            "ref_before": OLD_REQUESTS,
            "name": "requests",
            "status": "upgraded",
            "version_before": "2.28.2",
            "version_after": "2.32.3",
            "support": [],
            "fields": [],
        }
    ]

    items = {(i["kind"], i["id"]): i for i in doc["items"]}
    threat = items[("threat", "THR-015")]
    assert threat["status"] == "added"
    assert threat["title"] == NEW_THREAT_TITLE
    assert threat["fields"] == []
    flow = items[("data flow", "DF-APP-PUMP")]
    assert flow["status"] == "changed"
    [protocol] = flow["fields"]
    assert protocol["field"] == "protocol"
    assert protocol["before"].startswith(OLD_PROTOCOL)
    assert protocol["after"].startswith(NEW_PROTOCOL)
    assert protocol["after"] == protocol["before"].replace("LE 5.0", "LE 5.3")

    [risk] = [r for r in doc["risks"] if r["threat"] == "THR-015"]
    assert risk["status"] == "added"
    assert (risk["initial_before"], risk["residual_before"]) == (None, None)
    assert risk["initial_after"] == {
        "exploitability": "medium",
        "severity": "critical",
        "acceptable": False,
    }
    assert risk["residual_after"] == {
        "exploitability": "low",
        "severity": "critical",
        "acceptable": True,
    }

    vulnerabilities = {v["id"]: v for v in doc["vulnerabilities"]}
    fixed = vulnerabilities["PYSEC-2024-102"]
    assert fixed["status"] == "newly fixed"
    assert (fixed["state_before"], fixed["state_after"]) == ("affected", "fixed")
    assert (fixed["fixed_in"], fixed["fixed_on"]) == ("2.5.0", "2026-11-18")
    assert fixed["components"] == ["pkg:pypi/django@4.2.15"]
    assert {"field": "status", "before": "affected", "after": "fixed"} in fixed["fields"]
    assert fixed["dates"] == [
        {"field": "remediation.fixed_on", "before": None, "after": "2026-11-18"}
    ]
    moved = vulnerabilities["CVE-2023-32681"]
    assert moved["status"] == "changed"
    assert moved["components"] == [NEW_REQUESTS]
    assert moved["fields"] == [
        {"field": "components", "before": [OLD_REQUESTS], "after": [NEW_REQUESTS]}
    ]
    assert doc["counts"]["upgraded"] == 1
    assert doc["counts"]["added"] == 1


def _cells(row: str) -> list[str]:
    """The cells of a Markdown table row, split at the pipes that are not escaped."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]


def test_markdown_rows_and_escaping(diff: Callable[..., Run]) -> None:
    result = diff(str(PROJECT), "--format", "md")

    assert result.code == 0, result.err
    md = result.out
    assert md.startswith("# Changes from v2.4.0 (")
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    [component] = [r for r in rows if r.startswith(f"| {NEW_REQUESTS} |")]
    assert _cells(component) == [
        NEW_REQUESTS,
        "requests",
        f"Upgraded 2.28.2 -&gt; 2.32.3 (was {OLD_REQUESTS})",
        "2.28.2",
        "2.32.3",
        "",
    ]
    [flow] = [r for r in rows if r.startswith("| DF-APP-PUMP |")]
    cells = _cells(flow)
    assert cells[:4] == ["DF-APP-PUMP", "", "Changed", "protocol"]
    assert cells[4].startswith(OLD_PROTOCOL)
    assert cells[5].startswith(NEW_PROTOCOL)
    [vulnerability] = [r for r in rows if r.startswith("| PYSEC-2024-102 |")]
    assert _cells(vulnerability)[2] == "Newly fixed: affected -&gt; fixed"

    # the hostile title is shown, escaped, in the threats table and the risk table
    escaped = r"&lt;script&gt;alert(1)&lt;/script&gt; \| \*x\*"
    threat_rows = [r for r in rows if r.startswith("| THR-015 |")]
    assert len(threat_rows) == 2
    for row in threat_rows:
        assert escaped in row
    assert _cells(threat_rows[0]) == [
        "THR-015",
        f"BLE relay extends the pairing range {escaped}",
        "Added",
        "",
        "",
        "",
    ]
    assert "<script>" not in md
    assert HOSTILE not in md
    assert "| *x*" not in md


# ---------------------------------------------------------------------------------------
# Choosing the two sides


def test_head_revision_leaves_out_later_commits(diff: Callable[..., Run], repo: Path) -> None:
    result = diff(str(PROJECT), "--base", "v2.4.0", "--head", "HEAD~1")

    assert result.code == 0, result.err
    out = result.out
    assert out.splitlines()[0] == "Baseline: 510k K260417, version 2.4.0"
    assert out.splitlines()[1].startswith(
        f"Changes from v2.4.0 ({short(repo, 'v2.4.0')}, 2026-03-01) "
        f"to HEAD~1 ({short(repo, 'HEAD~1')}, 2026-11-01): "
    )
    assert f"Upgraded 2.28.2 -> 2.32.3 (was {OLD_REQUESTS})" in out
    assert "  THR-015 (" in out
    assert f"-> {NEW_PROTOCOL}" in out
    # the fix is the last commit: not in this diff, in no form
    assert "PYSEC-2024-102" not in out
    assert "Newly fixed" not in out

    doc = json.loads(
        diff(str(PROJECT), "--base", "v2.4.0", "--head", "HEAD~1", "--format", "json").out
    )
    assert doc["head"]["commit"] == rev(repo, "HEAD~1")
    assert [v["id"] for v in doc["vulnerabilities"]] == ["CVE-2023-32681"]


def test_one_commit_holds_only_the_fix(diff: Callable[..., Run]) -> None:
    result = diff(str(PROJECT), "--base", "HEAD~1", "--head", "HEAD")

    assert result.code == 0, result.err
    assert "Baseline:" not in result.out  # HEAD~1 is no submission's baseline
    assert "Newly fixed: affected -> fixed" in result.out
    for absent in ("Components", "Threats", "Data flows", "Device (cyberfile.yaml)"):
        assert absent not in result.out.splitlines()
    assert "Device version 2.5.0 (unchanged)" in result.out


def test_working_tree_edits_count_only_without_head(diff: Callable[..., Run], repo: Path) -> None:
    pump = repo / PROJECT
    old_title = "BLE jamming or connection flooding blocks the clinician app"
    edit(pump / "threats" / "ble.yaml", old_title, "BLE jamming blocks the clinician app")
    git(repo, "add", str(PROJECT / "threats" / "ble.yaml"))  # staged, not committed
    edit(
        pump / "architecture.yaml",
        "    ports: []\n    carries: [data, commands]\n    "
        "authentication: >-\n      LE Secure Connections bonding",
        "    ports: []\n    carries: [data]\n    "
        "authentication: >-\n      LE Secure Connections bonding",
    )  # not staged
    (pump / "threats" / "relay.yaml").write_text(  # untracked
        "threats:\n" + NEW_THREAT.replace("THR-015", "THR-016"), encoding="utf-8"
    )

    worktree = diff(str(PROJECT), "--base", "HEAD")
    assert worktree.code == 0, worktree.err
    assert "to the working tree: " in worktree.out.splitlines()[0]
    threats = text_section(worktree.out, "Threats")
    # THR-013 targets DF-APP-PUMP, whose carries changed too
    assert (
        "  THR-013 (BLE jamming blocks the clinician app): Changed; references changed: DF-APP-PUMP"
    ) in threats
    assert f"    title: {old_title} -> BLE jamming blocks the clinician app" in threats
    assert any(line.startswith("  THR-016 (") and line.endswith("): Added") for line in threats)
    flows = text_section(worktree.out, "Data flows")
    at = flows.index("  DF-APP-PUMP: Changed")
    assert flows[at + 1] == "    carries: removed commands"

    # the default head is the working tree, also from the default base
    default = diff(str(PROJECT))
    assert "THR-016" in default.out
    assert "BLE jamming blocks the clinician app" in default.out

    committed = diff(str(PROJECT), "--base", "HEAD", "--head", "HEAD")
    assert committed.code == 0, committed.err
    assert committed.out.startswith("No changes between HEAD (")
    since_baseline = diff(str(PROJECT), "--base", "v2.4.0", "--head", "HEAD")
    assert since_baseline.code == 0
    assert "THR-016" not in since_baseline.out
    assert "BLE jamming blocks the clinician app" not in since_baseline.out
    assert "carries" not in since_baseline.out


def test_diff_writes_nothing(
    cli: Callable[..., Run], repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pump = repo / PROJECT
    edit(pump / "architecture.yaml", NEW_PROTOCOL, "Bluetooth LE 5.4 GATT over ATT")
    (pump / "threats" / "relay.yaml").write_text(
        "threats:\n" + NEW_THREAT.replace("THR-015", "THR-016"), encoding="utf-8"
    )
    private_tmp = tmp_path / "private-tmp"
    private_tmp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(private_tmp))
    status = git(repo, "status", "--porcelain")
    assert status  # there is uncommitted work to leave alone
    index = repo / ".git" / "index"
    index_mtime = index.stat().st_mtime_ns
    worktree, objects = worktree_digest(repo), git_digest(repo)

    runs = [
        ((str(PROJECT),), 0),
        ((str(PROJECT), "--format", "json"), 0),
        ((str(PROJECT), "--format", "md"), 0),
        ((str(PROJECT), "--base", "v2.4.0", "--head", "HEAD~1"), 0),
        ((str(PROJECT), "--base", "HEAD"), 0),
        ((str(PROJECT), "--base", "nosuchtag"), 2),
    ]
    for args, code in runs:
        result = cli("diff", *args, cwd=repo)
        assert result.code == code, (args, result.err)

    assert worktree_digest(repo) == worktree
    assert git_digest(repo) == objects
    assert index.stat().st_mtime_ns == index_mtime
    assert list(private_tmp.iterdir()) == []  # the temporary project folders are gone
    assert git(repo, "status", "--porcelain") == status


def test_renamed_threat(diff: Callable[..., Run], repo: Path) -> None:
    changed = replace_everywhere(repo / PROJECT, "THR-013", "THR-019")
    assert changed == ["evidence.yaml", "threats/ble.yaml"]

    result = diff(str(PROJECT), "--base", "HEAD")

    assert result.code == 0, result.err
    threats = text_section(result.out, "Threats")
    assert threats == [
        "  THR-019 (BLE jamming or connection flooding blocks the cli…): Renamed from THR-013"
    ]
    doc = json.loads(diff(str(PROJECT), "--base", "HEAD", "--format", "json").out)
    [renamed] = [i for i in doc["items"] if i["kind"] == "threat"]
    assert (renamed["id"], renamed["status"], renamed["renamed_from"]) == (
        "THR-019",
        "renamed",
        "THR-013",
    )
    assert renamed["fields"] == []
    assert doc["counts"]["renamed"] == 1
    assert doc["counts"]["removed"] == 0
    assert doc["risks"] == []


def test_identical_revisions(diff: Callable[..., Run], repo: Path) -> None:
    result = diff(str(PROJECT), "--base", "v2.4.0", "--head", "v2.4.0")
    assert result.code == 0, result.err
    label = f"v2.4.0 ({short(repo, 'v2.4.0')}, 2026-03-01)"
    assert result.out == (
        f"No changes between {label} and {label}: both hold the same project content "
        "(comments, formatting and key order aside).\n"
    )

    # a commit that only moves comments and key order holds the same project
    ble = repo / PROJECT / "threats" / "ble.yaml"
    edit(
        ble,
        "    stride: [tampering]\n    targets: [DF-APP-PUMP]\n",
        "    # replays\n    targets: [DF-APP-PUMP]\n    stride: [ tampering ]\n",
    )
    commit(repo, "Comments and key order only", when="2026-11-21T09:00:00+00:00")
    same = diff(str(PROJECT), "--base", "HEAD~1", "--head", "HEAD")
    assert same.code == 0
    assert same.out.startswith(f"No changes between HEAD~1 ({short(repo, 'HEAD~1')}, 2026-11-20)")
    doc = json.loads(diff(str(PROJECT), "--base", "HEAD~1", "--format", "json").out)
    assert doc["empty"] is True
    md = diff(str(PROJECT), "--base", "HEAD~1", "--format", "md").out
    assert md.startswith("# Changes\n\nNo changes between HEAD\\~1 (")  # escaped


# ---------------------------------------------------------------------------------------
# Bad input: exit 2, one clear message


def test_not_a_git_repository(cli: Callable[..., Run], tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(EXAMPLE, plain / "pump")

    # the example names a baseline, but there is no repository to read it from
    for args in (("pump",), ("pump", "--base", "v2.4.0"), ("pump", "--base", "v1", "--head", "v2")):
        err = refused(cli("diff", *args, cwd=plain))
        assert err == "cyberfile diff: pump is not inside a git repository\n"


def test_unknown_revision(diff: Callable[..., Run], repo: Path) -> None:
    err = refused(diff(str(PROJECT), "--base", "nosuchtag"))
    assert err == f"cyberfile diff: unknown revision 'nosuchtag' in {repo.as_posix()}\n"
    err = refused(diff(str(PROJECT), "--base", "v2.4.0", "--head", "nosuchbranch"))
    assert "unknown revision 'nosuchbranch'" in err
    # the default base: the submission's baseline tag was deleted
    git(repo, "tag", "-d", "v2.4.0")
    err = refused(diff(str(PROJECT)))
    assert err == (
        f"cyberfile diff: unknown revision 'v2.4.0' in {repo.as_posix()} (the baseline of "
        "the 510k K260417 submission of version 2.4.0, cyberfile.yaml submissions)\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("--base", "-x"),
        ("--base=-x",),
        ("--head", "-x"),
        ("--base", "--output=leak.txt"),
        ("--base=--output=leak.txt",),
    ],
)
def test_option_like_revision(diff: Callable[..., Run], repo: Path, args: tuple[str, ...]) -> None:
    err = refused(diff(str(PROJECT), *args))
    assert "is not a revision name" in err
    assert "does not start with '-'" in err
    assert not (repo / "leak.txt").exists()


def test_revision_before_the_project_existed(diff: Callable[..., Run], repo: Path) -> None:
    where = f"before-project ({short(repo, 'before-project')})"
    err = refused(diff(str(PROJECT), "--base", "before-project"))
    assert err == (
        f"cyberfile diff: the project projects/pump does not exist at {where}: "
        "no cyberfile.yaml there\n"
    )
    err = refused(diff(str(PROJECT), "--base", "v2.4.0", "--head", "before-project"))
    assert f"does not exist at {where}" in err


def test_revision_with_a_newer_schema_version(diff: Callable[..., Run], repo: Path) -> None:
    manifest = repo / PROJECT / "cyberfile.yaml"
    edit(manifest, "schema_version: 1", "schema_version: 2")
    commit(repo, "Format 2", when="2026-11-25T09:00:00+00:00")
    git(repo, "tag", "schema-2")
    edit(manifest, "schema_version: 2", "schema_version: 1")
    commit(repo, "Back to format 1", when="2026-11-26T09:00:00+00:00")

    for args in (("--base", "schema-2"), ("--base", "v2.4.0", "--head", "schema-2")):
        err = refused(diff(str(PROJECT), *args))
        assert err.startswith(
            f"cyberfile diff: the project projects/pump at schema-2 ({short(repo, 'schema-2')}) "
            "could not be read: projects/pump/cyberfile.yaml:"
        )
        assert "format version 2" in err
        assert "cyberfile-git-" not in err  # the working tree's path, not a temporary one


def test_no_submission_and_no_base(diff: Callable[..., Run], repo: Path) -> None:
    # v2.4.0 lists no earlier submission: as the head, it gives no default base
    err = refused(diff(str(PROJECT), "--head", "v2.4.0"))
    assert err == (
        "cyberfile diff: projects/pump: no --base given, and cyberfile.yaml lists no earlier "
        "submission with a baseline (submissions: [{..., baseline: REV}])\n"
    )
    # nor does a working tree whose submissions were taken out
    manifest = repo / PROJECT / "cyberfile.yaml"
    edit(manifest, SUBMISSION_240, "")
    err = refused(diff(str(PROJECT)))
    assert "no --base given" in err
    # --base is enough
    assert diff(str(PROJECT), "--base", "v2.4.0").code == 0


# ---------------------------------------------------------------------------------------
# A side that does not validate is still compared, with its errors listed

DANGLING_FROM = (
    "    controls: [CTL-BLE-PAIRING, CTL-RBAC]\n    post_mitigation: {exploitability: low"
)
DANGLING_TO = "    controls: [CTL-BLE-PAIRING, CTL-NOPE]\n    post_mitigation: {exploitability: low"


@pytest.fixture
def broken(repo: Path) -> Path:
    """Tag `broken`: THR-015 names a control that does not exist; HEAD repairs it."""
    ble = repo / PROJECT / "threats" / "ble.yaml"
    text = ble.read_text(encoding="utf-8")
    start = text.index("  - id: THR-015")
    assert text[start:].count(DANGLING_FROM) == 1
    ble.write_text(text[:start] + text[start:].replace(DANGLING_FROM, DANGLING_TO), "utf-8")
    commit(repo, "THR-015: a dangling control", when="2026-11-25T09:00:00+00:00")
    git(repo, "tag", "broken")
    ble.write_text(text, encoding="utf-8")
    commit(repo, "THR-015: CTL-RBAC again", when="2026-11-26T09:00:00+00:00")
    return ble


def _dangling_line(ble: Path) -> int:
    lines = ble.read_text(encoding="utf-8").splitlines()
    start = lines.index("  - id: THR-015")
    return lines.index("    controls: [CTL-BLE-PAIRING, CTL-RBAC]", start) + 1


def test_base_that_does_not_validate(diff: Callable[..., Run], repo: Path, broken: Path) -> None:
    result = diff(str(PROJECT), "--base", "broken")

    assert result.code == 0, result.err
    out = result.out
    threats = text_section(out, "Threats")
    [at] = [i for i, line in enumerate(threats) if line.startswith("  THR-015 (")]
    assert threats[at].endswith("): Changed")
    assert threats[at + 1] == "    controls: added CTL-RBAC; removed CTL-NOPE"
    label = f"broken ({short(repo, 'broken')}, 2026-11-25)"
    line = _dangling_line(broken)
    assert text_section(
        out,
        f"The base {label} does not validate (1 error(s)); "
        "the comparison reads what its files say:",
    ) == [
        f"  projects/pump/threats/ble.yaml:{line}:33: CF121 error THR-015: controls names "
        "'CTL-NOPE', which is not defined in the project"
    ]
    assert "The head" not in out

    doc = json.loads(diff(str(PROJECT), "--base", "broken", "--format", "json").out)
    assert (doc["base"]["errors"], doc["head"]["errors"]) == (1, 0)
    assert doc["findings"]["head"] == []
    [finding] = doc["findings"]["base"]
    assert finding == {
        "code": "CF121",
        "severity": "error",
        "message": "THR-015: controls names 'CTL-NOPE', which is not defined in the project",
        "file": "projects/pump/threats/ble.yaml",
        "line": line,
        "column": 33,
    }


def test_head_that_does_not_validate(diff: Callable[..., Run], repo: Path, broken: Path) -> None:
    result = diff(str(PROJECT), "--base", "v2.4.0", "--head", "broken")

    assert result.code == 0, result.err
    assert f"Upgraded 2.28.2 -> 2.32.3 (was {OLD_REQUESTS})" in result.out
    label = f"broken ({short(repo, 'broken')}, 2026-11-25)"
    assert f"The head {label} does not validate (1 error(s))" in result.out
    assert "CF121 error THR-015: controls names 'CTL-NOPE'" in result.out
    assert "The base" not in result.out


def test_markdown_lists_the_errors_of_a_base_that_does_not_validate(
    diff: Callable[..., Run], broken: Path
) -> None:
    result = diff(str(PROJECT), "--base", "broken", "--format", "md")

    assert result.code == 0, result.err
    assert "does not validate" in result.out
    assert "CF121" in result.out


def test_json_sides_carry_the_documented_label_and_path(diff: Callable[..., Run]) -> None:
    doc = json.loads(diff(str(PROJECT), "--format", "json").out)

    assert {"revision", "label", "path"} <= set(doc["base"])
    assert {"revision", "label", "path"} <= set(doc["head"])


def test_validate_names_a_bad_submission_entry_with_its_line(
    cli: Callable[..., Run], project: Path
) -> None:
    """An option-like baseline and a decision before the submission are errors at their
    line, with a hint, before any git command could see them."""
    manifest = project / "cyberfile.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(
        text
        + "submissions:\n"
        + "  - {type: 510k, number: K1, version: '0.9', baseline: --output=x}\n"
        + "  - {type: 510k, submitted: 2025-03-01, decision: 2025-02-01, version: '0.8'}\n",
        encoding="utf-8",
    )
    result = cli("validate", str(project))
    assert result.code == 1
    lines = text.count("\n")
    assert (
        f"cyberfile.yaml:{lines + 2}:56: CF110 error submissions[0].baseline: "
        "'--output=x' is not a git revision name" in result.out
    )
    assert "it may not start with '-'" in result.out
    assert (
        f"cyberfile.yaml:{lines + 3}:5: CF110 error submissions[1]: decision 2025-02-01 is "
        "before submitted 2025-03-01" in result.out
    )
