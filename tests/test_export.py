"""SBOM and VEX export: schema-valid CycloneDX 1.6 and OpenVEX, faithful, deterministic."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packageurl import PackageURL

from cyberfile.load.project import load_project
from cyberfile.model.manifest import Device
from cyberfile.model.project import Project
from cyberfile.model.vocabulary import VulnerabilityStatus
from cyberfile.sbom.cyclonedx_write import cyclonedx_sbom, cyclonedx_vex
from cyberfile.sbom.documents import device_purl
from cyberfile.sbom.openvex import openvex

from .conftest import EXAMPLE, Run, edit, shared_data_path

TIMESTAMP = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
HOSTILE = '"</script><script>alert(1)</script>\n\'quoted\' \\ "end"\t\u00e9\u2028'


def load(root: Path) -> Project:
    project = load_project(root).project
    assert project is not None
    return project


def exports(project: Project) -> tuple[str, str, str]:
    """The three documents, the VEX pointing at the SBOM's serial number as the build does."""
    sbom = cyclonedx_sbom(project, timestamp=TIMESTAMP)
    serial = json.loads(sbom)["serialNumber"]
    vex = cyclonedx_vex(project, timestamp=TIMESTAMP, sbom_serial=serial)
    return sbom, vex, openvex(project, timestamp=TIMESTAMP)


def cyclonedx_problem(text: str) -> object:
    return JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)


def openvex_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(
        shared_data_path("schemas/openvex_json_schema.json").read_text(encoding="utf-8")
    )
    # The schema declares draft 2020-12; check it so a future schema does not silently
    # get validated by the wrong rules.
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    validator_class = jsonschema.validators.validator_for(schema)
    assert validator_class is jsonschema.Draft202012Validator
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def example() -> Project:
    return load(EXAMPLE)


@pytest.fixture(scope="module")
def documents(example: Project) -> tuple[str, str, str]:
    return exports(example)


@pytest.fixture(scope="module")
def sbom(documents: tuple[str, str, str]) -> dict[str, Any]:
    return dict(json.loads(documents[0]))


@pytest.fixture(scope="module")
def vex(documents: tuple[str, str, str]) -> dict[str, Any]:
    return dict(json.loads(documents[1]))


@pytest.fixture(scope="module")
def open_vex(documents: tuple[str, str, str]) -> dict[str, Any]:
    return dict(json.loads(documents[2]))


def properties(item: dict[str, Any]) -> dict[str, str]:
    names = [p["name"] for p in item.get("properties", [])]
    assert len(names) == len(set(names)), names
    return {p["name"]: p["value"] for p in item.get("properties", [])}


# ------------------------------------------------------------------------ device purl


def test_device_purl_defaults_to_manufacturer_and_model(example: Project) -> None:
    assert device_purl(example.manifest.device) == "pkg:generic/example-medical-inc/is-3000@2.4.0"


def test_device_purl_slugs_names_and_encodes_the_version() -> None:
    device = Device.model_validate(
        {"name": "Pompe  Médicale/X", "manufacturer": "Société Médicale, S.A.", "version": "1.0 b"}
    )
    purl = device_purl(device)
    assert purl == "pkg:generic/societe-medicale-s-a/pompe-medicale-x@1.0%20b"
    assert PackageURL.from_string(purl).version == "1.0 b"


def test_device_purl_set_in_the_manifest_is_used_as_is() -> None:
    device = Device.model_validate(
        {"name": "P", "manufacturer": "M", "version": "1", "purl": "pkg:generic/m/p@1?x=y"}
    )
    assert device_purl(device) == "pkg:generic/m/p@1?x=y"


# ------------------------------------------------------------------------------- SBOM


def test_sbom_is_valid_cyclonedx_1_6(documents: tuple[str, str, str]) -> None:
    assert cyclonedx_problem(documents[0]) is None
    assert json.loads(documents[0])["specVersion"] == "1.6"


def test_sbom_describes_the_device(example: Project, sbom: dict[str, Any]) -> None:
    device = example.manifest.device
    subject = sbom["metadata"]["component"]
    assert subject["type"] == "device"
    assert subject["bom-ref"] == subject["purl"] == device_purl(device)
    assert (subject["name"], subject["version"]) == (device.name, device.version)
    assert subject["manufacturer"]["name"] == subject["supplier"]["name"] == device.manufacturer
    assert sbom["metadata"]["manufacturer"]["name"] == device.manufacturer
    # the imported SBOMs' own timestamp (the newest) and authors, not the export's date and tool
    sources = example.sbom.sources
    stamps = [datetime.fromisoformat(s.timestamp) for s in sources if s.timestamp]
    assert stamps and datetime.fromisoformat(sbom["metadata"]["timestamp"]) == max(stamps)
    authors = {a for s in sources for a in s.authors}
    names = [a["name"] for a in sbom["metadata"]["authors"]]
    assert len(names) == len(authors) and set(names) == authors


def test_sbom_lists_every_component_once_with_its_facts(
    example: Project, sbom: dict[str, Any]
) -> None:
    exported = sbom["components"]
    refs = [c["bom-ref"] for c in exported]
    assert refs == sorted(refs)
    assert sorted(refs) == sorted(c.ref for c in example.sbom.components)
    by_ref = {c["bom-ref"]: c for c in exported}
    sbom_of = {ref: name for name, refs in example.sbom_members.items() for ref in refs}
    for component in example.sbom.components:
        out = by_ref[component.ref]
        assert out["type"] == component.type.value
        assert out["name"] == component.name
        assert out.get("version") == component.version
        assert out["supplier"]["name"] == component.supplier
        assert component.purl is not None
        assert out["purl"] == PackageURL.from_string(component.purl).to_string()
        expected = {"cyberfile:support:level": component.support.value}
        if component.end_of_support:
            expected["cyberfile:support:end_of_support"] = component.end_of_support.isoformat()
        if component.support_evidence:
            expected["cyberfile:support:evidence"] = component.support_evidence
        if component.replacement_plan:
            expected["cyberfile:support:replacement_plan"] = component.replacement_plan
        if component.justification:
            expected["cyberfile:support:justification"] = component.justification
        if len(example.sbom.sources) > 1:  # the SBOM the component came from
            expected["cyberfile:sbom"] = sbom_of[component.ref]
        assert properties(out) == expected


def test_sbom_licenses_are_spdx_ids_where_they_can_be(sbom: dict[str, Any]) -> None:
    by_ref = {c["bom-ref"]: c for c in sbom["components"]}
    assert by_ref["pkg:generic/openssl@3.0.13"]["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    assert by_ref["pkg:generic/mosquitto@2.0.18"]["licenses"] == [
        {"license": {"id": "BSD-3-Clause"}},
        {"license": {"id": "EPL-2.0"}},
    ]
    # the firmware SBOM (SPDX) states the recipe's license expression
    assert by_ref["pkg:generic/bluez@5.66"]["licenses"] == [
        {"expression": "GPL-2.0-or-later AND LGPL-2.1-or-later"}
    ]
    own = by_ref["pkg:generic/example-medical/pump-controller@2.4.0"]["licenses"]
    assert own == [{"license": {"name": "LicenseRef-Example-Medical-Proprietary"}}]


def test_sbom_dependencies_follow_assets_and_depends_on(
    example: Project, sbom: dict[str, Any]
) -> None:
    graph = {d["ref"]: d.get("dependsOn", []) for d in sbom["dependencies"]}
    # assets' own components, and the top-level components of the SBOMs linked to assets
    used = {ref for refs in example.asset_components().values() for ref in refs}
    assert set(graph[device_purl(example.manifest.device)]) == used
    for component in example.sbom.components:
        assert graph[component.ref] == sorted(set(component.depends_on))


# ----------------------------------------------------------------------- CycloneDX VEX


def test_vex_is_valid_cyclonedx_1_6(documents: tuple[str, str, str]) -> None:
    assert cyclonedx_problem(documents[1]) is None


def test_vex_has_one_entry_per_vulnerability(example: Project, vex: dict[str, Any]) -> None:
    ids = [v["id"] for v in vex["vulnerabilities"]]
    assert ids == sorted(v.id for v in example.vulnerabilities.vulnerabilities)
    assert vex["metadata"]["component"]["bom-ref"] == device_purl(example.manifest.device)
    assert "components" not in vex


@pytest.mark.parametrize("status", list(VulnerabilityStatus))
def test_vex_state_matches_the_cisa_examples(
    status: VulnerabilityStatus, example: Project, vex: dict[str, Any]
) -> None:
    cisa = shared_data_path(f"cyclonedx/VEX/CISA-Use-Cases/Case-1/vex-{status.value}.json")
    (expected,) = {v["analysis"]["state"] for v in json.loads(cisa.read_text())["vulnerabilities"]}
    ours = [v for v in example.vulnerabilities.vulnerabilities if v.status is status]
    assert ours, f"the example has no {status.value} vulnerability to check"
    states = {v["id"]: v["analysis"]["state"] for v in vex["vulnerabilities"]}
    assert {states[v.id] for v in ours} == {expected}


def test_vex_analysis_carries_justification_response_and_detail(
    example: Project, vex: dict[str, Any]
) -> None:
    by_id = {v["id"]: v for v in vex["vulnerabilities"]}
    for vulnerability in example.vulnerabilities.vulnerabilities:
        analysis = by_id[vulnerability.id]["analysis"]
        assert analysis.get("detail") == vulnerability.detail
        if vulnerability.status is VulnerabilityStatus.NOT_AFFECTED and vulnerability.justification:
            assert analysis["justification"] == vulnerability.justification.value
        else:
            assert "justification" not in analysis
        remediation = vulnerability.remediation
        responses = [remediation.response.value] if remediation and remediation.response else []
        assert analysis.get("response", []) == responses


def test_vex_affects_are_bom_links_into_the_sbom(
    example: Project, sbom: dict[str, Any], vex: dict[str, Any]
) -> None:
    serial = sbom["serialNumber"].removeprefix("urn:uuid:")
    known = {c["bom-ref"] for c in sbom["components"]} | {sbom["metadata"]["component"]["bom-ref"]}
    by_id = {v["id"]: v for v in vex["vulnerabilities"]}
    for vulnerability in example.vulnerabilities.vulnerabilities:
        links = [t["ref"] for t in by_id[vulnerability.id]["affects"]]
        expected = sorted(set(vulnerability.components))
        assert links == [f"urn:cdx:{serial}/1#{quote(ref)}" for ref in expected]
        assert {unquote(link.partition("#")[2]) for link in links} <= known


def test_vex_sources_references_and_ratings(vex: dict[str, Any]) -> None:
    by_id = {v["id"]: v for v in vex["vulnerabilities"]}
    requests = by_id["CVE-2023-32681"]
    assert requests["source"] == {
        "name": "NVD",
        "url": "https://nvd.nist.gov/vuln/detail/CVE-2023-32681",
    }
    assert {r["id"]: r["source"]["name"] for r in requests["references"]} == {
        "PYSEC-2023-74": "OSV",
        "GHSA-j8r2-6x86-q33q": "GitHub Advisories",
    }
    assert requests["ratings"] == [
        {
            "method": "CVSSv31",
            "score": 6.1,
            "severity": "medium",
            "vector": "AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N",
        }
    ]
    assert by_id["GHSA-jfhm-5ghh-2f97"]["source"]["url"] == (
        "https://github.com/advisories/GHSA-jfhm-5ghh-2f97"
    )
    assert by_id["PYSEC-2023-46"]["source"]["url"] == "https://osv.dev/vulnerability/PYSEC-2023-46"
    assert properties(by_id["CVE-2024-1086"]) == {"cyberfile:known_exploited": "true"}


def test_vex_refuses_a_serial_that_is_not_a_uuid(example: Project) -> None:
    with pytest.raises(ValueError, match="urn:uuid"):
        cyclonedx_vex(example, timestamp=TIMESTAMP, sbom_serial="urn:uuid:not-a-uuid")


# ---------------------------------------------------------------------------- OpenVEX


@pytest.mark.slow
def test_openvex_is_valid_against_the_0_2_0_schema(documents: tuple[str, str, str]) -> None:
    validator = openvex_validator()
    errors = [error.message for error in validator.iter_errors(json.loads(documents[2]))]
    assert errors == []


def test_openvex_statements_say_why_and_what_to_do(
    example: Project, open_vex: dict[str, Any]
) -> None:
    statements = open_vex["statements"]
    assert open_vex["@context"] == "https://openvex.dev/ns/v0.2.0"
    assert open_vex["@id"].startswith("urn:uuid:")
    assert open_vex["author"] == example.manifest.device.manufacturer
    assert open_vex["version"] == 1
    assert datetime.fromisoformat(open_vex["timestamp"]) == TIMESTAMP
    names = [s["vulnerability"]["name"] for s in statements]
    assert names == sorted(v.id for v in example.vulnerabilities.vulnerabilities)
    for statement in statements:
        if statement["status"] == "not_affected":
            assert statement.get("justification") or statement.get("impact_statement")
        if statement["status"] == "affected":
            assert statement["action_statement"].strip()
        (product,) = statement["products"]
        assert product["@id"] == device_purl(example.manifest.device)
    by_name = {s["vulnerability"]["name"]: s for s in statements}
    assert by_name["PYSEC-2024-60"]["action_statement"] == (
        "Update the device software to the fixed release (planned release 2.4.1)."
    )
    bluez = by_name["CVE-2023-45866"]
    assert bluez["justification"] == "vulnerable_code_cannot_be_controlled_by_adversary"
    assert bluez["products"][0]["subcomponents"] == [{"@id": "pkg:generic/bluez@5.66"}]
    assert by_name["CVE-2024-5535"]["justification"] == "vulnerable_code_not_in_execute_path"
    assert by_name["CVE-2023-42366"]["justification"] == "vulnerable_code_not_present"


def test_openvex_keys_are_sorted_and_the_file_ends_with_a_newline(
    documents: tuple[str, str, str],
) -> None:
    text = documents[2]
    assert text.endswith("}\n")
    document = json.loads(text)
    assert text == json.dumps(document, indent=2, sort_keys=True) + "\n"


# ------------------------------------------------------------------------ determinism


@pytest.mark.slow
def test_exports_are_identical_across_calls(example: Project) -> None:
    assert exports(example) == exports(example)
    assert exports(example) == exports(load(EXAMPLE))


_EXPORT_SCRIPT = """
import json, sys
from datetime import datetime
from pathlib import Path
from cyberfile.load.project import load_project
from cyberfile.sbom.cyclonedx_write import cyclonedx_sbom, cyclonedx_vex
from cyberfile.sbom.openvex import openvex
project = load_project(Path(sys.argv[1])).project
timestamp = datetime.fromisoformat(sys.argv[2])
sbom = cyclonedx_sbom(project, timestamp=timestamp)
serial = json.loads(sbom)["serialNumber"]
vex = cyclonedx_vex(project, timestamp=timestamp, sbom_serial=serial)
sys.stdout.buffer.write("\\0".join([sbom, vex, openvex(project, timestamp=timestamp)]).encode())
"""


@pytest.mark.parametrize("seed", ["0", "1", "4242"])
def test_exports_are_byte_identical_in_other_processes(
    seed: str, documents: tuple[str, str, str]
) -> None:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    result = subprocess.run(
        [sys.executable, "-c", _EXPORT_SCRIPT, str(EXAMPLE), TIMESTAMP.isoformat()],
        capture_output=True,
        env=env,
        check=True,
    )
    assert result.stdout == "\0".join(documents).encode()


def test_serials_change_with_the_content(
    example: Project, sbom: dict[str, Any], vex: dict[str, Any]
) -> None:
    later = TIMESTAMP + timedelta(days=1)
    serial = sbom["serialNumber"]
    later_vex = cyclonedx_vex(example, timestamp=later, sbom_serial=serial)
    assert json.loads(later_vex)["serialNumber"] != vex["serialNumber"]
    # the example's SBOM carries its imported timestamp: the export date changes nothing
    assert json.loads(cyclonedx_sbom(example, timestamp=later))["serialNumber"] == serial
    undated = dataclasses.replace(example, sbom=example.sbom.model_copy(update={"sources": ()}))
    assert (
        json.loads(cyclonedx_sbom(undated, timestamp=later))["serialNumber"]
        != json.loads(cyclonedx_sbom(undated, timestamp=TIMESTAMP))["serialNumber"]
    )


def test_timestamp_in_another_zone_is_the_same_instant(documents: tuple[str, str, str]) -> None:
    project = load(EXAMPLE)
    eastern = TIMESTAMP.astimezone(timezone(timedelta(hours=-5)))
    assert cyclonedx_sbom(project, timestamp=eastern) == documents[0]


def test_naive_timestamp_is_refused(example: Project) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        openvex(example, timestamp=datetime(2026, 12, 1))


# ---------------------------------------------------------------- untrusted YAML text


def yaml_quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar (JSON strings are valid YAML 1.2 ones)."""
    return json.dumps(text)


@pytest.fixture
def hostile(tmp_path: Path) -> Project:
    root = tmp_path / "hostile"
    shutil.copytree(EXAMPLE, root)
    sbom_yaml = root / "sbom" / "firmware.yaml"
    edit(sbom_yaml, "    name: openssl\n", f"    name: {yaml_quoted(HOSTILE)}\n")
    edit(
        sbom_yaml,
        '    supplier: "OpenSSL Software Foundation"\n',
        f"    supplier: {yaml_quoted(HOSTILE)}\n"
        f"    hashes:\n      sha256: {'a' * 64}\n      blake3: {'b' * 64}\n",
    )
    edit(
        root / "vulnerabilities.yaml",
        "    aliases: [PYSEC-2023-74, GHSA-j8r2-6x86-q33q]\n",
        f"    aliases: [PYSEC-2023-74, GHSA-j8r2-6x86-q33q, {yaml_quoted(HOSTILE)}]\n",
    )
    return load(root)


@pytest.mark.slow
def test_hostile_strings_round_trip_through_valid_json(hostile: Project) -> None:
    sbom_text, vex_text, openvex_text = exports(hostile)
    assert cyclonedx_problem(sbom_text) is None
    assert cyclonedx_problem(vex_text) is None
    assert list(openvex_validator().iter_errors(json.loads(openvex_text))) == []
    assert all(text.isascii() for text in (sbom_text, vex_text, openvex_text))

    components = {c["bom-ref"]: c for c in json.loads(sbom_text)["components"]}
    openssl = components["pkg:generic/openssl@3.0.13"]
    assert openssl["name"] == HOSTILE
    assert openssl["supplier"]["name"] == HOSTILE
    hashes = {h["alg"]: h["content"] for h in openssl["hashes"]}
    assert hashes == {"SHA-256": "a" * 64, "BLAKE3": "b" * 64}

    vulnerabilities = {v["id"]: v for v in json.loads(vex_text)["vulnerabilities"]}
    references = vulnerabilities["CVE-2023-32681"]["references"]
    osv_url = "https://osv.dev/vulnerability/" + quote(HOSTILE, safe="")
    assert {"id": HOSTILE, "source": {"name": "OSV", "url": osv_url}} in references

    statements = {s["vulnerability"]["name"]: s for s in json.loads(openvex_text)["statements"]}
    assert HOSTILE in statements["CVE-2023-32681"]["vulnerability"]["aliases"]
    subcomponents = statements["CVE-2024-5535"]["products"][0]["subcomponents"]
    # OpenVEX has a name for sha-256 but none for BLAKE3.
    assert subcomponents == [{"@id": "pkg:generic/openssl@3.0.13", "hashes": {"sha-256": "a" * 64}}]


@pytest.mark.slow
def test_cvss_4_unscorable_vectors_and_device_wide_findings(tmp_path: Path) -> None:
    root = tmp_path / "edge"
    shutil.copytree(EXAMPLE, root)
    vulnerabilities_yaml = root / "vulnerabilities.yaml"
    v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    edit(vulnerabilities_yaml, '"CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L"', f'"{v4}"')
    edit(vulnerabilities_yaml, '"CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H"', '"CVSS:3.1/AV:X"')
    edit(vulnerabilities_yaml, "components: [pkg:generic/busybox@1.36.1]", "components: []")
    project = load(root)
    sbom_text, vex_text, openvex_text = exports(project)
    assert cyclonedx_problem(vex_text) is None
    assert list(openvex_validator().iter_errors(json.loads(openvex_text))) == []

    vulnerabilities = {v["id"]: v for v in json.loads(vex_text)["vulnerabilities"]}
    assert vulnerabilities["CVE-2023-45866"]["ratings"] == [
        {"method": "CVSSv4", "score": 9.3, "severity": "critical", "vector": v4.split("/", 1)[1]}
    ]
    # A vector the cvss package cannot score is kept, with no score and no CVSS claim.
    assert vulnerabilities["CVE-2023-42366"]["ratings"] == [
        {"method": "other", "vector": "CVSS:3.1/AV:X"}
    ]
    # A finding that names no component is about the device itself.
    serial = json.loads(sbom_text)["serialNumber"].removeprefix("urn:uuid:")
    device = quote(device_purl(project.manifest.device))
    assert vulnerabilities["CVE-2023-42366"]["affects"] == [{"ref": f"urn:cdx:{serial}/1#{device}"}]
    statements = {s["vulnerability"]["name"]: s for s in json.loads(openvex_text)["statements"]}
    assert statements["CVE-2023-42366"]["products"] == [
        {"@id": device_purl(project.manifest.device)}
    ]


def test_export_command_writes_identical_files(cli: Callable[..., Run], tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert cli("sbom", "export", str(EXAMPLE), "-o", str(first)).code == 0
    assert cli("sbom", "export", str(EXAMPLE), "-o", str(second), "--as-of", "").code == 0
    names = sorted(p.name for p in first.iterdir())
    assert names == ["sbom.cdx.json", "sbom.spdx.json", "vex.cdx.json", "vex.openvex.json"]
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes()
    # the default date is the newest date in the data, not the wall clock; the SBOM keeps
    # the timestamp of the SBOM it was imported from
    vex = json.loads((first / "vex.cdx.json").read_text(encoding="utf-8"))
    sbom = json.loads((first / "sbom.cdx.json").read_text(encoding="utf-8"))
    project = load_project(EXAMPLE).project
    assert project is not None and project.latest_date() is not None
    assert vex["metadata"]["timestamp"].startswith(project.latest_date().isoformat())
    stamps = [datetime.fromisoformat(s.timestamp) for s in project.sbom.sources if s.timestamp]
    assert stamps and datetime.fromisoformat(sbom["metadata"]["timestamp"]) == max(stamps)


def test_export_of_a_project_without_vulnerabilities(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    run = cli("sbom", "export", str(project), "-o", str(tmp_path / "out"))
    assert run.code == 0
    assert "vex.openvex.json not written" in run.out
    assert not (tmp_path / "out" / "vex.openvex.json").exists()
