"""Time reading, indexing and matching CVE JSON 5 records (`cyberfile.vulndb.cve`).

    python benchmarks/cve_match_speed.py [--records 50000] [--components 5000] [--keep DIR]

Builds, in a temporary folder, a zip of CVE records in vulnrichment layout: the real records
of ../shared/data/cve/vulnrichment-subset.zip (4,661: Linux kernel, OpenSSL, curl, ...)
topped up with synthetic records of the same shape (a real record copied with a new id and
its affected entries' vendor, product and CPEs renamed to one of 3,000 synthetic products;
versions, containers, SSVC and KEV kept as they are). Then builds 5,000 component CPEs:
most from vendors no record names, some naming synthetic products, and kernels, OpenSSL,
curl, glibc, zlib, BlueZ, ... at realistic versions.

Each measurement runs in a fresh interpreter (cold: no caches) and prints wall seconds per
phase and its peak RSS (`resource.getrusage(RUSAGE_SELF)` in that interpreter). Two modes:

- `filtered`: what `scan` does: a `NameFilter` for the project's CPE vendors, so records
  naming none of them are parsed but never built into objects;
- `full`: every record built and indexed (the cost of an index over the whole feed).

Target: the CVE part of a scan (50,000 records, 5,000 components) under 6 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
REAL = REPO.parent / "shared" / "data" / "cve" / "vulnrichment-subset.zip"
SYNTHETIC_PRODUCTS = 3000


def _rename_cpe(cpe: str, vendor: str, product: str) -> str:
    if cpe.startswith("cpe:2.3:"):
        fields = cpe.split(":")
        if len(fields) > 4:
            fields[3], fields[4] = vendor, product
            return ":".join(fields)
    if cpe.startswith("cpe:/"):
        fields = cpe.split(":")
        if len(fields) > 3:
            fields[2], fields[3] = vendor, product
            return ":".join(fields)
    return cpe


def _synthetic(template: dict[str, Any], number: int) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(json.dumps(template))
    k = number % SYNTHETIC_PRODUCTS
    vendor, product = f"synthvendor{k}", f"synthproduct{k}"
    cve_id = f"CVE-2031-{100000 + number}"
    record["cveMetadata"]["cveId"] = cve_id
    containers = record.get("containers", {})
    for container in [containers.get("cna", {}), *containers.get("adp", [])]:
        for entry in container.get("affected", []):
            if "vendor" in entry:
                entry["vendor"] = vendor.capitalize()
            if "product" in entry:
                entry["product"] = product
            if "cpes" in entry:
                entry["cpes"] = [_rename_cpe(c, vendor, product) for c in entry["cpes"]]
    return record


def build_feed(path: Path, total: int) -> int:
    """Write the zip; return the number of records."""
    count = 0
    templates: list[dict[str, Any]] = []
    with zipfile.ZipFile(REAL) as real, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name in sorted(real.namelist()):
            if not name.endswith(".json"):
                continue
            raw = real.read(name)
            out.writestr(name, raw)
            templates.append(json.loads(raw))
            count += 1
        number = 0
        while count < total:
            record = _synthetic(templates[number % len(templates)], number)
            cve_id = record["cveMetadata"]["cveId"]
            serial = cve_id.rsplit("-", 1)[1]
            out.writestr(f"2031/{serial[:-3]}xxx/{cve_id}.json", json.dumps(record, indent=2))
            count += 1
            number += 1
    return count


def build_components(total: int) -> list[tuple[str, str]]:
    """(CPE, version) pairs."""
    rng = random.Random(20260101)
    real = [
        ("o:linux:linux_kernel", [f"4.19.{n}" for n in range(250, 320, 7)]),
        ("o:linux:linux_kernel", [f"5.10.{n}" for n in range(100, 230, 9)]),
        ("o:linux:linux_kernel", [f"5.15.{n}" for n in range(50, 170, 11)]),
        ("o:linux:linux_kernel", [f"6.1.{n}" for n in range(20, 120, 6)]),
        ("a:openssl:openssl", ["1.1.1w", "3.0.8", "3.0.13", "3.1.4", "3.2.1", "3.3.0"]),
        ("a:haxx:curl", ["7.88.1", "8.4.0", "8.6.0", "8.9.1"]),
        ("a:gnu:glibc", ["2.31", "2.35", "2.39"]),
        ("a:zlib:zlib", ["1.2.13", "1.3.1"]),
        ("a:bluez:bluez", ["5.66", "5.72"]),
        ("a:w1.fi:wpa_supplicant", ["2.10"]),
        ("o:zephyrproject:zephyr", ["3.4.0", "3.5.0", "3.6.0"]),
        ("a:eclipse:mosquitto", ["2.0.18"]),
        ("a:python:python", ["3.11.9", "3.12.1"]),
    ]
    components: list[tuple[str, str]] = []
    for prefix, versions in real:
        for version in versions:
            components.append((f"cpe:2.3:{prefix}:{version}:*:*:*:*:*:*:*", version))
    for _ in range(300):
        k = rng.randrange(SYNTHETIC_PRODUCTS)
        version = f"{rng.randrange(1, 9)}.{rng.randrange(0, 20)}.{rng.randrange(0, 40)}"
        cpe = f"cpe:2.3:a:synthvendor{k}:synthproduct{k}:{version}:*:*:*:*:*:*:*"
        components.append((cpe, version))
    n = 0
    while len(components) < total:
        version = f"{rng.randrange(0, 5)}.{rng.randrange(0, 30)}.{rng.randrange(0, 99)}"
        cpe = f"cpe:2.3:a:devvendor{n % 2500}:devproduct{n}:{version}:*:*:*:*:*:*:*"
        components.append((cpe, version))
        n += 1
    return components


MEASURE = r"""
import json, resource, sys, time
from pathlib import Path
start = time.perf_counter()
from cyberfile.vulndb.cve import CveIndex, NameFilter, read_cve_feed
feed, components_path, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
components = json.loads(components_path.read_text())
t_import = time.perf_counter()
only = NameFilter.for_cpes(c for c, _ in components) if mode == "filtered" else None
cve_feed = read_cve_feed(feed, only=only)
stats, records = cve_feed.stats, cve_feed.records
t_read = time.perf_counter()
index = CveIndex.build(records)
t_index = time.perf_counter()
verdicts = {"affected": 0, "not_affected": 0, "undetermined": 0}
named = 0
for matches in index.match_many((cpe, version) for cpe, version in components):
    named += bool(matches)
    for m in matches:
        verdicts[m.verdict] += 1
uncovered_vendors = sum(not index.has_vendor(c.split(":")[3]) for c, _ in components)
t_match = time.perf_counter()
print(json.dumps({
    "import": t_import - start, "read": t_read - t_import, "index": t_index - t_read,
    "match": t_match - t_index, "total": t_match - start,
    "files": stats.files, "built": len(records), "filtered": stats.filtered,
    "components_named": named, "verdicts": verdicts, "vendors_without_record": uncovered_vendors,
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def measure(feed: Path, components: Path, mode: str) -> dict[str, Any]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(feed), str(components), mode],
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    figures: dict[str, Any] = json.loads(result.stdout)
    figures["wall"] = wall
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--components", type=int, default=5_000)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the inputs in this folder")
    parser.add_argument("--mode", choices=["filtered", "full", "both"], default="both")
    args = parser.parse_args()
    if not REAL.is_file():
        print(f"missing {REAL}: the real records are needed", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        feed = folder / f"cve-{args.records}.zip"
        components = folder / f"components-{args.components}.json"
        if not feed.exists():
            started = time.perf_counter()
            count = build_feed(feed, args.records)
            print(f"built {count} records in {time.perf_counter() - started:.1f} s: {feed}")
        if not components.exists():
            components.write_text(json.dumps(build_components(args.components)))
        print(f"python {platform.python_version()}, {platform.machine()}")
        modes = ["filtered", "full"] if args.mode == "both" else [args.mode]
        for mode in modes:
            f = measure(feed, components, mode)
            print(
                f"{mode:>8}: total {f['wall']:.2f} s wall (import {f['import']:.2f}, "
                f"read {f['read']:.2f}, index {f['index']:.2f}, match {f['match']:.2f}); "
                f"peak RSS {f['peak_rss_mib']:.0f} MiB; {f['files']} files, "
                f"{f['built']} records built, {f['filtered']} filtered; "
                f"{f['components_named']} components named; verdicts {f['verdicts']}; "
                f"{f['vendors_without_record']} components whose vendor has no record"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
