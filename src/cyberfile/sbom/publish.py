"""The machine-readable files a project publishes (`sbom export`, `build`): CycloneDX SBOM,
SPDX SBOM, CycloneDX VEX and OpenVEX, byte-identical for the same project and date."""

from __future__ import annotations

import json
import warnings
from datetime import date
from pathlib import Path

from cyberfile.dates import midnight_utc
from cyberfile.edit.roundtrip import write_atomic
from cyberfile.model.project import Project
from cyberfile.sbom.cyclonedx_write import cyclonedx_sbom, cyclonedx_vex
from cyberfile.sbom.openvex import openvex
from cyberfile.sbom.spdx_write import spdx_sbom


def export_documents(project: Project, as_of: date | None) -> dict[str, str]:
    """File name -> content. OpenVEX is left out when there is no statement to make
    (its schema requires at least one)."""
    timestamp = midnight_utc(project.document_date(as_of))
    with warnings.catch_warnings():
        # the library warns about incomplete dependency graphs; validate reports
        # unused components (CF205) with file and line instead
        warnings.simplefilter("ignore", UserWarning)
        sbom = cyclonedx_sbom(project, timestamp=timestamp)
        serial = json.loads(sbom)["serialNumber"]
        files = {
            "sbom.cdx.json": sbom,
            "sbom.spdx.json": spdx_sbom(project, timestamp=timestamp),
            "vex.cdx.json": cyclonedx_vex(project, timestamp=timestamp, sbom_serial=serial),
        }
        if project.vulnerabilities.vulnerabilities:
            files["vex.openvex.json"] = openvex(project, timestamp=timestamp)
    return files


def write_documents(files: dict[str, str], out: Path) -> list[Path]:
    written = []
    for name, text in files.items():
        path = out / name
        write_atomic(path, text)
        written.append(path)
    return written
