"""Load a project YAML file for editing and write it back with comments, key order and
quoting intact. Writes go to a temporary file in the same folder, then replace the
original in one step, so a crash never leaves a half-written file."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from cyberfile.errors import InputError, WriteError


class EditError(InputError):
    """A file could not be edited; nothing was written."""


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    # the format has no anchors: never let a shared object become &id001 / *id001
    yaml.representer.ignore_aliases = lambda *_: True
    return yaml


def load(path: Path) -> CommentedMap:
    """The file as a round-trip mapping (an empty one when the file does not exist)."""
    if not path.exists():
        return CommentedMap()
    try:
        data = _yaml().load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        raise EditError(f"{path}: cannot read for editing ({exc})") from None
    if data is None:
        return CommentedMap()
    if not isinstance(data, CommentedMap):
        raise EditError(f"{path}: expected a mapping at the top of the file")
    return data


def loads(text: str) -> CommentedMap:
    """`text` as a round-trip mapping (for a file about to be written elsewhere)."""
    data = _yaml().load(text)
    if data is None:
        return CommentedMap()
    if not isinstance(data, CommentedMap):
        raise EditError("expected a mapping at the top of the file")
    return data


def dumps(data: Any) -> str:
    stream = io.StringIO()
    _yaml().dump(data, stream)
    return stream.getvalue()


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8) in one step; see write_atomic_bytes."""
    write_atomic_bytes(path, text.encode("utf-8"))


def write_atomic_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step (same folder temp file, fsync, rename), keeping
    its permissions; WriteError, with the file left as it was, when that cannot be done."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            Path(tmp_name).chmod(mode)
            Path(tmp_name).replace(path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise WriteError(f"cannot write {path.as_posix()}: {exc.strerror or exc}") from None


def save(path: Path, data: Any) -> bool:
    """Write `data` to `path` if it changes the file; return whether it did."""
    text = dumps(data)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    write_atomic(path, text)
    return True


def ensure_list(data: CommentedMap, key: str) -> CommentedSeq:
    """The list under `key`, created (empty, block style) when absent or null."""
    value = data.get(key)
    if value is None:
        value = CommentedSeq()
        data[key] = value
    if not isinstance(value, CommentedSeq):
        raise EditError(f"'{key}' is not a list")
    if value.fa.flow_style() and len(value) == 0:
        value.fa.set_block_style()
    return value


def part_file(root: Path, part: str, file_in_folder: str) -> Path:
    """The file a command should write part items into: `PART.yaml` if it exists, else
    `PART/<file_in_folder>` when the part is a folder, else a new `PART.yaml`."""
    single = root / f"{part}.yaml"
    folder = root / part
    if not single.exists() and folder.is_dir():
        return folder / file_in_folder
    return single


def new_file_text(root: Path, target: Path, part: str) -> str:
    """Opening line for a new part file: the editor schema comment, in the style of the
    project's cyberfile.yaml (so it points at the same schema folder)."""
    try:
        first = (root / "cyberfile.yaml").read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError, UnicodeDecodeError):
        return ""
    marker = "# yaml-language-server: $schema="
    if not first.startswith(marker) or not first.endswith("cyberfile.schema.json"):
        return ""
    schema = first[len(marker) :].replace("cyberfile.schema.json", f"{part}.schema.json")
    depth = len(target.parent.relative_to(root).parts)
    return f"{marker}{'../' * depth}{schema}\n"


def load_part_file(root: Path, path: Path, part: str, key: str) -> CommentedMap:
    """`path` for editing; a new file starts with the schema comment and an empty list."""
    if path.exists():
        return load(path)
    data = _yaml().load(new_file_text(root, path, part) + f"{key}: []\n")
    assert isinstance(data, CommentedMap)
    return data
