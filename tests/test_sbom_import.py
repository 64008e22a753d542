"""`cyberfile sbom import`: real SBOMs import; the team's annotations and comments survive."""

from __future__ import annotations

import difflib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cyberfile.load.project import load_project

from .conftest import EXAMPLE, SHARED_DATA, Run, shared_data_files, tree_digest

SBOMS = shared_data_files("cyclonedx/SBOM", "*.json")
SPEC_TESTS = SHARED_DATA / "cyclonedx" / "spec-tests"


def _sbom_param(path: Path) -> Any:
    """The two big SBOMs (keycloak, juice-shop: 800+ components) take seconds each."""
    # every real SBOM is a whole import and re-import: the quick loop leaves them to CI
    return pytest.param(path, id=path.parent.name, marks=[pytest.mark.slow])


@pytest.mark.shared_data("cyclonedx/SBOM")
@pytest.mark.parametrize("sbom", [_sbom_param(path) for path in SBOMS])
def test_real_sboms_import_and_reimport_changes_nothing(
    cli: Callable[..., Run], project: Path, sbom: Path
) -> None:
    components = json.loads(sbom.read_text(encoding="utf-8"))["components"]
    run = cli("sbom", "import", "--copy", str(sbom), str(project))
    assert run.code == 0, run.err
    loaded = load_project(project)
    assert loaded.project is not None
    assert len(loaded.project.sbom.components) == len(
        {c.get("purl") or c["name"] for c in components}
    )
    assert loaded.project.sbom.source is not None
    assert (
        loaded.project.sbom.source.sha256
        == __import__("hashlib").sha256(sbom.read_bytes()).hexdigest()
    )
    assert cli("validate", str(project)).code == 0  # warnings only: support unknown, unused
    before = tree_digest(project)
    again = cli("sbom", "import", "--copy", str(sbom), str(project))
    assert again.code == 0 and "0 added, 0 removed, 0 version changes, 0 updated" in again.out
    assert tree_digest(project) == before


def _cyclonedx(
    project_root: Path, *, sbom: str, drop: str, bump: tuple[str, str], add: dict[str, Any]
) -> dict:
    """A CycloneDX 1.6 document of one of the example's SBOMs, changed as a new build
    would."""
    project = load_project(project_root).project
    assert project is not None
    members = set(project.sbom_members[sbom])
    components = []
    for c in project.sbom.components:
        if c.ref not in members or c.ref == drop:
            continue
        ref, version = c.ref, c.version
        if c.ref == bump[0]:
            ref, version = bump[1], bump[1].rsplit("@", 1)[1]
        entry: dict[str, Any] = {
            "type": c.type.value,
            "bom-ref": ref,
            "name": c.name,
            "version": version,
            "purl": ref,
        }
        if c.supplier:
            entry["supplier"] = {"name": c.supplier}
        if c.licenses:
            entry["licenses"] = [{"expression": " AND ".join(c.licenses)}]
        components.append(entry)
    components.append(add)
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {
            "timestamp": "2026-11-20T10:00:00Z",
            "authors": [{"name": "Example Medical Build"}],
        },
        "components": components,
    }


def test_annotations_and_comments_survive(cli: Callable[..., Run], tmp_path: Path) -> None:
    root = tmp_path / "pump"
    shutil.copytree(EXAMPLE, root)
    sbom_yaml = root / "sbom" / "gateway.yaml"  # the example's gateway SBOM
    original = sbom_yaml.read_text(encoding="utf-8")
    document = _cyclonedx(
        root,
        sbom="gateway",
        drop="pkg:pypi/segno@1.6.1",
        bump=("pkg:pypi/django@4.2.15", "pkg:pypi/django@4.2.16"),
        add={
            "type": "library",
            "bom-ref": "pkg:pypi/structlog@24.4.0",
            "name": "structlog",
            "version": "24.4.0",
            "purl": "pkg:pypi/structlog@24.4.0",
        },
    )
    (tmp_path / "build.cdx.json").write_text(json.dumps(document), encoding="utf-8")
    run = cli(
        "sbom", "import", "--copy", str(tmp_path / "build.cdx.json"), str(root), "--name", "gateway"
    )
    assert run.code == 0, run.err
    assert "version changed  pkg:pypi/django@4.2.15 -> pkg:pypi/django@4.2.16" in run.out
    assert "added            pkg:pypi/structlog@24.4.0  (support: unknown)" in run.out
    assert "removed          pkg:pypi/segno@1.6.1" in run.out

    after = sbom_yaml.read_text(encoding="utf-8")
    diff = [
        line
        for line in difflib.unified_diff(
            original.splitlines(), after.splitlines(), n=0, lineterm=""
        )
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    removed = [line[1:] for line in diff if line.startswith("-")]
    # every comment line of the original is still there
    assert not [line for line in removed if line.lstrip().startswith("#")]
    project = load_project(root).project
    assert project is not None
    django = next(c for c in project.sbom.components if c.name == "django")
    assert django.ref == "pkg:pypi/django@4.2.16" and django.version == "4.2.16"
    old = load_project(EXAMPLE).project
    assert old is not None
    old_django = next(c for c in old.sbom.components if c.name == "django")
    for kept in ("support", "end_of_support", "support_evidence", "replacement_plan"):
        assert getattr(django, kept) == getattr(old_django, kept)
    source = next(s for s in project.sbom.sources if s.name == "gateway")
    assert source.file == "artifacts/sbom/build.cdx.json"  # copied in with --copy
    assert source.authors == ("Example Medical Build",)
    # the gateway asset follows the version change
    gateway_refs = {r for a in project.architecture.assets for r in a.components}
    assert "pkg:pypi/django@4.2.16" in gateway_refs and "pkg:pypi/django@4.2.15" not in gateway_refs
    assert "architecture.yaml: pkg:pypi/django@4.2.15 -> pkg:pypi/django@4.2.16" in run.out


@pytest.mark.shared_data("cyclonedx/spec-tests")
@pytest.mark.parametrize(
    "name",
    [
        "1.6/invalid-bomformat-1.6.json",
        "1.6/invalid-component-type-1.6.json",
        "1.5/invalid-dependency-1.5.json",
        "1.4/invalid-component-ref-1.4.json",
    ],
)
def test_invalid_files_change_nothing(cli: Callable[..., Run], project: Path, name: str) -> None:
    before = tree_digest(project)
    run = cli("sbom", "import", "--copy", str(SPEC_TESTS / name), str(project))
    assert run.code == 2
    assert name.split("/")[1] in run.err and "Traceback" not in run.err
    assert tree_digest(project) == before


def test_not_an_sbom(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}', encoding="utf-8")
    run = cli("sbom", "import", "--copy", str(bad), str(project))
    assert run.code == 2 and "not a CycloneDX document" in run.err
    bad.write_bytes(b"\x00\x01garbage")
    assert cli("sbom", "import", "--copy", str(bad), str(project)).code == 2
    assert cli("sbom", "import", "--copy", str(tmp_path / "missing.json"), str(project)).code == 2


def test_xml_sbom_imports(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    xml = tmp_path / "bom.xml"
    xml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1"'
        ' serialNumber="urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79">\n'
        "  <metadata><timestamp>2026-11-20T10:00:00Z</timestamp></metadata>\n"
        "  <components>\n"
        '    <component type="library" bom-ref="pkg:pypi/six@1.16.0">\n'
        "      <name>six</name><version>1.16.0</version><purl>pkg:pypi/six@1.16.0</purl>\n"
        "    </component>\n"
        "  </components>\n"
        "</bom>\n",
        encoding="utf-8",
    )
    run = cli("sbom", "import", "--copy", str(xml), str(project))
    assert run.code == 0, run.err
    loaded = load_project(project).project
    assert loaded is not None
    assert [c.ref for c in loaded.sbom.components] == ["pkg:pypi/six@1.16.0"]
    assert loaded.sbom.source is not None and loaded.sbom.source.timestamp == "2026-11-20T10:00:00Z"


def test_xml_entity_bomb_is_refused(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components>&b;</components></bom>\n',
        encoding="utf-8",
    )
    before = tree_digest(project)
    run = cli("sbom", "import", "--copy", str(bomb), str(project))
    assert run.code == 2 and "not a safe" in run.err
    assert tree_digest(project) == before


@pytest.mark.shared_data("cyclonedx/SBOM")
def test_dry_run_writes_nothing(cli: Callable[..., Run], project: Path) -> None:
    before = tree_digest(project)
    run = cli("sbom", "import", "--copy", str(SBOMS[0]), str(project), "--dry-run")
    assert run.code == 0 and "would change" in run.out
    assert tree_digest(project) == before


def test_an_sbom_outside_the_project_is_refused_or_copied(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """A source path that climbs out of the project broke drift on every other checkout."""
    outside = tmp_path / "build" / "firmware.cdx.json"
    outside.parent.mkdir()
    outside.write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}),
        encoding="utf-8",
    )
    before = tree_digest(project)
    refused = cli("sbom", "import", str(outside), str(project))
    assert refused.code == 2 and "is outside the project folder" in refused.err
    assert "--copy" in refused.err and "artifacts/sbom/firmware.cdx.json" in refused.err
    assert tree_digest(project) == before
    copied = cli("sbom", "import", str(outside), str(project), "--copy")
    assert copied.code == 0, copied.err
    assert (project / "artifacts" / "sbom" / "firmware.cdx.json").read_bytes() == (
        outside.read_bytes()
    )
    loaded = load_project(project).project
    assert loaded is not None and loaded.sbom.source is not None
    assert loaded.sbom.source.file == "artifacts/sbom/firmware.cdx.json"
    assert cli("drift", str(project), "--select", "CF410", "--format", "json").code == 0
