"""Where the packaged data lives: `schemas/` and `templates/` (wheel or source checkout)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder `name` ("schemas" or "templates") shipped with cyberfile.

    A wheel carries it inside the package (`cyberfile/_data/`); a source checkout or an
    editable install has it at the top of the repository.
    """
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent.parent / name
