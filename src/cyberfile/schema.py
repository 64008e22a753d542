"""JSON Schemas of every YAML file, generated from the models (`cyberfile schema`)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from cyberfile.model.base import format_duration
from cyberfile.model.manifest import Manifest
from cyberfile.model.project import MANIFEST_NAME, PARTS

DIALECT = "https://json-schema.org/draft/2020-12/schema"


class CyberfileJsonSchema(GenerateJsonSchema):
    """Writes defaults the way users write them (durations as `30d`, not `P30D`)."""

    def encode_default(self, dft: Any) -> Any:
        if isinstance(dft, timedelta):
            return format_duration(dft)
        return super().encode_default(dft)


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(
        by_alias=True, mode="validation", schema_generator=CyberfileJsonSchema
    )


def _document(model: type[BaseModel], title: str, description: str) -> str:
    schema = json_schema(model)
    document = {"$schema": DIALECT, "title": title, "description": description, **schema}
    document["title"] = title
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def schema_files() -> dict[str, str]:
    """File name -> JSON text, for the manifest and each part."""
    files = {
        "cyberfile.schema.json": _document(
            Manifest, MANIFEST_NAME, "cyberfile project manifest: the device, 524B answers, policy."
        )
    }
    for spec in PARTS:
        files[f"{spec.name}.schema.json"] = _document(
            spec.schema_model, f"{spec.name}.yaml", f"cyberfile {spec.name}: {spec.summary}"
        )
    return files


def write_schemas(folder: Path) -> list[Path]:
    """Write every schema into `folder`; return the files whose content changed."""
    folder.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in schema_files().items():
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            tmp = path.with_name(f".{name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
            changed.append(path)
    return changed


def stale_schemas(folder: Path) -> list[str]:
    """Names of schema files in `folder` that are missing or differ from the models."""
    stale = []
    for name, text in schema_files().items():
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale
