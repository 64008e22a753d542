"""The SBOM says what the data says: the manufacturer's provenance survives import and export,
every component states its end of support (a date, a justification, or a visible gap), and
the unresolved anomalies name the tests that found them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from cyberfile import __version__
from cyberfile.load.project import load_project
from cyberfile.model.project import Project
from cyberfile.sbom.publish import export_documents

from .conftest import EXAMPLE, Run, edit, line_of

AS_OF = date(2026, 12, 1)


def _component(ref: str, kind: str, name: str, version: str) -> dict[str, Any]:
    return {"type": kind, "bom-ref": ref, "name": name, "version": version, "purl": ref}


KERNEL = "pkg:generic/linux@6.1.75"
MCU = "pkg:generic/acme/motor-fw@2.4.0"
APP = "pkg:generic/acme/pump-app@2.4.0"
LIB = "pkg:pypi/six@1.16.0"


def _build_sbom(**metadata: Any) -> dict[str, Any]:
    """A CycloneDX 1.6 SBOM as a manufacturer's build pipeline would write it."""
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {
            "timestamp": "2026-11-20T10:00:00+01:00",
            "authors": [{"name": "Acme Product Security"}, {"email": "sbom@acme.example"}],
            "tools": {
                "components": [
                    {"type": "application", "name": "syft", "version": "1.18.1"},
                    {"type": "application", "name": "Acme Merge"},
                ],
                "services": [{"name": "acme-sbom-service", "version": "v2.1"}],
            },
            **metadata,
        },
        "components": [
            _component(KERNEL, "operating-system", "linux", "6.1.75"),
            _component(MCU, "firmware", "motor-fw", "2.4.0"),
            _component(APP, "application", "pump-app", "2.4.0"),
            _component(LIB, "library", "six", "1.16.0"),
        ],
    }


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _load(root: Path) -> Project:
    project = load_project(root).project
    assert project is not None
    return project


def _sbom(root: Path) -> dict[str, Any]:
    return dict(json.loads(export_documents(_load(root), AS_OF)["sbom.cdx.json"]))


@pytest.fixture
def imported(cli: Callable[..., Run], project: Path, tmp_path: Path) -> Path:
    """A new project whose sbom.yaml was filled by `sbom import` of a typed SBOM."""
    run = cli(
        "sbom",
        "import",
        "--copy",
        str(_write(tmp_path / "build.cdx.json", _build_sbom())),
        str(project),
    )
    assert run.code == 0, run.err
    return project


# ------------------------------------------------------------------------ import


def test_import_stores_component_types_and_writes_only_non_default_ones(imported: Path) -> None:
    project = _load(imported)
    types = {c.ref: c.type.value for c in project.sbom.components}
    assert types == {
        KERNEL: "operating-system",
        MCU: "firmware",
        APP: "application",
        LIB: "library",
    }
    text = (imported / "sbom.yaml").read_text(encoding="utf-8")
    assert "type: operating-system" in text and "type: library" not in text


def test_import_stores_timestamp_authors_and_every_tool(imported: Path) -> None:
    source = _load(imported).sbom.source
    assert source is not None
    assert source.timestamp == "2026-11-20T10:00:00+01:00"
    # an author known only by e-mail is still an author
    assert source.authors == ("Acme Product Security", "sbom@acme.example")
    assert set(source.tools) == {"syft 1.18.1", "Acme Merge", "acme-sbom-service v2.1"}


def test_a_changed_type_is_an_update_and_library_removes_the_key(
    cli: Callable[..., Run], imported: Path, tmp_path: Path
) -> None:
    document = _build_sbom()
    again = cli(
        "sbom", "import", "--copy", str(_write(tmp_path / "same.cdx.json", document)), str(imported)
    )
    assert again.code == 0 and "0 updated" in again.out
    document["components"][0]["type"] = "library"
    document["components"][3]["type"] = "framework"
    run = cli(
        "sbom", "import", "--copy", str(_write(tmp_path / "new.cdx.json", document)), str(imported)
    )
    assert run.code == 0, run.err
    assert f"updated          {KERNEL}  (type)" in run.out
    types = {c.ref: c.type.value for c in _load(imported).sbom.components}
    assert types[KERNEL] == "library" and types[LIB] == "framework"
    assert "type: operating-system" not in (imported / "sbom.yaml").read_text(encoding="utf-8")


# ------------------------------------------------------------------------ export


def test_export_keeps_the_source_timestamp_authors_tools_and_types(imported: Path) -> None:
    files = export_documents(_load(imported), AS_OF)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(files["sbom.cdx.json"]) is None
    metadata = json.loads(files["sbom.cdx.json"])["metadata"]
    # the SBOM's own timestamp (same instant, in UTC), not the document date
    assert datetime.fromisoformat(metadata["timestamp"]) == datetime(2026, 11, 20, 9, tzinfo=UTC)
    assert [a["name"] for a in metadata["authors"]] == [
        "Acme Product Security",
        "sbom@acme.example",
    ]
    tools = {(t["name"], t.get("version")) for t in metadata["tools"]["components"]}
    assert tools == {
        ("syft", "1.18.1"),
        ("Acme Merge", None),
        ("acme-sbom-service", "v2.1"),
        ("cyberfile", __version__),
    }
    components = json.loads(files["sbom.cdx.json"])["components"]
    assert {c["bom-ref"]: c["type"] for c in components} == {
        KERNEL: "operating-system",
        MCU: "firmware",
        APP: "application",
        LIB: "library",
    }
    # the VEX is the manufacturer's assessment, made by cyberfile on the document date
    vex = json.loads(files["vex.cdx.json"])["metadata"]
    assert datetime.fromisoformat(vex["timestamp"]) == datetime(2026, 12, 1, tzinfo=UTC)
    assert [t["name"] for t in vex["tools"]["components"]] == ["cyberfile"]


def test_export_is_byte_identical_across_runs(imported: Path) -> None:
    assert export_documents(_load(imported), AS_OF) == export_documents(_load(imported), AS_OF)


def test_without_a_source_the_export_invents_no_author(project: Path) -> None:
    metadata = _sbom(project)["metadata"]
    assert "authors" not in metadata
    assert datetime.fromisoformat(metadata["timestamp"]) == datetime(2026, 12, 1, tzinfo=UTC)
    assert [t["name"] for t in metadata["tools"]["components"]] == ["cyberfile"]


def test_a_recorded_cyberfile_tool_is_listed_once(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    tools = {"components": [{"type": "application", "name": "cyberfile", "version": __version__}]}
    run = cli(
        "sbom",
        "import",
        "--copy",
        str(_write(tmp_path / "b.cdx.json", _build_sbom(tools=tools))),
        str(project),
    )
    assert run.code == 0, run.err
    names = [t["name"] for t in _sbom(project)["metadata"]["tools"]["components"]]
    assert names == ["cyberfile"]


def test_a_timestamp_that_is_not_a_date_time_is_not_exported(imported: Path) -> None:
    edit(imported / "sbom.yaml", "timestamp: '2026-11-20T10:00:00+01:00'", "timestamp: last week")
    metadata = _sbom(imported)["metadata"]
    assert datetime.fromisoformat(metadata["timestamp"]) == datetime(2026, 12, 1, tzinfo=UTC)


def test_the_device_purl_given_in_the_manifest_is_exported_as_written(project: Path) -> None:
    derived = _sbom(project)["metadata"]["component"]["purl"]
    edit(
        project / "cyberfile.yaml",
        "  version:",
        "  purl: pkg:generic/acme/infusion-pump@1.0\n  version:",
    )
    subject = _sbom(project)["metadata"]["component"]
    assert subject["purl"] == subject["bom-ref"] == "pkg:generic/acme/infusion-pump@1.0"
    assert derived != subject["purl"]


# ---------------------------------------------------------------- end of support


def test_a_component_without_end_of_support_or_justification_is_reported(
    cli: Callable[..., Run], imported: Path
) -> None:
    sbom_yaml = imported / "sbom.yaml"
    assert sbom_yaml.read_text(encoding="utf-8").count("support: unknown") == 4
    # CF400 (support unknown, unjustified) already covers each: one finding per component
    run = cli("validate", str(imported), "--format", "json")
    codes = [d["code"] for d in json.loads(run.out)["diagnostics"]]
    assert codes.count("CF400") == 4 and "CF404" not in codes

    _support(sbom_yaml, KERNEL, "end_of_support: 2027-12-31")
    _support(sbom_yaml, MCU, "justification: No date published; fixed only in new releases.")
    _support(sbom_yaml, APP)
    _support(sbom_yaml, LIB)
    run = cli("validate", str(imported), "--format", "json")
    found = [d for d in json.loads(run.out)["diagnostics"] if d["code"] == "CF404"]
    lines = {d["message"].split(": no end")[0]: d["line"] for d in found}
    assert sorted(lines) == sorted([APP, LIB])
    assert {d["severity"] for d in found} == {"warning"}
    assert lines[APP] == line_of(sbom_yaml, f"- ref: {APP}")


def _support(sbom_yaml: Path, ref: str, *facts: str) -> None:
    """Rate the imported component `ref` as limited, with the given facts (YAML lines)."""
    lines = "".join(f"\n    {fact}" for fact in facts)
    edit(
        sbom_yaml, f"purl: {ref}\n    support: unknown", f"purl: {ref}\n    support: limited{lines}"
    )


def _documents(cli: Callable[..., Run], root: Path, out: Path) -> Path:
    run = cli("build", str(root), "-o", str(out), "--no-pdf", "--no-site", "--as-of", "2026-12-01")
    assert run.code == 0, run.err
    return out / root.name / "documents"


def test_the_sbom_document_counts_and_marks_end_of_support(
    cli: Callable[..., Run], imported: Path, tmp_path: Path
) -> None:
    sbom_yaml = imported / "sbom.yaml"
    _support(sbom_yaml, KERNEL, "end_of_support: 2026-06-30")
    _support(sbom_yaml, MCU, "justification: No date published by Acme for motor-fw.")
    _support(sbom_yaml, APP)
    _support(sbom_yaml, LIB)
    document = (_documents(cli, imported, tmp_path / "out") / "sbom.md").read_text("utf-8")
    assert (
        "1 of 4 components have an end-of-support date; 1 have no date and a justification; "
        "2 state neither." in document
    )
    assert f"**Gap:** no end-of-support date and no justification (CF404): {APP}, {LIB}" in document
    rows = {line.split(" | ")[0][2:]: line for line in document.splitlines() if "| pkg:" in line}
    assert "| 2026-06-30 (ended before the document date) |" in rows[KERNEL]
    assert "not recorded; see justification" in rows[MCU] and "No date published" in rows[MCU]
    assert "**Gap:** not stated" in rows[APP] and "**Gap:** not stated" in rows[LIB]
    # provenance as recorded, and what the exported file carries
    assert "| Timestamp (NTIA) | 2026-11-20T10:00:00+01:00 |" in document
    assert (
        "| Author of the SBOM data (NTIA) | Acme Product Security; sbom@acme.example |" in document
    )
    assert "| operating-system |" in document and "| firmware |" in document


def test_without_a_source_the_sbom_document_says_what_is_missing(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    document = (_documents(cli, project, tmp_path / "out") / "sbom.md").read_text("utf-8")
    assert "**Gap:** the SBOM was not imported" in document
    assert "names no author of the SBOM data" in document
    assert "have an end-of-support date" not in document  # no components, no count


# ------------------------------------------------------------------------ anomalies


ANOMALIES = """anomalies:
  - {id: ANOM-001, title: Named, found_by: [TST-BLE-AUTH-1], security_impact: x, rationale: y}
  - {id: ANOM-002, title: Tracked by a finding, security_impact: x, rationale: y}
  - {id: ANOM-003, title: Nobody knows, security_impact: x, rationale: y}
  - {id: ANOM-004, title: Dangling, found_by: [TST-GONE], security_impact: x, rationale: y}
"""
FINDING = (
    "    findings:\n"
    "      - {id: R-7, title: t, severity: low, status: accepted, rationale: r,"
    " tracked_in: ANOM-002}\n"
)


def test_unresolved_anomalies_name_the_tests_that_found_them(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    edit(project / "anomalies.yaml", "anomalies: []\n", ANOMALIES)
    edit(project / "tests.yaml", "    result: not_run", FINDING + "    result: not_run")
    title = _load(project).tests.tests[0].title
    out = tmp_path / "out"
    run = cli("build", str(project), "-o", str(out), "--no-pdf", "--no-site", "--allow-errors")
    assert run.code in (0, 1), run.err  # the dangling found_by is a validate error
    document = (out / project.name / "documents" / "unresolved-anomalies.md").read_text("utf-8")
    sections = {s.split(":")[0]: s for s in document.split("\n## ")[1:]}
    # the test's title and id, from found_by or from a finding tracked in the anomaly
    assert f"| Found by | {title} (TST-BLE-AUTH-1) |" in sections["ANOM-001"]
    assert f"| Found by | {title} (TST-BLE-AUTH-1) |" in sections["ANOM-002"]
    assert "| Test findings | R-7 of TST-BLE-AUTH-1 (low, accepted) |" in sections["ANOM-002"]
    # "not recorded" only where the data says nothing; an unknown id is not a test title
    assert "| Found by | not recorded |" in sections["ANOM-003"]
    assert "| Found by | TST-GONE (not a test of tests.yaml) |" in sections["ANOM-004"]
    assert document.count("not recorded") == 1


def test_the_example_names_the_tests_that_found_its_anomalies(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    document = (_documents(cli, EXAMPLE, tmp_path / "out") / "unresolved-anomalies.md").read_text(
        "utf-8"
    )
    sections = {s.split(":")[0]: s for s in document.split("\n## ")[1:]}
    project = _load(EXAMPLE)
    tracked = {f.tracked_in for t in project.tests.tests for f in t.findings}
    for anomaly in project.anomalies.anomalies:
        stated = bool(anomaly.found_by) or anomaly.id in tracked
        assert ("| Found by | not recorded |" in sections[anomaly.id]) == (not stated), anomaly.id
    title = "Independent penetration test of pump, gateway and clinician app (TST-PENTEST-DEVICE)"
    assert f"| Found by | {title} |" in sections["ANOM-001"]


# ------------------------------------------------------------------------ example


def test_the_example_states_end_of_support_for_every_component(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    example = _load(EXAMPLE)
    assert all(c.end_of_support or c.justification for c in example.sbom.components)
    documents = _documents(cli, EXAMPLE, tmp_path / "out")
    sbom = (documents / "sbom.md").read_text("utf-8")
    dated = sum(c.end_of_support is not None for c in example.sbom.components)
    total = len(example.sbom.components)
    assert (
        f"{dated} of {total} components have an end-of-support date; {total - dated} have no "
        "date and a justification; 0 state neither." in sbom
    )
    assert "**Gap:**" not in sbom.split("## SBOM", 1)[1]
    exported = json.loads((tmp_path / "out" / EXAMPLE.name / "sbom.cdx.json").read_text("utf-8"))
    sources = example.sbom.sources  # one per build; the newest timestamp, every author
    stamps = [datetime.fromisoformat(s.timestamp) for s in sources if s.timestamp]
    assert stamps and datetime.fromisoformat(exported["metadata"]["timestamp"]) == max(stamps)
    authors = {a for s in sources for a in s.authors}
    names = [a["name"] for a in exported["metadata"]["authors"]]
    assert len(names) == len(authors) and set(names) == authors
    by_ref = {c["bom-ref"]: c["type"] for c in exported["components"]}
    assert by_ref == {c.ref: c.type.value for c in example.sbom.components}
    assert "operating-system" in by_ref.values() and "firmware" in by_ref.values()
