"""Generated artefacts stay in step with the code: JSON Schemas, format and rule pages."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from cyberfile.diagnostics.rules import RULES
from cyberfile.docgen import PAGES
from cyberfile.load.yamlsource import read_document
from cyberfile.schema import schema_files

from .conftest import EXAMPLE, REPO, Run


def test_checked_in_schemas_match_the_models() -> None:
    for name, text in schema_files().items():
        path = REPO / "schemas" / name
        assert path.is_file(), f"{name} missing: run `cyberfile schema`"
        assert path.read_text(encoding="utf-8") == text, f"{name} stale: run `cyberfile schema`"


def test_schema_check_command(cli: Callable[..., Run], tmp_path: Path) -> None:
    assert cli("schema", "--check", "-o", str(tmp_path)).code == 1
    assert cli("schema", "-o", str(tmp_path)).code == 0
    assert cli("schema", "--check", "-o", str(tmp_path)).code == 0
    (tmp_path / "threats.schema.json").write_text("{}", encoding="utf-8")
    run = cli("schema", "--check", "-o", str(tmp_path))
    assert run.code == 1 and "threats.schema.json: out of date" in run.out


def test_generated_docs_are_current() -> None:
    for name, generate in PAGES.items():
        path = REPO / "docs" / name
        assert path.read_text(encoding="utf-8") == generate(), (
            f"docs/{name} stale: run `python -m cyberfile.docgen`"
        )


def test_every_rule_is_documented() -> None:
    text = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    for code, rule in RULES.items():
        assert f"## {code} {rule.name}" in text


def _yaml_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.yaml") if "schemas" not in p.parts)


def _schema_for(path: Path, root: Path) -> Path:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix), f"{path} lacks the $schema line"
    return (path.parent / first[len(prefix) :]).resolve()


@pytest.mark.parametrize("which", ["example", "scaffold"])
def test_files_name_their_schema_and_conform_to_it(
    which: str, cli: Callable[..., Run], tmp_path: Path
) -> None:
    """What an editor shows: each file's $schema line resolves and the file conforms."""
    if which == "example":
        root = EXAMPLE
    else:
        root = tmp_path / "p"
        assert cli("init", str(root)).code == 0
    files = _yaml_files(root)
    assert files
    for path in files:
        schema_path = _schema_for(path, root)
        assert schema_path.is_file(), f"{path}: $schema points at missing {schema_path}"
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        data = read_document(path).data
        jsonschema.validate(data, schema)


def test_invalid_data_is_flagged_by_the_schema_too() -> None:
    schema = json.loads((REPO / "schemas" / "threats.schema.json").read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"threats": [{"id": "THR-001", "titel": "x"}]}, schema)


def test_mkdocs_site_builds_strictly(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "s")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "s" / "rules" / "index.html").is_file()
