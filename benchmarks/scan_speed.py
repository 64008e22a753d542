"""Time `cyberfile scan` on a large SBOM against a large local OSV set.

    python benchmarks/scan_speed.py [--components 5000] [--advisories 20000]

Builds, in a temporary folder, an OSV all.zip of JSON records (the real PyPI advisories
from ../shared/data/osv-pypa when present, topped up with generated ones) and a device
project with that many PyPI components, about half of them named in some advisory. Then
runs `cyberfile scan --dry-run` as a whole process and prints wall time and peak memory
(max RSS). Target: 5,000 components against 20,000+ advisories in under 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
REAL_OSV = REPO.parent / "shared" / "data" / "osv-pypa" / "vulns"


def build_feed(path: Path, total: int) -> tuple[int, list[str]]:
    """Write an OSV zip; return the number of records and the package names they name."""
    names: list[str] = []
    count = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        if REAL_OSV.is_dir():
            for record_path in sorted(REAL_OSV.rglob("*.yaml")):
                record = yaml.load(record_path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
                archive.writestr(f"{record['id']}.json", json.dumps(record, default=str))
                count += 1
                names.extend(a["package"]["name"] for a in record.get("affected", []))
        index = 0
        while count < total:
            name = f"bench-package-{index % 4000}"
            record = {
                "id": f"BENCH-{index}",
                "aliases": [f"CVE-2090-{index}"],
                "modified": "2026-01-01T00:00:00Z",
                "summary": "Generated advisory for the scan benchmark.",
                "severity": [
                    {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}
                ],
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": name},
                        "ranges": [
                            {
                                "type": "ECOSYSTEM",
                                "events": [
                                    {"fixed": f"{index % 7}.{index % 5}.0"},
                                    {"introduced": f"{index % 7}.0.0"},
                                ],
                            }
                        ],
                        "versions": [f"{index % 7}.0.{i}" for i in range(10)],
                    }
                ],
            }
            archive.writestr(f"BENCH-{index}.json", json.dumps(record))
            names.append(name)
            count += 1
            index += 1
    return count, sorted(set(names))


def build_project(root: Path, components: int, names: list[str]) -> None:
    root.mkdir(parents=True)
    (root / "cyberfile.yaml").write_text(
        "schema_version: 1\ndevice: {name: Bench, manufacturer: Bench Inc., version: '1.0'}\n",
        encoding="utf-8",
    )
    lines = ["components:"]
    refs = []
    for i in range(components):
        name = names[i % len(names)] if i % 2 == 0 else f"unlisted-package-{i}"
        version = f"{i % 7}.{i % 4}.{i % 9}"
        ref = f"pkg:pypi/{name.lower()}@{version}"
        if ref in refs:
            ref = f"pkg:pypi/{name.lower()}-copy{i}@{version}"
        refs.append(ref)
        lines += [
            f"  - ref: '{ref}'",
            f"    name: {name}",
            f"    version: '{version}'",
            f"    purl: '{ref}'",
            "    support: actively_maintained",
        ]
    (root / "sbom.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=5000)
    parser.add_argument("--advisories", type=int, default=20000)
    args = parser.parse_args()
    command = Path(sys.executable).parent / "cyberfile"
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp) / "all.zip"
        records, names = build_feed(feed, args.advisories)
        project = Path(tmp) / "projects" / "bench"
        build_project(project, args.components, names)
        start = time.perf_counter()
        result = subprocess.run(
            [
                str(command),
                "scan",
                str(project),
                "--osv",
                str(feed),
                "--as-of",
                "2026-11-29",
                "--dry-run",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        summary = next((line for line in result.stdout.splitlines() if "bench" in line), "")
        print(
            f"scan of {args.components} components against {records} OSV records: "
            f"{elapsed:.2f} s, peak RSS {peak:.0f} MiB, exit {result.returncode}   "
            "(target < 5 s)"
        )
        print(f"  {summary.strip()}")
        if result.returncode not in (0, 1):
            print(result.stderr)


if __name__ == "__main__":
    main()
