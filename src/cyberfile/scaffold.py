"""`cyberfile init`: write a new device project from the bundled templates."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from cyberfile import dates
from cyberfile.errors import UsageError
from cyberfile.model.project import MANIFEST_NAME
from cyberfile.resources import data_dir
from cyberfile.schema import schema_files


class ScaffoldError(UsageError):
    """The project could not be created; nothing was overwritten."""


def _yaml_text(value: str) -> str:
    """A value for a double-quoted YAML scalar (JSON string escaping is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def scaffold(
    target: Path, *, device_name: str, manufacturer: str, effective: date | None = None
) -> list[Path]:
    """Create the project; refuse when any file it would write already exists. The
    management plan takes effect on `effective` (default: today, or SOURCE_DATE_EPOCH's
    day), so a new project owes no evidence yet."""
    day = (effective or dates.today()).isoformat()
    source = data_dir("templates") / "init"
    files: dict[Path, str] = {}
    for template in sorted(source.rglob("*")):
        if template.is_file():
            text = template.read_text(encoding="utf-8")
            text = (
                text.replace("{{device_name}}", _yaml_text(device_name))
                .replace("{{manufacturer}}", _yaml_text(manufacturer))
                .replace("{{today}}", day)
            )
            files[target / template.relative_to(source)] = text
    for name, text in schema_files().items():
        files[target / "schemas" / name] = text
    if (target / MANIFEST_NAME).exists():
        raise ScaffoldError(f"{target.as_posix()} already holds a project ({MANIFEST_NAME})")
    existing = [p for p in files if p.exists()]
    if existing:
        raise ScaffoldError(
            f"{existing[0].as_posix()} already exists; init writes into an empty folder"
        )
    if target.exists() and not target.is_dir():
        raise ScaffoldError(f"{target.as_posix()} exists and is not a folder")
    written = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as handle:
                handle.write(text)
            written.append(path)
    except OSError as exc:
        raise ScaffoldError(f"cannot write {exc.filename}: {exc.strerror or exc}") from None
    return written
