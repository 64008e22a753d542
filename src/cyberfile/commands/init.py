"""`cyberfile init`: a new device project that validates, from the bundled templates."""

from __future__ import annotations

from pathlib import Path

from cyberfile.errors import ExitCode
from cyberfile.report.terminal import echo
from cyberfile.scaffold import scaffold


def run(path: Path, name: str, manufacturer: str) -> ExitCode:
    written = scaffold(path, device_name=name, manufacturer=manufacturer)
    echo(
        f"Created {len(written)} files in {path.as_posix()}; next: cyberfile validate "
        f"{path.as_posix()}"
    )
    return ExitCode.OK
