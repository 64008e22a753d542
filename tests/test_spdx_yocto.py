"""SPDX external document references, followed as Yocto's create-spdx writes them.

The documents are generated here, shaped like `deploy/spdx/MACHINE/` (an image document,
`packages/`, `recipes/`, Yocto's `by-namespace/` and `by-hash/` links) or like an extracted
`IMAGE.spdx.tar.zst` (flat, with `index.json`). Every reference carries the SHA1 of the
file as written, as create-spdx does. Expected values are read off the generated set, never
from the reader under test.

`yocto_set` adds the mistakes under test (purls and CPEs on the package documents, changed,
missing, refused and linked-out documents, cycles); `create_spdx`, further down, writes what
create-spdx really writes (CPEs on the recipes only, runtime documents).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cyberfile.cli import main
from cyberfile.load.project import load_project
from cyberfile.sbom.cyclonedx_read import ImportedSbom, SbomReadError
from cyberfile.sbom.read import read_sbom

CREATORS = ["Tool: OpenEmbedded Core create-spdx.bbclass", "Organization: OpenEmbedded ()"]


def namespace(name: str) -> str:
    """A namespace as create-spdx makes it: prefix, document name, a uuid5 of the name."""
    return f"http://spdx.org/spdxdocs/{name}-{uuid.uuid5(uuid.NAMESPACE_DNS, name)}"


def purl(name: str, version: str) -> str:
    return f"pkg:generic/{name}@{version}"


def cpe(name: str, version: str) -> str:
    return f"cpe:2.3:a:{name}:{name}:{version}:*:*:*:*:*:*:*"


def package(
    spdx_id: str, name: str, version: str, *, with_purl: bool = True, with_cpe: bool = True
) -> dict[str, Any]:
    refs = []
    if with_purl:
        refs.append(
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": purl(name, version),
            }
        )
    if with_cpe:  # create-spdx writes the RDF URI as the type
        refs.append(
            {
                "referenceCategory": "SECURITY",
                "referenceType": "http://spdx.org/rdf/references/cpe23Type",
                "referenceLocator": cpe(name, version),
            }
        )
    return {
        "SPDXID": spdx_id,
        "name": name,
        "versionInfo": version,
        "supplier": "Organization: OpenEmbedded ()",
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "GPL-2.0-only",
        "copyrightText": "NOASSERTION",
        "externalRefs": refs,
    }


def rel(element: str, kind: str, related: str) -> dict[str, str]:
    return {"spdxElementId": element, "relationshipType": kind, "relatedSpdxElement": related}


def ref(document_ref: str, name: str, sha1: str) -> dict[str, Any]:
    return {
        "externalDocumentId": document_ref,
        "spdxDocument": namespace(name),
        "checksum": {"algorithm": "SHA1", "checksumValue": sha1},
    }


def write(
    path: Path,
    name: str,
    packages: list[dict[str, Any]],
    relationships: list[dict[str, str]],
    refs: tuple[dict[str, Any], ...] = (),
    files: tuple[dict[str, Any], ...] = (),
) -> str:
    """Writes an SPDX 2.3 JSON document (its first package described); returns its SHA1."""
    document: dict[str, Any] = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": namespace(name),
        "creationInfo": {"created": "2026-11-20T10:00:00Z", "creators": CREATORS},
        "externalDocumentRefs": list(refs),
        "packages": packages,
        "files": list(files),
        "relationships": [
            rel("SPDXRef-DOCUMENT", "DESCRIBES", packages[0]["SPDXID"]),
            *relationships,
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(document, indent=1, sort_keys=True).encode()
    path.write_bytes(raw)
    return hashlib.sha1(raw).hexdigest()


def leaf(path: Path, name: str, version: str, *extra: dict[str, Any]) -> str:
    spdx_id = f"SPDXRef-Package-{name}"
    return write(path, name, [package(spdx_id, name, version), *extra], [])


def sha1_of(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


IMAGE = "SPDXRef-Image-core-image-minimal"


def yocto_set(folder: Path, outside: Path) -> Path:
    """deploy/spdx/MACHINE as create-spdx leaves it, plus the mistakes under test; returns
    the image document. Leaves are written first: a reference holds the SHA1 of a file."""
    pkgs = folder / "packages"
    sums: dict[str, str] = {}
    sums["libc"] = leaf(
        pkgs / "libc.spdx.json",
        "libc",
        "2.39",
        package("SPDXRef-Package-libc-dbg", "libc-dbg", "2.39"),  # nothing reaches it
    )
    sums["libcrypt"] = leaf(pkgs / "libcrypt.spdx.json", "libcrypt", "4.4.36")
    sums["recipe-busybox"] = write(
        folder / "recipes" / "recipe-busybox.spdx.json",
        "recipe-busybox",
        [package("SPDXRef-Recipe-busybox", "busybox-recipe", "1.36.1")],
        [],
    )
    # busybox: DEPENDS_ON libc, and its binary (a file) DYNAMIC_LINKs libcrypt
    sums["busybox"] = write(
        pkgs / "busybox.spdx.json",
        "busybox",
        [package("SPDXRef-Package-busybox", "busybox", "1.36.1")],
        [
            rel("SPDXRef-Package-busybox", "CONTAINS", "SPDXRef-PackagedFile-busybox-1"),
            rel("SPDXRef-Package-busybox", "DEPENDS_ON", "DocumentRef-libc:SPDXRef-Package-libc"),
            rel(
                "SPDXRef-PackagedFile-busybox-1",
                "DYNAMIC_LINK",
                "DocumentRef-libcrypt:SPDXRef-Package-libcrypt",
            ),
            rel(
                "SPDXRef-Package-busybox",
                "GENERATED_FROM",
                "DocumentRef-recipe-busybox:SPDXRef-Recipe-busybox",
            ),
        ],
        refs=(
            ref("DocumentRef-libc", "libc", sums["libc"]),
            ref("DocumentRef-libcrypt", "libcrypt", sums["libcrypt"]),
            ref("DocumentRef-recipe-busybox", "recipe-busybox", sums["recipe-busybox"]),
        ),
        files=(
            {
                "SPDXID": "SPDXRef-PackagedFile-busybox-1",
                "fileName": "bin/busybox",  # as create-spdx writes it
                "checksums": [{"algorithm": "SHA1", "checksumValue": "1" * 40}],
            },
        ),
    )
    # ncurses, in tag-value, depends on libc too (a diamond: libc is read once)
    ncurses = pkgs / "ncurses.spdx"
    ncurses.write_text(
        "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\n"
        f"DocumentName: ncurses\nDocumentNamespace: {namespace('ncurses')}\n"
        f"ExternalDocumentRef: DocumentRef-libc {namespace('libc')} SHA1: {sums['libc']}\n"
        "Creator: Tool: OpenEmbedded Core create-spdx.bbclass\nCreated: 2026-11-20T10:00:00Z\n\n"
        "PackageName: ncurses\nSPDXID: SPDXRef-Package-ncurses\nPackageVersion: 6.4\n"
        "PackageSupplier: Organization: OpenEmbedded ()\nPackageDownloadLocation: NOASSERTION\n"
        "FilesAnalyzed: false\nPackageLicenseConcluded: NOASSERTION\n"
        "PackageLicenseDeclared: MIT\nPackageCopyrightText: NOASSERTION\n"
        f"ExternalRef: PACKAGE-MANAGER purl {purl('ncurses', '6.4')}\n"
        f"ExternalRef: SECURITY cpe23Type {cpe('ncurses', '6.4')}\n\n"
        "Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-Package-ncurses\n"
        "Relationship: SPDXRef-Package-ncurses DEPENDS_ON DocumentRef-libc:SPDXRef-Package-libc\n",
        encoding="utf-8",
    )
    sums["ncurses"] = sha1_of(ncurses)
    # a cycle of documents: libb was written before liba, so its SHA1 of liba is stale
    sums["libb"] = write(
        pkgs / "libb.spdx.json",
        "libb",
        [package("SPDXRef-Package-libb", "libb", "2.0")],
        [rel("SPDXRef-Package-libb", "DEPENDS_ON", "DocumentRef-liba:SPDXRef-Package-liba")],
        refs=(ref("DocumentRef-liba", "liba", "ab" * 20),),
    )
    sums["liba"] = write(
        pkgs / "liba.spdx.json",
        "liba",
        [package("SPDXRef-Package-liba", "liba", "1.0")],
        [rel("SPDXRef-Package-liba", "DEPENDS_ON", "DocumentRef-libb:SPDXRef-Package-libb")],
        refs=(ref("DocumentRef-libb", "libb", sums["libb"]),),
    )
    # zlib changed after the image was written: its checksum no longer matches
    sums["zlib"] = leaf(pkgs / "zlib.spdx.json", "zlib", "1.3.1")
    leaf(pkgs / "zlib.spdx.json", "zlib", "1.3.2")
    # a document that spdx-tools refuses (a relationship to an undeclared DocumentRef)
    sums["broken"] = write(
        pkgs / "broken.spdx.json",
        "broken",
        [package("SPDXRef-Package-broken", "broken", "1")],
        [rel("SPDXRef-Package-broken", "DEPENDS_ON", "DocumentRef-nowhere:SPDXRef-x")],
    )
    # a good document outside the folder, reached only through symbolic links
    sums["secret"] = leaf(outside / "secret.spdx.json", "secret", "9.9")
    (pkgs / "secret.spdx.json").symlink_to(os.path.relpath(outside / "secret.spdx.json", pkgs))
    (folder / "linked").symlink_to(os.path.relpath(outside, folder))
    # the image's own base-files package has the purl a package document has too
    sums["base-files"] = leaf(pkgs / "base-files.spdx.json", "base-files", "3.0.14")
    # two documents with a package of the same SPDXID and no purl
    for name in ("data1", "data2"):
        sums[name] = write(
            pkgs / f"{name}.spdx.json",
            name,
            [package("SPDXRef-Package-data", name, "1", with_purl=False, with_cpe=False)],
            [],
        )
    # Yocto's links: by-namespace (no suffix) and by-hash, to the same files
    for name in ("busybox", "libc"):
        link = folder / "by-namespace" / "x86_64" / namespace(name).replace("/", "_")
        hashed = folder / "by-hash" / "x86_64" / "0f1e2d" / f"{name}.spdx.json"
        for where in (link, hashed):
            where.parent.mkdir(parents=True, exist_ok=True)
            where.symlink_to(os.path.relpath(pkgs / f"{name}.spdx.json", where.parent))

    reached = ("busybox", "ncurses", "liba", "zlib", "broken", "secret", "base-files")
    image = folder / "core-image-minimal.spdx.json"
    write(
        image,
        "core-image-minimal",
        [
            package(IMAGE, "core-image-minimal", "1.0", with_purl=False, with_cpe=False),
            package("SPDXRef-Package-base-files", "base-files", "3.0.14"),
        ],
        [
            rel(IMAGE, "CONTAINS", "SPDXRef-Package-base-files"),
            *(
                rel(IMAGE, "CONTAINS", f"DocumentRef-{name}:SPDXRef-Package-{name}")
                for name in (*reached, "missing")
            ),
            rel(IMAGE, "CONTAINS", "DocumentRef-data1:SPDXRef-Package-data"),
            rel(IMAGE, "CONTAINS", "DocumentRef-data2:SPDXRef-Package-data"),
            rel(IMAGE, "OTHER", "DocumentRef-runtime-busybox:SPDXRef-DOCUMENT"),
        ],
        refs=(
            *(ref(f"DocumentRef-{name}", name, sums[name]) for name in reached),
            ref("DocumentRef-missing", "missing", "cd" * 20),
            ref("DocumentRef-data1", "data1", sums["data1"]),
            ref("DocumentRef-data2", "data2", sums["data2"]),
            ref("DocumentRef-runtime-busybox", "runtime-busybox", "ef" * 20),
        ),
    )
    return image


@pytest.fixture
def image(tmp_path: Path) -> Path:
    return yocto_set(tmp_path / "firmware", tmp_path / "outside")


def _by_ref(sbom: ImportedSbom) -> dict[str, Any]:
    return {c.ref: c for c in sbom.components}


def _notes(sbom: ImportedSbom) -> str:
    return "\n".join(sbom.skipped)


# -- what is imported ------------------------------------------------------------------------


def test_reachable_packages_of_other_documents_are_imported(image: Path) -> None:
    sbom = read_sbom(image)
    components = _by_ref(sbom)
    expected = {
        "spdx:SPDXRef-Image-core-image-minimal",
        purl("base-files", "3.0.14"),
        purl("busybox", "1.36.1"),
        purl("libc", "2.39"),  # busybox DEPENDS_ON it, in its own document
        purl("libcrypt", "4.4.36"),  # a file of busybox DYNAMIC_LINKs it
        purl("ncurses", "6.4"),  # tag-value
        purl("liba", "1.0"),
        purl("libb", "2.0"),  # liba DEPENDS_ON it, one document further
        "spdx:SPDXRef-Package-data",
        f"spdx:{namespace('data2')}#SPDXRef-Package-data",
    }
    assert set(components) == expected, _notes(sbom)
    for name, version in (("busybox", "1.36.1"), ("libc", "2.39"), ("ncurses", "6.4")):
        component = components[purl(name, version)]
        assert (component.name, component.version) == (name, version)
        assert component.purl == purl(name, version)
        assert component.cpe == cpe(name, version)
        assert component.supplier == "OpenEmbedded"
    assert components[purl("libcrypt", "4.4.36")].cpe == cpe("libcrypt", "4.4.36")
    assert components[purl("busybox", "1.36.1")].licenses == ("GPL-2.0-only",)
    assert components[purl("ncurses", "6.4")].licenses == ("MIT",)
    assert components["spdx:SPDXRef-Package-data"].name == "data1"
    assert components[f"spdx:{namespace('data2')}#SPDXRef-Package-data"].name == "data2"
    assert sbom.roots == ("spdx:SPDXRef-Image-core-image-minimal",)
    # the image document is the imported file: its sha256 and namespace are recorded
    assert sbom.sha256 == hashlib.sha256(image.read_bytes()).hexdigest()
    assert sbom.serial_number == namespace("core-image-minimal")


def test_edges_across_documents(image: Path) -> None:
    components = _by_ref(read_sbom(image))
    assert set(components["spdx:SPDXRef-Image-core-image-minimal"].depends_on) == {
        purl("base-files", "3.0.14"),
        purl("busybox", "1.36.1"),
        purl("ncurses", "6.4"),
        purl("liba", "1.0"),
        "spdx:SPDXRef-Package-data",
        f"spdx:{namespace('data2')}#SPDXRef-Package-data",
    }
    assert components[purl("busybox", "1.36.1")].depends_on == (
        purl("libc", "2.39"),
        purl("libcrypt", "4.4.36"),
    )
    assert components[purl("ncurses", "6.4")].depends_on == (purl("libc", "2.39"),)
    assert components[purl("liba", "1.0")].depends_on == (purl("libb", "2.0"),)
    # libb's reference back to liba cannot carry liba's SHA1 (liba holds libb's): not used
    assert components[purl("libb", "2.0")].depends_on == ()


def test_references_that_cannot_be_followed_are_noted(image: Path) -> None:
    sbom = read_sbom(image)
    notes = _notes(sbom)
    folder = image.parent.as_posix()
    missing = next(n for n in sbom.skipped if "not found under" in n)
    assert missing.startswith(f"3 referenced SPDX document(s) not found under {folder} ")
    assert f"DocumentRef-missing ({namespace('missing')})" in missing
    assert f"DocumentRef-secret ({namespace('secret')})" in missing  # only reachable by link
    # the image's OTHER relationship to a runtime document is followed (it is not there)
    assert f"DocumentRef-runtime-busybox ({namespace('runtime-busybox')})" in missing
    changed = next(n for n in sbom.skipped if "checksum is not the one" in n)
    assert changed.startswith("2 referenced SPDX document(s) not used: the file's checksum")
    zlib_now = sha1_of(image.parent / "packages" / "zlib.spdx.json")
    zlib = f"DocumentRef-zlib ({namespace('zlib')}): packages/zlib.spdx.json has SHA1 {zlib_now}"
    assert f"{zlib}, the reference " in changed
    assert (
        f"DocumentRef-liba in packages/libb.spdx.json ({namespace('liba')}): "
        "packages/liba.spdx.json (already read) has SHA1" in changed
    )
    unreadable = next(n for n in sbom.skipped if "not a valid SPDX" in n)
    assert "1 referenced SPDX document(s)" in unreadable and "DocumentRef-broken" in unreadable
    assert "DocumentRef-nowhere" in unreadable  # spdx-tools' own message
    # not read: the recipe of busybox, which has a CPE of its own
    unread = next(n for n in sbom.skipped if "not read:" in n)
    assert unread.startswith("1 referenced SPDX document(s) not read")
    assert "DocumentRef-recipe-busybox in packages/busybox.spdx.json" in unread
    assert "1 package(s) of the other documents read are not reached" in notes
    assert "SPDXRef-Package-libc-dbg in packages/libc.spdx.json" in notes
    assert (
        f"{purl('base-files', '3.0.14')}: listed more than once "
        "(SPDXRef-Package-base-files in packages/base-files.spdx.json); kept the first" in notes
    )
    assert "SPDXRef-Package-data in packages/data2.spdx.json: a package of another" in notes
    assert "1 file(s) and 0 snippet(s) not imported" in notes  # busybox's binary
    # a tolerated message of another document names its file (files with filesAnalyzed false)
    assert "packages/busybox.spdx.json: SPDXRef-Package-busybox: not conformant" in notes


def test_symbolic_links_out_of_the_folder_are_not_followed(image: Path) -> None:
    outside = image.parent.parent / "outside" / "secret.spdx.json"
    assert (image.parent / "packages" / "secret.spdx.json").resolve() == outside.resolve()
    assert (image.parent / "linked" / "secret.spdx.json").is_file()  # a linked folder too
    sbom = read_sbom(image)
    assert purl("secret", "9.9") not in _by_ref(sbom)
    assert f"1 symbolic link(s) under {image.parent.as_posix()} lead outside" in _notes(sbom)
    # the same document inside the folder is followed: the links were the only obstacle
    (image.parent / "packages" / "secret.spdx.json").unlink()
    shutil.copyfile(outside, image.parent / "packages" / "secret.spdx.json")
    assert purl("secret", "9.9") in _by_ref(read_sbom(image))


def test_nothing_outside_the_folder_is_looked_at(tmp_path: Path) -> None:
    """The image document in a subfolder does not see the package documents beside it."""
    image = yocto_set(tmp_path / "firmware", tmp_path / "outside")
    alone = tmp_path / "firmware" / "image-only" / image.name
    alone.parent.mkdir()
    shutil.copyfile(image, alone)
    sbom = read_sbom(alone)
    assert set(_by_ref(sbom)) == {
        "spdx:SPDXRef-Image-core-image-minimal",
        purl("base-files", "3.0.14"),
    }
    # busybox, ncurses, liba, zlib, broken, secret, base-files, missing, data1, data2, and
    # the runtime document of busybox
    assert "11 referenced SPDX document(s) not found under" in _notes(sbom)


def _in_time(call: Callable[[], ImportedSbom], seconds: float = 60) -> ImportedSbom:
    """call(), failing the test (instead of hanging it) if it does not return in time."""
    result: list[ImportedSbom] = []
    worker = threading.Thread(target=lambda: result.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert result, f"no result after {seconds} s: a cycle that does not end?"
    return result[0]


def test_cycles_of_documents_and_relationships_end(tmp_path: Path) -> None:
    folder = tmp_path / "cycle"
    b_id, a_id = "SPDXRef-Package-b", "SPDXRef-Package-a"
    # b refers back to a with the SHA1 of a's first version; a refers to b
    first_a = write(folder / "a.spdx.json", "a", [package(a_id, "a", "1")], [])
    sha_b = write(
        folder / "b.spdx.json",
        "b",
        [package(b_id, "b", "1")],
        [rel(b_id, "DEPENDS_ON", f"DocumentRef-a:{a_id}")],
        refs=(ref("DocumentRef-a", "a", first_a),),
    )
    sha_a = write(
        folder / "a.spdx.json",
        "a",
        [package(a_id, "a", "1")],
        [rel(a_id, "DEPENDS_ON", f"DocumentRef-b:{b_id}")],
        refs=(ref("DocumentRef-b", "b", sha_b),),
    )
    # the image says a and b depend on each other: a cycle of relationships across documents
    image = folder / "image.spdx.json"
    write(
        image,
        "image",
        [package(IMAGE, "image", "1", with_purl=False, with_cpe=False)],
        [
            rel(IMAGE, "CONTAINS", f"DocumentRef-a:{a_id}"),
            rel(f"DocumentRef-a:{a_id}", "DEPENDS_ON", f"DocumentRef-b:{b_id}"),
            rel(f"DocumentRef-b:{b_id}", "DEPENDS_ON", f"DocumentRef-a:{a_id}"),
        ],
        refs=(ref("DocumentRef-a", "a", sha_a), ref("DocumentRef-b", "b", sha_b)),
    )
    sbom = _in_time(lambda: read_sbom(image))
    components = _by_ref(sbom)
    assert set(components) == {"spdx:" + IMAGE, purl("a", "1"), purl("b", "1")}
    assert components[purl("a", "1")].depends_on == (purl("b", "1"),)
    assert components[purl("b", "1")].depends_on == (purl("a", "1"),)  # as the image says
    assert "DocumentRef-a in b.spdx.json" in _notes(sbom) and "(already read) has SHA1" in _notes(
        sbom
    )
    # a document whose relationships lead back to its own packages, twice over
    assert len(sbom.components) == 3


def test_a_relationship_from_an_element_of_another_document(tmp_path: Path) -> None:
    """`DocumentRef-X:A DEPENDS_ON ...` in the imported document imports A (and what A
    depends on); a reference to a document element stands for what that document describes."""
    folder = tmp_path / "firmware"
    sha_lib = leaf(folder / "lib.spdx.json", "lib", "1")
    sha_app = write(
        folder / "app.spdx.json",
        "app",
        [package("SPDXRef-Package-app", "app", "2")],
        [rel("SPDXRef-Package-app", "DEPENDS_ON", "DocumentRef-lib:SPDXRef-DOCUMENT")],
        refs=(ref("DocumentRef-lib", "lib", sha_lib),),
    )
    image = folder / "image.spdx.json"
    write(
        image,
        "image",
        [package("SPDXRef-Package-base", "base", "1")],
        [
            rel(
                "DocumentRef-app:SPDXRef-Package-app",
                "RUNTIME_DEPENDENCY_OF",
                "SPDXRef-Package-base",
            )
        ],
        refs=(ref("DocumentRef-app", "app", sha_app),),
    )
    sbom = read_sbom(image)
    components = _by_ref(sbom)
    assert components[purl("base", "1")].depends_on == (purl("app", "2"),)
    assert components[purl("app", "2")].depends_on == (purl("lib", "1"),)
    assert components[purl("lib", "1")].cpe == cpe("lib", "1")
    assert sbom.roots == (purl("base", "1"),)
    # the image describing app too: app is a root
    document = json.loads(image.read_text(encoding="utf-8"))
    document["relationships"].append(
        rel("SPDXRef-DOCUMENT", "DESCRIBES", "DocumentRef-app:SPDXRef-Package-app")
    )
    image.write_text(json.dumps(document), encoding="utf-8")
    assert read_sbom(image).roots == (purl("base", "1"), purl("app", "2"))


def test_missing_element_in_a_found_document_is_noted(tmp_path: Path) -> None:
    folder = tmp_path / "firmware"
    sha_lib = leaf(folder / "lib.spdx.json", "lib", "1")
    image = folder / "image.spdx.json"
    write(
        image,
        "image",
        [package("SPDXRef-Package-base", "base", "1")],
        [rel("SPDXRef-Package-base", "CONTAINS", "DocumentRef-lib:SPDXRef-Package-gone")],
        refs=(ref("DocumentRef-lib", "lib", sha_lib),),
    )
    sbom = read_sbom(image)
    assert set(_by_ref(sbom)) == {purl("base", "1")}
    assert "1 element(s) named from other documents are not in them: SPDXRef-Package-gone in " in (
        _notes(sbom)
    )


def test_an_extracted_archive_with_its_index(tmp_path: Path) -> None:
    """IMAGE.spdx.tar.zst holds every document flat, named DOCNAME.spdx.json, and index.json
    (filename, documentNamespace, sha1). An index entry that leads out is ignored."""
    source = yocto_set(tmp_path / "deploy", tmp_path / "outside")
    flat = tmp_path / "extracted"
    flat.mkdir()
    entries = []
    for path in sorted((tmp_path / "deploy").rglob("*.spdx*")):
        if path.is_symlink() or "by-" in path.as_posix():
            continue
        shutil.copyfile(path, flat / path.name)
        raw = path.read_bytes()
        ns = json.loads(raw)["documentNamespace"] if raw[:1] == b"{" else namespace("ncurses")
        entries.append({"filename": path.name, "documentNamespace": ns, "sha1": sha1_of(path)})
    entries.append(
        {
            "filename": "../outside/secret.spdx.json",
            "documentNamespace": namespace("secret"),
            "sha1": sha1_of(tmp_path / "outside" / "secret.spdx.json"),
        }
    )
    (flat / "index.json").write_text(json.dumps({"documents": entries}), encoding="utf-8")
    from_folder = read_sbom(source)
    from_archive = read_sbom(flat / source.name)
    assert set(_by_ref(from_archive)) == set(_by_ref(from_folder))
    assert purl("secret", "9.9") not in _by_ref(from_archive)


def test_an_index_is_read_first_and_is_only_a_hint(tmp_path: Path) -> None:
    from cyberfile.sbom.cyclonedx_read import MAX_SBOM_BYTES
    from cyberfile.sbom.spdx_refs import DocumentFinder

    folder = tmp_path / "extracted"
    sha_lib = leaf(folder / "z" / "lib.spdx.json", "lib", "1")
    # a name the walk never reads (not *.json): only the index can offer it
    (folder / "z" / "lib.spdx.json").rename(folder / "z" / "lib.data")
    sha_app = leaf(folder / "app.spdx.json", "app", "2")
    index = {
        "documents": [
            {"filename": "z/lib.data", "documentNamespace": namespace("lib"), "sha1": sha_lib},
            # stale: app.spdx.json holds app, not old-app
            {"filename": "app.spdx.json", "documentNamespace": namespace("old-app")},
        ]
    }
    (folder / "index.json").write_text(json.dumps(index), encoding="utf-8")
    image = folder / "image.spdx.json"
    write(
        image,
        "image",
        [package("SPDXRef-Package-base", "base", "1")],
        [
            rel("SPDXRef-Package-base", "CONTAINS", "DocumentRef-lib:SPDXRef-Package-lib"),
            rel("SPDXRef-Package-base", "CONTAINS", "DocumentRef-app:SPDXRef-Package-app"),
        ],
        refs=(ref("DocumentRef-lib", "lib", sha_lib), ref("DocumentRef-app", "app", sha_app)),
    )
    finder = DocumentFinder(folder, image, MAX_SBOM_BYTES)
    assert next(finder.files(namespace("lib"))) == (folder / "z" / "lib.data").resolve()
    assert list(finder.files(namespace("app"))) == [(folder / "app.spdx.json").resolve()]
    components = _by_ref(read_sbom(image))
    assert components[purl("base", "1")].depends_on == (purl("app", "2"), purl("lib", "1"))


def test_an_invalid_main_document_is_still_refused(tmp_path: Path) -> None:
    image = yocto_set(tmp_path / "firmware", tmp_path / "outside")
    document = json.loads(image.read_text(encoding="utf-8"))
    document["relationships"].append(
        rel(IMAGE, "CONTAINS", "DocumentRef-undeclared:SPDXRef-Package-x")
    )
    image.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SbomReadError, match="DocumentRef-undeclared"):
        read_sbom(image)


# -- through the command line ----------------------------------------------------------------


def test_import_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "device"
    assert main(["init", str(root)]) == 0
    generated = yocto_set(tmp_path / "build" / "firmware", tmp_path / "build" / "outside")
    folder = root / "artifacts" / "sbom" / "firmware"
    shutil.copytree(generated.parent, folder, symlinks=True)
    image = folder / generated.name
    capsys.readouterr()
    assert main(["sbom", "import", str(image), str(root)]) == 0
    out = capsys.readouterr().out
    assert "10 components" in out
    assert "not found under" in out and "checksum is not the one" in out
    loaded = load_project(root)
    assert loaded.project is not None, loaded.diagnostics
    components = {c.ref: c for c in loaded.project.sbom.components}
    assert len(components) == 10
    busybox = components[purl("busybox", "1.36.1")]
    assert busybox.cpe == cpe("busybox", "1.36.1")
    assert busybox.depends_on == (purl("libc", "2.39"), purl("libcrypt", "4.4.36"))
    assert components[purl("libc", "2.39")].cpe == cpe("libc", "2.39")
    source = loaded.project.sbom.source
    assert source is not None
    assert source.file == "artifacts/sbom/firmware/core-image-minimal.spdx.json"
    assert source.sha256 == hashlib.sha256(image.read_bytes()).hexdigest()
    assert main(["validate", str(root)]) == 0
    capsys.readouterr()
    assert main(["sbom", "import", str(image), str(root)]) == 0
    assert "0 added, 0 removed, 0 version changes, 0 updated" in capsys.readouterr().out


# -- the layout create-spdx really writes ----------------------------------------------------
#
# As OE-Core's create-spdx(-2.2).bbclass writes SPDX 2.2 JSON (kirkstone to scarthgap): the
# CPEs (one `cpe23Type` reference per CVE_PRODUCT entry) are on the recipe package,
# SPDXRef-Recipe-<PN> in recipes/recipe-<PN>.spdx.json, next to the download packages and
# the build dependencies on other recipes (BUILD_DEPENDENCY_OF). A binary package,
# SPDXRef-Package-<PKG> alone in packages/<PKG>.spdx.json, has no external reference at all:
# it is GENERATED_FROM DocumentRef-recipe-<PN>:SPDXRef-Recipe-<PN>, and its files are
# GENERATED_FROM their debug sources (NOASSERTION when not found). runtime/runtime-<PKG>.spdx.json
# holds no element: it AMENDS the package document and says `DocumentRef-runtime-dependency-
# <DEP>:SPDXRef-Package-<DEP> RUNTIME_DEPENDENCY_OF DocumentRef-package-<PKG>:SPDXRef-Package-
# <PKG>` for each RDEPENDS. The image document holds one package (no DESCRIBES) that CONTAINS
# every installed package and has an OTHER relationship with each one's runtime document.

OE = "Organization: OpenEmbedded ()"
OE_CREATORS = [
    "Tool: OpenEmbedded Core create-spdx.bbclass",
    "Organization: OpenEmbedded ()",
    "Person: N/A ()",
]


@dataclass(frozen=True)
class Recipe:
    name: str
    version: str
    cve_product: tuple[str, ...]
    """CVE_PRODUCT: `product` or `vendor:product` entries, one CPE each."""
    packages: dict[str, tuple[str, ...]]
    """The packages it makes (PKG) -> their RDEPENDS."""
    supplier: str | None = OE
    package_supplier: str | None = OE
    package_cpe: str | None = None
    """A CPE a layer wrote on the binary package itself (create-spdx writes none)."""
    star_part: bool = False
    """kirkstone's get_cpe_ids wrote `cpe:2.3:*:…`; later ones `cpe:2.3:a:…`."""

    def cpes(self) -> list[str]:
        out = []
        for entry in self.cve_product:
            vendor, product = entry.split(":", 1) if ":" in entry else ("*", entry)
            part = "*" if self.star_part else "a"
            out.append(f"cpe:2.3:{part}:{vendor}:{product}:{self.version}:*:*:*:*:*:*:*")
        return out


def cpe_ref(locator: str) -> dict[str, str]:
    return {
        "referenceCategory": "SECURITY",
        "referenceLocator": locator,
        "referenceType": "http://spdx.org/rdf/references/cpe23Type",
    }


def oe_ref(document_ref: str, name: str, sha1: str) -> dict[str, Any]:
    return {
        "checksum": {"algorithm": "SHA1", "checksumValue": sha1},
        "externalDocumentId": document_ref,
        "spdxDocument": namespace(name),
    }


def oe_rel(element: str, kind: str, related: str, comment: str | None = None) -> dict[str, str]:
    out = rel(element, kind, related)
    if comment is not None:
        out["comment"] = comment
    return out


def oe_write(
    path: Path,
    name: str,
    comment: str,
    *,
    packages: list[dict[str, Any]] | None = None,
    files: list[dict[str, Any]] | None = None,
    relationships: list[dict[str, str]] | None = None,
    refs: list[dict[str, Any]] | None = None,
) -> str:
    """An SPDX 2.2 document as oe.spdx writes it (sorted keys, lists left out when empty,
    a link in by-namespace/); returns its SHA1."""
    document: dict[str, Any] = {
        "SPDXID": "SPDXRef-DOCUMENT",
        "creationInfo": {
            "comment": comment,
            "created": "2026-11-20T10:00:00Z",
            "creators": OE_CREATORS,
            "licenseListVersion": "3.14",
        },
        "dataLicense": "CC0-1.0",
        "documentNamespace": namespace(name),
        "name": name,
        "spdxVersion": "SPDX-2.2",
    }
    for key, value in (
        ("packages", packages),
        ("files", files),
        ("relationships", relationships),
        ("externalDocumentRefs", refs),
    ):
        if value:
            document[key] = value
    raw = json.dumps(document, sort_keys=True).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    link = path.parents[1] / "by-namespace" / namespace(name).replace("/", "_")
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(path, link.parent))
    return hashlib.sha1(raw).hexdigest()


def oe_package(spdx_id: str, name: str, version: str, **extra: Any) -> dict[str, Any]:
    return {
        "SPDXID": spdx_id,
        "copyrightText": "NOASSERTION",
        "downloadLocation": "NOASSERTION",
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "MIT",
        "licenseInfoFromFiles": ["NOASSERTION"],
        "name": name,
        "versionInfo": version,
        **extra,
    }


RECIPES = (
    Recipe(
        "busybox",
        "1.36.1",
        ("busybox",),
        {"busybox": ("libc6",), "busybox-syslog": ("busybox",)},
        star_part=True,
    ),
    Recipe("glibc", "2.39", ("gnu:glibc",), {"libc6": ()}),
    Recipe(
        "openssl",
        "3.2.1",
        ("openssl:openssl",),
        {"libcrypto3": ("libc6",), "libssl3": ("libcrypto3", "libc6")},
    ),
    # two CVE_PRODUCT entries: two CPEs on the recipe
    Recipe(
        "curl",
        "8.7.1",
        ("haxx:curl", "haxx:libcurl"),
        {"curl": ("libcurl4", "libc6"), "libcurl4": ("libssl3", "libz1", "libc6")},
    ),
    Recipe("zlib", "1.3.1", ("zlib:zlib",), {"libz1": ("libc6",)}),  # its document is removed
    Recipe(
        "pump-app",
        "2.4.0",
        ("example:pump-firmware",),
        {"pump-app": ("libcurl4", "libc6")},
        package_cpe="cpe:2.3:a:example:pump-app:2.4.0:*:*:*:*:*:*:*",
    ),
    Recipe(
        "netbase",
        "6.4",
        ("debian:netbase",),
        {"netbase": ()},
        supplier="Organization: Example Medical Inc.",
        package_supplier=None,
    ),
)
INSTALLED = [p for recipe in RECIPES for p in recipe.packages]
OE_IMAGE_NAME = "core-image-minimal-qemuarm64.rootfs-20261120100000"
"""IMAGE_NAME: the image's SPDXID and its document's name carry the build's date."""
OE_IMAGE = f"SPDXRef-Image-{OE_IMAGE_NAME}"


def create_spdx(folder: Path, toolchain: str = "gcc-cross-aarch64") -> Path:
    """deploy/spdx/MACHINE (recipes/, packages/, runtime/, by-namespace/) and the image
    document beside it, as create-spdx writes them for RECIPES, every recipe with a build
    dependency on the `toolchain` recipe; returns the image document."""
    sums: dict[str, str] = {}
    gcc = f"recipe-{toolchain}"
    sums[gcc] = oe_write(
        folder / "recipes" / f"{gcc}.spdx.json",
        gcc,
        "This document was created by analyzing recipe files during the build.",
        packages=[oe_package(f"SPDXRef-Recipe-{toolchain}", toolchain, "13.2.0")],
        relationships=[rel("SPDXRef-DOCUMENT", "DESCRIBES", f"SPDXRef-Recipe-{toolchain}")],
    )
    providers: dict[str, tuple[Recipe, str]] = {}
    for recipe in RECIPES:
        recipe_id = f"SPDXRef-Recipe-{recipe.name}"
        download_id = f"SPDXRef-Download-{recipe.name}-1"
        extra: dict[str, Any] = {"externalRefs": [cpe_ref(c) for c in recipe.cpes()]}
        if recipe.supplier:
            extra["supplier"] = recipe.supplier
        doc_name = f"recipe-{recipe.name}"
        sums[doc_name] = oe_write(
            folder / "recipes" / f"{doc_name}.spdx.json",
            doc_name,
            "This document was created by analyzing recipe files during the build.",
            packages=[
                oe_package(recipe_id, recipe.name, recipe.version, **extra),
                {
                    "SPDXID": download_id,
                    "checksums": [{"algorithm": "SHA256", "checksumValue": "ab" * 32}],
                    "copyrightText": "NOASSERTION",
                    "downloadLocation": f"https://example.org/{recipe.name}.tar.xz",
                    "licenseConcluded": "NOASSERTION",
                    "licenseDeclared": "NOASSERTION",
                    "licenseInfoFromFiles": ["NOASSERTION"],
                    "name": f"{recipe.name}-source-1",
                },
            ],
            relationships=[
                rel("SPDXRef-DOCUMENT", "DESCRIBES", recipe_id),
                rel("SPDXRef-DOCUMENT", "DESCRIBES", download_id),
                rel(download_id, "BUILD_DEPENDENCY_OF", recipe_id),
                rel(
                    f"DocumentRef-dependency-{gcc}:SPDXRef-Recipe-{toolchain}",
                    "BUILD_DEPENDENCY_OF",
                    recipe_id,
                ),
            ],
            refs=[oe_ref(f"DocumentRef-dependency-{gcc}", gcc, sums[gcc])],
        )
        for pkg in recipe.packages:
            package_id, file_id = f"SPDXRef-Package-{pkg}", f"SPDXRef-PackagedFile-{pkg}-1"
            extra = {
                "hasFiles": [file_id],
                "packageVerificationCode": {"packageVerificationCodeValue": "cd" * 20},
            }
            if recipe.package_supplier:
                extra["supplier"] = recipe.package_supplier
            if recipe.package_cpe:
                extra["externalRefs"] = [cpe_ref(recipe.package_cpe)]
            sums[pkg] = oe_write(
                folder / "packages" / f"{pkg}.spdx.json",
                pkg,
                "This document was created by analyzing packages created during the build.",
                packages=[oe_package(package_id, pkg, recipe.version, **extra)],
                files=[
                    {
                        "SPDXID": file_id,
                        "checksums": [
                            {"algorithm": "SHA1", "checksumValue": "12" * 20},
                            {"algorithm": "SHA256", "checksumValue": "34" * 32},
                        ],
                        "copyrightText": "NOASSERTION",
                        "fileName": f"usr/bin/{pkg}",
                        "fileTypes": ["BINARY"],
                        "licenseConcluded": "NOASSERTION",
                        "licenseInfoInFiles": ["NOASSERTION"],
                    }
                ],
                relationships=[
                    rel(package_id, "CONTAINS", file_id),
                    rel(
                        package_id,
                        "GENERATED_FROM",
                        f"DocumentRef-recipe-{recipe.name}:SPDXRef-Recipe-{recipe.name}",
                    ),
                    rel("SPDXRef-DOCUMENT", "DESCRIBES", package_id),
                    oe_rel(file_id, "GENERATED_FROM", "NOASSERTION", f"/usr/src/debug/{pkg}.c"),
                ],
                refs=[oe_ref(f"DocumentRef-recipe-{recipe.name}", doc_name, sums[doc_name])],
            )
            providers[pkg] = (recipe, doc_name)
    for pkg in INSTALLED:
        recipe, _ = providers[pkg]
        refs = [oe_ref(f"DocumentRef-package-{pkg}", pkg, sums[pkg])]
        relationships = [
            rel("SPDXRef-DOCUMENT", "AMENDS", f"DocumentRef-package-{pkg}:SPDXRef-DOCUMENT")
        ]
        for dep in recipe.packages[pkg]:
            refs.append(oe_ref(f"DocumentRef-runtime-dependency-{dep}", dep, sums[dep]))
            relationships.append(
                rel(
                    f"DocumentRef-runtime-dependency-{dep}:SPDXRef-Package-{dep}",
                    "RUNTIME_DEPENDENCY_OF",
                    f"DocumentRef-package-{pkg}:SPDXRef-Package-{pkg}",
                )
            )
        sums[f"runtime-{pkg}"] = oe_write(
            folder / "runtime" / f"runtime-{pkg}.spdx.json",
            f"runtime-{pkg}",
            "This document was created by analyzing package runtime dependencies.",
            relationships=relationships,
            refs=refs,
        )
    refs, relationships = [], []
    for pkg in sorted(INSTALLED):
        refs.append(oe_ref(f"DocumentRef-{pkg}", pkg, sums[pkg]))
        relationships.append(rel(OE_IMAGE, "CONTAINS", f"DocumentRef-{pkg}:SPDXRef-Package-{pkg}"))
        refs.append(oe_ref(f"DocumentRef-runtime-{pkg}", f"runtime-{pkg}", sums[f"runtime-{pkg}"]))
        relationships.append(
            oe_rel(
                OE_IMAGE,
                "OTHER",
                f"DocumentRef-runtime-{pkg}:SPDXRef-DOCUMENT",
                f"Runtime dependencies for {pkg}",
            )
        )
    image = folder / f"{OE_IMAGE_NAME}.spdx.json"
    oe_write(
        image,
        OE_IMAGE_NAME,
        "This document was created by analyzing the source of the Yocto recipe during the build.",
        packages=[oe_package(OE_IMAGE, "core-image-minimal", "1.0", supplier=OE)],
        relationships=relationships,
        refs=refs,
    )
    return image


def recipe_cpe(name: str) -> str:
    return next(r for r in RECIPES if r.name == name).cpes()[0]


@pytest.fixture
def deploy(tmp_path: Path) -> Path:
    """create-spdx's output with the recipe document of zlib removed; the image document."""
    image = create_spdx(tmp_path / "deploy" / "spdx" / "qemuarm64")
    (image.parent / "recipes" / "recipe-zlib.spdx.json").unlink()
    return image


def test_packages_take_the_cpe_of_their_recipe(deploy: Path) -> None:
    sbom = read_sbom(deploy)
    components = {c.name: c for c in sbom.components}
    assert set(components) == {"core-image-minimal", *INSTALLED}, _notes(sbom)
    for name in ("busybox", "busybox-syslog"):  # kirkstone's `cpe:2.3:*:…` is CPE 2.3 too
        assert components[name].cpe == "cpe:2.3:*:*:busybox:1.36.1:*:*:*:*:*:*:*"
    assert components["libc6"].cpe == recipe_cpe("glibc")
    assert components["libssl3"].cpe == components["libcrypto3"].cpe == recipe_cpe("openssl")
    # the first of curl's two CPEs, for both of its packages; the other is noted once
    assert components["curl"].cpe == components["libcurl4"].cpe == recipe_cpe("curl")
    kept = [n for n in sbom.skipped if "more not kept" in n]
    assert kept == [
        "SPDXRef-Recipe-curl in recipes/recipe-curl.spdx.json: kept the first CPE "
        f"({recipe_cpe('curl')}); 1 more not kept (sbom.yaml holds one CPE per component)"
    ]
    # the version is the package's own (create-spdx gives both PV)
    assert components["libssl3"].version == "3.2.1"
    assert components["busybox"].supplier == "OpenEmbedded"
    # no supplier on the package: the recipe's
    assert components["netbase"].supplier == "Example Medical Inc."
    assert components["netbase"].cpe == recipe_cpe("netbase")
    # no purls anywhere: refs are the SPDXIDs, stable across builds
    assert components["busybox"].ref == "spdx:SPDXRef-Package-busybox"
    assert components["busybox"].purl is None
    taken = next(n for n in sbom.skipped if "took the CPE" in n)
    assert taken.startswith(
        "8 package(s) without a CPE of their own took the CPE, and 1 without a supplier the "
        "supplier, of the package they are GENERATED_FROM (their recipe, not imported itself): "
    )


def test_a_package_with_a_cpe_of_its_own_keeps_it(deploy: Path) -> None:
    sbom = read_sbom(deploy)
    app = next(c for c in sbom.components if c.name == "pump-app")
    assert app.cpe == "cpe:2.3:a:example:pump-app:2.4.0:*:*:*:*:*:*:*"
    # its recipe's document is not read at all
    unread = next(n for n in sbom.skipped if "not read:" in n)
    assert unread.startswith("1 referenced SPDX document(s) not read")
    assert "DocumentRef-recipe-pump-app in packages/pump-app.spdx.json" in unread


def test_recipes_are_not_components(deploy: Path) -> None:
    sbom = read_sbom(deploy)
    refs = {c.ref for c in sbom.components}
    assert refs == {f"spdx:{OE_IMAGE}", *(f"spdx:SPDXRef-Package-{p}" for p in INSTALLED)}
    assert not any("Recipe" in r or "Download" in r for r in refs)
    notes = _notes(sbom)
    # neither the recipes' download packages nor their build dependencies are mentioned
    assert "Download" not in notes and "gcc-cross" not in notes
    assert "package(s) of the other documents read are not reached" not in notes
    assert sbom.roots == (f"spdx:{OE_IMAGE}",)
    # the files of the package documents, not of the recipe documents
    assert f"{len(INSTALLED)} file(s) and 0 snippet(s) not imported" in notes


def test_a_missing_recipe_document_is_noted_and_the_package_imported(deploy: Path) -> None:
    sbom = read_sbom(deploy)
    libz = next(c for c in sbom.components if c.name == "libz1")
    assert libz.cpe is None
    assert libz.version == "1.3.1" and libz.supplier == "OpenEmbedded"
    assert libz.depends_on == ("spdx:SPDXRef-Package-libc6",)
    folder = deploy.parent.as_posix()
    assert (
        "1 package(s) without a CPE of their own are imported without one: the package they "
        "are GENERATED_FROM (their recipe) could not be used: SPDXRef-Package-libz1 in "
        "packages/libz1.spdx.json: DocumentRef-recipe-zlib:SPDXRef-Recipe-zlib: its document "
        f"was not found under {folder}" in sbom.skipped
    )
    missing = next(n for n in sbom.skipped if "not found under" in n)
    assert missing.startswith(f"1 referenced SPDX document(s) not found under {folder} ")
    assert (
        f"DocumentRef-recipe-zlib in packages/libz1.spdx.json ({namespace('recipe-zlib')})"
        in missing
    )


def test_a_changed_recipe_document_is_not_used(deploy: Path) -> None:
    recipe = deploy.parent / "recipes" / "recipe-glibc.spdx.json"
    document = json.loads(recipe.read_bytes())
    document["packages"][0]["versionInfo"] = "2.40"
    recipe.write_text(json.dumps(document), encoding="utf-8")
    sbom = read_sbom(deploy)
    assert next(c for c in sbom.components if c.name == "libc6").cpe is None
    assert any(
        "SPDXRef-Package-libc6 in packages/libc6.spdx.json: DocumentRef-recipe-glibc:"
        "SPDXRef-Recipe-glibc: its document's checksum is not the one the reference gives" in n
        for n in sbom.skipped
    )


def test_runtime_dependencies_are_edges(deploy: Path) -> None:
    sbom = read_sbom(deploy)
    components = {c.name: c for c in sbom.components}
    for recipe in RECIPES:
        for pkg, rdepends in recipe.packages.items():
            assert components[pkg].depends_on == tuple(
                sorted(f"spdx:SPDXRef-Package-{d}" for d in rdepends)
            ), pkg
    assert components["core-image-minimal"].depends_on == tuple(
        sorted(f"spdx:SPDXRef-Package-{p}" for p in INSTALLED)
    )
    # the runtime documents hold no element and describe nothing: read anyway, said once
    notes = _notes(sbom)
    assert (
        f"{len(INSTALLED)} referenced SPDX document(s) hold no package, file or snippet, and "
        "so DESCRIBE nothing (spdx-tools requires it); read anyway: runtime/runtime-" in notes
    )


def test_the_recipe_in_the_imported_document_is_imported_as_before(tmp_path: Path) -> None:
    """A recipe package the imported document lists is a component (every package of the
    imported document is); the package generated from it takes its CPE all the same."""
    image = tmp_path / "one.spdx.json"
    write(
        image,
        "one",
        [
            package("SPDXRef-Package-app", "app", "1", with_purl=False, with_cpe=False),
            package("SPDXRef-Recipe-app", "app-recipe", "1", with_purl=False),
        ],
        [rel("SPDXRef-Package-app", "GENERATED_FROM", "SPDXRef-Recipe-app")],
    )
    components = _by_ref(read_sbom(image))
    assert set(components) == {"spdx:SPDXRef-Package-app", "spdx:SPDXRef-Recipe-app"}
    assert components["spdx:SPDXRef-Package-app"].cpe == cpe("app-recipe", "1")
    assert components["spdx:SPDXRef-Recipe-app"].cpe == cpe("app-recipe", "1")


def test_an_extracted_image_archive_gives_the_same(tmp_path: Path, deploy: Path) -> None:
    """IMAGE.spdx.tar.zst: every document create-spdx's collect_spdx_document reaches,
    flat, named DOCNAME.spdx.json, and index.json."""
    flat = tmp_path / "extracted"
    flat.mkdir()
    entries = []
    for path in sorted(deploy.parent.rglob("*.spdx.json")):
        if path.is_symlink() or path == deploy:
            continue
        shutil.copyfile(path, flat / path.name)
        ns = json.loads(path.read_bytes())["documentNamespace"]
        entries.append({"filename": path.name, "documentNamespace": ns, "sha1": sha1_of(path)})
    shutil.copyfile(deploy, flat / deploy.name)
    (flat / "index.json").write_text(json.dumps({"documents": entries}), encoding="utf-8")
    from_deploy, from_archive = read_sbom(deploy), read_sbom(flat / deploy.name)
    assert from_archive.components == from_deploy.components


def test_two_imports_write_the_same_sbom_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = []
    for name in ("first", "second"):
        root = tmp_path / name
        assert main(["init", str(root)]) == 0
        folder = root / "artifacts" / "sbom" / "firmware"
        image = create_spdx(folder)
        (folder / "recipes" / "recipe-zlib.spdx.json").unlink()
        assert main(["sbom", "import", str(image), str(root)]) == 0
        written.append((root / "sbom.yaml").read_bytes())
        loaded = load_project(root)
        assert loaded.project is not None, loaded.diagnostics
        components = {c.name: c for c in loaded.project.sbom.components}
        assert components["busybox"].cpe == "cpe:2.3:*:*:busybox:1.36.1:*:*:*:*:*:*:*"
        assert components["libz1"].cpe is None
        assert main(["validate", str(root)]) == 0
    capsys.readouterr()
    assert written[0] == written[1]
    # and importing again changes nothing
    image = tmp_path / "first" / "artifacts" / "sbom" / "firmware" / f"{OE_IMAGE_NAME}.spdx.json"
    assert main(["sbom", "import", str(image), str(tmp_path / "first")]) == 0
    assert "0 added, 0 removed, 0 version changes, 0 updated" in capsys.readouterr().out
    assert (tmp_path / "first" / "sbom.yaml").read_bytes() == written[0]


def test_ids_with_characters_spdx_does_not_allow_are_imported_as_written(
    tmp_path: Path,
) -> None:
    """For an x86-64 MACHINE every recipe document has a build dependency on
    recipe-gcc-cross-x86_64, and create-spdx writes the name into DocumentRef and SPDXRef
    ids, where SPDX allows no `_` (nor `+`, as in libstdc++6). Such ids are still
    unambiguous: they are imported as written, the recipes give their CPEs, and one note
    per document counts the ids."""
    image = create_spdx(tmp_path / "qemux86-64", toolchain="gcc-cross-x86_64")
    sbom = read_sbom(image)
    components = {c.name: c for c in sbom.components}
    assert set(components) == {"core-image-minimal", *INSTALLED}
    assert components["busybox"].cpe == "cpe:2.3:*:*:busybox:1.36.1:*:*:*:*:*:*:*"
    assert components["pump-app"].cpe is not None  # its own
    assert components["busybox"].depends_on == ("spdx:SPDXRef-Package-libc6",)
    notes = _notes(sbom)
    assert "SPDX grammar does not allow" in notes and "gcc-cross-x86_64" in notes
    assert "is not a valid SPDX 2.2/2.3 document" not in notes


def test_a_package_named_with_a_plus_imports(tmp_path: Path) -> None:
    """`SPDXRef-Package-libstdc++6`, as create-spdx writes it for every C++ image."""
    document = {
        "spdxVersion": "SPDX-2.2",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "img",
        "documentNamespace": "http://spdxdocs.org/img-1",
        "creationInfo": {
            "created": "2024-01-01T00:00:00Z",
            "creators": ["Tool: oe-spdx-creator_v1.0"],
        },
        "packages": [
            {
                "SPDXID": "SPDXRef-Package-libstdc++6",
                "name": "libstdc++6",
                "versionInfo": "13.2.0",
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": False,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION",
                "copyrightText": "NOASSERTION",
            }
        ],
        "relationships": [
            {
                "spdxElementId": "SPDXRef-DOCUMENT",
                "relationshipType": "DESCRIBES",
                "relatedSpdxElement": "SPDXRef-Package-libstdc++6",
            }
        ],
    }
    path = tmp_path / "img.spdx.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    sbom = read_sbom(path)
    assert [c.ref for c in sbom.components] == ["spdx:SPDXRef-Package-libstdc++6"]
    assert "SPDXRef-Package-libstdc++6" in _notes(sbom)
