"""Time `cyberfile scan` on a large SBOM against large local OSV and CVE sets.

    python benchmarks/scan_speed.py [--components 5000] [--advisories 20000]
                                    [--cve-records 50000]

Builds, in a temporary folder, an OSV all.zip of JSON records (the real PyPI advisories
from ../shared/data/osv-pypa when present, topped up with generated ones), a zip of CVE
JSON 5 records (the real vulnrichment subset from ../shared/data/cve, topped up with
synthetic records of the same shape: see cve_match_speed.py), and a device project with
that many components: half PyPI packages (about half of them named in some advisory),
half embedded components with CPEs (Linux, OpenSSL, curl, ... and vendors no record
names). Then runs `cyberfile scan --dry-run` as a whole process, first with OSV only and
then with OSV and CVE, and prints wall time and peak memory (max RSS). Targets: 5,000
components against 20,000+ OSV records in under 5 s; against 50,000 CVE records plus
20,000 OSV records in under 10 s.
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


def build_project(
    root: Path, components: int, names: list[str], cpes: list[tuple[str, str]] | None = None
) -> None:
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
    for i, (cpe, version) in enumerate(cpes or []):
        product = cpe.split(":")[4]
        ref = f"pkg:generic/{product}-{i}@{version}"
        lines += [
            f"  - ref: '{ref}'",
            f"    name: {product}",
            f"    version: '{version}'",
            f"    purl: '{ref}'",
            f"    cpe: '{cpe}'",
            "    support: actively_maintained",
        ]
    (root / "sbom.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_scan(command: Path, project: Path, feeds: list[str]) -> tuple[float, float, str, int]:
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run(
        [str(command), "scan", str(project), *feeds, "--as-of", "2026-11-29", "--dry-run"],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    summary = next((line for line in result.stdout.splitlines() if "bench " in line), "")
    if result.returncode not in (0, 1):
        print(result.stderr)
    return elapsed, peak, summary.strip(), result.returncode


def main() -> None:
    from cve_match_speed import build_components
    from cve_match_speed import build_feed as build_cve_feed

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=5000)
    parser.add_argument("--advisories", type=int, default=20000)
    parser.add_argument("--cve-records", type=int, default=50000)
    args = parser.parse_args()
    command = Path(sys.executable).parent / "cyberfile"
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp) / "all.zip"
        records, names = build_feed(feed, args.advisories)
        cves = Path(tmp) / "cves.zip"
        cve_records = build_cve_feed(cves, args.cve_records)
        embedded = build_components(args.components // 2)[: args.components // 2]
        osv_only = Path(tmp) / "projects" / "bench"
        build_project(osv_only, args.components, names)
        mixed = Path(tmp) / "mixed" / "bench"
        build_project(mixed, args.components - len(embedded), names, embedded)
        elapsed, peak, summary, code = run_scan(command, osv_only, ["--osv", str(feed)])
        print(
            f"scan of {args.components} PyPI components against {records} OSV records: "
            f"{elapsed:.2f} s, peak RSS {peak:.0f} MiB, exit {code}   (target < 5 s)"
        )
        print(f"  {summary}")
        elapsed, peak, summary, code = run_scan(
            command, mixed, ["--osv", str(feed), "--cve", str(cves)]
        )
        print(
            f"scan of {args.components} components ({len(embedded)} with CPEs) against "
            f"{cve_records} CVE records and {records} OSV records: {elapsed:.2f} s, "
            f"peak RSS {peak:.0f} MiB, exit {code}   (target < 10 s)"
        )
        print(f"  {summary}")


if __name__ == "__main__":
    main()
