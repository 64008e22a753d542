"""`cyberfile sbom export`: write the project's CycloneDX SBOM, CycloneDX VEX and OpenVEX."""

from __future__ import annotations

from pathlib import Path

from cyberfile import dates
from cyberfile.errors import ExitCode, WriteError
from cyberfile.load.project import load_clean, one_project
from cyberfile.report.terminal import echo
from cyberfile.sbom.publish import export_documents, write_documents


def run(project: Path | None, cwd: Path, output: Path | None, as_of: str | None) -> ExitCode:
    root = one_project(project, cwd)
    loaded = load_clean(root).project
    assert loaded is not None
    files = export_documents(loaded, dates.requested_document_day(as_of))
    out = output or Path("build") / root.resolve().name
    try:
        written = write_documents(files, out)
    except OSError as exc:
        raise WriteError(f"cannot write {out.as_posix()}: {exc.strerror or exc}") from None
    for path in written:
        echo(f"wrote {path.as_posix()}")
    if "vex.openvex.json" not in files:
        echo(
            "no vulnerabilities recorded: vex.openvex.json not written (OpenVEX needs "
            "at least one statement)"
        )
    return ExitCode.OK
