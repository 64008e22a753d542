"""What every exported SBOM and VEX document shares: the device's name, ids and JSON form.

The CycloneDX writer (`cyclonedx_write`) and the OpenVEX writer (`openvex`) name the
device by one package URL, stamp one UTC timestamp, derive their serial number or `@id`
from the document content (uuid5, never drawn at random) and serialise with sorted keys,
so the same project and timestamp give byte-identical documents in every process. Both
VEX formats also word a vulnerability's aliases and what customers should do alike.

Every string comes from untrusted YAML. It reaches the output only through a JSON
serialiser (cyclonedx-python-lib, then `json.dumps`), never through string concatenation.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from packageurl import PackageURL

from cyberfile.model.manifest import Device
from cyberfile.model.sbom import SbomSource
from cyberfile.model.vocabulary import RemediationResponse
from cyberfile.model.vulnerabilities import Vulnerability

__all__ = [
    "action_statement",
    "as_utc",
    "content_uuid",
    "device_purl",
    "dump_json",
    "package_url",
    "source_timestamp",
    "sources_timestamp",
    "tool_parts",
    "vulnerability_aliases",
]

# Serial numbers are uuid5 names in this namespace (a fixed, once-drawn UUID), so they
# cannot collide with uuid5 serials other tools derive in the standard namespaces.
_SERIAL_NAMESPACE = uuid.UUID("b002db74-5ae1-4149-a5f1-6c6659f9fa2f")

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# An SBOM timestamp as RFC 3339 (and CycloneDX) write it: a date-time with a zone.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")

_RESPONSE_ACTIONS: Mapping[RemediationResponse, str] = {
    RemediationResponse.UPDATE: "Update the device software to the fixed release",
    RemediationResponse.ROLLBACK: "Roll back the device software to an unaffected release",
    RemediationResponse.WORKAROUND_AVAILABLE: "Apply the workaround published by the manufacturer",
    RemediationResponse.WILL_NOT_FIX: "The manufacturer will not fix this vulnerability",
    RemediationResponse.CAN_NOT_FIX: "The manufacturer cannot fix this vulnerability",
}
_NO_ACTION = "No remediation recorded yet; see assessment."


def device_purl(device: Device) -> str:
    """The package URL naming the device in SBOM and VEX documents.

    `device.purl` when the project sets one; otherwise
    `pkg:generic/<manufacturer>/<model or name>@<version>` with both names slugged (lower
    case, accents folded, every run of other characters one hyphen), encoded by PackageURL.
    """
    if device.purl is not None:
        return device.purl
    name = _slug(device.model or "") or _slug(device.name) or "device"
    purl = PackageURL(
        type="generic",
        namespace=_slug(device.manufacturer) or None,
        name=name,
        version=device.version,
    )
    return str(purl.to_string())


def _slug(text: str) -> str:
    # Fold accents first so "Médical" becomes "medical" rather than "m-dical".
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub("-", folded.lower()).strip("-")


def source_timestamp(source: SbomSource | None) -> datetime | None:
    """The imported SBOM's own timestamp (`sbom.source.timestamp`), when recorded as an
    RFC 3339 date-time; the exported SBOM keeps it as its `metadata.timestamp`.

    `sbom import` stores it from a schema-valid file; a hand-written value that is not a
    date-time with a zone is not used (the document date stands instead).
    """
    text = source.timestamp if source else None
    if not text or not _RFC3339.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def sources_timestamp(sources: Sequence[SbomSource]) -> datetime | None:
    """The newest usable timestamp among the imported SBOMs: the device SBOM was assembled
    no earlier than its newest part. None when none records one."""
    stamps = [t for t in (source_timestamp(s) for s in sources) if t is not None]
    return max(stamps, key=as_utc) if stamps else None


_TOOL_VERSION = re.compile(r"v?\d\S*")


def tool_parts(text: str) -> tuple[str, str | None]:
    """A tool as `sbom import` recorded it, "NAME VERSION" (or "NAME" alone), as (name,
    version): the last word is the version when it looks like one (a digit, or `v` and a
    digit, first); otherwise the whole text is the name. Both SBOM writers split so."""
    name, _, last = text.strip().rpartition(" ")
    if name and _TOOL_VERSION.fullmatch(last):
        return name, last
    return text.strip(), None


def as_utc(timestamp: datetime) -> datetime:
    """`timestamp` in UTC; a naive datetime is refused (ValueError)."""
    # A naive datetime would be read in the machine's zone: the same call would give
    # different documents on different machines.
    if timestamp.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware, e.g. datetime(..., tzinfo=UTC)")
    return timestamp.astimezone(UTC)


def package_url(text: str) -> PackageURL | None:
    """The parsed package URL; None when `text` is not one."""
    # An invalid purl is reported by `validate` (CF400); the export leaves it out.
    try:
        return PackageURL.from_string(text)
    except ValueError:
        return None


def content_uuid(document: Mapping[str, Any]) -> uuid.UUID:
    """A uuid5 of the document's canonical JSON: equal content gives an equal id."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return uuid.uuid5(_SERIAL_NAMESPACE, hashlib.sha256(canonical.encode("ascii")).hexdigest())


def dump_json(document: Mapping[str, Any]) -> str:
    """The document as indented JSON text ending in a newline."""
    # Sorted keys and ASCII-only escapes: the same bytes whatever encoding the writer uses.
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def vulnerability_aliases(vulnerability: Vulnerability) -> list[str]:
    """The vulnerability's other identifiers, in order, without repeats or its own id."""
    return list(dict.fromkeys(a for a in vulnerability.aliases if a != vulnerability.id))


def action_statement(vulnerability: Vulnerability) -> str:
    """What customers should do about an affected vulnerability; never empty."""
    remediation = vulnerability.remediation
    response = remediation.response if remediation else None
    release = remediation.planned_release if remediation else None
    if response and release:
        return f"{_RESPONSE_ACTIONS[response]} (planned release {release})."
    if response:
        return f"{_RESPONSE_ACTIONS[response]}."
    if release:
        return f"A fix is planned in release {release}."
    return vulnerability.detail or _NO_ACTION
