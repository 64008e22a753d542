"""Bad inputs that used to be accepted: URLs with a scheme that runs code or reads local
files, a data flow from an asset to itself, and a valid CycloneDX SaaSBOM (services with
data classifications) that the CycloneDX library cannot read."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from cyberfile.load.project import load_project

from .conftest import SHARED_DATA, Run, edit, line_of, tree_digest

SAASBOM = "cyclonedx/spec-tests/1.6/valid-saasbom-1.6.json"
SAASBOM_SERVICES = [
    "Stock Ticker Service",
    "Microservice 1",
    "Microservice 2",
    "Microservice 3",
    "Postgres",
    "S3",
]
"""The services of the spec's SaaSBOM, nested ones after their parent."""


def diagnostics(cli: Callable[..., Run], root: Path, *extra: str) -> tuple[int, list[dict]]:
    run = cli("validate", "--format", "json", *extra, str(root))
    assert "Traceback" not in run.out + run.err
    return run.code, json.loads(run.out)["diagnostics"]


def errors(found: list[dict]) -> list[dict]:
    return [d for d in found if d["severity"] == "error"]


def column_of(path: Path, line: int, snippet: str) -> int:
    return path.read_text(encoding="utf-8").splitlines()[line - 1].index(snippet) + 1


# Written as YAML double-quoted scalars, so that control characters can be spelt.
HOSTILE = {
    "javascript": '"javascript:alert(document.domain)"',
    "mixed-case": '"JaVaScRiPt:alert(1)"',
    "leading-space": '" javascript:alert(1)"',
    "leading-tab-and-newline": '"\\t\\njavascript:alert(1)"',
    "leading-control": '"\\x01\\x1fjavascript:alert(1)"',
    "tab-inside-scheme": '"java\\tscript:alert(1)"',
    "data": '"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="',
    "data-upper": '"DATA:text/html,<script>alert(1)</script>"',
    "file": '"file:///etc/passwd"',
    "vbscript": '"vbscript:msgbox(1)"',
    "javascript-space-after-colon": '"javascript: alert(1)"',
    "app-protocol": '"ms-msdt:/id PCWDiagnostic /skip force"',
}
SCHEME = {
    "javascript": "javascript",
    "mixed-case": "javascript",
    "leading-space": "javascript",
    "leading-tab-and-newline": "javascript",
    "leading-control": "javascript",
    "tab-inside-scheme": "javascript",
    "data": "data",
    "data-upper": "data",
    "file": "file",
    "vbscript": "vbscript",
    "javascript-space-after-colon": "javascript",
    "app-protocol": "ms-msdt",
}


def _set_policy_url(project: Path, written: str) -> tuple[Path, str]:
    path = project / "postmarket.yaml"
    edit(
        path,
        "  contact: security@example.com\n",
        f"  contact: security@example.com\n  policy_url: {written}\n",
    )
    return path, f"policy_url: {written}"


def _add_component(project: Path, written: str) -> tuple[Path, str]:
    """A component used by the device's firmware, with support_evidence `written`."""
    path = project / "sbom.yaml"
    edit(
        path,
        "components: []",
        "components:\n"
        "  - ref: pkg:pypi/six@1.16.0\n"
        "    name: six\n"
        "    version: 1.16.0\n"
        "    supplier: Benjamin Peterson\n"
        "    purl: pkg:pypi/six@1.16.0\n"
        "    support: actively_maintained\n"
        "    end_of_support: 2030-01-01\n"
        f"    support_evidence: {written}\n",
    )
    edit(project / "architecture.yaml", "components: []", "components: [pkg:pypi/six@1.16.0]")
    return path, f"support_evidence: {written}"


def _add_support_rule(project: Path, written: str) -> tuple[Path, str]:
    path = project / "sbom.yaml"
    edit(
        path,
        "components: []",
        "components: []\n"
        "support_rules:\n"
        "  - id: SUP-PYPI\n"
        "    match: {purl_type: pypi}\n"
        "    support: actively_maintained\n"
        f"    support_evidence: {written}\n",
    )
    return path, f"support_evidence: {written}"


def _set_contact(project: Path, written: str) -> tuple[Path, str]:
    path = project / "postmarket.yaml"
    edit(path, "  contact: security@example.com\n", f"  contact: {written}\n")
    return path, f"contact: {written}"


FIELDS = {
    "cvd.policy_url": _set_policy_url,
    "component.support_evidence": _add_component,
    "support_rule.support_evidence": _add_support_rule,
    "cvd.contact": _set_contact,
}


def _refused_once(
    cli: Callable[..., Run], project: Path, path: Path, key: str, written: str, scheme: str
) -> dict:
    code, found = diagnostics(cli, project)
    assert code == 1, found
    [error] = errors(found)  # one mistake, one error: no dangling reference follows
    assert error["code"] == "CF110" and error["name"] == "invalid-value"
    assert Path(error["file"]).resolve() == path.resolve()
    line = line_of(path, key)
    assert error["line"] == line
    assert error["column"] == column_of(path, line, written)
    assert f"scheme '{scheme}:'" in error["message"]
    assert "https, http or mailto" in error["message"]
    assert "https, http and mailto" in error["hint"]
    return error


@pytest.mark.parametrize("field", ["cvd.policy_url", "component.support_evidence"])
@pytest.mark.parametrize("case", list(HOSTILE))
def test_url_with_another_scheme_is_cf110_at_its_value(
    cli: Callable[..., Run], project: Path, field: str, case: str
) -> None:
    written = HOSTILE[case]
    path, key = FIELDS[field](project, written)
    _refused_once(cli, project, path, key, written, SCHEME[case])


@pytest.mark.parametrize("field", ["support_rule.support_evidence", "cvd.contact"])
@pytest.mark.parametrize("case", ["mixed-case", "leading-control", "data", "file", "vbscript"])
def test_other_url_fields_refuse_other_schemes(
    cli: Callable[..., Run], project: Path, field: str, case: str
) -> None:
    written = HOSTILE[case]
    path, key = FIELDS[field](project, written)
    _refused_once(cli, project, path, key, written, SCHEME[case])


def test_text_output_names_file_line_and_column(cli: Callable[..., Run], project: Path) -> None:
    path, key = _set_policy_url(project, '"javascript:alert(1)"')
    run = cli("validate", str(project))
    assert run.code == 1 and "Traceback" not in run.out + run.err
    line = line_of(path, key)
    column = column_of(path, line, '"javascript:alert(1)"')
    assert f"postmarket.yaml:{line}:{column}: CF110 error cvd.policy_url:" in run.out


@pytest.mark.parametrize("field", list(FIELDS))
@pytest.mark.parametrize(
    "written",
    [
        "https://example.com/security/cvd",
        "http://example.com/support?a=1&b=2#lifecycle",
        "mailto:security@example.com",
        "HTTPS://EXAMPLE.COM/SUPPORT",
    ],
)
def test_https_http_and_mailto_urls_pass(
    cli: Callable[..., Run], project: Path, field: str, written: str
) -> None:
    FIELDS[field](project, written)
    code, found = diagnostics(cli, project)
    assert code == 0 and not errors(found), found


@pytest.mark.parametrize("field", ["component.support_evidence", "support_rule.support_evidence"])
@pytest.mark.parametrize(
    "written",
    [
        "SOP-114 rev C",
        "SOP-PS-012 Third-party software component management, rev. D",
        "'Vendor letter: supported until 2030 (CR-1432)'",
        "'Note: see the supplier statement in DHF-22'",
        "'IEC-62443-4-1:2018 clause 7'",
        "'C:\\docs\\support.pdf'",
    ],
)
def test_free_text_support_evidence_still_passes(
    cli: Callable[..., Run], project: Path, field: str, written: str
) -> None:
    FIELDS[field](project, written)
    code, found = diagnostics(cli, project)
    assert code == 0 and not errors(found), found


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("www.example.com/cvd", "is not a URL"),
        ("ftp://ftp.example.com/cvd.txt", "scheme 'ftp:'"),
        ('"https://example.com/a b"', "may not contain spaces"),
        ("https://", "is not a complete https URL"),
    ],
)
def test_policy_url_must_be_a_whole_web_url(
    cli: Callable[..., Run], project: Path, written: str, says: str
) -> None:
    path, key = _set_policy_url(project, written)
    code, found = diagnostics(cli, project)
    assert code == 1
    [error] = errors(found)
    assert error["code"] == "CF110" and says in error["message"], error
    assert error["line"] == line_of(path, key)


def test_support_evidence_with_another_web_scheme_is_refused(
    cli: Callable[..., Run], project: Path
) -> None:
    path, key = _add_component(project, "ftp://ftp.gnu.org/gnu/glibc/")
    _refused_once(cli, project, path, key, "ftp://ftp.gnu.org/gnu/glibc/", "ftp")


def test_feed_url_error_says_https_or_http(cli: Callable[..., Run], project: Path) -> None:
    manifest = project / "cyberfile.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8") + "feeds:\n  kev: {url: 'file:///etc/passwd'}\n",
        encoding="utf-8",
    )
    code, found = diagnostics(cli, project)
    assert code == 1
    [error] = errors(found)
    assert error["code"] == "CF110" and "is not an https or http URL" in error["message"]
    assert error["line"] == line_of(manifest, "kev: {url:")


# -- a data flow from an asset to itself -------------------------------------------------


def test_data_flow_to_itself_is_a_warning_at_to(cli: Callable[..., Run], project: Path) -> None:
    architecture = project / "architecture.yaml"
    edit(architecture, "    from: AST-APP\n", "    from: AST-DEVICE-FW\n")
    code, found = diagnostics(cli, project)
    assert code == 0  # a warning: the default --fail-on is error
    [loop] = [d for d in found if d["code"] == "CF123"]
    assert loop["name"] == "data-flow-self-loop" and loop["severity"] == "warning"
    line = line_of(architecture, "    to: AST-DEVICE-FW")
    assert (loop["line"], loop["column"]) == (line, column_of(architecture, line, "AST-DEVICE-FW"))
    assert Path(loop["file"]).resolve() == architecture.resolve()
    assert "DF-APP-DEVICE" in loop["message"] and "'AST-DEVICE-FW'" in loop["message"]
    assert "from" in loop["hint"] and "to" in loop["hint"]
    assert cli("validate", "--fail-on", "warning", str(project)).code == 1
    text = cli("validate", str(project)).out
    assert f"architecture.yaml:{line}:" in text and "CF123 warning" in text


def test_a_data_flow_between_two_assets_is_not_a_loop(
    cli: Callable[..., Run], project: Path
) -> None:
    _, found = diagnostics(cli, project)
    assert "CF123" not in {d["code"] for d in found}


def test_a_loop_on_an_undefined_asset_is_only_the_dangling_references(
    cli: Callable[..., Run], project: Path
) -> None:
    architecture = project / "architecture.yaml"
    edit(
        architecture,
        "    from: AST-APP\n    to: AST-DEVICE-FW\n",
        "    from: AST-NOPE\n    to: AST-NOPE\n",
    )
    code, found = diagnostics(cli, project)
    assert code == 1
    assert sorted(d["code"] for d in errors(found)) == ["CF121", "CF121"]
    assert "CF123" not in {d["code"] for d in found}


def test_self_loop_can_be_ignored_like_any_rule(cli: Callable[..., Run], project: Path) -> None:
    edit(project / "architecture.yaml", "    from: AST-APP\n", "    from: AST-DEVICE-FW\n")
    _, found = diagnostics(cli, project, "--ignore", "CF123")
    assert "CF123" not in {d["code"] for d in found}


# -- CycloneDX SaaSBOM: services are noted, components are imported ---------------------


def _import(cli: Callable[..., Run], project: Path, name: str) -> Run:
    run = cli("sbom", "import", name, str(project), cwd=project)
    assert "Traceback" not in run.out + run.err
    return run


@pytest.mark.shared_data(SAASBOM)
def test_spec_saasbom_imports_and_names_the_services_it_skips(
    cli: Callable[..., Run], project: Path
) -> None:
    source = SHARED_DATA / SAASBOM
    shutil.copy(source, project / "saasbom.cdx.json")
    run = _import(cli, project, "saasbom.cdx.json")
    assert run.code == 0, run.err
    assert "CycloneDX 1.6, 0 components" in run.out
    note = next(line for line in run.out.splitlines() if "not imported" in line)
    assert "6 services not imported" in note and "sbom.yaml lists components" in note
    for name in SAASBOM_SERVICES:
        assert name in note
    loaded = load_project(project).project
    assert loaded is not None and loaded.sbom.components == ()
    assert loaded.sbom.source is not None
    assert loaded.sbom.source.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert loaded.sbom.source.spec_version == "1.6"
    before = tree_digest(project)
    again = _import(cli, project, "saasbom.cdx.json")
    assert again.code == 0 and "0 added, 0 removed, 0 version changes, 0 updated" in again.out
    assert "6 services not imported" in again.out
    assert tree_digest(project) == before
    assert cli("validate", str(project)).code == 0


@pytest.mark.shared_data(SAASBOM)
def test_saasbom_with_components_keeps_every_component(
    cli: Callable[..., Run], project: Path
) -> None:
    document = json.loads((SHARED_DATA / SAASBOM).read_text(encoding="utf-8"))
    document["components"] = [
        {
            "type": "library",
            "bom-ref": "pkg:pypi/six@1.16.0",
            "name": "six",
            "version": "1.16.0",
            "purl": "pkg:pypi/six@1.16.0",
        },
        {
            "type": "library",
            "bom-ref": "pkg:npm/express@4.19.2",
            "name": "express",
            "version": "4.19.2",
            "purl": "pkg:npm/express@4.19.2",
            "components": [
                {
                    "type": "library",
                    "bom-ref": "pkg:npm/qs@6.11.0",
                    "name": "qs",
                    "version": "6.11.0",
                    "purl": "pkg:npm/qs@6.11.0",
                }
            ],
        },
    ]
    document["dependencies"].append(
        {"ref": "pkg:npm/express@4.19.2", "dependsOn": ["pkg:npm/qs@6.11.0", "ms-1.example.com"]}
    )
    (project / "saas.cdx.json").write_text(json.dumps(document), encoding="utf-8")
    run = _import(cli, project, "saas.cdx.json")
    assert run.code == 0, run.err
    assert "3 components" in run.out and "6 services not imported" in run.out
    loaded = load_project(project).project
    assert loaded is not None
    components = {c.ref: c for c in loaded.sbom.components}
    assert set(components) == {
        "pkg:pypi/six@1.16.0",
        "pkg:npm/express@4.19.2",
        "pkg:npm/qs@6.11.0",
    }
    # the edge to a service is not a component edge; the one to qs is kept
    assert components["pkg:npm/express@4.19.2"].depends_on == ("pkg:npm/qs@6.11.0",)
    before = tree_digest(project)
    again = _import(cli, project, "saas.cdx.json")
    assert again.code == 0 and "0 added, 0 removed" in again.out
    assert tree_digest(project) == before


def test_xml_services_are_noted_and_components_kept(cli: Callable[..., Run], project: Path) -> None:
    (project / "saas.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">\n'
        "  <components>\n"
        '    <component type="library" bom-ref="pkg:pypi/six@1.16.0">\n'
        "      <name>six</name><version>1.16.0</version><purl>pkg:pypi/six@1.16.0</purl>\n"
        "    </component>\n"
        "  </components>\n"
        "  <services>\n"
        '    <service bom-ref="svc-api"><name>Dose API</name>\n'
        '      <data><dataflow name="to cloud"><classification flow="outbound">PHI'
        "</classification></dataflow></data>\n"
        '      <services><service bom-ref="svc-db"><name>Dose store</name></service>'
        "</services>\n"
        "    </service>\n"
        "  </services>\n"
        "</bom>\n",
        encoding="utf-8",
    )
    run = _import(cli, project, "saas.xml")
    assert run.code == 0, run.err
    assert "2 services not imported (Dose API, Dose store)" in run.out
    loaded = load_project(project).project
    assert loaded is not None
    assert [c.ref for c in loaded.sbom.components] == ["pkg:pypi/six@1.16.0"]


@pytest.mark.shared_data("cyclonedx/spec-tests/1.6/invalid-service-data-1.6.json")
def test_an_invalid_service_is_still_refused(cli: Callable[..., Run], project: Path) -> None:
    shutil.copy(
        SHARED_DATA / "cyclonedx/spec-tests/1.6/invalid-service-data-1.6.json",
        project / "bad.cdx.json",
    )
    before = tree_digest(project)
    run = _import(cli, project, "bad.cdx.json")
    assert run.code == 2 and "invalid CycloneDX 1.6" in run.err
    assert tree_digest(project) == before
