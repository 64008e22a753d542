"""Several SBOMs per device: one file per SBOM under sbom/, each linked to its asset;
re-importing one never touches the others; support facts stated once for many."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cyberfile.load.project import load_project

from .conftest import Run, edit, shared_data_path, tree_digest

CLOUD_ASSET = """  - id: AST-CLOUD
    name: Cloud service
    kind: service
    description: The hospital-facing cloud service.
trust_boundaries:"""


def _sboms(project: Path) -> dict[str, Path]:
    """Three real SBOMs copied into the project: SPDX tag-value (firmware), SPDX 2.3 JSON
    (app) and CycloneDX (cloud)."""
    folder = project / "artifacts" / "sbom"
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "firmware": ("spdx/example6-spdx2.2-example6-lib.spdx", "firmware.spdx"),
        "app": ("spdx/example14-spdx2.3-examplemaven-0.0.1-enriched.spdx.json", "app.spdx.json"),
        "cloud": ("cyclonedx/SBOM/dropwizard-1.3.15/bom.json", "cloud.cdx.json"),
    }
    out = {}
    for name, (source, target) in files.items():
        shutil.copyfile(shared_data_path(source), folder / target)
        out[name] = folder / target
    return out


@pytest.fixture(scope="module")
def _imported_device(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A device with three SBOMs imported, each for its asset (built once per module)."""
    from cyberfile.cli import main

    project = tmp_path_factory.mktemp("multi") / "device"
    assert main(["init", str(project)]) == 0
    edit(project / "architecture.yaml", "trust_boundaries:", CLOUD_ASSET)
    files = _sboms(project)
    for name, asset in (("firmware", "AST-DEVICE-FW"), ("app", "AST-APP"), ("cloud", "AST-CLOUD")):
        command = ["sbom", "import", str(files[name]), str(project), "--name", name]
        assert main([*command, "--asset", asset]) == 0
    return project


@pytest.fixture
def device(_imported_device: Path, tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    """A copy of the three-SBOM device for one test to change."""
    project = tmp_path / "device"
    shutil.copytree(_imported_device, project)
    folder = project / "artifacts" / "sbom"
    names = {"firmware": "firmware.spdx", "app": "app.spdx.json", "cloud": "cloud.cdx.json"}
    return project, {name: folder / file for name, file in names.items()}


@pytest.mark.shared_data("spdx", "cyclonedx/SBOM")
def test_three_sboms_each_in_its_file_linked_to_its_asset(
    cli: Callable[..., Run], device: tuple[Path, dict[str, Path]]
) -> None:
    project, files = device
    assert not (project / "sbom.yaml").exists()
    assert sorted(p.name for p in (project / "sbom").glob("*.yaml")) == [
        "app.yaml",
        "cloud.yaml",
        "firmware.yaml",
    ]
    loaded = load_project(project).project
    assert loaded is not None
    sources = {s.name: s for s in loaded.sbom.sources}
    assert {n: s.asset for n, s in sources.items()} == {
        "firmware": "AST-DEVICE-FW",
        "app": "AST-APP",
        "cloud": "AST-CLOUD",
    }
    for name, path in files.items():
        assert sources[name].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert sources[name].file == f"artifacts/sbom/{path.name}"
    assert sources["app"].spec_version == "SPDX-2.3"
    assert sources["app"].authors == ("Gary O'Neall",)
    dropwizard = json.loads(files["cloud"].read_text(encoding="utf-8"))["components"]
    assert len(loaded.sbom_members["cloud"]) == len(
        {c.get("purl") or c["name"] for c in dropwizard}
    )
    run = cli("validate", str(project), "--format", "json")
    assert run.code == 0
    codes = {f["code"] for f in json.loads(run.out)["diagnostics"]}
    assert "CF205" not in codes, "a whole SBOM linked to an asset counts as used"
    assert "CF105" not in codes and "CF120" not in codes


@pytest.mark.shared_data("spdx", "cyclonedx/SBOM")
def test_reimporting_one_sbom_changes_only_its_file_and_keeps_comments(
    cli: Callable[..., Run], device: tuple[Path, dict[str, Path]]
) -> None:
    project, files = device
    firmware = project / "sbom" / "firmware.yaml"
    edit(
        firmware,
        "  - ref: spdx:SPDXRef-Package-go.fmt\n",
        "  - ref: spdx:SPDXRef-Package-go.fmt  # vendored, see SOP-12\n",
    )
    edit(firmware, "    name: go.fmt\n", "    name: go.fmt\n    # reviewed by J. Rivera\n")
    app = json.loads(files["app"].read_text(encoding="utf-8"))
    app["packages"] = [p for p in app["packages"] if p["SPDXID"] != "SPDXRef-junit"]
    app["relationships"] = [
        r
        for r in app["relationships"]
        if "SPDXRef-junit" not in (r["spdxElementId"], r["relatedSpdxElement"])
    ]
    files["app"].write_text(json.dumps(app, indent=2), encoding="utf-8")
    before = tree_digest(project)
    run = cli("sbom", "import", str(files["app"]), str(project))  # found by its recorded file
    assert run.code == 0, run.err
    assert "removed          spdx:SPDXRef-junit" in run.out
    after = tree_digest(project)
    changed = sorted(k for k in after if before.get(k) != after[k])
    assert changed == ["sbom/app.yaml"]
    run = cli("sbom", "import", str(files["firmware"]), str(project), "--name", "firmware")
    assert run.code == 0 and "0 added, 0 removed" in run.out
    text = firmware.read_text(encoding="utf-8")
    assert "# vendored, see SOP-12" in text and "# reviewed by J. Rivera" in text
    assert cli("validate", str(project)).code == 0


@pytest.mark.shared_data("spdx", "cyclonedx/SBOM")
def test_a_new_file_needs_a_name_when_the_device_has_several_sboms(
    cli: Callable[..., Run], device: tuple[Path, dict[str, Path]]
) -> None:
    project, files = device
    other = project / "artifacts" / "sbom" / "gateway.cdx.json"
    shutil.copyfile(files["cloud"], other)
    before = tree_digest(project)
    run = cli("sbom", "import", str(other), str(project))
    assert run.code == 2
    assert "several SBOMs (app, cloud, firmware)" in run.err and "--name" in run.err
    bad = cli("sbom", "import", str(other), str(project), "--name", "Gate Way")
    assert bad.code == 2 and "--name 'Gate Way'" in bad.err
    unknown = cli("sbom", "import", str(other), str(project), "--name", "gw", "--asset", "AST-GW")
    assert unknown.code == 2 and "--asset AST-GW: no such asset" in unknown.err
    assert "AST-CLOUD" in unknown.err
    taken = cli("sbom", "import", str(other), str(project), "--name", "cloud")
    assert taken.code == 0  # the cloud SBOM, re-imported from another file: allowed
    assert tree_digest(project) != before


@pytest.mark.shared_data("spdx", "cyclonedx/SBOM")
def test_a_component_in_two_sboms_is_written_once_and_kept_when_one_drops_it(
    cli: Callable[..., Run], device: tuple[Path, dict[str, Path]]
) -> None:
    project, files = device
    gateway = project / "artifacts" / "sbom" / "gateway.cdx.json"
    shutil.copyfile(files["cloud"], gateway)
    run = cli(
        "sbom", "import", str(gateway), str(project), "--name", "gateway", "--asset", "AST-CLOUD"
    )
    assert run.code == 0, run.err
    assert "0 added" in run.out and "shared" in run.out
    loaded = load_project(project).project
    assert loaded is not None
    gateway_source = next(s for s in loaded.sbom.sources if s.name == "gateway")
    cloud_refs = set(loaded.sbom_members["cloud"])
    assert set(gateway_source.shared) == cloud_refs
    assert cli("validate", str(project)).code == 0  # no duplicate refs
    # the cloud build drops one component the gateway still ships: it moves, with its notes
    bom = json.loads(files["cloud"].read_text(encoding="utf-8"))
    dropped = bom["components"].pop(0)
    files["cloud"].write_text(json.dumps(bom), encoding="utf-8")
    ref = dropped.get("bom-ref") or dropped["purl"]
    run = cli("sbom", "import", str(files["cloud"]), str(project), "--name", "cloud")
    assert run.code == 0, run.err
    assert f"kept             {ref}" in run.out
    assert ref in (project / "sbom" / "gateway.yaml").read_text(encoding="utf-8")
    assert cli("validate", str(project)).code == 0


@pytest.mark.shared_data("spdx", "cyclonedx/SBOM")
def test_drift_names_the_sbom_whose_file_changed(
    cli: Callable[..., Run], device: tuple[Path, dict[str, Path]]
) -> None:
    project, files = device
    files["app"].write_text(files["app"].read_text(encoding="utf-8") + "\n", encoding="utf-8")
    run = cli("drift", str(project), "--format", "json", "--select", "CF410")
    findings = json.loads(run.out)["diagnostics"]
    assert [Path(f["file"]).relative_to(project).as_posix() for f in findings] == ["sbom/app.yaml"]
    assert "as SBOM 'app'" in findings[0]["message"]
    assert "--name app" in findings[0]["hint"]


@pytest.mark.shared_data("spdx", "cyclonedx/SBOM")
def test_export_unions_provenance_and_names_each_components_sbom(
    cli: Callable[..., Run], device: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    project, _ = device
    out = tmp_path / "out"
    assert cli("sbom", "export", str(project), "-o", str(out)).code == 0
    bom = json.loads(next(out.rglob("sbom.cdx.json")).read_text(encoding="utf-8"))
    authors = [a["name"] for a in bom["metadata"].get("authors", [])]
    assert "Gary O'Neall" in authors and "Steve Winslow" in authors
    # the newest of the three SBOMs' own timestamps (the app's), not the build date
    assert bom["metadata"]["timestamp"] == "2024-11-18T10:22:12+00:00"
    sboms = {
        c["bom-ref"]: [p["value"] for p in c.get("properties", []) if p["name"] == "cyberfile:sbom"]
        for c in bom["components"]
    }
    assert sboms["spdx:SPDXRef-junit"] == ["app"]
    assert all(len(names) == 1 for names in sboms.values())
    # the device depends on the top of each SBOM linked to an asset
    device_ref = bom["metadata"]["component"]["bom-ref"]
    top = next(d for d in bom["dependencies"] if d["ref"] == device_ref)["dependsOn"]
    assert "spdx:SPDXRef-example" in top


def _npm_sbom(count: int) -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {"timestamp": "2026-11-01T00:00:00Z", "tools": {"components": []}},
        "components": [
            {
                "type": "library",
                "bom-ref": f"pkg:npm/%40acme/lib{i}@1.0.{i}",
                "name": f"lib{i}",
                "group": "@acme",
                "version": f"1.0.{i}",
                "purl": f"pkg:npm/%40acme/lib{i}@1.0.{i}",
            }
            for i in range(count)
        ]
        + [
            {
                "type": "library",
                "bom-ref": "pkg:npm/left-pad@1.3.0",
                "name": "left-pad",
                "version": "1.3.0",
                "purl": "pkg:npm/left-pad@1.3.0",
            }
        ],
    }


def test_support_rules_state_facts_once_for_many_components(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    sbom = project / "artifacts" / "web.cdx.json"
    sbom.write_text(json.dumps(_npm_sbom(300)), encoding="utf-8")
    assert (
        cli("sbom", "import", str(sbom), str(project), "--name", "web", "--asset", "AST-APP").code
        == 0
    )
    run = cli("validate", str(project), "--format", "json", "--select", "CF400")
    assert len(json.loads(run.out)["diagnostics"]) == 301
    text = cli("validate", str(project), "--select", "CF400")
    assert "... and" in text.out and "more CF400" in text.out  # summarised, not 301 lines
    (project / "sbom" / "web.yaml").write_text(
        (project / "sbom" / "web.yaml").read_text(encoding="utf-8") + "support_rules:\n"
        "  - id: SUP-ACME\n"
        "    match: {purl_type: npm, namespace: '@acme'}\n"
        "    support: actively_maintained\n"
        "    end_of_support: 2029-12-31\n"
        "    support_evidence: https://acme.example/lifecycle\n"
        "  - id: SUP-TYPO\n"
        "    match: {pattern: 'pkg:nmp/*'}\n"
        "    justification: never matches\n",
        encoding="utf-8",
    )
    run = cli("validate", str(project), "--format", "json")
    findings = json.loads(run.out)["diagnostics"]
    assert [f["message"] for f in findings if f["code"] == "CF400"] == [
        "pkg:npm/left-pad@1.3.0: level of support is unknown and not justified"
    ]
    unused = [f for f in findings if f["code"] == "CF405"]
    assert len(unused) == 1 and unused[0]["message"].startswith("SUP-TYPO")
    # the rule's facts are the components' facts everywhere: in the exported SBOM too
    out = tmp_path / "out"
    assert cli("sbom", "export", str(project), "-o", str(out)).code == 0
    bom = json.loads(next(out.rglob("sbom.cdx.json")).read_text(encoding="utf-8"))
    lib = next(c for c in bom["components"] if c["name"] == "lib7")
    props = {p["name"]: p["value"] for p in lib["properties"]}
    assert props["cyberfile:support:level"] == "actively_maintained"
    assert props["cyberfile:support:end_of_support"] == "2029-12-31"


def test_a_component_s_own_facts_win_over_a_rule(cli: Callable[..., Run], project: Path) -> None:
    edit(
        project / "sbom.yaml",
        "components: []",
        "components:\n"
        "  - ref: pkg:pypi/six@1.16.0\n    name: six\n    version: 1.16.0\n"
        "    purl: pkg:pypi/six@1.16.0\n    support: limited\n"
        "    justification: frozen upstream\n"
        "  - ref: pkg:pypi/attrs@23.1.0\n    name: attrs\n    version: 23.1.0\n"
        "    purl: pkg:pypi/attrs@23.1.0\n"
        "support_rules:\n"
        "  - id: SUP-PYPI\n"
        "    match: {purl_type: pypi}\n"
        "    support: actively_maintained\n"
        "    support_evidence: https://pypi.org\n",
    )
    loaded = load_project(project).project
    assert loaded is not None
    by_ref = {c.ref: c for c in loaded.sbom.components}
    assert by_ref["pkg:pypi/six@1.16.0"].support.value == "limited"
    assert by_ref["pkg:pypi/six@1.16.0"].support_evidence == "https://pypi.org"
    assert by_ref["pkg:pypi/attrs@23.1.0"].support.value == "actively_maintained"
    assert loaded.support_rule_of == {
        "pkg:pypi/six@1.16.0": "SUP-PYPI",
        "pkg:pypi/attrs@23.1.0": "SUP-PYPI",
    }


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("  - id: SUP-X\n    match: {}\n    justification: x\n", "at least one of purl_type"),
        ("  - id: SUP-X\n    match: {purl_type: npm}\n    support: limited\n", "support_evidence"),
    ],
)
def test_a_support_rule_without_match_or_grounds_is_an_error_with_its_line(
    cli: Callable[..., Run], project: Path, rule: str, message: str
) -> None:
    edit(project / "sbom.yaml", "components: []", "components: []\nsupport_rules:\n" + rule)
    run = cli("validate", str(project))
    assert run.code == 1
    assert "sbom.yaml:" in run.out and message in run.out


def test_sources_written_by_hand_in_one_file_are_refused(
    cli: Callable[..., Run], project: Path
) -> None:
    edit(project / "sbom.yaml", "components: []", "components: []\nsources: []")
    run = cli("validate", str(project))
    assert run.code == 1 and "CF111" in run.out and "unknown key 'sources'" in run.out


def test_two_files_claiming_one_sbom_name_are_a_duplicate(
    cli: Callable[..., Run], project: Path
) -> None:
    (project / "sbom.yaml").unlink()
    folder = project / "sbom"
    folder.mkdir()
    digest = "0" * 64
    for file in ("a.yaml", "b.yaml"):
        (folder / file).write_text(
            f"source: {{name: app, file: artifacts/{file}.json, sha256: '{digest}'}}\n"
            "components: []\n",
            encoding="utf-8",
        )
    run = cli("validate", str(project))
    assert run.code == 1 and "CF120" in run.out and "'app' is already used" in run.out


@pytest.mark.shared_data("spdx", "cyclonedx/SBOM")
def test_the_sbom_document_shows_each_sbom_its_asset_and_provenance(
    cli: Callable[..., Run], device: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    project, _ = device
    out = tmp_path / "out"
    run = cli("build", str(project), "-o", str(out), "--no-pdf", "--no-site")
    assert run.code == 0, run.out + run.err
    text = next(out.rglob("sbom.md")).read_text(encoding="utf-8")
    assert "assembled from 3 SBOMs" in text
    assert (
        "| app | AST-APP (Clinician app) | 6 | SPDX 2.3 | 2024-11-18T10:22:12Z | Gary O'Neall |"
        in text
    )
    assert "| firmware | AST-DEVICE-FW (Device firmware) | 5 | SPDX 2.2 |" in text
    assert "| cloud | AST-CLOUD (Cloud service) |" in text and "| CycloneDX 1.2 |" in text
    assert "CycloneDX SPDX" not in text
    junit = next(line for line in text.splitlines() if line.startswith("| JUnit |"))
    assert junit.endswith("| app |")


@pytest.mark.shared_data("spdx")
def test_one_spdx_sbom_is_described_as_spdx(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    files = _sboms(project)
    assert cli("sbom", "import", str(files["app"]), str(project)).code == 0
    assert (project / "sbom.yaml").is_file() and not (project / "sbom").exists()
    out = tmp_path / "out"
    assert cli("build", str(project), "-o", str(out), "--no-pdf", "--no-site").code == 0
    text = next(out.rglob("sbom.md")).read_text(encoding="utf-8")
    assert "| Format | SPDX 2.3 |" in text


@pytest.mark.shared_data("spdx")
def test_copy_refuses_a_document_that_refers_to_others(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """--copy copies one file: the documents it names would be lost on every re-import."""
    outside = tmp_path / "yocto"
    outside.mkdir()
    image = outside / "image.spdx.json"
    shutil.copyfile(shared_data_path("spdx/example7-spdx2.2-example7-bin.spdx.json"), image)
    assert json.loads(image.read_text(encoding="utf-8")).get("externalDocumentRefs")
    before = tree_digest(project)
    run = cli("sbom", "import", str(image), str(project), "--copy")
    assert run.code == 2
    assert "refers to other SPDX documents" in run.err and "whole folder" in run.err
    assert tree_digest(project) == before


def _cdx(components: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {"timestamp": "2026-11-01T00:00:00Z"},
        "components": components,
    }


def _lib(name: str, version: str) -> dict[str, Any]:
    purl = f"pkg:pypi/{name}@{version}"
    return {"type": "library", "bom-ref": purl, "name": name, "version": version, "purl": purl}


def test_claim_splits_one_merged_sbom_into_per_build_sboms_keeping_notes(
    cli: Callable[..., Run], project: Path
) -> None:
    """A team had one merged SBOM with annotations; now each build writes its own."""
    folder = project / "artifacts"
    merged = folder / "merged.cdx.json"
    merged.write_text(
        json.dumps(_cdx([_lib("six", "1.16.0"), _lib("attrs", "23.1.0"), _lib("idna", "3.7")])),
        encoding="utf-8",
    )
    assert cli("sbom", "import", str(merged), str(project)).code == 0
    edit(
        project / "sbom.yaml",
        "  - ref: pkg:pypi/six@1.16.0\n",
        "  - ref: pkg:pypi/six@1.16.0  # pinned by the gateway team\n",
    )
    edit(
        project / "sbom.yaml",
        "    purl: pkg:pypi/six@1.16.0\n    support: unknown",
        "    purl: pkg:pypi/six@1.16.0\n    support: limited\n    justification: frozen",
    )
    first = folder / "firmware.cdx.json"
    first.write_text(json.dumps(_cdx([_lib("six", "1.16.0"), _lib("idna", "3.7")])), "utf-8")
    run = cli(
        "sbom",
        "import",
        str(first),
        str(project),
        "--name",
        "firmware",
        "--asset",
        "AST-DEVICE-FW",
        "--claim-from",
        "sbom",
    )
    assert run.code == 0, run.err
    assert "claimed          pkg:pypi/six@1.16.0  (from SBOM 'sbom'" in run.out
    firmware = (project / "sbom" / "firmware.yaml").read_text(encoding="utf-8")
    assert "# pinned by the gateway team" in firmware and "justification: frozen" in firmware
    old = (project / "sbom" / "sbom.yaml").read_text(encoding="utf-8")
    assert "pkg:pypi/attrs@23.1.0" in old and "- ref: pkg:pypi/six" not in old
    second = folder / "app.cdx.json"
    second.write_text(json.dumps(_cdx([_lib("attrs", "23.1.0"), _lib("idna", "3.7")])), "utf-8")
    run = cli(
        "sbom",
        "import",
        str(second),
        str(project),
        "--name",
        "app",
        "--asset",
        "AST-APP",
        "--claim-from",
        "sbom",
    )
    assert run.code == 0, run.err
    # idna is now in firmware's file: the app lists it as shared, attrs moved to the app
    loaded = load_project(project).project
    assert loaded is not None
    by_name = {s.name: s for s in loaded.sbom.sources}
    assert by_name["app"].shared == ("pkg:pypi/idna@3.7",)
    assert set(loaded.sbom_members["app"]) == {"pkg:pypi/attrs@23.1.0", "pkg:pypi/idna@3.7"}
    assert loaded.sbom_members["sbom"] and not [
        c
        for c in loaded.sbom.components
        if c.ref not in loaded.sbom_members["firmware"] and c.ref not in loaded.sbom_members["app"]
    ]
    assert cli("validate", str(project)).code == 0
    # the merged SBOM has nothing of its own left: its file can go
    (project / "sbom" / "sbom.yaml").unlink()
    assert cli("validate", str(project)).code == 0
    again = cli("sbom", "import", str(first), str(project), "--name", "firmware")
    assert again.code == 0 and "0 added, 0 removed" in again.out
    wrong = cli(
        "sbom", "import", str(first), str(project), "--name", "firmware", "--claim-from", "sbom"
    )
    assert (
        wrong.code == 2
        and "--claim-from sbom: no other SBOM of that name (other SBOMs: app)" in wrong.err
    )
