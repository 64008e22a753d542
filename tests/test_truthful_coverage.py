"""What the scan counts and what the documents say about the coverage of each component are
what the recorded scans establish: a component is checked against a feed only when the feed
holds records for its ecosystem (or, for CVE records, it has a CPE and records were read);
the documents call a component checked only when a recorded scan's report lists it, and a
component a feed could match that no recorded scan has checked is a gap."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cyberfile.check.coverage import vulnerability_search
from cyberfile.check.readiness import readiness
from cyberfile.load.project import load_project
from cyberfile.model.project import Project
from cyberfile.model.sbom import Component
from cyberfile.render.documents import DocumentMeta, render_documents
from cyberfile.vulndb.match import AdvisoryIndex, Target, match_components, target_of
from cyberfile.vulndb.osv import Advisory, parse_record

from .conftest import EXAMPLE, SHARED_DATA, Run, section

OSV_PYPI = SHARED_DATA / "osv-pypa" / "vulns"
KEV = SHARED_DATA / "kev" / "known_exploited_vulnerabilities.json"
CVE = SHARED_DATA / "cve" / "vulnrichment-subset.zip"
AS_OF = "2026-11-29"
SCANNED = date(2026, 11, 29)

MAVEN = "pkg:maven/com.squareup.okhttp3/okhttp@4.12.0?type=jar"
PYPI = "pkg:pypi/django@4.2.15"
GENERIC = "pkg:generic/curl@8.9.1"
GO = "pkg:golang/golang.org/x/text@v0.35.0"
TZDATA = "pkg:deb/debian/tzdata@2026b-0%2Bdeb13u1?arch=amd64&distro=debian-13"
TZDATA_LEGACY = (
    "pkg:deb/debian/tzdata-legacy@2026b-0%2Bdeb13u1?arch=amd64&upstream=tzdata&distro=debian-13"
)


@pytest.fixture
def pump(tmp_path: Path) -> Path:
    root = tmp_path / "pump"
    shutil.copytree(EXAMPLE, root)
    return root


def loaded(root: Path) -> Project:
    project = load_project(root).project
    assert project is not None
    return project


def scan_json(cli: Callable[..., Run], root: Path, *feeds: str, write: bool = False) -> Any:
    extra = () if write else ("--dry-run",)
    run = cli("scan", str(root), *feeds, "--as-of", AS_OF, "--format", "json", *extra)
    assert "Traceback" not in run.err and run.code in (0, 1), run.err
    return json.loads(run.out)["projects"][0]["scan"]


def osv_folder(tmp_path: Path, *records: dict[str, Any]) -> Path:
    folder = tmp_path / "osv-synthetic"
    folder.mkdir()
    for record in records:
        (folder / f"{record['id']}.json").write_text(json.dumps(record), encoding="utf-8")
    return folder


def osv_record(ident: str, ecosystem: str, name: str, fixed: str) -> dict[str, Any]:
    return {
        "id": ident,
        "modified": "2026-11-01T00:00:00Z",
        "summary": f"synthetic advisory for {name}",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": name},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
    }


def component(purl: str) -> Component:
    name = purl.rsplit("/", maxsplit=1)[-1].split("@", maxsplit=1)[0]
    return Component(ref=purl, name=name, purl=purl)


def parsed(*records: dict[str, Any]) -> list[Advisory]:
    return [parse_record(r, "test") for r in records]


def coverage_text(project: Project, ref: str, day: date = SCANNED) -> str:
    """The Coverage cell of the vulnerability assessment's row of a component."""
    text = render_documents(project, DocumentMeta(day, None, "cyberfile test"))
    table = section(text["vulnerability-assessment"], "## Coverage by component")
    escaped = ref.replace("&", "&amp;")
    line = next(line for line in table.splitlines() if line.startswith(f"| {escaped} |"))
    return line.rstrip(" |").rsplit(" | ", 1)[1]


def vulnerability_element(project: Project) -> str:
    item = next(i for i in readiness(project, []) if i.element == "Vulnerability assessment")
    return f"{item.status.value}: {'; '.join(item.reasons)}"


# 1. The scan counts every component once ------------------------------------------------


@pytest.mark.shared_data("osv-pypa/vulns", "kev/known_exploited_vulnerabilities.json")
def test_scan_figures_add_up_to_the_components_of_the_example(
    cli: Callable[..., Run], pump: Path
) -> None:
    components = loaded(pump).sbom.components
    assert len(components) == 101
    facts = scan_json(cli, pump, "--osv", str(OSV_PYPI), "--kev", str(KEV))
    # The PyPI advisories check the 37 PyPI components and nothing else.
    pypi = [
        c for c in components if isinstance(t := target_of(c), Target) and t.ecosystem == "PyPI"
    ]
    assert facts["checked"] == len(pypi) == 37
    assert facts["checked"] + facts["not_matchable"] == len(components)
    by_ref = {entry["component"]: entry for entry in facts["coverage"]}
    assert len(by_ref) == len(components)
    for entry in facts["coverage"]:  # checked or not matchable, never both, never neither
        assert bool(entry["feeds"]) != bool(entry["not_matchable"]), entry
    assert by_ref[MAVEN]["feeds"] == []
    assert "OSV: the feed holds no Maven records" in by_ref[MAVEN]["not_matchable"]
    assert by_ref[PYPI]["feeds"] == ["OSV (PyPI)"]


@pytest.mark.shared_data("osv-pypa/vulns", "cve/vulnrichment-subset.zip")
@pytest.mark.slow  # scans the whole example
def test_scan_figures_add_up_with_cve_records(cli: Callable[..., Run], pump: Path) -> None:
    facts = scan_json(cli, pump, "--osv", str(OSV_PYPI), "--cve", str(CVE))
    checked = [e for e in facts["coverage"] if e["feeds"]]
    # A component both feeds can match (a PyPI package with a CPE) is still one component.
    assert facts["checked"] == len(checked)
    assert facts["checked"] + facts["not_matchable"] == 101
    go = next(e for e in facts["coverage"] if e["component"] == GO)
    assert go["feeds"] == ["CVE by CPE (golang:x_text)"]  # by its CPE; no Go advisories read


def test_match_counts_only_ecosystems_the_feed_holds() -> None:
    index = AdvisoryIndex.build(parsed(osv_record("PYSEC-2099-1", "PyPI", "demo", "2.0")))
    result = match_components(
        [component("pkg:pypi/demo@1.0"), component("pkg:maven/org.example/lib@1.0")], index
    )
    assert result.checked == 1
    assert [(c.ref, why) for c, why in result.unmatchable] == [
        ("pkg:maven/org.example/lib@1.0", "the feed holds no Maven records")
    ]
    assert [f.component for f in result.findings] == ["pkg:pypi/demo@1.0"]


# 2. The documents say what the recorded scans established -------------------------------


def test_the_example_maven_components_are_a_gap_not_covered(pump: Path) -> None:
    project = loaded(pump)
    # The example's scan report read PyPI advisories and CVE records; it lists no Maven,
    # Go or Debian component (the app and cloud SBOMs came later).
    report = json.loads((pump / "artifacts" / "scans" / "EV-SCAN-20261125.json").read_text())
    listed = {e["component"] for e in report["coverage"] if e["feeds"]}
    assert MAVEN not in listed and PYPI in listed and GENERIC in listed
    day = date(2026, 11, 26)
    maven = coverage_text(project, MAVEN, day)
    assert maven == (
        "**Gap:** OSV (Maven) can match it, but no recorded vulnerability scan has checked it"
    )
    assert "checked by" not in maven and "matchable: OSV" not in maven
    assert coverage_text(project, PYPI, day) == (
        "checked by EV-SCAN-20261125 of 2026-11-25 against OSV (PyPI)"
    )
    assert coverage_text(project, GENERIC, day) == (
        "checked by EV-SCAN-20261125 of 2026-11-25 against CVE by CPE (haxx:curl)"
    )
    search = vulnerability_search(project, day)
    assert (len(search.checked), len(search.unscanned), len(search.not_matchable)) == (55, 36, 10)
    element = vulnerability_element(project)
    assert element.startswith("partial: 36 of 101 components can be matched against a ")
    assert "no recorded vulnerability scan has checked them" in element


@pytest.mark.shared_data("osv-pypa/vulns", "kev/known_exploited_vulnerabilities.json")
@pytest.mark.slow  # scans the whole example
def test_a_scan_without_maven_records_does_not_cover_a_maven_component(
    cli: Callable[..., Run], pump: Path
) -> None:
    facts = scan_json(cli, pump, "--osv", str(OSV_PYPI), "--kev", str(KEV), write=True)
    assert facts["evidence"] == "EV-SCAN-20261129"
    project = loaded(pump)
    assert coverage_text(project, PYPI) == (
        "checked by EV-SCAN-20261129 of 2026-11-29 against OSV (PyPI)"
    )
    maven = coverage_text(project, MAVEN)
    assert maven.startswith("**Gap:** OSV (Maven) can match it, but no recorded")
    # The older scan, which read CVE records, still covers the firmware by CPE.
    assert coverage_text(project, GENERIC) == (
        "checked by EV-SCAN-20261125 of 2026-11-25 against CVE by CPE (haxx:curl)"
    )


@pytest.mark.slow  # scans the whole example
def test_a_scan_with_maven_records_covers_the_maven_components(
    cli: Callable[..., Run], pump: Path, tmp_path: Path
) -> None:
    # One synthetic Maven advisory that does not affect okhttp 4.12.0: the scan finds
    # nothing, but it has checked every Maven component against Maven advisories.
    feed = osv_folder(
        tmp_path, osv_record("GHSA-test-0000-0001", "Maven", "com.squareup.okhttp3:okhttp", "3.0")
    )
    before = vulnerability_search(loaded(pump), SCANNED)
    assert MAVEN in {c.component.ref for c in before.unscanned}
    facts = scan_json(cli, pump, "--osv", str(feed), write=True)
    assert (facts["checked"], facts["not_matchable"], facts["new"]) == (20, 81, 0)
    project = loaded(pump)
    assert coverage_text(project, MAVEN) == (
        "checked by EV-SCAN-20261129 of 2026-11-29 against OSV (Maven)"
    )
    # This scan read no PyPI advisory: the PyPI packages stay covered by the older scan.
    assert coverage_text(project, PYPI) == (
        "checked by EV-SCAN-20261125 of 2026-11-25 against OSV (PyPI)"
    )
    assert coverage_text(project, GO).startswith("**Gap:** OSV (Go) or CVE records by CPE")
    search = vulnerability_search(project, SCANNED)
    assert (len(search.checked), len(search.unscanned), len(search.not_matchable)) == (75, 16, 10)
    assert "16 of 101 components can be matched" in vulnerability_element(project)
    # A document dated before the scan does not count it.
    assert coverage_text(project, MAVEN, date(2026, 11, 26)).startswith("**Gap:**")


def test_a_report_changed_after_it_was_recorded_establishes_nothing(pump: Path) -> None:
    report = pump / "artifacts" / "scans" / "EV-SCAN-20261125.json"
    report.write_text(report.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    project = loaded(pump)
    day = date(2026, 11, 26)
    assert coverage_text(project, PYPI, day) == (
        "**Gap:** OSV (PyPI) can match it, but no recorded vulnerability scan has checked it"
    )
    text = render_documents(project, DocumentMeta(day, None, "t"))["vulnerability-assessment"]
    assert "EV-SCAN-20261125 (its report artifacts/scans/EV-SCAN-20261125.json differs" in text


# 3. Debian advisories are keyed by source package ---------------------------------------


def test_a_deb_purl_is_matched_by_its_upstream_source_package() -> None:
    record = osv_record("DSA-9999-1", "Debian:13", "tzdata", "2025b-1")
    index = AdvisoryIndex.build(parsed(record))
    purls = [
        "pkg:deb/debian/tzdata-legacy@2025a-1?upstream=tzdata&distro=debian-13",
        "pkg:deb/debian/tzdata-legacy@2025a-1?upstream=tzdata%402025a-1&distro=debian-13",
        "pkg:deb/debian/tzdata-legacy@2025a-1?distro=debian-13",  # no source named
        "pkg:deb/debian/tzdata-legacy@2025b-1?upstream=tzdata&distro=debian-13",  # fixed
    ]
    targets = [target_of(component(p)) for p in purls]
    assert [t.name for t in targets if isinstance(t, Target)] == [
        "tzdata",
        "tzdata",
        "tzdata-legacy",
        "tzdata",
    ]
    findings = match_components([component(p) for p in purls], index).findings
    assert sorted(f.component for f in findings) == sorted(purls[:2])


def test_the_example_binary_package_is_found_by_its_source(
    cli: Callable[..., Run], pump: Path, tmp_path: Path
) -> None:
    feed = osv_folder(tmp_path, osv_record("DSA-9999-1", "Debian:13", "tzdata", "2026c-0+deb13u1"))
    run = cli(
        "scan", str(pump), "--osv", str(feed), "--as-of", AS_OF, "--dry-run", "--format", "json"
    )
    document = json.loads(run.out)
    found = [d["message"] for d in document["diagnostics"] if d["code"] == "CF440"]
    assert len(found) == 1
    # the binary package tzdata-legacy is found through its source, tzdata
    assert f"DSA-9999-1 affects {TZDATA_LEGACY}, {TZDATA};" in found[0]
