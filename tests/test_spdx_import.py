"""`cyberfile sbom import` of SPDX 2.2/2.3 SBOMs (JSON and tag-value), read with spdx-tools.

Expected values come from the files themselves (counted with jq/grep, read by eye), never
from the reader under test.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cyberfile.load.project import load_project
from cyberfile.model.sbom import Component
from cyberfile.sbom.cyclonedx_read import MAX_SBOM_BYTES, SbomReadError
from cyberfile.sbom.read import read_sbom

from .conftest import SHARED_DATA, Run, edit, shared_data_files, tree_digest

SPDX = SHARED_DATA / "spdx"
SPDX_FILES = shared_data_files("spdx", "*.spdx*")

PACKAGES = {
    # jq '.packages|length' FILE ; grep -c '^PackageName:' FILE
    "example1-spdx2.2-example1.spdx": 1,
    "example2-spdx2.2-example2-bin.spdx": 1,
    "example2-spdx2.2-example2-src.spdx": 1,
    "example3-spdx2.2-example3-bin.spdx": 1,
    "example3-spdx2.2-example3-src.spdx": 1,
    "example4-spdx2.2-example4-bin.spdx": 3,
    "example4-spdx2.2-example4-src.spdx": 1,
    "example5-spdx2.2-example5-bin.spdx": 1,
    "example5-spdx2.2-example5-src.spdx": 1,
    "example6-spdx2.2-example6-bin.spdx": 1,
    "example6-spdx2.2-example6-lib.spdx": 5,
    "example6-spdx2.2-example6-src.spdx": 1,
    "example7-spdx2.2-example7-bin.spdx.json": 1,
    "example7-spdx2.2-example7-go-module.spdx.json": 1,
    "example7-spdx2.2-example7-golang.spdx.json": 2,
    "example7-spdx2.2-example7-third-party-modules.spdx.json": 3,
    "example8-spdx2.3-examplemaven-0.0.1.spdx.json": 6,
    "example9-spdx2.2-appbomination.spdx.json": 7,
    "example10-spdx2.3-hello-source.spdx.json": 1,
    "example11-spdx2.3-sbom.spdx.json": 4,
    "example12-spdx2.2-hello-dist.spdx.json": 1,
    "example12-spdx2.2-hello-src.spdx.json": 1,
    "example14-spdx2.3-examplemaven-0.0.1-enriched.spdx.json": 6,
}


def _copy_in(project: Path, source: Path, name: str | None = None) -> Path:
    """The SBOM as a team keeps it: a file inside the project."""
    target = project / "artifacts" / "sbom" / (name or source.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def _write_in(project: Path, name: str, content: str | bytes) -> Path:
    target = project / "artifacts" / "sbom" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8")
    return target


def _components(project: Path) -> dict[str, Component]:
    loaded = load_project(project)
    assert loaded.project is not None, loaded.diagnostics
    return {c.ref: c for c in loaded.project.sbom.components}


# -- every real example imports ----------------------------------------------------------------


@pytest.mark.shared_data("spdx")
@pytest.mark.parametrize("sbom", SPDX_FILES, ids=lambda p: p.name)
def test_real_spdx_files_import_and_reimport_changes_nothing(
    cli: Callable[..., Run], project: Path, sbom: Path
) -> None:
    assert sbom.name in PACKAGES, "a new example: count its packages by hand and add it"
    inside = _copy_in(project, sbom)
    run = cli("sbom", "import", str(inside), str(project))
    assert run.code == 0, run.err
    assert "Traceback" not in run.err
    components = _components(project)
    assert len(components) == PACKAGES[sbom.name]
    loaded = load_project(project).project
    assert loaded is not None and loaded.sbom.source is not None
    source = loaded.sbom.source
    assert source.sha256 == hashlib.sha256(sbom.read_bytes()).hexdigest()
    assert source.spec_version == ("SPDX-2.3" if "spdx2.3" in sbom.name else "SPDX-2.2")
    assert source.file == "artifacts/sbom/" + sbom.name
    assert cli("validate", str(project)).code == 0  # warnings only: support unknown, unused
    before = tree_digest(project)
    again = cli("sbom", "import", str(inside), str(project))
    assert again.code == 0 and "0 added, 0 removed, 0 version changes, 0 updated" in again.out
    assert tree_digest(project) == before


@pytest.mark.shared_data("spdx")
def test_spdx_23_json_packages_by_hand(cli: Callable[..., Run], project: Path) -> None:
    """example11 (k8s bom): purls, sha256 checksums, DEPENDS_ON, provenance."""
    sbom = _copy_in(project, SPDX / "example11-spdx2.3-sbom.spdx.json")
    assert cli("sbom", "import", str(sbom), str(project)).code == 0
    components = _components(project)
    tokio = components["pkg:cargo/tokio@1.19.2"]
    assert (tokio.name, tokio.version, tokio.purl) == ("tokio", "1.19.2", "pkg:cargo/tokio@1.19.2")
    assert tokio.hashes == {
        "sha256": "c51a52ed6686dd62c320f9b89299e9dfb46f730c7a48e635c19f21d116cb1439"
    }
    assert tokio.licenses == ("MIT",) and tokio.supplier is None
    logger = components["pkg:cargo/pretty_env_logger@0.4.0"]
    assert logger.licenses == ("MIT OR Apache-2.0",)  # licenseDeclared is NOASSERTION
    server = components["pkg:deb/debian/libselinux1-dev@3.1-3?arch=s390x"]
    assert server.name == "hello-server-src" and server.version == "0.1.0"
    assert set(server.depends_on) == {
        "pkg:cargo/hyper@0.14",
        "pkg:cargo/tokio@1.19.2",
        "pkg:cargo/pretty_env_logger@0.4.0",
    }
    loaded = load_project(project).project
    assert loaded is not None and loaded.sbom.source is not None
    source = loaded.sbom.source
    assert source.serial_number == (
        "https://spdx.org/spdxdocs/k8s-releng-bom-7c6a33ab-bd76-4b06-b291-a850e0815b07"
    )
    assert source.timestamp == "2022-11-03T07:10:10Z"
    assert source.authors == ("Unknown",)  # "Organization: Unknown", as the file says
    assert source.tools == ("sigs.k8s.io/bom/pkg/spdx",)


@pytest.mark.shared_data("spdx")
def test_spdx_22_json_suppliers_checksums_and_reversed_dependencies(
    cli: Callable[..., Run], project: Path
) -> None:
    """example9 (App-BOM-ination): supplier, SHA1, DEPENDENCY_OF reversed, test
    dependencies left out; its files_analyzed slip is a note, not a refusal."""
    sbom = _copy_in(project, SPDX / "example9-spdx2.2-appbomination.spdx.json")
    run = cli("sbom", "import", str(sbom), str(project))
    assert run.code == 0, run.err
    assert "not conformant to SPDX-2.2" in run.out
    components = _components(project)
    app = components["spdx:SPDXRef-1"]
    assert (app.name, app.version, app.supplier) == ("App-BOM-ination", "1.0", "ACT Project")
    assert app.hashes == {"sha1": "498cebd51a4483d6e68c2fc62d27008252fa4f7b"}
    # commons-lang3 and slf4j-api are DEPENDENCY_OF it; junit only TEST_DEPENDENCY_OF
    assert set(app.depends_on) == {
        "pkg:maven/org.apache.commons/commons-lang3@3.4",
        "pkg:maven/org.slf4j/slf4j-api@1.7.21",
    }
    slf4j = components["pkg:maven/org.slf4j/slf4j-api@1.7.21"]
    assert slf4j.hashes == {"sha1": "466308a5554594190da5fe2c86b4a8e5037c37cc"}
    assert slf4j.version == "1.7.21" and slf4j.licenses == ("Apache-2.0",)
    junit = components["pkg:maven/junit/junit@4.12"]
    assert junit.depends_on == ("pkg:maven/org.hamcrest/hamcrest-core@1.3",)


@pytest.mark.shared_data("spdx")
def test_supplier_falls_back_to_originator(cli: Callable[..., Run], project: Path) -> None:
    """example8: JUnit has only an originator; examplemaven has both (supplier wins)."""
    sbom = _copy_in(project, SPDX / "example8-spdx2.3-examplemaven-0.0.1.spdx.json")
    assert cli("sbom", "import", str(sbom), str(project)).code == 0
    components = _components(project)
    assert components["spdx:SPDXRef-junit"].supplier == "JUnit"
    example = components["spdx:SPDXRef-example"]
    assert example.supplier == "SPDX" and example.version == "0.0.1"
    assert example.hashes == {"sha1": "b8a7e6c75001e6d78625cfc9a3103bf121abf8b4"}
    assert len(example.depends_on) == 4  # four DYNAMIC_LINK relationships


@pytest.mark.shared_data("spdx")
def test_tag_value_contains_and_file_level_links(cli: Callable[..., Run], project: Path) -> None:
    lib = _copy_in(project, SPDX / "example6-spdx2.2-example6-lib.spdx")
    assert cli("sbom", "import", str(lib), str(project)).code == 0
    godist = _components(project)["spdx:SPDXRef-Package-godist"]
    assert (godist.name, godist.version) == ("go-1.15", "1.15.4")
    assert godist.supplier == "Canonical Ltd."  # PackageSupplier, not PackageOriginator
    assert godist.hashes == {
        "sha256": "0d6e1420facd978e532eae7bd5cb6378b65522c12fa9dcf682129e698c34d1b2"
    }
    assert godist.licenses == ("LicenseRef-Golang-BSD-plus-Patents",)  # concluded: NOASSERTION
    assert set(godist.depends_on) == {  # it CONTAINS them
        "spdx:SPDXRef-Package-go-compiler",
        "spdx:SPDXRef-Package-go.fmt",
        "spdx:SPDXRef-Package-go.reflect",
        "spdx:SPDXRef-Package-go.strconv",
    }
    # example4: the binary file inside main-bin DYNAMIC_LINKs libc and libdl
    binary = _copy_in(project, SPDX / "example4-spdx2.2-example4-bin.spdx")
    assert cli("sbom", "import", str(binary), str(project)).code == 0
    main = _components(project)["spdx:SPDXRef-Package-main-bin"]
    assert set(main.depends_on) == {"spdx:SPDXRef-libc", "spdx:SPDXRef-libdl"}


@pytest.mark.shared_data("spdx")
def test_roots_are_the_described_packages() -> None:
    sbom = read_sbom(SPDX / "example7-spdx2.2-example7-third-party-modules.spdx.json")
    assert sbom.roots == (
        "spdx:SPDXRef-go-module-text",
        "spdx:SPDXRef-go-module-quote",
        "spdx:SPDXRef-go-module-sampler",
    )
    # a described file (hello-server) is not a component, so not a root
    k8s = read_sbom(SPDX / "example11-spdx2.3-sbom.spdx.json")
    assert k8s.roots == ("pkg:deb/debian/libselinux1-dev@3.1-3?arch=s390x",)


# -- format by content -------------------------------------------------------------------------


@pytest.mark.shared_data("spdx", "cyclonedx/SBOM")
def test_format_is_told_by_content_not_name(tmp_path: Path) -> None:
    spdx_json = tmp_path / "sbom.cdx.json"
    shutil.copyfile(SPDX / "example11-spdx2.3-sbom.spdx.json", spdx_json)
    assert read_sbom(spdx_json).spec_version == "SPDX-2.3"
    tag_value = tmp_path / "sbom.txt"
    shutil.copyfile(SPDX / "example6-spdx2.2-example6-lib.spdx", tag_value)
    assert read_sbom(tag_value).spec_version == "SPDX-2.2"
    cyclonedx = tmp_path / "bom.spdx"
    shutil.copyfile(shared_data_files("cyclonedx/SBOM", "*.json")[0], cyclonedx)
    assert not read_sbom(cyclonedx).spec_version.startswith("SPDX")


# -- a Yocto-style image SBOM --------------------------------------------------------------------


def _yocto_document(count: int) -> dict[str, Any]:
    """An image document the way OpenEmbedded's create-spdx writes its packages: SPDX 2.2,
    supplier `Organization: OpenEmbedded ()`, CPEs as SECURITY refs whose type is the RDF
    URI, no purls, DEPENDS_ON between packages, the image CONTAINS every package."""
    packages: list[dict[str, Any]] = [
        {
            "SPDXID": "SPDXRef-Image-core-image-minimal",
            "name": "core-image-minimal",
            "versionInfo": "1.0",
            "downloadLocation": "NOASSERTION",
            "supplier": "Organization: OpenEmbedded ()",
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "MIT",
            "copyrightText": "NOASSERTION",
        }
    ]
    relationships: list[dict[str, str]] = [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": "SPDXRef-Image-core-image-minimal",
        }
    ]
    for i in range(count):
        spdx_id = f"SPDXRef-Package-recipe{i}"
        version = f"{i % 7}.{i % 11}.{i % 5}"
        if i % 50 == 49:
            version += "+gitAUTOINC+1234abcd"  # the + makes the CPE invalid
        packages.append(
            {
                "SPDXID": spdx_id,
                "name": f"recipe{i}",
                "versionInfo": version,
                "downloadLocation": f"https://downloads.example.org/recipe{i}-{version}.tar.gz",
                "supplier": "Organization: OpenEmbedded ()",
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "GPL-2.0-only" if i % 3 else "MIT OR Apache-2.0",
                "copyrightText": "NOASSERTION",
                "checksums": [
                    {"algorithm": "SHA256", "checksumValue": hashlib.sha256(b"%d" % i).hexdigest()}
                ],
                "externalRefs": [
                    {
                        "referenceCategory": "SECURITY",
                        "referenceType": "http://spdx.org/rdf/references/cpe23Type",
                        "referenceLocator": f"cpe:2.3:a:*:recipe{i}:{version}:*:*:*:*:*:*:*",
                    }
                ],
            }
        )
        relationships.append(
            {
                "spdxElementId": "SPDXRef-Image-core-image-minimal",
                "relationshipType": "CONTAINS",
                "relatedSpdxElement": spdx_id,
            }
        )
        if i:
            relationships.append(
                {
                    "spdxElementId": spdx_id,
                    "relationshipType": "DEPENDS_ON",
                    "relatedSpdxElement": f"SPDXRef-Package-recipe{(i * 7) % i}",
                }
            )
    return {
        "spdxVersion": "SPDX-2.2",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "core-image-minimal-qemuarm64",
        "documentNamespace": "http://spdx.org/spdxdoc/core-image-minimal-4e4f8a0c",
        "creationInfo": {
            "created": "2026-11-20T10:00:00Z",
            "creators": [
                "Tool: OpenEmbedded Core create-spdx.bbclass",
                "Organization: OpenEmbedded ()",
                "Person: N/A ()",
            ],
            "licenseListVersion": "3.21",
        },
        "packages": packages,
        "relationships": relationships,
    }


def test_yocto_style_image_keeps_cpes_and_validates(cli: Callable[..., Run], project: Path) -> None:
    document = _yocto_document(300)
    sbom = _write_in(project, "core-image-minimal.spdx.json", json.dumps(document, indent=1))
    run = cli("sbom", "import", str(sbom), str(project))
    assert run.code == 0, run.err
    components = _components(project)
    assert len(components) == 301
    recipe = components["spdx:SPDXRef-Package-recipe12"]
    assert recipe.version == "5.1.2" and recipe.supplier == "OpenEmbedded"
    assert recipe.cpe == "cpe:2.3:a:*:recipe12:5.1.2:*:*:*:*:*:*:*"
    assert recipe.hashes == {"sha256": hashlib.sha256(b"12").hexdigest()}
    assert recipe.licenses == ("MIT OR Apache-2.0",)
    assert recipe.depends_on == ("spdx:SPDXRef-Package-recipe0",)  # (12*7) % 12
    with_cpe = [c for c in components.values() if c.cpe]
    assert len(with_cpe) == 300 - 6  # recipe49, 99, ... have "+git" versions
    assert components["spdx:SPDXRef-Package-recipe49"].cpe is None
    assert "recipe49" in run.out and "not a CPE 2.3 formatted string" in run.out
    image = components["spdx:SPDXRef-Image-core-image-minimal"]
    assert len(image.depends_on) == 300  # CONTAINS
    loaded = load_project(project).project
    assert loaded is not None and loaded.sbom.source is not None
    assert loaded.sbom.source.authors == ("OpenEmbedded", "N/A")
    assert loaded.sbom.source.tools == ("OpenEmbedded Core create-spdx.bbclass",)
    sbom_yaml = (project / "sbom.yaml").read_text(encoding="utf-8")
    assert "cpe: cpe:2.3:a:*:recipe12:5.1.2:*:*:*:*:*:*:*" in sbom_yaml

    # the firmware asset is built from the image: every package is used through it
    edit(
        project / "architecture.yaml",
        "components: []",
        "components: [spdx:SPDXRef-Image-core-image-minimal]",
    )
    checked = cli("validate", str(project))
    assert checked.code == 0, checked.out
    assert "CF205" not in checked.out  # no component unused by an asset


# -- bad input: exit 2, the file named, the project untouched ----------------------------------

TAG_VALUE = """SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: pump-app
DocumentNamespace: https://example.com/spdx/pump-app-1
Creator: Organization: Example Medical Inc.
Created: 2026-11-20T10:00:00Z

PackageName: zlib
SPDXID: SPDXRef-Package-zlib
PackageVersion: 1.3.1
PackageDownloadLocation: NOASSERTION
FilesAnalyzed: false
PackageLicenseConcluded: Zlib
PackageLicenseDeclared: Zlib
PackageCopyrightText: NOASSERTION
ExternalRef: PACKAGE-MANAGER purl pkg:generic/zlib@1.3.1

Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-Package-zlib
"""


def _json_document(packages: list[dict[str, Any]], relationships: list[dict[str, str]]) -> str:
    return json.dumps(
        {
            "spdxVersion": "SPDX-2.3",
            "dataLicense": "CC0-1.0",
            "SPDXID": "SPDXRef-DOCUMENT",
            "name": "bad",
            "documentNamespace": "https://example.com/spdx/bad-1",
            "creationInfo": {
                "created": "2026-11-20T10:00:00Z",
                "creators": ["Tool: test"],
            },
            "packages": packages,
            "relationships": relationships,
        }
    )


def _package(spdx_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "SPDXID": spdx_id,
        "name": spdx_id.rsplit("-", 1)[-1],
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        **extra,
    }


def _describes(*ids: str) -> list[dict[str, str]]:
    return [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": i,
        }
        for i in ids
    ]


BAD_INPUTS: dict[str, tuple[str, str | bytes, str]] = {
    # name: (file name, content, what the message says)
    "invalid-json": (
        "bad.spdx.json",
        '{"spdxVersion": "SPDX-2.3", "packages": [',
        "not valid JSON",
    ),
    "deep-json": ("deep.spdx.json", '{"spdxVersion": "SPDX-2.3", "x": ' + "[" * 100_000, "JSON"),
    "spdx-3.0-json": (
        "v3.spdx.json",
        _json_document([], []).replace("SPDX-2.3", "SPDX-3.0"),
        "SPDX version SPDX-3.0 is not supported",
    ),
    "spdx-3-jsonld": (
        "v3.jsonld",
        json.dumps({"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}),
        "SPDX 3 (JSON-LD) is not supported",
    ),
    "spdx-1.2-tag-value": (
        "old.spdx",
        TAG_VALUE.replace("SPDX-2.3", "SPDX-1.2"),
        "SPDX version SPDX-1.2 is not supported",
    ),
    "tag-value-missing-colon": (
        "nocolon.spdx",
        TAG_VALUE.replace("PackageName: zlib", "PackageName zlib"),
        "not a readable SPDX document",
    ),
    "tag-value-unknown-tag": (
        "unknown.spdx",
        TAG_VALUE.replace("FilesAnalyzed: false", "FilesAnalyzed: false\nPackageColour: blue"),
        "Unknown tag",
    ),
    "tag-value-bad-relationship": (
        "rel.spdx",
        TAG_VALUE.replace(" DESCRIBES ", " DESCRIBEZ "),
        "Invalid RelationshipType DESCRIBEZ",
    ),
    "tag-value-unclosed-text": (
        "text.spdx",
        TAG_VALUE.replace(
            "PackageCopyrightText: NOASSERTION", "PackageCopyrightText: <text>Copyright"
        ),
        "never closed",
    ),
    "duplicate-spdxids": (
        "dup.spdx.json",
        _json_document(
            [_package("SPDXRef-Package-a"), _package("SPDXRef-Package-a")],
            _describes("SPDXRef-Package-a"),
        ),
        "every spdx_id must be unique",
    ),
    "relationship-to-nothing": (
        "dangling.spdx.json",
        _json_document(
            [_package("SPDXRef-Package-a"), _package("SPDXRef-Package-b")],
            [
                *_describes("SPDXRef-Package-a"),
                {
                    "spdxElementId": "SPDXRef-Package-a",
                    "relationshipType": "DEPENDS_ON",
                    "relatedSpdxElement": "SPDXRef-Package-missing",
                },
            ],
        ),
        'did not find the referenced spdx_id "SPDXRef-Package-missing"',
    ),
    "bad-checksum": (
        "checksum.spdx.json",
        _json_document(
            [
                _package(
                    "SPDXRef-Package-a", checksums=[{"algorithm": "SHA256", "checksumValue": "abc"}]
                )
            ],
            _describes("SPDXRef-Package-a"),
        ),
        "invalid SPDX-2.3 document (spdx-tools)",
    ),
    "bad-purl": (
        "purl.spdx.json",
        _json_document(
            [
                _package(
                    "SPDXRef-Package-a",
                    externalRefs=[
                        {
                            "referenceCategory": "PACKAGE-MANAGER",
                            "referenceType": "purl",
                            "referenceLocator": "not a purl",
                        }
                    ],
                )
            ],
            _describes("SPDXRef-Package-a"),
        ),
        "externalPackageRef locator",
    ),
    "wrong-shapes": (
        "shapes.spdx.json",
        _json_document([], []).replace('"packages": []', '"packages": 5'),
        "SPDX",
    ),
    "not-utf8": ("latin1.spdx", TAG_VALUE.replace("zlib", "zlïb").encode("latin-1"), "UTF-8"),
    "rdf-xml": (
        "sbom.spdx.rdf",
        '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns:spdx="http://spdx.org/rdf/terms#"></rdf:RDF>\n',
        "SPDX RDF/XML is not supported",
    ),
    "empty": ("empty.spdx", "", "not an SBOM cyberfile reads"),
    "neither": ("other.json", '{"name": "x"}', "not a CycloneDX document"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_exits_2_names_the_file_and_changes_nothing(
    cli: Callable[..., Run], project: Path, case: str
) -> None:
    name, content, says = BAD_INPUTS[case]
    bad = _write_in(project, name, content)
    before = tree_digest(project)
    run = cli("sbom", "import", str(bad), str(project))
    assert run.code == 2, (run.out, run.err)
    assert name in run.err and says in run.err, run.err
    assert "Traceback" not in run.err + run.out
    assert "\x1b" not in run.err
    assert tree_digest(project) == before


def test_refusal_shows_the_first_problems_only(cli: Callable[..., Run], project: Path) -> None:
    packages = [_package(f"SPDXRef-Package-p{i}") for i in range(20)]
    relationships = [
        {
            "spdxElementId": f"SPDXRef-Package-p{i}",
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": f"SPDXRef-Package-gone{i}",
        }
        for i in range(20)
    ]
    bad = _write_in(
        project,
        "many.spdx.json",
        _json_document(packages, [*_describes("SPDXRef-Package-p0"), *relationships]),
    )
    run = cli("sbom", "import", str(bad), str(project))
    assert run.code == 2
    assert "gone0" in run.err and "gone2" in run.err and "gone3" not in run.err
    assert "(and 17 more problems)" in run.err


def test_hostile_text_is_escaped(cli: Callable[..., Run], project: Path) -> None:
    bad = _write_in(
        project,
        "ansi.spdx.json",
        _json_document([], []).replace("SPDX-2.3", "SPDX-\\u001b[31m2.3"),
    )
    run = cli("sbom", "import", str(bad), str(project))
    assert run.code == 2 and "\x1b" not in run.err and "\\x1b" in run.err


@pytest.mark.slow
def test_relationship_cycles_are_plain_edges(cli: Callable[..., Run], project: Path) -> None:
    """A DEPENDS_ON loop, a self loop and a 3,000-long chain import as written, and the
    project validates (nothing follows the edges recursively)."""
    count = 3000
    packages = [
        _package(
            f"SPDXRef-Package-p{i}",
            externalRefs=[
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": f"pkg:generic/p{i}@1.0",
                }
            ],
        )
        for i in range(count)
    ]
    relationships = [*_describes("SPDXRef-Package-p0")]
    for i in range(count):
        relationships.append(
            {
                "spdxElementId": f"SPDXRef-Package-p{i}",
                "relationshipType": "DEPENDS_ON",
                "relatedSpdxElement": f"SPDXRef-Package-p{(i + 1) % count}",
            }
        )
    relationships.append(
        {
            "spdxElementId": "SPDXRef-Package-p5",
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": "SPDXRef-Package-p5",
        }
    )
    relationships.append(  # p7 DEPENDENCY_OF p9: p9 depends on p7, closing 7 -> 8 -> 9 -> 7
        {
            "spdxElementId": "SPDXRef-Package-p7",
            "relationshipType": "DEPENDENCY_OF",
            "relatedSpdxElement": "SPDXRef-Package-p9",
        }
    )
    sbom = _write_in(project, "loop.spdx.json", _json_document(packages, relationships))
    run = cli("sbom", "import", str(sbom), str(project))
    assert run.code == 0, run.err
    components = _components(project)
    assert components[f"pkg:generic/p{count - 1}@1.0"].depends_on == ("pkg:generic/p0@1.0",)
    assert components["pkg:generic/p5@1.0"].depends_on == ("pkg:generic/p6@1.0",)  # no self
    assert set(components["pkg:generic/p9@1.0"].depends_on) == {
        "pkg:generic/p10@1.0",
        "pkg:generic/p7@1.0",
    }
    edit(project / "architecture.yaml", "components: []", "components: [pkg:generic/p0@1.0]")
    checked = cli("validate", str(project))
    assert checked.code == 0 and "CF205" not in checked.out


@pytest.mark.slow
def test_50_mb_files_are_read(cli: Callable[..., Run], project: Path) -> None:
    """50 MB in one tag-value <text> block, and a JSON document padded to 50 MB, import in
    about a second each (spdx-tools alone needed seconds per megabyte of text)."""
    text = "Copyright line of a very long notice\n" * (50 * 1024 * 1024 // 37)
    tag_value = _write_in(
        project,
        "big.spdx",
        TAG_VALUE.replace(
            "PackageCopyrightText: NOASSERTION", f"PackageCopyrightText: <text>{text}</text>"
        ),
    )
    assert tag_value.stat().st_size > 50 * 1024 * 1024
    run = cli("sbom", "import", str(tag_value), str(project))
    assert run.code == 0, run.err
    assert list(_components(project)) == ["pkg:generic/zlib@1.3.1"]
    padded = _json_document(
        [_package("SPDXRef-Package-a", comment="x" * (50 * 1024 * 1024))],
        _describes("SPDXRef-Package-a"),
    )
    big_json = _write_in(project, "big.spdx.json", padded)
    run = cli("sbom", "import", str(big_json), str(project))
    assert run.code == 0, run.err
    assert list(_components(project)) == ["spdx:SPDXRef-Package-a"]


@pytest.mark.slow
def test_files_above_the_limit_are_refused_unread(cli: Callable[..., Run], project: Path) -> None:
    huge = project / "artifacts" / "sbom" / "huge.spdx.json"
    huge.parent.mkdir(parents=True, exist_ok=True)
    with huge.open("wb") as sparse:  # no disk used: a hole
        sparse.truncate(MAX_SBOM_BYTES + 1)
    before = tree_digest(project)
    run = cli("sbom", "import", str(huge), str(project))
    assert run.code == 2 and "huge.spdx.json" in run.err and "larger than" in run.err
    assert tree_digest(project) == before


def test_notes_for_what_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "notes.spdx.json"
    path.write_text(
        _json_document(
            [
                _package(
                    "SPDXRef-Package-a",
                    primaryPackagePurpose="FIRMWARE",
                    checksums=[
                        {"algorithm": "MD2", "checksumValue": "0" * 32},
                        {"algorithm": "SHA512", "checksumValue": "ab" * 64},
                    ],
                    externalRefs=[
                        {
                            "referenceCategory": "SECURITY",
                            "referenceType": "cpe23Type",
                            "referenceLocator": "cpe:2.3:o:acme:pump_firmware:2.4.0:*:*:*:*:*:*:*",
                        },
                        {
                            "referenceCategory": "SECURITY",
                            "referenceType": "cpe23Type",
                            "referenceLocator": "cpe:2.3:o:acme:pump_fw:2.4.0:*:*:*:*:*:*:*",
                        },
                        {
                            "referenceCategory": "SECURITY",
                            "referenceType": "cpe22Type",
                            "referenceLocator": "cpe:/o:acme:pump_firmware:2.4.0",
                        },
                        {
                            "referenceCategory": "SECURITY",
                            "referenceType": "cpe23Type",
                            "referenceLocator": "cpe:2.3:o:acme",
                        },
                    ],
                ),
                _package(
                    "SPDXRef-Package-b",
                    primaryPackagePurpose="ARCHIVE",
                    externalRefs=[
                        {
                            "referenceCategory": "PACKAGE-MANAGER",
                            "referenceType": "purl",
                            "referenceLocator": "pkg:generic/a@1",
                        }
                    ],
                ),
                _package(
                    "SPDXRef-Package-c",
                    externalRefs=[
                        {
                            "referenceCategory": "PACKAGE-MANAGER",
                            "referenceType": "purl",
                            "referenceLocator": "pkg:generic/a@1",
                        }
                    ],
                ),
            ],
            [
                *_describes("SPDXRef-Package-a"),
                {
                    "spdxElementId": "SPDXRef-Package-a",
                    "relationshipType": "CONTAINS",
                    "relatedSpdxElement": "SPDXRef-Package-c",
                },
            ],
        ),
        encoding="utf-8",
    )
    sbom = read_sbom(path)
    by_ref = {c.ref: c for c in sbom.components}
    firmware = by_ref["spdx:SPDXRef-Package-a"]
    assert firmware.type == "firmware"
    assert firmware.cpe == "cpe:2.3:o:acme:pump_firmware:2.4.0:*:*:*:*:*:*:*"
    assert firmware.hashes == {"sha512": "ab" * 64}
    assert firmware.depends_on == ("pkg:generic/a@1",)  # c shares b's purl: one component
    assert by_ref["pkg:generic/a@1"].type == "file"
    assert len(sbom.components) == 2
    notes = "\n".join(sbom.skipped)
    for expected in (
        "MD2",
        "1 more not kept",
        "cpe22Type",
        "'cpe:2.3:o:acme'",
        "listed more than once (SPDXRef-Package-c)",
    ):
        assert expected in notes, notes


def test_read_errors_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(SbomReadError, match="cannot read"):
        read_sbom(tmp_path / "missing.spdx.json")


# -- the indexed lookups answer as spdx-tools does ---------------------------------------------


def _library_as_is(path: Path) -> Any:
    """spdx-tools' own parse, without cyberfile's indexed lookups (and without writing
    parser tables next to the library)."""
    from ply import yacc
    from spdx_tools.spdx.parser.json import json_parser
    from spdx_tools.spdx.parser.tagvalue.parser import Parser

    if path.read_bytes().lstrip()[:1] == b"{":
        return json_parser.parse_from_file(str(path))
    parser = Parser(write_tables=False, debug=False, errorlog=yacc.NullLogger())
    return parser.parse(path.read_text(encoding="utf-8"))


def _messages(document: Any) -> list[str]:
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    return [m.validation_message for m in validate_full_spdx_document(document)]


@pytest.mark.shared_data("spdx")
@pytest.mark.parametrize("sbom", SPDX_FILES, ids=lambda p: p.name)
def test_indexed_lookups_give_the_library_answers(sbom: Path) -> None:
    from cyberfile.sbom import spdx_read

    expected = _library_as_is(sbom)
    with spdx_read._linear_time():
        document = spdx_read._parse(sbom, sbom.read_bytes())
        messages = _messages(document)
    assert document == expected
    assert messages == _messages(expected)


def test_indexed_validation_reports_the_same_problems(tmp_path: Path) -> None:
    from cyberfile.sbom import spdx_read

    files_and_snippets = json.loads(
        _json_document(
            [
                _package("SPDXRef-Package-a", hasFiles=["SPDXRef-File-1", "SPDXRef-File-9"]),
                _package("SPDXRef-Package-a"),
                _package("SPDXRef-Package-b", licenseInfoFromFiles=["MIT"]),
            ],
            [
                *_describes("SPDXRef-Package-a", "SPDXRef-Package-zz"),
                {
                    "spdxElementId": "SPDXRef-File-1",
                    "relationshipType": "CONTAINED_BY",
                    "relatedSpdxElement": "SPDXRef-Package-b",
                },
                {
                    "spdxElementId": "SPDXRef-Package-b",
                    "relationshipType": "DEPENDS_ON",
                    "relatedSpdxElement": "DocumentRef-other:SPDXRef-x",
                },
                {
                    "spdxElementId": "SPDXRef-Package-b",
                    "relationshipType": "CONTAINS",
                    "relatedSpdxElement": "NONE",
                },
                {
                    "spdxElementId": "SPDXRef-Package-a",
                    "relationshipType": "CONTAINED_BY",
                    "relatedSpdxElement": "NOASSERTION",
                },
            ],
        )
    )
    files_and_snippets["files"] = [
        {
            "SPDXID": "SPDXRef-File-1",
            "fileName": "./a.c",
            "checksums": [{"algorithm": "SHA1", "checksumValue": "0" * 40}],
        },
    ]
    files_and_snippets["snippets"] = [
        {
            "SPDXID": "SPDXRef-Snippet-1",
            "snippetFromFile": "SPDXRef-File-404",
            "ranges": [
                {
                    "startPointer": {"offset": 1, "reference": "SPDXRef-File-404"},
                    "endPointer": {"offset": 2, "reference": "SPDXRef-File-404"},
                }
            ],
        },
    ]
    files_and_snippets["annotations"] = [
        {
            "spdxElementId": "SPDXRef-Package-nobody",
            "annotationType": "REVIEW",
            "annotator": "Person: Reviewer",
            "annotationDate": "2026-11-20T10:00:00Z",
            "comment": "looked at it",
        },
    ]
    path = tmp_path / "problems.spdx.json"
    path.write_text(json.dumps(files_and_snippets), encoding="utf-8")
    expected = _messages(_library_as_is(path))
    assert len(expected) >= 6
    with spdx_read._linear_time():
        document = spdx_read._parse(path, path.read_bytes())
        assert _messages(document) == expected


def test_relationships_to_none_and_noassertion_import(tmp_path: Path) -> None:
    path = tmp_path / "none.spdx.json"
    path.write_text(
        _json_document(
            [_package("SPDXRef-Package-a"), _package("SPDXRef-Package-b")],
            [
                *_describes("SPDXRef-Package-a"),
                {
                    "spdxElementId": "SPDXRef-Package-a",
                    "relationshipType": "DEPENDS_ON",
                    "relatedSpdxElement": "NOASSERTION",
                },
                {
                    "spdxElementId": "SPDXRef-Package-b",
                    "relationshipType": "CONTAINS",
                    "relatedSpdxElement": "NONE",
                },
                {
                    "spdxElementId": "SPDXRef-Package-a",
                    "relationshipType": "DEPENDS_ON",
                    "relatedSpdxElement": "SPDXRef-Package-b",
                },
            ],
        ),
        encoding="utf-8",
    )
    sbom = read_sbom(path)
    assert [(c.ref, c.depends_on) for c in sbom.components] == [
        ("spdx:SPDXRef-Package-a", ("spdx:SPDXRef-Package-b",)),
        ("spdx:SPDXRef-Package-b", ()),
    ]


@pytest.mark.shared_data("spdx")
def test_the_import_names_the_format_it_read(cli: Callable[..., Run], project: Path) -> None:
    source = next(iter(sorted(SPDX.rglob("*.spdx.json"))))
    target = project / "artifacts" / "sbom" / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())
    run = cli("sbom", "import", str(target), str(project))
    assert run.code == 0, run.err
    assert f"{target.as_posix()}: SPDX-2." in run.out and "CycloneDX" not in run.out
