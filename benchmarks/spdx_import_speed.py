"""Time `cyberfile sbom import` of large SPDX 2.3 JSON SBOMs as a whole process, cold.

    python benchmarks/spdx_import_speed.py [--case single|yocto|both] [--packages 5000]
        [--documents 500] [--compare-library]

Generates, in a temporary folder, an SPDX 2.3 JSON document shaped like an embedded Linux
image SBOM: one firmware package that CONTAINS every other package, each with a purl, a CPE
2.3 (`cpe23Type`) reference, a SHA-256 checksum, a supplier and licences, and DEPENDS_ON
edges between them (about two per package). Then, in a fresh `cyberfile init` project,
runs `cyberfile sbom import` as a new process (nothing imported or cached beforehand) and
prints wall time, CPU time (user + system: less inflated than wall time by other work on a
busy machine) and peak memory (max RSS). Target: 5,000 packages in under 10 s. Both cases
run by default.

It also times the reader's stages in this process (spdx-tools parse, spdx-tools validation,
mapping), so that the part spdx-tools' validation takes is visible. `--compare-library`
adds spdx-tools' own parse and validation without cyberfile's indexed lookups (minutes at
5,000 packages: its validator compares every relationship with every element).

The Yocto case (`--case yocto`) generates what create-spdx leaves in deploy/spdx/MACHINE:
an image document that only refers to `--documents` package documents (500) holding
`--packages` packages in all (5,000), in `packages/` with `by-namespace/` links to them.
Each package has a purl, a CPE (the RDF URI type create-spdx writes), a SHA-256, and two
files it CONTAINS; the image CONTAINS every package through `DocumentRef-…:SPDXRef-…`, and
each package DEPENDS_ON two packages of earlier documents (every reference carries the SHA1
of the file it names). It times the import of the image document the same way (target:
under 10 s), then, in this process, the search for the documents by namespace and
spdx-tools' parse and validation of all of them.
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


def _yocto_package(spdx_id: str, name: str, version: str) -> dict[str, Any]:
    return {
        "SPDXID": spdx_id,
        "name": name,
        "versionInfo": version,
        "supplier": "Organization: OpenEmbedded ()",
        "downloadLocation": "NOASSERTION",
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "GPL-2.0-only OR MIT",
        "licenseInfoFromFiles": ["NOASSERTION"],
        "copyrightText": "NOASSERTION",
        "packageVerificationCode": {
            "packageVerificationCodeValue": hashlib.sha1(name.encode()).hexdigest()
        },
        "checksums": [
            {"algorithm": "SHA256", "checksumValue": hashlib.sha256(name.encode()).hexdigest()}
        ],
        "externalRefs": [
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": f"pkg:generic/{name}@{version}",
            },
            {
                "referenceCategory": "SECURITY",
                "referenceType": "http://spdx.org/rdf/references/cpe23Type",
                "referenceLocator": f"cpe:2.3:a:oe:{name}:{version}:*:*:*:*:*:*:*",
            },
        ],
    }


def _yocto_document(
    name: str, packages: list[dict[str, Any]], relationships: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": f"http://spdx.org/spdxdocs/{name}-{hashlib.md5(name.encode()).hexdigest()}",
        "creationInfo": {
            "created": "2026-11-20T10:00:00Z",
            "creators": [
                "Tool: OpenEmbedded Core create-spdx.bbclass",
                "Organization: OpenEmbedded ()",
            ],
        },
        "externalDocumentRefs": [],
        "packages": packages,
        "files": [],
        "relationships": relationships,
    }


def _rel(element: str, kind: str, related: str) -> dict[str, str]:
    return {"spdxElementId": element, "relationshipType": kind, "relatedSpdxElement": related}


def generate_yocto(folder: Path, documents: int, packages: int) -> Path:
    """deploy/spdx/MACHINE for an image of `packages` packages in `documents` documents;
    returns the image document."""
    written: list[tuple[str, str, list[str]]] = []  # (namespace, sha1, package ids)
    per_document = max(1, packages // documents)
    for d in range(documents):
        recipe = f"{COMPONENT_NAMES[d % len(COMPONENT_NAMES)]}{d}"
        version = f"{1 + d % 9}.{d % 13}.{d % 7}"
        ids = [f"SPDXRef-Package-{recipe}-{p}" for p in range(per_document)]
        document = _yocto_document(recipe, [], [])
        for p, spdx_id in enumerate(ids):
            document["packages"].append(_yocto_package(spdx_id, f"{recipe}-{p}", version))
            document["relationships"].append(_rel("SPDXRef-DOCUMENT", "DESCRIBES", spdx_id))
            for f in range(2):
                file_id = f"SPDXRef-PackagedFile-{recipe}-{p}-{f}"
                document["files"].append(
                    {
                        "SPDXID": file_id,
                        "fileName": f"usr/lib/{recipe}-{p}/file{f}.so",
                        "fileTypes": ["BINARY"],
                        "checksums": [
                            {
                                "algorithm": "SHA1",
                                "checksumValue": hashlib.sha1(file_id.encode()).hexdigest(),
                            }
                        ],
                        "licenseConcluded": "NOASSERTION",
                        "copyrightText": "NOASSERTION",
                    }
                )
                document["relationships"].append(_rel(spdx_id, "CONTAINS", file_id))
        for target in sorted({(d * 7 + 3) % d, (d * 13 + 1) % d} if d else set()):
            namespace, sha1, target_ids = written[target]
            document_ref = f"DocumentRef-doc{target}"
            document["externalDocumentRefs"].append(
                {
                    "externalDocumentId": document_ref,
                    "spdxDocument": namespace,
                    "checksum": {"algorithm": "SHA1", "checksumValue": sha1},
                }
            )
            for p, spdx_id in enumerate(ids):
                dependency = target_ids[p % len(target_ids)]
                document["relationships"].append(
                    _rel(spdx_id, "DEPENDS_ON", f"{document_ref}:{dependency}")
                )
        path = folder / "packages" / f"{recipe}.spdx.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = json.dumps(document, sort_keys=True).encode()
        path.write_bytes(raw)
        link = folder / "by-namespace" / document["documentNamespace"].replace("/", "_")
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(path, link.parent))
        written.append((document["documentNamespace"], hashlib.sha1(raw).hexdigest(), ids))
    image_id = "SPDXRef-Image-pump-firmware"
    image = _yocto_document(
        "pump-firmware-image", [], [_rel("SPDXRef-DOCUMENT", "DESCRIBES", image_id)]
    )
    image["packages"].append(_yocto_package(image_id, "pump-firmware-image", "2.4.0"))
    for d, (namespace, sha1, ids) in enumerate(written):
        image["externalDocumentRefs"].append(
            {
                "externalDocumentId": f"DocumentRef-doc{d}",
                "spdxDocument": namespace,
                "checksum": {"algorithm": "SHA1", "checksumValue": sha1},
            }
        )
        for spdx_id in ids:
            image["relationships"].append(
                _rel(image_id, "CONTAINS", f"DocumentRef-doc{d}:{spdx_id}")
            )
    path = folder / "pump-firmware-image.spdx.json"
    path.write_text(json.dumps(image, sort_keys=True), encoding="utf-8")
    return path


def yocto_stages(image: Path) -> None:
    """The search by namespace and spdx-tools' share, in this process."""
    from cyberfile.sbom import spdx_read
    from cyberfile.sbom.cyclonedx_read import MAX_SBOM_BYTES
    from cyberfile.sbom.spdx_refs import DocumentFinder

    start, cpu = time.perf_counter(), time.process_time()
    imported = spdx_read.read_spdx(image)
    whole, whole_cpu = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    finder = DocumentFinder(image.parent, image, MAX_SBOM_BYTES)
    for _ in finder.files("a namespace no file has: the whole folder is walked"):
        pass
    searched = time.perf_counter() - start
    start = time.perf_counter()
    paths = sorted((image.parent / "packages").glob("*.spdx.json"))
    for path in paths:
        raw = path.read_bytes()
        with spdx_read._linear_time():
            spdx_read._validate(path, spdx_read._parse(path, raw))
    library = time.perf_counter() - start
    print(
        f"  in this process: read_spdx {whole:.2f} s (CPU {whole_cpu:.2f} s; "
        f"{len(imported.components)} components, "
        f"{sum(len(c.depends_on) for c in imported.components)} edges, "
        f"{len(imported.skipped)} notes)"
    )
    print(
        f"  parts of it, timed alone: walking the whole folder for namespaces {searched:.2f} s; "
        f"spdx-tools parse + validation of the {len(paths)} package documents {library:.2f} s"
    )
    for note in imported.skipped:
        print(f"    note: {note[:160]}")


CPU_SECONDS: list[float] = []
"""User + system CPU seconds of each process `run` started (a figure that other work on a
busy machine inflates less than wall time)."""


def run(args: list[str]) -> tuple[float, int, int, str]:
    """Wall seconds, exit code, peak RSS (KiB on Linux) and stderr of one new process."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert child.stderr is not None
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    CPU_SECONDS.append(usage.ru_utime + usage.ru_stime)
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
    parser.add_argument("--case", choices=("single", "yocto", "both"), default="both")
    parser.add_argument("--packages", type=int, default=5000)
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--compare-library", action="store_true")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    if args.case in ("single", "both"):
        single(args.packages, args.compare_library)
    if args.case in ("yocto", "both"):
        yocto(args.documents, args.packages)


def _import(command: str, sbom: Path, project: Path, what: str) -> None:
    seconds, code, peak, err = run([command, "sbom", "import", str(sbom), str(project)])
    if code != 0:
        sys.exit(f"cyberfile sbom import failed ({code}): {err}")
    target = 10.0
    verdict = "ok" if seconds < target else "SLOWER THAN TARGET"
    print(
        f"cyberfile sbom import {what} (new process): {seconds:.2f} s (CPU "
        f"{CPU_SECONDS[-1]:.2f} s), peak RSS {peak / 1024:.0f} MiB  [target < {target:.0f} s: "
        f"{verdict}; load average {os.getloadavg()[0]:.1f}]"
    )


def _project(folder: Path, command: str) -> Path:
    project = folder / "device"
    _, code, _, err = run([command, "init", str(project)])
    if code != 0:
        sys.exit(f"cyberfile init failed: {err}")
    return project


def single(packages: int, compare_library: bool) -> None:
    command = str(Path(sys.executable).parent / "cyberfile")
    with tempfile.TemporaryDirectory() as tmp:
        project = _project(Path(tmp), command)
        sbom = project / "artifacts" / "sbom" / "firmware.spdx.json"
        sbom.parent.mkdir(parents=True, exist_ok=True)
        generate(sbom, packages)
        size = sbom.stat().st_size / 1024 / 1024
        print(f"SPDX 2.3 JSON: {packages + 1} packages, {size:.1f} MB")
        _import(command, sbom, project, "of one document")
        again, code, peak_again, err = run([command, "sbom", "import", str(sbom), str(project)])
        if code != 0:
            sys.exit(f"re-import failed ({code}): {err}")
        print(
            f"re-import, nothing changes: {again:.2f} s (CPU {CPU_SECONDS[-1]:.2f} s), peak RSS "
            f"{peak_again / 1024:.0f} MiB"
        )
        stages(sbom, compare_library)


def yocto(documents: int, packages: int) -> None:
    command = str(Path(sys.executable).parent / "cyberfile")
    with tempfile.TemporaryDirectory() as tmp:
        project = _project(Path(tmp), command)
        folder = project / "artifacts" / "sbom" / "firmware"
        image = generate_yocto(folder, documents, packages)
        size = sum(p.stat().st_size for p in folder.rglob("*.json") if not p.is_symlink())
        print(
            f"Yocto-shaped SPDX 2.3 JSON: an image document referring to {documents} package "
            f"documents, {packages} packages with CPEs, {2 * packages} files, "
            f"{size / 1024 / 1024:.1f} MB"
        )
        _import(command, image, project, "of the image document")
        yocto_stages(image)


if __name__ == "__main__":
    main()
