"""Read an SBOM file of either format, told apart by its content, not its name.

- JSON with `bomFormat` -> CycloneDX; JSON with `spdxVersion` -> SPDX 2 (an SPDX 3 JSON-LD
  document, with `@context` and no `spdxVersion`, is refused by the SPDX reader).
- XML -> CycloneDX when its root is in the CycloneDX namespace (the CycloneDX reader refuses
  any other XML; SPDX RDF/XML is named as such).
- Text whose tags include `SPDXVersion:` -> SPDX tag-value.

Both readers refuse files larger than `MAX_SBOM_BYTES`, and so does this one before it looks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from cyberfile.sbom.cyclonedx_read import (
    MAX_SBOM_BYTES,
    ImportedSbom,
    SbomReadError,
    read_cyclonedx,
)
from cyberfile.sbom.spdx_read import read_spdx

_TAG_VALUE = re.compile(rb"^[ \t]*SPDXVersion[ \t]*:", re.MULTILINE)


def read_sbom(path: Path) -> ImportedSbom:
    """Read a CycloneDX (JSON, XML) or SPDX 2.2/2.3 (JSON, tag-value) SBOM; raise
    SbomReadError, naming the file, if it is neither or cannot be used."""
    kind = sbom_format(path)
    return read_spdx(path) if kind == "spdx" else read_cyclonedx(path)


def sbom_format(path: Path) -> str:
    """`cyclonedx` or `spdx`, from the file's content."""
    try:
        size = path.stat().st_size
        if size > MAX_SBOM_BYTES:
            raise SbomReadError(
                f"{path}: {size} bytes is larger than cyberfile reads ({MAX_SBOM_BYTES} bytes)"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise SbomReadError(f"{path}: cannot read ({exc.strerror or exc})") from None
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise SbomReadError(f"{path}: not valid JSON ({exc})") from None
        if isinstance(document, dict):
            if "spdxVersion" in document or "spdx" in str(document.get("@context")).lower():
                return "spdx"
            if "bomFormat" in document:
                return "cyclonedx"
        raise SbomReadError(
            f"{path}: not a CycloneDX document (no bomFormat) nor an SPDX document (no spdxVersion)"
        )
    if head.startswith(b"<"):
        if b"spdx.org/rdf/terms" in head[:65536]:
            raise SbomReadError(
                f"{path}: SPDX RDF/XML is not supported; export the SBOM as SPDX JSON or "
                "tag-value, or as CycloneDX"
            )
        return "cyclonedx"  # its reader checks the namespace, safely
    if _TAG_VALUE.search(raw):
        return "spdx"
    raise SbomReadError(
        f"{path}: not an SBOM cyberfile reads: CycloneDX (JSON or XML) or SPDX 2.2/2.3 "
        "(JSON or tag-value)"
    )
