"""`cyberfile scan --cve` on real CVE JSON 5 records: the example's embedded components,
named by CPE, against CISA's vulnrichment subset. Expected ids were read from the records
(the kernel's, curl's, BlueZ's and Zephyr's CNA and CISA ADP entries)."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from cyberfile.load.project import load_project

from .conftest import EXAMPLE, SHARED_DATA, Run, line_of, tree_digest

CVE = SHARED_DATA / "cve" / "vulnrichment-subset.zip"
OSV = SHARED_DATA / "osv-pypa" / "vulns"
KEV = SHARED_DATA / "kev" / "known_exploited_vulnerabilities.json"
AS_OF = "2026-11-25"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.shared_data(
        "cve/vulnrichment-subset.zip", "osv-pypa/vulns", "kev/known_exploited_vulnerabilities.json"
    ),
]


SCANNED = "EV-SCAN-20261125"
"""The example records this scan (the same feeds, as of AS_OF) and its triage."""


def _entries_kept(text: str, drop: Callable[[str], bool]) -> str:
    """The YAML list text without the `  - id:` entries `drop` selects (each entry with the
    comment lines just above it)."""
    out: list[str] = []
    entry: list[str] | None = None
    pending: list[str] = []

    def close() -> None:
        if entry is not None and not drop("".join(entry)):
            out.extend(entry)

    for line in text.splitlines(keepends=True):
        if line.startswith("  - id:"):
            close()
            entry, pending = [*pending, line], []
        elif line.startswith("  #") or not line.strip():
            pending.append(line)
        elif entry is not None:
            entry.extend(pending)
            entry.append(line)
            pending = []
        else:
            out.extend(pending)
            out.append(line)
            pending = []
    close()
    out.extend(pending)
    return "".join(out)


@pytest.fixture
def pump(tmp_path: Path) -> Path:
    """A copy of the example as it stood before its CVE scan of AS_OF: without the
    vulnerabilities that scan recorded (source cve, discovered that day; since triaged by
    the team), its evidence item and its report."""
    root = tmp_path / "pump"
    shutil.copytree(EXAMPLE, root)
    vulnerabilities = root / "vulnerabilities.yaml"
    text = vulnerabilities.read_text(encoding="utf-8")
    kept = _entries_kept(
        text,
        lambda entry: "\n    source: cve\n" in entry and f"\n    discovered: {AS_OF}\n" in entry,
    )
    assert kept != text, "the example no longer records its CVE scan"
    vulnerabilities.write_text(kept, encoding="utf-8")
    evidence = root / "evidence.yaml"
    text = evidence.read_text(encoding="utf-8")
    kept = _entries_kept(text, lambda entry: entry.lstrip().startswith(f"- id: {SCANNED}\n"))
    assert kept != text
    evidence.write_text(kept, encoding="utf-8")
    (root / "artifacts" / "scans" / f"{SCANNED}.json").unlink()
    before = load_project(root).project
    assert before is not None
    assert not any(v.source == "cve" for v in before.vulnerabilities.vulnerabilities)
    return root


def scan_json(cli: Callable[..., Run], root: Path, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    run = cli("scan", str(root), "--cve", str(CVE), "--as-of", AS_OF, "--format", "json", *extra)
    assert "Traceback" not in run.err
    return run.code, json.loads(run.out)


def messages(document: dict, code: str) -> list[str]:  # type: ignore[type-arg]
    return [d["message"] for d in document["diagnostics"] if d["code"] == code]


def test_embedded_components_are_matched_by_cpe(cli: Callable[..., Run], pump: Path) -> None:
    before = tree_digest(pump)
    code, document = scan_json(cli, pump, "--dry-run")
    assert code == 1 and tree_digest(pump) == before
    new = messages(document, "CF440")
    # curl 8.9.1: CVE-2024-8096 (curl CNA: 8.9.1 is in the affected range, fixed in 8.10.0)
    assert any(m.startswith("CVE-2024-8096 affects pkg:generic/curl@8.9.1") for m in new)
    # the kernel's Bluetooth L2CAP fix touches net/bluetooth/l2cap_core.c, which this
    # kernel compiles, and the Linux CNA lists no 6.1 fix: it stays a finding for triage
    assert line_of(pump / "artifacts" / "linux-compiled-files.txt", "net/bluetooth/l2cap_core.c")
    assert any(m.startswith("CVE-2024-36013 affects pkg:generic/linux@6.1.114") for m in new)
    # the record's range (3.15 to before 6.8) still names 6.1.114, but the example has
    # assessed it (not_affected, nf_tables is not built): not new
    assert not any(m.startswith("CVE-2024-1086 ") for m in new)
    # Zephyr's CNA writes its ranges with versionType git: for manual assessment
    undetermined = messages(document, "CF443")
    assert any(
        m.startswith("CVE-2023-5563 names pkg:generic/zephyr@3.5.99-ncs1") for m in undetermined
    )
    facts = document["projects"][0]["scan"]
    assert facts["settled_by_compiled_files"] > 250  # kernel records outside this build
    coverage = {c["component"]: c for c in facts["coverage"]}
    assert coverage["pkg:generic/linux@6.1.114"]["feeds"] == ["CVE by CPE (linux:linux_kernel)"]
    assert (
        "has no CPE"
        in coverage["pkg:generic/example-medical/pump-controller@2.4.0"]["not_matchable"]
    )


def test_the_example_records_its_scan_and_has_triaged_every_finding(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    root = tmp_path / "example"
    shutil.copytree(EXAMPLE, root)
    code, document = scan_json(cli, root, "--osv", str(OSV), "--kev", str(KEV), "--dry-run")
    facts = document["projects"][0]["scan"]
    # the same feeds on the same day find nothing the example does not already record
    assert code == 0 and facts["new"] == 0 and facts["settled_by_compiled_files"] == 0
    project = load_project(EXAMPLE).project
    assert project is not None
    recorded = [v for v in project.vulnerabilities.vulnerabilities if v.source == "cve"]
    assert recorded and SCANNED in {e.id for e in project.evidence.evidence}
    # every finding is assessed (by the team, or settled by the compiled-files triage)
    assert all(v.status != "under_investigation" and v.assessed for v in recorded)


def test_kev_and_ssvc_put_a_finding_first(cli: Callable[..., Run], pump: Path) -> None:
    _, document = scan_json(cli, pump, "--dry-run")
    (entry,) = [d for d in document["diagnostics"] if d["message"].startswith("CVE-2024-36971 ")]
    # CISA's ADP container of CVE-2024-36971 carries a KEV entry and Exploitation: active
    assert "triage first: known exploited (CISA KEV); SSVC: exploitation active" in entry["message"]
    assert entry["hint"].startswith("triage it first:")


def test_a_real_scan_records_findings_settlements_and_its_coverage(
    cli: Callable[..., Run], pump: Path
) -> None:
    code, document = scan_json(cli, pump, "--osv", str(OSV), "--kev", str(KEV))
    assert code == 1
    project = load_project(pump).project
    assert project is not None
    recorded = {v.id: v for v in project.vulnerabilities.vulnerabilities}
    kernel = recorded["CVE-2024-36971"]
    assert kernel.source == "cve" and kernel.status == "under_investigation"
    assert kernel.known_exploited is True
    assert kernel.ssvc is not None and kernel.ssvc.exploitation.value == "active"
    settled = [v for v in recorded.values() if v.status == "not_affected" and v.source == "cve"]
    assert len(settled) == document["projects"][0]["scan"]["settled_by_compiled_files"]
    one = settled[0]
    assert one.justification == "code_not_present"
    assert "artifacts/linux-compiled-files.txt" in (one.detail or "")
    assert one.assessed is not None and one.assessed.by.startswith("cyberfile scan")
    # the evidence item points at the scan's report, which states coverage per component
    evidence = {e.id: e for e in project.evidence.evidence}["EV-SCAN-20261125"]
    assert evidence.file == "artifacts/scans/EV-SCAN-20261125.json" and evidence.sha256
    report = json.loads((pump / evidence.file).read_text(encoding="utf-8"))
    assert len(report["coverage"]) == len(project.sbom.components)
    # the recorded project still validates, and drift sees the open KEV entry
    assert cli("validate", str(pump)).code == 0, cli("validate", str(pump)).out[-2000:]
    drift = json.loads(cli("drift", str(pump), "--as-of", AS_OF, "--format", "json").out)
    assert any(
        d["code"] == "CF425" and "CVE-2024-36971" in d["message"] for d in drift["diagnostics"]
    )


def test_feeds_that_hold_nothing_for_the_project_are_no_clean_scan(
    cli: Callable[..., Run], pump: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty-cves"
    empty.mkdir()
    before = tree_digest(pump)
    run = cli("scan", str(pump), "--cve", str(empty), "--as-of", AS_OF)
    assert run.code == 2 and "holds no CVE-*.json records" in run.err
    assert tree_digest(pump) == before
    # records, but none for any vendor of the project (a Windows-only feed)
    windows = tmp_path / "windows.zip"
    with zipfile.ZipFile(CVE) as source, zipfile.ZipFile(windows, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            record = json.loads(data)
            vendors = {a.get("vendor", "") for a in record["containers"]["cna"].get("affected", [])}
            if vendors == {"Microsoft"}:
                target.writestr(name, data)
    code, document = scan_json(cli, pump, "--cve", str(windows))
    assert code == 2 and tree_digest(pump) == before
    (message,) = messages(document, "CF445")
    assert "no record for any package ecosystem or CPE vendor" in message


def test_a_scan_needs_a_feed(cli: Callable[..., Run], pump: Path) -> None:
    run = cli("scan", str(pump))
    assert run.code == 2 and "name at least one feed" in run.err


def test_ssvc_and_priority_reach_the_vulnerability_assessment(
    cli: Callable[..., Run], pump: Path, tmp_path: Path
) -> None:
    assert scan_json(cli, pump, "--kev", str(KEV))[0] == 1
    out = tmp_path / "out"
    # the scan's findings are under investigation: a draft is enough to read the document
    run = cli("build", str(pump), "-o", str(out), "--no-pdf", "--no-site", "--allow-errors")
    assert run.code == 0, run.err
    text = (out / "pump" / "documents" / "vulnerability-assessment.md").read_text("utf-8")
    section = text[text.index("CVE-2024-36971") :]
    assert (
        "| CISA SSVC decision points | exploitation active, automatable no, "
        "technical impact total |" in section
    )
    assert "| Triage priority | first: known exploited (CISA KEV); SSVC exploitation active |" in (
        section
    )


def test_import_keeps_a_cpe_and_export_writes_it(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    sbom = project / "firmware.cdx.json"
    kernel_cpe = "cpe:2.3:o:linux:linux_kernel:6.1.75:*:*:*:*:*:*:*"
    component = {
        "type": "operating-system",
        "bom-ref": "pkg:generic/linux@6.1.75",
        "name": "linux",
        "version": "6.1.75",
        "purl": "pkg:generic/linux@6.1.75",
    }
    sbom.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "version": 1,
                "components": [
                    {**component, "cpe": kernel_cpe},
                    {
                        **component,
                        "bom-ref": "x",
                        "name": "x",
                        "purl": "pkg:generic/x@1",
                        "cpe": "cpe:/a:x:x:1",
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    run = cli("sbom", "import", str(sbom), str(project))
    assert run.code == 0, run.err
    assert "cpe 'cpe:/a:x:x:1' is not a CPE 2.3 formatted string; not kept" in run.out
    loaded = load_project(project).project
    assert loaded is not None
    by_ref = {c.ref: c for c in loaded.sbom.components}
    assert by_ref["pkg:generic/linux@6.1.75"].cpe == kernel_cpe
    assert by_ref["pkg:generic/x@1"].cpe is None
    assert cli("sbom", "export", str(project), "-o", str(tmp_path / "out")).code == 0
    exported = json.loads((tmp_path / "out" / "sbom.cdx.json").read_text(encoding="utf-8"))
    assert {c["name"]: c.get("cpe") for c in exported["components"]}["linux"] == kernel_cpe


def test_a_flaw_found_by_osv_and_by_a_cve_record_is_one_vulnerability(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    osv = tmp_path / "osv"
    osv.mkdir()
    (osv / "PYSEC-2099-1.json").write_text(
        json.dumps(
            {
                "id": "PYSEC-2099-1",
                "aliases": ["CVE-2099-0001"],
                "modified": "2099-01-02T00:00:00Z",
                "summary": "Parser overflow",
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": "foo"},
                        "ranges": [
                            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1"}]}
                        ],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    cves = tmp_path / "cves" / "2099" / "0xxx"
    cves.mkdir(parents=True)
    (cves / "CVE-2099-0001.json").write_text(
        json.dumps(
            {
                "dataType": "CVE_RECORD",
                "dataVersion": "5.1",
                "cveMetadata": {"cveId": "CVE-2099-0001", "state": "PUBLISHED"},
                "containers": {
                    "cna": {
                        "providerMetadata": {"orgId": "x", "shortName": "foo"},
                        "descriptions": [{"lang": "en", "value": "Parser overflow in foo"}],
                        "affected": [
                            {
                                "vendor": "foo",
                                "product": "foo",
                                "defaultStatus": "unaffected",
                                "versions": [
                                    {"version": "0", "lessThan": "1.1", "status": "affected"}
                                ],
                            }
                        ],
                    }
                },
            }
        ),
        encoding="utf-8",
    )
    (project / "sbom.yaml").write_text(
        "components:\n  - ref: pkg:pypi/foo@1.0\n    name: foo\n    version: '1.0'\n"
        "    purl: pkg:pypi/foo@1.0\n    cpe: cpe:2.3:a:foo:foo:1.0:*:*:*:*:*:*:*\n"
        "    support: actively_maintained\n    justification: example\n",
        encoding="utf-8",
    )
    run = cli(
        "scan",
        str(project),
        "--osv",
        str(osv),
        "--cve",
        str(tmp_path / "cves"),
        "--as-of",
        AS_OF,
        "--format",
        "json",
    )
    assert run.code == 1, run.out + run.err
    found = messages(json.loads(run.out), "CF440")
    assert found == [found[0]] and found[0].startswith("CVE-2099-0001 (PYSEC-2099-1) affects")
    loaded = load_project(project).project
    assert loaded is not None
    (recorded,) = loaded.vulnerabilities.vulnerabilities
    assert (recorded.id, recorded.aliases) == ("CVE-2099-0001", ("PYSEC-2099-1",))


def test_a_version_bump_does_not_break_the_evidence_of_the_old_version(
    cli: Callable[..., Run], pump: Path
) -> None:
    """Evidence is history: a scan's evidence covering django 4.2.15 stays valid after
    the SBOM moves to 4.2.16 (it was two CF121 errors and a blocked commit)."""
    evidence = (pump / "evidence.yaml").read_text(encoding="utf-8")
    assert "pkg:pypi/django@4.2.15" in evidence
    for name in ("sbom/gateway.yaml", "architecture.yaml"):
        path = pump / name
        path.write_text(
            path.read_text(encoding="utf-8").replace("django@4.2.15", "django@4.2.16"),
            encoding="utf-8",
        )
    run = cli("validate", str(pump), "--format", "json")
    codes = [d["code"] for d in json.loads(run.out)["diagnostics"]]
    assert "CF121" not in codes, run.out
