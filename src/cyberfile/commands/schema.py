"""`cyberfile schema`: regenerate the JSON Schemas of every YAML file, or check them."""

from __future__ import annotations

from pathlib import Path

from cyberfile.errors import ExitCode, WriteError
from cyberfile.report.terminal import echo
from cyberfile.schema import stale_schemas, write_schemas


def run(output: Path, check: bool) -> ExitCode:
    if check:
        stale = stale_schemas(output)
        for name in stale:
            echo(f"{(output / name).as_posix()}: out of date; run `cyberfile schema`")
        return ExitCode.FINDINGS if stale else ExitCode.OK
    try:
        changed = write_schemas(output)
    except OSError as exc:
        raise WriteError(f"cannot write {output.as_posix()}: {exc.strerror or exc}") from None
    echo(f"{len(changed)} schema file(s) updated in {output.as_posix()}")
    return ExitCode.OK
