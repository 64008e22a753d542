"""Time `cyberfile diff` between two revisions of the 10,000-item generated project.

    python benchmarks/diff_speed.py [--items 10000] [--runs 3]

Builds a git repository in a temporary folder holding the project of generate.py at
`projects/generated`, commits it and tags it `v1.0.0`, then changes what a maintenance
release changes, as plain text edits of the generated YAML, and commits that: components
upgraded (their ref, purl and version in the SBOM, and every asset and vulnerability that
names them), data flows moved to another protocol, threats added, residual risks
re-rated, vulnerabilities fixed (status and remediation). Each `cyberfile diff` then runs
as a whole, cold process (what CI pays): both sides read from git objects (`--head
HEAD`), and the tag against the working tree (the default head). The table shows the
median wall time, the CPU time (user + system: steadier than wall time on a loaded
machine) and the peak memory (max RSS) of the process, measured by os.wait4 as scale.py
does; one untimed JSON run first checks that the diff finds the edits.

Target (issue #15): diff of two revisions of the 10,000-item project < 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_speed import cyberfile_command
from generate import generate
from scale import run

TARGET_S = 5.0
TAG = "v1.0.0"
PROJECT = Path("projects") / "generated"

UPGRADE_EVERY = 10
"""One component in 10 gets a new version (200 of 10,000 items' 2,000 components)."""
PROTOCOL_EVERY = 5
NEW_THREATS = 100
RERATE_EVERY = 20
FIX_EVERY = 5
"""One affected vulnerability in 5 is fixed."""


def git(repo: Path, *args: str, when: str) -> None:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
    }
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
    )


def commit(repo: Path, message: str, when: str) -> None:
    git(repo, "add", "-A", when=when)
    git(repo, "commit", "-q", "-m", message, when=when)


def _rewrite(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _upgrade_components(project: Path) -> int:
    """Every UPGRADE_EVERY-th component 1.x.y -> 2.x.y, in every file that names it."""
    pattern = re.compile(r"pkg:pypi/package-(\d+)@1\.(\d)\.(\d)(?![\d.])")

    def bump(match: re.Match[str]) -> str:
        if int(match[1]) % UPGRADE_EVERY:
            return match[0]
        return f"pkg:pypi/package-{match[1]}@2.{match[2]}.{match[3]}"

    for path in sorted(project.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        path.write_text(pattern.sub(bump, text), encoding="utf-8")
    upgraded = 0
    for path in sorted((project / "sbom").glob("*.yaml")):
        lines = path.read_text(encoding="utf-8").splitlines()
        current = -1
        for n, line in enumerate(lines):
            found = re.fullmatch(r"    name: package-(\d+)", line)
            if found:
                current = int(found[1])
            elif line.startswith("    version: '1.") and current % UPGRADE_EVERY == 0:
                lines[n] = line.replace("'1.", "'2.", 1)
                upgraded += 1
        _rewrite(path, lines)
    return upgraded


def _change_protocols(project: Path) -> int:
    path = project / "architecture.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    current, changed = "", 0
    for n, line in enumerate(lines):
        if line.startswith("  - id: "):
            current = line.removeprefix("  - id: ")
        elif (
            line == "    protocol: TLS 1.3"
            and current.startswith("DF-")
            and int(current.removeprefix("DF-")) % PROTOCOL_EVERY == 0
        ):
            lines[n] = "    protocol: TLS 1.3 with mutual authentication (X.509, ECDSA P-256)"
            changed += 1
    _rewrite(path, lines)
    return changed


def _threat_ids(project: Path) -> list[int]:
    return [
        int(found)
        for path in (project / "threats").glob("*.yaml")
        for found in re.findall(r"^  - id: THR-(\d+)$", path.read_text("utf-8"), re.M)
    ]


def _add_threats(project: Path) -> int:
    first = max(_threat_ids(project)) + 1
    lines = []
    for t in range(first, first + NEW_THREATS):
        lines += [
            f"  - id: THR-{t}",
            f"    title: New threat {t} found in the 1.1 threat model review",
            "    stride: [tampering, denial_of_service]",
            f"    targets: [DF-{t % 49}, AST-{t % 50}]",
            "    lifecycle_phase: operation",
            f"    description: Threat {t}, added for release 1.1 after a design change.",
            "    pre_mitigation: {exploitability: medium, severity: serious}",
            f"    controls: [CTL-{t % 1000}]",
            "    post_mitigation: {exploitability: low, severity: serious}",
            "    multi_patient_harm: false",
        ]
    path = project / "threats" / "part-00.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n".join(lines) + "\n", "utf-8")
    return NEW_THREATS


def _rerate_threats(project: Path) -> int:
    rerated = 0
    for path in sorted((project / "threats").glob("*.yaml")):
        lines = path.read_text(encoding="utf-8").splitlines()
        current = -1
        for n, line in enumerate(lines):
            found = re.fullmatch(r"  - id: THR-(\d+)", line)
            if found:
                current = int(found[1])
            elif (
                line == "    post_mitigation: {exploitability: low, severity: critical}"
                and current % RERATE_EVERY == 0
            ):
                lines[n] = "    post_mitigation: {exploitability: low, severity: serious}"
                rerated += 1
        _rewrite(path, lines)
    return rerated


def _fix_vulnerabilities(project: Path) -> int:
    path = project / "vulnerabilities.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[str] = []
    affected = fixed = 0
    for line in lines:
        if line == "    status: affected":
            affected += 1
            if affected % FIX_EVERY == 0:
                out += [
                    "    status: fixed",
                    "    remediation: {response: update, fixed_in: '1.1.0', fixed_on: 2026-11-20}",
                ]
                fixed += 1
                continue
        out.append(line)
    _rewrite(path, out)
    return fixed


def prepare(repo: Path, items: int) -> dict[str, int]:
    """The repository: the generated project tagged TAG, then one commit of edits."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q", when="2026-06-01T09:00:00+00:00")
    project = repo / PROJECT
    generate(project, items)
    commit(repo, "Release 1.0.0", when="2026-06-01T09:00:00+00:00")
    git(repo, "tag", TAG, when="2026-06-01T09:00:00+00:00")
    edits = {
        "components upgraded": _upgrade_components(project),
        "protocols changed": _change_protocols(project),
        "threats added": _add_threats(project),
        "threats re-rated": _rerate_threats(project),
        "vulnerabilities fixed": _fix_vulnerabilities(project),
    }
    manifest = project / "cyberfile.yaml"
    text = manifest.read_text(encoding="utf-8").replace("version: '1.0.0'", "version: '1.1.0'")
    manifest.write_text(text, encoding="utf-8")
    commit(repo, "Release 1.1.0", when="2026-11-20T09:00:00+00:00")
    return edits


def check(command: list[str], repo: Path) -> str:
    """What one (untimed) JSON diff found, to show the edits are seen."""
    process = subprocess.run(
        [*command, "diff", str(PROJECT), "--base", TAG, "--head", "HEAD", "--format", "json"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if process.returncode != 0:
        return f"diff failed (exit {process.returncode}): {process.stderr.strip()}"
    doc = json.loads(process.stdout)
    statuses: dict[str, int] = {}
    for vulnerability in doc["vulnerabilities"]:
        statuses[vulnerability["status"]] = statuses.get(vulnerability["status"], 0) + 1
    counts = {k: v for k, v in doc["counts"].items() if v}
    return (
        f"diff found: {counts}; vulnerabilities {statuses}; "
        f"errors base {doc['base']['errors']}, head {doc['head']['errors']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    command = cyberfile_command()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.2f}"
    )
    with tempfile.TemporaryDirectory(prefix="cyberfile-diff-bench-") as tmp:
        repo = Path(tmp) / "repo"
        start = time.perf_counter()
        edits = prepare(repo, args.items)
        print(
            f"{args.items:,} items, tagged {TAG}, then one commit: "
            + ", ".join(f"{v} {k}" for k, v in edits.items())
            + f" (prepared in {time.perf_counter() - start:.1f} s)"
        )
        print(check(command, repo))
        cases = {
            "validate (for scale)": ["validate", str(PROJECT)],
            f"diff --base {TAG} --head HEAD": [
                "diff",
                str(PROJECT),
                "--base",
                TAG,
                "--head",
                "HEAD",
            ],
            f"diff --base {TAG} (work tree)": ["diff", str(PROJECT), "--base", TAG],
            f"diff --base {TAG} --format json": [
                "diff",
                str(PROJECT),
                "--base",
                TAG,
                "--format",
                "json",
            ],
        }
        print(f"{'command':<34} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}  exit  target")
        for name, cli_args in cases.items():
            measure = run([*command, *cli_args], args.runs, repo)
            target = f"< {TARGET_S:.0f} s" if name.startswith("diff") else ""
            verdict = ""
            if target:
                verdict = " ok" if measure.wall < TARGET_S and measure.code == 0 else " MISSED"
            print(
                f"{name:<34} {measure.wall:>8.2f} {measure.cpu:>8.2f} "
                f"{measure.peak_mib:>9.0f}  {measure.code:>4}  {target}{verdict}",
                flush=True,
            )


if __name__ == "__main__":
    main()
