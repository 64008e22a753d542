"""Time `cyberfile sbom import` of a large SPDX 2.3 JSON document as a whole process, cold.

    python benchmarks/spdx_import_speed.py [--packages 5000] [--compare-library]

Generates, in a temporary folder, an SPDX 2.3 JSON document shaped like an embedded Linux
image SBOM: one firmware package that CONTAINS every other package, each with a purl, a CPE
2.3 (`cpe23Type`) reference, a SHA-256 checksum, a supplier and licences, and DEPENDS_ON
edges between them (about two per package). Then, in a fresh `cyberfile init` project,
runs `cyberfile sbom import` as a new process (nothing imported or cached beforehand) and
prints wall time and peak memory (max RSS). Target: 5,000 packages in under 10 s.

It also times the reader's stages in this process (spdx-tools parse, spdx-tools validation,
mapping), so that the part spdx-tools' validation takes is visible. `--compare-library`
adds spdx-tools' own parse and validation without cyberfile's indexed lookups (minutes at
5,000 packages: its validator compares every relationship with every element).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

COMPONENT_NAMES = ("busybox", "openssl", "zlib", "curl", "glibc", "dbus", "bluez5", "libxml2")


def generate(path: Path, count: int) -> None:
    packages: list[dict[str, Any]] = [
        {
            "SPDXID": "SPDXRef-Package-firmware",
            "name": "pump-firmware",
            "versionInfo": "2.4.0",
            "primaryPackagePurpose": "FIRMWARE",
            "supplier": "Organization: Example Medical Inc.",
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "LicenseRef-Proprietary",
            "copyrightText": "NOASSERTION",
        }
    ]
    relationships: list[dict[str, str]] = [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": "SPDXRef-Package-firmware",
        }
    ]
    for i in range(count):
        name = f"{COMPONENT_NAMES[i % len(COMPONENT_NAMES)]}-{i}"
        version = f"{1 + i % 9}.{i % 13}.{i % 7}"
        spdx_id = f"SPDXRef-Package-{i}"
        packages.append(
            {
                "SPDXID": spdx_id,
                "name": name,
                "versionInfo": version,
                "primaryPackagePurpose": "LIBRARY" if i % 5 else "APPLICATION",
                "supplier": "Organization: OpenEmbedded ()",
                "downloadLocation": f"https://downloads.example.org/{name}-{version}.tar.xz",
                "filesAnalyzed": False,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "GPL-2.0-only OR MIT" if i % 2 else "BSD-3-Clause",
                "copyrightText": "NOASSERTION",
                "checksums": [
                    {
                        "algorithm": "SHA256",
                        "checksumValue": hashlib.sha256(name.encode()).hexdigest(),
                    }
                ],
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": f"pkg:generic/{name}@{version}",
                    },
                    {
                        "referenceCategory": "SECURITY",
                        "referenceType": "cpe23Type",
                        "referenceLocator": f"cpe:2.3:a:example:{name}:{version}:*:*:*:*:*:*:*",
                    },
                ],
            }
        )
        relationships.append(
            {
                "spdxElementId": "SPDXRef-Package-firmware",
                "relationshipType": "CONTAINS",
                "relatedSpdxElement": spdx_id,
            }
        )
        for target in {(i * 7 + 3) % count, (i * 13 + 1) % count} - {i}:
            relationships.append(
                {
                    "spdxElementId": spdx_id,
                    "relationshipType": "DEPENDS_ON",
                    "relatedSpdxElement": f"SPDXRef-Package-{target}",
                }
            )
    document = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "pump-firmware-2.4.0",
        "documentNamespace": "https://example.com/spdx/pump-firmware-2.4.0",
        "creationInfo": {
            "created": "2026-11-20T10:00:00Z",
            "creators": ["Tool: spdx-import-benchmark", "Organization: Example Medical Inc."],
        },
        "hasExtractedLicensingInfos": [
            {
                "licenseId": "LicenseRef-Proprietary",
                "extractedText": "Proprietary to Example Medical Inc.",
                "name": "Example Medical proprietary licence",
            }
        ],
        "packages": packages,
        "relationships": relationships,
    }
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")


def run(args: list[str]) -> tuple[float, int, int, str]:
    """Wall seconds, exit code, peak RSS (KiB on Linux) and stderr of one new process."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert child.stderr is not None
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - start, os.waitstatus_to_exitcode(status), usage.ru_maxrss, err


def stages(path: Path, compare_library: bool) -> None:
    """The reader's stages, in this process."""
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    from cyberfile.sbom import spdx_read

    raw = path.read_bytes()
    start = time.perf_counter()
    with spdx_read._linear_time():
        document = spdx_read._parse(path, raw)
        parsed = time.perf_counter()
        notes = spdx_read._validate(path, document)
        validated = time.perf_counter()
    imported = spdx_read._imported(path, raw, document, notes)
    mapped = time.perf_counter()
    print(
        f"  reader stages: spdx-tools parse {parsed - start:.2f} s, spdx-tools validation "
        f"{validated - parsed:.2f} s, mapping {mapped - validated:.2f} s "
        f"({len(imported.components)} components, {len(imported.skipped)} notes)"
    )
    if compare_library:
        from spdx_tools.spdx.parser.json import json_parser

        start = time.perf_counter()
        document = json_parser.parse_from_file(str(path))
        parsed = time.perf_counter()
        messages = validate_full_spdx_document(document)
        validated = time.perf_counter()
        print(
            f"  spdx-tools as is: parse {parsed - start:.2f} s, validation "
            f"{validated - parsed:.2f} s ({len(messages)} messages)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=5000)
    parser.add_argument("--compare-library", action="store_true")
    args = parser.parse_args()
    command = str(Path(sys.executable).parent / "cyberfile")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        project = folder / "device"
        sbom = project / "artifacts" / "sbom" / "firmware.spdx.json"
        seconds, code, _, err = run([command, "init", str(project)])
        if code != 0:
            sys.exit(f"cyberfile init failed: {err}")
        sbom.parent.mkdir(parents=True, exist_ok=True)
        generate(sbom, args.packages)
        size = sbom.stat().st_size / 1024 / 1024
        print(f"SPDX 2.3 JSON: {args.packages + 1} packages, {size:.1f} MB")
        seconds, code, peak, err = run([command, "sbom", "import", str(sbom), str(project)])
        if code != 0:
            sys.exit(f"cyberfile sbom import failed ({code}): {err}")
        target = 10.0
        verdict = "ok" if seconds < target else "SLOWER THAN TARGET"
        print(
            f"cyberfile sbom import (new process): {seconds:.2f} s, peak RSS {peak / 1024:.0f} MiB"
            f"  [target < {target:.0f} s: {verdict}]"
        )
        again, code, peak_again, err = run([command, "sbom", "import", str(sbom), str(project)])
        if code != 0:
            sys.exit(f"re-import failed ({code}): {err}")
        print(f"re-import, nothing changes: {again:.2f} s, peak RSS {peak_again / 1024:.0f} MiB")
        stages(sbom, args.compare_library)


if __name__ == "__main__":
    main()
