"""SPDX 2.3 export (`sbom.spdx.json`): valid for spdx-tools, faithful, deterministic, escaped."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from packageurl import PackageURL
from spdx_tools.spdx.model.actor import Actor
from spdx_tools.spdx.model.document import Document
from spdx_tools.spdx.model.package import Package
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from cyberfile import __version__, dates
from cyberfile.dates import midnight_utc
from cyberfile.load.project import load_project
from cyberfile.model.project import Project
from cyberfile.model.sbom import Component, SbomSource
from cyberfile.model.vocabulary import ComponentType, HashAlgorithm, SupportLevel
from cyberfile.sbom.cyclonedx_write import cyclonedx_sbom
from cyberfile.sbom.documents import device_purl
from cyberfile.sbom.publish import export_documents
from cyberfile.sbom.spdx_read import read_spdx
from cyberfile.sbom.spdx_write import (
    DEVICE_SPDX_ID,
    NAMESPACE_PREFIX,
    PACKAGE_SPDX_ID_PREFIX,
    spdx_sbom,
)

from .conftest import EXAMPLE, Run

TIMESTAMP = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
HOSTILE = '"</script><script>alert(1)</script>\n\'quoted\' \\ "end"\t\u00e9\u2028<b>x</b>'

# Written out here, not taken from the module: SPDX 2.3 primaryPackagePurpose for each
# CycloneDX type (JSON spells OPERATING_SYSTEM with an underscore, as the 2.3 schema does).
PURPOSES = {
    "application": "APPLICATION",
    "framework": "FRAMEWORK",
    "library": "LIBRARY",
    "container": "CONTAINER",
    "operating-system": "OPERATING_SYSTEM",
    "device": "DEVICE",
    "firmware": "FIRMWARE",
    "file": "FILE",
    "platform": "OTHER",
    "device-driver": "OTHER",
    "machine-learning-model": "OTHER",
    "data": "OTHER",
    "cryptographic-asset": "OTHER",
}
CHECKSUM_NAMES = {
    "md5": "MD5",
    "sha1": "SHA1",
    "sha256": "SHA256",
    "sha384": "SHA384",
    "sha512": "SHA512",
    "sha3_256": "SHA3-256",
    "sha3_384": "SHA3-384",
    "sha3_512": "SHA3-512",
    "blake2b_256": "BLAKE2b-256",
    "blake2b_384": "BLAKE2b-384",
    "blake2b_512": "BLAKE2b-512",
}
"""What each sbom.yaml algorithm is called in SPDX 2.3 JSON; blake3 is left out."""
SPDX_ID = re.compile(r"SPDXRef-[A-Za-z0-9.-]+")


def load(root: Path) -> Project:
    project = load_project(root).project
    assert project is not None
    return project


def export(project: Project, timestamp: datetime = TIMESTAMP) -> str:
    return spdx_sbom(project, timestamp=timestamp)


def parsed(text: str, folder: Path) -> Document:
    """The document as an SPDX consumer reads it: spdx-tools' parser, from a file."""
    path = folder / "sbom.spdx.json"
    path.write_text(text, encoding="utf-8")
    return parse_file(str(path))


def problems(document: Document) -> list[str]:
    return [message.validation_message for message in validate_full_spdx_document(document)]


def with_components(project: Project, components: Iterable[Component]) -> Project:
    return dataclasses.replace(
        project, sbom=project.sbom.model_copy(update={"components": tuple(components)})
    )


def source(name: str) -> SbomSource:
    return SbomSource(name=name, file=f"artifacts/{name}.cdx.json", sha256="0" * 64)


def one_line(text: str) -> str:
    """An SPDX actor name as the export writes it: line breaks become spaces."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def comment_facts(comment: str) -> list[tuple[str, str]]:
    """The `NAME: "JSON string"` lines of a package comment, decoded."""
    facts = []
    for line in comment.split("\n"):
        name, _, value = line.partition(": ")
        facts.append((name, json.loads(value)))
    return facts


def purl_of(package: dict[str, Any]) -> str | None:
    refs = [r for r in package.get("externalRefs", ()) if r["referenceType"] == "purl"]
    assert len(refs) <= 1
    return refs[0]["referenceLocator"] if refs else None


def canonical(purl: str) -> str:
    return str(PackageURL.from_string(purl).to_string())


@pytest.fixture(scope="module")
def example() -> Project:
    return load(EXAMPLE)


@pytest.fixture(scope="module")
def text(example: Project) -> str:
    return export(example)


@pytest.fixture(scope="module")
def data(text: str) -> dict[str, Any]:
    return dict(json.loads(text))


@pytest.fixture(scope="module")
def document(text: str, tmp_path_factory: pytest.TempPathFactory) -> Document:
    return parsed(text, tmp_path_factory.mktemp("spdx"))


@pytest.fixture(scope="module")
def packages(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The component packages by the canonical purl of their component."""
    out = {}
    for package in data["packages"]:
        purl = purl_of(package)
        if package["SPDXID"] != DEVICE_SPDX_ID and purl is not None:
            assert purl not in out
            out[purl] = package
    return out


# ------------------------------------------------------------------------- validity


def test_example_is_valid_spdx_2_3_for_spdx_tools(document: Document) -> None:
    assert problems(document) == []
    assert document.creation_info.spdx_version == "SPDX-2.3"


def test_enumerations_are_spelled_as_the_spdx_2_3_json_schema_does(data: dict[str, Any]) -> None:
    # spdx-tools writes PACKAGE_MANAGER; the 2.3 schema and specification say PACKAGE-MANAGER.
    categories = {
        r["referenceCategory"] for p in data["packages"] for r in p.get("externalRefs", ())
    }
    assert categories == {"PACKAGE-MANAGER", "SECURITY"}
    schema_purposes = {
        *("OTHER", "INSTALL", "ARCHIVE", "FIRMWARE", "APPLICATION", "FRAMEWORK"),
        *("LIBRARY", "CONTAINER", "SOURCE", "DEVICE", "OPERATING_SYSTEM", "FILE"),
    }
    assert {p["primaryPackagePurpose"] for p in data["packages"]} <= schema_purposes
    types = {r["relationshipType"] for r in data["relationships"]}
    assert types == {"DESCRIBES", "DEPENDS_ON"}


# ------------------------------------------------------------------- document level


def test_document_header(example: Project, data: dict[str, Any]) -> None:
    device = example.manifest.device
    assert data["spdxVersion"] == "SPDX-2.3"
    assert data["dataLicense"] == "CC0-1.0"
    assert data["SPDXID"] == "SPDXRef-DOCUMENT"
    assert data["name"] == f"{device.name} {device.version} SBOM"
    namespace = data["documentNamespace"]
    path = device_purl(device).removeprefix("pkg:")
    assert namespace.startswith(f"{NAMESPACE_PREFIX}{path}/")
    assert uuid.UUID(namespace.rsplit("/", 1)[1]).version == 5
    assert "#" not in namespace


def test_created_is_the_timestamp_of_the_cyclonedx_sbom(
    example: Project, data: dict[str, Any]
) -> None:
    cdx = json.loads(cyclonedx_sbom(example, timestamp=TIMESTAMP))
    expected = datetime.fromisoformat(cdx["metadata"]["timestamp"]).replace(microsecond=0)
    assert datetime.fromisoformat(data["creationInfo"]["created"]) == expected
    # the example's imported SBOM has a timestamp of its own, not the export date
    assert example.sbom.sources and any(s.timestamp for s in example.sbom.sources)
    assert expected != TIMESTAMP


def test_creators_are_the_authors_the_manufacturer_and_the_tools(
    example: Project, data: dict[str, Any], document: Document
) -> None:
    creators = data["creationInfo"]["creators"]
    authors = [a for s in example.sbom.sources for a in s.authors]
    assert authors, "the example names the authors of its SBOM"
    names = [a.name for a in document.creation_info.creators if a.actor_type.name == "ORGANIZATION"]
    assert names == list(dict.fromkeys([*authors, example.manifest.device.manufacturer]))
    tools = [t for s in example.sbom.sources for t in s.tools]
    for tool in tools:
        name, _, version = tool.rpartition(" ")
        versioned = name and version[:1].isdigit()
        assert (f"Tool: {name}-{version}" if versioned else f"Tool: {tool}") in creators
    assert creators[-1] == f"Tool: cyberfile-{__version__}"
    assert len(creators) == len(set(creators))


def test_the_device_is_the_described_package(example: Project, data: dict[str, Any]) -> None:
    described = [r for r in data["relationships"] if r["relationshipType"] == "DESCRIBES"]
    assert described == [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": DEVICE_SPDX_ID,
        }
    ]
    device = example.manifest.device
    package = data["packages"][0]
    assert package["SPDXID"] == DEVICE_SPDX_ID
    assert package["primaryPackagePurpose"] == "DEVICE"
    assert (package["name"], package["versionInfo"]) == (device.name, device.version)
    assert package["supplier"] == f"Organization: {device.manufacturer}"
    assert purl_of(package) == device_purl(device)


# ------------------------------------------------------------------------- packages


def test_every_component_is_a_package_with_its_identifiers(
    example: Project, packages: dict[str, dict[str, Any]]
) -> None:
    components = example.sbom.components
    assert components and all(c.purl for c in components)
    assert len(packages) == len(components)
    assert any(c.cpe for c in components) and any(c.end_of_support for c in components)
    for component in components:
        assert component.purl is not None
        package = packages[canonical(component.purl)]
        assert SPDX_ID.fullmatch(package["SPDXID"])
        assert package["name"] == component.name
        assert package.get("versionInfo") == component.version
        cpes = [r for r in package.get("externalRefs", ()) if r["referenceType"] == "cpe23Type"]
        expected_cpe = {
            "referenceCategory": "SECURITY",
            "referenceType": "cpe23Type",
            "referenceLocator": component.cpe,
        }
        assert cpes == ([expected_cpe] if component.cpe else [])
        assert package["primaryPackagePurpose"] == PURPOSES[component.type.value]
        assert package["downloadLocation"] == "NOASSERTION"
        assert package["filesAnalyzed"] is False
        assert package["licenseConcluded"] == "NOASSERTION"
        checksums = {c["algorithm"]: c["checksumValue"] for c in package.get("checksums", ())}
        assert checksums == {
            CHECKSUM_NAMES[a.value]: d for a, d in component.hashes.items() if a.value != "blake3"
        }
        if component.end_of_support:
            assert package["validUntilDate"] == f"{component.end_of_support}T00:00:00Z"
        else:
            assert "validUntilDate" not in package
        assert ("cyberfile:support:level", component.support.value) in comment_facts(
            package["comment"]
        )


def test_suppliers_read_back_as_written(example: Project, document: Document) -> None:
    # `Linux kernel community (kernel.org)` must not become the name `Linux kernel
    # community` with the e-mail `kernel.org`.
    by_purl: dict[str, Package] = {}
    for package in document.packages:
        for reference in package.external_references:
            if reference.reference_type == "purl":
                by_purl[reference.locator] = package
    ending_in_parenthesis = 0
    for component in example.sbom.components:
        assert component.purl is not None
        supplier = by_purl[canonical(component.purl)].supplier
        if component.supplier is None:
            assert str(supplier) == "NOASSERTION"
            continue
        assert isinstance(supplier, Actor)
        assert (supplier.actor_type.name, supplier.name) == ("ORGANIZATION", component.supplier)
        assert supplier.email is None
        ending_in_parenthesis += component.supplier.endswith(")")
    assert ending_in_parenthesis, "the example has a supplier ending in a parenthesis"


def test_support_facts_are_valid_until_date_and_comment_lines(example: Project) -> None:
    full = Component(
        ref="pkg:npm/%40acme/widget@1.0.0",
        name="widget",
        group="@acme",
        version="1.0.0",
        purl="pkg:npm/%40acme/widget@1.0.0",
        support=SupportLevel.LIMITED,
        end_of_support=date(2027, 12, 31),
        support_evidence="https://example.com/lifecycle",
        replacement_plan="Move to widget 2 in release 3.1.",
        justification="Line one\nline two",
    )
    bare = Component(ref="pkg:npm/bare@1.0.0", name="bare", purl="pkg:npm/bare@1.0.0")
    data = json.loads(export(with_components(example, [full, bare])))
    by_name = {p["name"]: p for p in data["packages"]}
    assert by_name["widget"]["validUntilDate"] == "2027-12-31T00:00:00Z"
    assert comment_facts(by_name["widget"]["comment"]) == [
        ("cyberfile:group", "@acme"),
        ("cyberfile:support:level", "limited"),
        ("cyberfile:support:end_of_support", "2027-12-31"),
        ("cyberfile:support:evidence", "https://example.com/lifecycle"),
        ("cyberfile:support:replacement_plan", "Move to widget 2 in release 3.1."),
        ("cyberfile:support:justification", "Line one\nline two"),
    ]
    assert "validUntilDate" not in by_name["bare"]
    assert comment_facts(by_name["bare"]["comment"]) == [("cyberfile:support:level", "unknown")]


def test_a_component_of_several_sboms_names_them(example: Project) -> None:
    shared = Component(ref="pkg:pypi/six@1.16.0", name="six", purl="pkg:pypi/six@1.16.0")
    alone = Component(ref="pkg:npm/left-pad@1.3.0", name="left-pad")
    project = dataclasses.replace(
        with_components(example, [shared, alone]),
        sbom=example.sbom.model_copy(
            update={
                "components": (shared, alone),
                "sources": (source("gateway"), source("cloud")),
            }
        ),
        sbom_members={"gateway": (shared.ref,), "cloud": (shared.ref, alone.ref)},
    )
    data = json.loads(export(project))
    by_name = {p["name"]: p for p in data["packages"]}
    assert [v for n, v in comment_facts(by_name["six"]["comment"]) if n == "cyberfile:sbom"] == [
        "gateway",
        "cloud",
    ]
    assert [
        v for n, v in comment_facts(by_name["left-pad"]["comment"]) if n == "cyberfile:sbom"
    ] == ["cloud"]
    # no purl: no external reference, and still a valid package
    assert "externalRefs" not in by_name["left-pad"]


def test_every_component_type_has_its_purpose(example: Project, tmp_path: Path) -> None:
    components = [
        Component(ref=f"pkg:generic/{kind.value}@1", name=kind.value, type=kind)
        for kind in ComponentType
    ]
    text = export(with_components(example, components))
    by_name = {p["name"]: p for p in json.loads(text)["packages"]}
    for kind in ComponentType:
        assert by_name[kind.value]["primaryPackagePurpose"] == PURPOSES[kind.value], kind
    assert problems(parsed(text, tmp_path)) == []


def test_checksums_map_to_spdx_names_and_blake3_is_left_out(
    example: Project, tmp_path: Path
) -> None:
    hashes = {
        HashAlgorithm.MD5: hashlib.md5(b"x").hexdigest(),
        HashAlgorithm.SHA1: hashlib.sha1(b"x").hexdigest(),
        HashAlgorithm.SHA256: hashlib.sha256(b"x").hexdigest(),
        HashAlgorithm.SHA512: hashlib.sha512(b"x").hexdigest(),
        HashAlgorithm.SHA3_256: hashlib.sha3_256(b"x").hexdigest(),
        HashAlgorithm.BLAKE2B_256: hashlib.blake2b(b"x", digest_size=32).hexdigest(),
        HashAlgorithm.BLAKE3: "b" * 64,
    }
    component = Component(ref="pkg:generic/hashed@1", name="hashed", hashes=hashes)
    text = export(with_components(example, [component]))
    package = json.loads(text)["packages"][1]
    # in the order of the sbom.yaml names, like the CycloneDX hashes
    assert package["checksums"] == [
        {"algorithm": CHECKSUM_NAMES[a.value], "checksumValue": d}
        for a, d in sorted(hashes.items(), key=lambda item: item[0].value)
        if a is not HashAlgorithm.BLAKE3
    ]
    assert problems(parsed(text, tmp_path)) == []


def test_cpes_are_written_when_spdx_2_3_allows_their_form(example: Project, tmp_path: Path) -> None:
    escaped = "cpe:2.3:a:acme:pro\\:duct:1.0:*:*:*:*:*:*:*"
    # a CPE 2.3 wildcard the `cpe` library accepts and SPDX 2.3's cpe23Type pattern does not
    wildcard = "cpe:2.3:a:acme:tool:?:*:*:*:*:*:*:*"
    components = [
        Component(ref="pkg:generic/escaped@1", name="escaped", cpe=escaped),
        Component(ref="pkg:generic/wildcard@1", name="wildcard", cpe=wildcard),
    ]
    text = export(with_components(example, components))
    by_name = {p["name"]: p for p in json.loads(text)["packages"]}
    assert by_name["escaped"]["externalRefs"] == [
        {"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": escaped}
    ]
    assert "externalRefs" not in by_name["wildcard"]
    assert problems(parsed(text, tmp_path)) == []


LICENSE_CASES = [
    # recorded licenses, licenseDeclared, texts in licenseComments
    (["MIT OR Apache-2.0"], "MIT OR Apache-2.0", []),
    (
        ["GPL-2.0-or-later WITH Classpath-exception-2.0"],
        "GPL-2.0-or-later WITH Classpath-exception-2.0",
        [],
    ),
    (["mit"], "MIT", []),  # the SPDX license list's own spelling
    ([], "NOASSERTION", []),
    (["LicenseRef-acme-eula"], "NOASSERTION", ["LicenseRef-acme-eula"]),
    (["Proprietary"], "NOASSERTION", ["Proprietary"]),
    (["MIT", "BSD-3-Clause"], "NOASSERTION", ["MIT", "BSD-3-Clause"]),  # AND or OR? unknown
    (["Apache-2.0 WITH MIT"], "NOASSERTION", ["Apache-2.0 WITH MIT"]),
    (["( ) ( AND +"], "NOASSERTION", ["( ) ( AND +"]),  # the parser crashes on this one
    (['MIT"\n<script>'], "NOASSERTION", ['MIT"\n<script>']),
]


def test_licenses_are_declared_only_as_spdx_expressions(example: Project, tmp_path: Path) -> None:
    components = [
        Component(ref=f"pkg:generic/lic-{n}@1", name=f"lic-{n}", licenses=tuple(recorded))
        for n, (recorded, _, _) in enumerate(LICENSE_CASES)
    ]
    text = export(with_components(example, components))
    by_name = {p["name"]: p for p in json.loads(text)["packages"]}
    for n, (recorded, declared, commented) in enumerate(LICENSE_CASES):
        package = by_name[f"lic-{n}"]
        assert package["licenseConcluded"] == "NOASSERTION", recorded
        assert package["licenseDeclared"] == declared, recorded
        if commented:
            lines = package["licenseComments"].split("\n")
            assert [json.loads(line) for line in lines[1:]] == commented
        else:
            assert "licenseComments" not in package
    assert problems(parsed(text, tmp_path)) == []


def test_example_licenses_are_never_invented(
    example: Project, packages: dict[str, dict[str, Any]]
) -> None:
    declared = 0
    for component in example.sbom.components:
        assert component.purl is not None
        package = packages[canonical(component.purl)]
        if package["licenseDeclared"] != "NOASSERTION":
            declared += 1
            assert len(component.licenses) == 1
            assert package["licenseDeclared"].lower() == component.licenses[0].lower()
        elif component.licenses:
            assert json.loads(package["licenseComments"].split("\n")[1]) == component.licenses[0]
    assert declared


# ------------------------------------------------------------------- relationships


def spdx_graph(data: dict[str, Any], ref_of: dict[str, str]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for r in data["relationships"]:
        if r["relationshipType"] == "DEPENDS_ON":
            source, target = ref_of[r["spdxElementId"]], ref_of[r["relatedSpdxElement"]]
            graph.setdefault(source, set()).add(target)
    return graph


def test_relationships_are_the_dependencies_of_the_cyclonedx_sbom(
    example: Project, data: dict[str, Any]
) -> None:
    device = device_purl(example.manifest.device)
    ref_of = {DEVICE_SPDX_ID: device}
    canonical_refs = {canonical(c.purl): c.ref for c in example.sbom.components if c.purl}
    for package in data["packages"][1:]:
        ref_of[package["SPDXID"]] = canonical_refs[str(purl_of(package))]
    graph = spdx_graph(data, ref_of)

    refs = {c.ref for c in example.sbom.components}
    used = {ref for refs_ in example.asset_components().values() for ref in refs_}
    expected = {device: used & refs} | {
        c.ref: set(c.depends_on) & refs for c in example.sbom.components if c.depends_on
    }
    assert graph == {ref: targets for ref, targets in expected.items() if targets}
    assert len(graph) > 2, "the example has components that depend on others"

    cdx = json.loads(cyclonedx_sbom(example, timestamp=TIMESTAMP))
    cdx_graph = {d["ref"]: set(d.get("dependsOn", ())) for d in cdx["dependencies"]}
    assert graph == {ref: targets for ref, targets in cdx_graph.items() if targets}


def test_cyberfile_reads_its_own_export_back(example: Project, text: str, tmp_path: Path) -> None:
    """`sbom import` of the SPDX export gives the project's components again."""
    path = tmp_path / "sbom.spdx.json"
    path.write_text(text, encoding="utf-8")
    imported = read_spdx(path)
    assert imported.spec_version == "SPDX-2.3"
    assert imported.roots == (device_purl(example.manifest.device),)
    assert imported.timestamp == json.loads(text)["creationInfo"]["created"]
    canonical_refs = {c.ref: canonical(c.purl) for c in example.sbom.components if c.purl}
    # the reader names a package by its purl and keeps one package per purl
    once = {p for p, n in Counter(canonical_refs.values()).items() if n == 1}
    if len(once) == len(canonical_refs):
        assert imported.skipped == []
    back = {c.ref: c for c in imported.components}
    compared = 0
    for component in example.sbom.components:
        if canonical_refs.get(component.ref) not in once:
            continue
        read = back[canonical_refs[component.ref]]
        assert (read.name, read.version, read.supplier, read.cpe) == (
            component.name,
            component.version,
            component.supplier,
            component.cpe,
        )
        if PURPOSES[component.type.value] != "OTHER":  # OTHER reads back as library
            assert read.type == component.type.value
        hashes = {a.value: d for a, d in component.hashes.items() if a.value != "blake3"}
        assert read.hashes == hashes
        assert set(read.depends_on) == {
            canonical_refs[r] for r in component.depends_on if r in canonical_refs
        }
        compared += 1
    assert compared > len(example.sbom.components) // 2


# --------------------------------------------------------------------- determinism


def test_exports_are_byte_identical_sorted_ascii_with_a_final_newline(
    example: Project, text: str
) -> None:
    assert export(example) == text
    assert export(load(EXAMPLE)) == text
    assert text.isascii()
    assert text.endswith("}\n")
    assert json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=True) + "\n" == text


_EXPORT_SCRIPT = """
import sys
from datetime import datetime
from pathlib import Path
from cyberfile.load.project import load_project
from cyberfile.sbom.spdx_write import spdx_sbom
project = load_project(Path(sys.argv[1])).project
sys.stdout.buffer.write(spdx_sbom(project, timestamp=datetime.fromisoformat(sys.argv[2])).encode())
"""


def test_export_is_byte_identical_in_another_process(text: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    result = subprocess.run(
        [sys.executable, "-c", _EXPORT_SCRIPT, str(EXAMPLE), TIMESTAMP.isoformat()],
        capture_output=True,
        env=env,
        check=True,
    )
    assert result.stdout == text.encode()


def test_namespace_changes_with_the_content(example: Project, data: dict[str, Any]) -> None:
    namespace = data["documentNamespace"]
    first, *rest = sorted(example.sbom.components, key=lambda c: c.ref)
    changed = with_components(example, [first.model_copy(update={"version": "9.9.9"}), *rest])
    assert json.loads(export(changed))["documentNamespace"] != namespace
    # the example's SBOM keeps its imported timestamp: the export date changes nothing
    later = TIMESTAMP + timedelta(days=1)
    assert json.loads(export(example, later))["documentNamespace"] == namespace
    undated = dataclasses.replace(example, sbom=example.sbom.model_copy(update={"sources": ()}))
    assert (
        json.loads(export(undated, later))["documentNamespace"]
        != json.loads(export(undated))["documentNamespace"]
    )
    # the same components in another order are the same document
    assert export(with_components(example, reversed(example.sbom.components))) == export(example)


def test_duplicate_refs_are_refused(example: Project) -> None:
    twice = Component(ref="pkg:generic/twice@1", name="twice")
    with pytest.raises(ValueError, match="pkg:generic/twice@1"):
        export(with_components(example, [twice, twice]))


def test_spdx_ids_are_sanitised_unique_and_stable(example: Project, tmp_path: Path) -> None:
    # three refs that all sanitise to SPDXRef-Package-pkg-npm-a-1, and one written to
    # look like the id the second is given
    digest = hashlib.sha256(b"pkg:npm/a/1").hexdigest()[:16]
    refs = [
        "pkg:npm/a@1",
        "pkg:npm/a/1",
        "pkg:npm/a 1",
        f"pkg:npm/a-1-{digest}",
        "pkg:npm/\u00e9t\u00e9@2?x=1#frag",
    ]
    components = [
        Component(ref=ref, name=f"c{n}", depends_on=(refs[(n + 1) % len(refs)],))
        for n, ref in enumerate(refs)
    ]
    text = export(with_components(example, components))
    data = json.loads(text)
    ids = {p["name"]: p["SPDXID"] for p in data["packages"][1:]}
    assert len(set(ids.values())) == len(refs)
    assert all(SPDX_ID.fullmatch(i) and i.startswith(PACKAGE_SPDX_ID_PREFIX) for i in ids.values())
    assert ids["c3"] == f"{PACKAGE_SPDX_ID_PREFIX}pkg-npm-a-1-{digest}"
    assert ids["c4"] == f"{PACKAGE_SPDX_ID_PREFIX}pkg-npm-t-2-x-1-frag"
    edges = {
        (r["spdxElementId"], r["relatedSpdxElement"])
        for r in data["relationships"]
        if r["spdxElementId"] != "SPDXRef-DOCUMENT" and r["spdxElementId"] != DEVICE_SPDX_ID
    }
    assert edges == {(ids[f"c{n}"], ids[f"c{(n + 1) % len(refs)}"]) for n in range(len(refs))}
    assert problems(parsed(text, tmp_path)) == []
    assert export(with_components(example, reversed(components))) == text


# ---------------------------------------------------------------- untrusted YAML text


def test_hostile_strings_stay_json_text_and_the_document_validates(
    example: Project, tmp_path: Path
) -> None:
    target = sorted(example.sbom.components, key=lambda c: c.ref)[0]
    hostile = target.model_copy(
        update={
            "name": HOSTILE,
            "version": HOSTILE,
            "group": HOSTILE,
            "supplier": HOSTILE + ' "Quoted" GmbH (Deutschland)',
            "justification": HOSTILE,
            "licenses": (HOSTILE,),
        }
    )
    others = [c for c in example.sbom.components if c.ref != target.ref]
    sources = tuple(
        s.model_copy(update={"authors": (HOSTILE,), "tools": (HOSTILE,)})
        for s in example.sbom.sources
    ) or (source("sbom").model_copy(update={"authors": (HOSTILE,), "tools": (HOSTILE,)}),)
    manifest = example.manifest.model_copy(
        update={
            "device": example.manifest.device.model_copy(
                update={"name": HOSTILE, "manufacturer": HOSTILE}
            )
        }
    )
    project = dataclasses.replace(
        example,
        manifest=manifest,
        sbom=example.sbom.model_copy(update={"components": (hostile, *others), "sources": sources}),
    )
    text = export(project)
    assert text.isascii() and "\u2028" not in text

    data = json.loads(text)
    assert data["name"] == f"{HOSTILE} {example.manifest.device.version} SBOM"
    package = next(p for p in data["packages"][1:] if p["name"] == HOSTILE)
    assert package["versionInfo"] == HOSTILE
    # one fact a line, for readers that also break lines at U+2028 (str.splitlines)
    assert package["comment"].splitlines() == package["comment"].split("\n")
    assert package["licenseComments"].splitlines() == package["licenseComments"].split("\n")
    facts = dict(comment_facts(package["comment"]))
    assert facts["cyberfile:group"] == HOSTILE
    assert facts["cyberfile:support:justification"] == HOSTILE
    assert package["licenseDeclared"] == "NOASSERTION"
    assert json.loads(package["licenseComments"].split("\n")[1]) == HOSTILE

    document = parsed(text, tmp_path)
    assert problems(document) == []
    read = next(p for p in document.packages[1:] if p.name == HOSTILE)
    supplier = read.supplier
    assert isinstance(supplier, Actor)
    assert supplier.name == one_line(HOSTILE + ' "Quoted" GmbH (Deutschland)')
    assert supplier.email is None
    creators = {(a.actor_type.name, a.name) for a in document.creation_info.creators}
    assert ("ORGANIZATION", one_line(HOSTILE)) in creators
    assert ("TOOL", one_line(HOSTILE)) in creators
    device = next(p for p in document.packages if p.spdx_id == DEVICE_SPDX_ID)
    assert device.name == HOSTILE


# --------------------------------------------------------------- publishing, the CLI


def test_export_documents_publishes_the_spdx_sbom(example: Project) -> None:
    files = export_documents(example, None)
    timestamp = midnight_utc(example.document_date(None))
    assert files["sbom.spdx.json"] == spdx_sbom(example, timestamp=timestamp)


def test_a_project_with_no_components_exports_a_valid_document(
    project: Path, tmp_path: Path
) -> None:
    loaded = load(project)
    assert loaded.sbom.components == ()
    text = export(loaded)
    data = json.loads(text)
    assert [p["SPDXID"] for p in data["packages"]] == [DEVICE_SPDX_ID]
    assert [r["relationshipType"] for r in data["relationships"]] == ["DESCRIBES"]
    if not loaded.sbom.sources or not any(s.timestamp for s in loaded.sbom.sources):
        assert data["creationInfo"]["created"] == "2026-12-01T12:30:00Z"
    assert problems(parsed(text, tmp_path)) == []


def test_sbom_export_command_writes_the_spdx_file(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "example"
    shutil.copytree(EXAMPLE, copy)
    for root, out in ((copy, tmp_path / "out-example"), (project, tmp_path / "out-init")):
        run = cli("sbom", "export", str(root), "-o", str(out))
        assert run.code == 0, run.err
        written = out / "sbom.spdx.json"
        assert f"wrote {written.as_posix()}" in run.out
        text = written.read_text(encoding="utf-8")
        day = dates.requested_document_day(None)  # SOURCE_DATE_EPOCH, as the command
        assert text == export_documents(load(root), day)["sbom.spdx.json"]
        assert problems(parsed(text, tmp_path)) == []
