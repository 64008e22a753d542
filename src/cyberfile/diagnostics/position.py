"""A place in a source file, and the path of a value inside a YAML document."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

PathKey = tuple[str | int, ...]
"""Keys and list indexes from a document's root to a value: ("threats", 3, "controls")."""


class Position(NamedTuple):
    """A place in a source file; line and column count from 1."""

    file: Path
    line: int
    column: int
