"""Write the device SBOM as an SPDX 2.3 JSON document with spdx-tools, the SPDX project's library.

The function is pure, like the CycloneDX writer (`cyclonedx_write`): it turns a loaded
`Project` into JSON text and the caller writes `sbom.spdx.json`. The SBOM says what the
CycloneDX SBOM says, in SPDX's words:

- The device is a package (`primaryPackagePurpose` DEVICE, id `SPDXRef-Device`) that the
  document DESCRIBES; it DEPENDS_ON the components the CycloneDX device depends on (the
  components of the assets and the top of each SBOM linked to an asset); each component
  DEPENDS_ON its `depends_on` refs that name a component.
- Each component is a package: its id is `SPDXRef-Package-` and its ref with every run of
  characters an SPDX id does not allow (only letters, digits, `.`, `-`) turned into `-`;
  refs that come out alike get a part of the sha256 of the ref as well. The purl and the
  CPE are external references (when SPDX's pattern for their type accepts them), the
  supplier an `Organization:`, the hashes checksums (BLAKE3 left out, see below),
  `licenseDeclared` the recorded license when it is one SPDX license expression (else
  NOASSERTION, and the texts go to `licenseComments`: nothing is invented).
- Support facts: `validUntilDate` is `end_of_support` (SPDX 2.3 §7.27: "the end of the
  support period for a package from the supplier", which is what `end_of_support`
  records); every fact SPDX has no field for travels in the package `comment`, one line
  per fact, `NAME: "VALUE"` with the CycloneDX property names and a JSON string value.
- Provenance: `created` is the CycloneDX SBOM's timestamp (the newest source timestamp,
  else the document date), to the second; the creators are the sources' authors and the
  device manufacturer (as `Organization:`: an SBOM does not say whether an author is a
  person) and the sources' tools plus cyberfile (`Tool:`).
- Determinism: packages in ref order after the device, relationships in a fixed order,
  sorted keys, ASCII, a final newline; the `documentNamespace` ends in a uuid5 of the rest
  of the document (see `cyberfile.sbom.documents.content_uuid`), so equal content gives
  byte-identical files and any change a new namespace.

Every string comes from untrusted YAML and reaches the output only through the library's
model and `json.dumps`. The few SPDX fields with a syntax of their own are made safe
before: actor names (`Organization: NAME (EMAIL)`, one line), SPDX ids, the namespace URI.

The library's validation is not run here: it is quadratic in the number of packages
(spdx-tools 0.8 checks every relationship against a list of every id). What this module
builds is valid by construction; tests/test_spdx_export.py validates its output.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from spdx_tools.common.spdx_licensing import spdx_licensing
from spdx_tools.spdx.constants import DOCUMENT_SPDX_ID
from spdx_tools.spdx.jsonschema.document_converter import DocumentConverter
from spdx_tools.spdx.model.actor import Actor, ActorType
from spdx_tools.spdx.model.checksum import Checksum, ChecksumAlgorithm
from spdx_tools.spdx.model.document import CreationInfo, Document
from spdx_tools.spdx.model.package import (
    ExternalPackageRef,
    ExternalPackageRefCategory,
    Package,
    PackagePurpose,
)
from spdx_tools.spdx.model.relationship import Relationship, RelationshipType
from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
from spdx_tools.spdx.validation.external_package_ref_validator import TYPE_TO_REGEX

from cyberfile import __version__
from cyberfile.dates import midnight_utc
from cyberfile.model.manifest import Device
from cyberfile.model.project import Project
from cyberfile.model.sbom import Component, SbomSource, sboms_of
from cyberfile.model.vocabulary import ComponentType, HashAlgorithm
from cyberfile.sbom import documents
from cyberfile.sbom.cyclonedx_write import (
    PROPERTY_END_OF_SUPPORT,
    PROPERTY_REPLACEMENT_PLAN,
    PROPERTY_SBOM,
    PROPERTY_SUPPORT_EVIDENCE,
    PROPERTY_SUPPORT_JUSTIFICATION,
    PROPERTY_SUPPORT_LEVEL,
)

__all__ = [
    "DEVICE_SPDX_ID",
    "NAMESPACE_PREFIX",
    "PACKAGE_SPDX_ID_PREFIX",
    "PROPERTY_GROUP",
    "spdx_sbom",
]

SPDX_VERSION = "SPDX-2.3"
DATA_LICENSE = "CC0-1.0"

NAMESPACE_PREFIX = "https://spdx.org/spdxdocs/cyberfile/"
"""Start of every documentNamespace. cyberfile.yaml names no website of the manufacturer,
and the SPDX specification's own examples place namespaces of creators without one under
spdx.org/spdxdocs; the URI names the document, nothing is published there."""

DEVICE_SPDX_ID = "SPDXRef-Device"
PACKAGE_SPDX_ID_PREFIX = "SPDXRef-Package-"

PROPERTY_GROUP = "cyberfile:group"
"""Comment line of a component with a `group` (npm scope, Maven group): SPDX has no field."""

# The namespace is set after rendering, from the content; this one never reaches a file.
_PLACEHOLDER_NAMESPACE = NAMESPACE_PREFIX + "placeholder"

# Characters an SPDX id may hold: letters, digits, `.` and `-` (SPDX 2.3 §7.2).
_NOT_IN_ID = re.compile(r"[^A-Za-z0-9.-]+")

_SPDX_CHECKSUMS: Mapping[HashAlgorithm, ChecksumAlgorithm] = {
    HashAlgorithm.MD5: ChecksumAlgorithm.MD5,
    HashAlgorithm.SHA1: ChecksumAlgorithm.SHA1,
    HashAlgorithm.SHA256: ChecksumAlgorithm.SHA256,
    HashAlgorithm.SHA384: ChecksumAlgorithm.SHA384,
    HashAlgorithm.SHA512: ChecksumAlgorithm.SHA512,
    HashAlgorithm.SHA3_256: ChecksumAlgorithm.SHA3_256,
    HashAlgorithm.SHA3_384: ChecksumAlgorithm.SHA3_384,
    HashAlgorithm.SHA3_512: ChecksumAlgorithm.SHA3_512,
    HashAlgorithm.BLAKE2B_256: ChecksumAlgorithm.BLAKE2B_256,
    HashAlgorithm.BLAKE2B_384: ChecksumAlgorithm.BLAKE2B_384,
    HashAlgorithm.BLAKE2B_512: ChecksumAlgorithm.BLAKE2B_512,
    # BLAKE3 is left out: SPDX 2.3 names it, but spdx-tools 0.8 (and so `cyberfile sbom
    # import`) refuses a BLAKE3 value shorter than 256 hex digits, and sbom.yaml holds the
    # standard 256-bit digest (64 hex digits).
}
"""sbom.yaml hash algorithms -> SPDX 2.3 checksum algorithms; others are not exported."""

_PURPOSES: Mapping[ComponentType, PackagePurpose] = {
    ComponentType.APPLICATION: PackagePurpose.APPLICATION,
    ComponentType.FRAMEWORK: PackagePurpose.FRAMEWORK,
    ComponentType.LIBRARY: PackagePurpose.LIBRARY,
    ComponentType.CONTAINER: PackagePurpose.CONTAINER,
    ComponentType.OPERATING_SYSTEM: PackagePurpose.OPERATING_SYSTEM,
    ComponentType.DEVICE: PackagePurpose.DEVICE,
    ComponentType.FIRMWARE: PackagePurpose.FIRMWARE,
    ComponentType.FILE: PackagePurpose.FILE,
    # No SPDX 2.3 purpose says what these are; OTHER claims nothing.
    ComponentType.PLATFORM: PackagePurpose.OTHER,
    ComponentType.DEVICE_DRIVER: PackagePurpose.OTHER,
    ComponentType.MACHINE_LEARNING_MODEL: PackagePurpose.OTHER,
    ComponentType.DATA: PackagePurpose.OTHER,
    ComponentType.CRYPTOGRAPHIC_ASSET: PackagePurpose.OTHER,
}
"""CycloneDX component type (sbom.yaml `type`) -> SPDX 2.3 primaryPackagePurpose."""

_CREATOR_COMMENT = (
    "Device SBOM written by cyberfile from the project's sbom.yaml. A package comment "
    'lists facts SPDX 2.3 has no field for, one per line as NAME: "VALUE" (a JSON '
    "string): the support facts under the CycloneDX property names cyberfile:support:*, "
    "cyberfile:group and cyberfile:sbom (the SBOM a component came from)."
)


# ----------------------------------------------------------------------------- public


def spdx_sbom(project: Project, *, timestamp: datetime) -> str:
    """The SPDX 2.3 JSON SBOM of the device, the same content as `cyclonedx_sbom`.

    `timestamp` is used only when no `sbom.sources` entry records a usable timestamp of its
    own. Raises ValueError when two components share a ref (`validate` reports CF120).
    """
    device = project.manifest.device
    components = sorted(project.sbom.components, key=lambda c: c.ref)
    _require_unique(c.ref for c in components)
    ids = _package_ids([c.ref for c in components])
    sources = project.sbom.sources
    in_sboms = sboms_of(project.sbom_members) if len(sources) > 1 else {}
    creation = CreationInfo(
        spdx_version=SPDX_VERSION,
        spdx_id=DOCUMENT_SPDX_ID,
        name=f"{device.name} {device.version} SBOM",
        document_namespace=_PLACEHOLDER_NAMESPACE,
        creators=_creators(device, sources),
        created=documents.as_utc(documents.sources_timestamp(sources) or timestamp),
        creator_comment=_CREATOR_COMMENT,
        data_license=DATA_LICENSE,
    )
    licenses = _LicenseCache()
    packages = [
        _device_package(device),
        *(_package(c, ids[c.ref], in_sboms.get(c.ref, ()), licenses) for c in components),
    ]
    document = Document(
        creation_info=creation,
        packages=packages,
        relationships=_relationships(project, components, ids),
    )
    return _render(document, documents.device_purl(device))


# ------------------------------------------------------------------- document level


def _require_unique(refs: Iterable[str]) -> None:
    duplicates = sorted(ref for ref, count in Counter(refs).items() if count > 1)
    if duplicates:
        raise ValueError(f"component refs must be unique; duplicated: {', '.join(duplicates)}")


def _render(document: Document, device_purl: str) -> str:
    """Serialise with the library's converter, then set the namespace from the content.

    The converter, not `write_document_to_stream`: that one validates first (see the
    module documentation) and writes unsorted keys.
    """
    data: dict[str, Any] = DocumentConverter().convert(document)
    for package in data.get("packages", ()):
        for reference in package.get("externalRefs", ()):
            # The library writes the category's Python name (PACKAGE_MANAGER); SPDX 2.3
            # (the specification and its JSON schema) spells it PACKAGE-MANAGER.
            reference["referenceCategory"] = reference["referenceCategory"].replace("_", "-")
    del data["documentNamespace"]
    data["documentNamespace"] = _namespace(device_purl, documents.content_uuid(data))
    return documents.dump_json(data)


def _namespace(device_purl: str, content: uuid.UUID) -> str:
    """`NAMESPACE_PREFIX` + the device purl as a path + the content uuid.

    `pkg:generic/example-medical-inc/is-3000@2.4.0` becomes the path
    `generic/example-medical-inc/is-3000@2.4.0`; each segment is percent-encoded (a `#`
    or `?` of a hand-written purl cannot end the path), `.` and `..` segments too.
    """
    segments = device_purl.removeprefix("pkg:").split("/")
    path = "/".join(_uri_segment(segment) for segment in segments)
    return f"{NAMESPACE_PREFIX}{path}/{content}"


def _uri_segment(text: str) -> str:
    encoded = quote(text, safe="@")
    return encoded.replace(".", "%2E") if encoded in (".", "..") else encoded


def _creators(device: Device, sources: Sequence[SbomSource]) -> list[Actor]:
    organisations = [
        _actor_name(name)
        for name in (*(a for source in sources for a in source.authors), device.manufacturer)
    ]
    tools = [_tool_name(text) for source in sources for text in source.tools]
    tools.append(f"cyberfile-{__version__}")
    return [
        *(Actor(ActorType.ORGANIZATION, name) for name in dict.fromkeys(organisations) if name),
        *(Actor(ActorType.TOOL, name) for name in dict.fromkeys(tools) if name),
    ]


def _actor_name(text: str) -> str:
    """A name fit for `Organization: NAME (E-MAIL)`: one line (readers parse the line; line
    breaks become spaces), and a final `)` is followed by ` ()`, the empty e-mail the SPDX
    specification's own examples write, so that readers do not take `Linux kernel community
    (kernel.org)` for the name `Linux kernel community` and the e-mail `kernel.org`."""
    name = " ".join(part.strip() for part in text.splitlines() if part.strip())
    return f"{name} ()" if name.endswith(")") else name


def _tool_name(text: str) -> str:
    """`Tool: NAME-VERSION`, as SPDX asks, from a tool recorded as "NAME VERSION"."""
    name, version = documents.tool_parts(text)
    identifier = f"{name}-{version}" if version is not None else text
    # `Tool:` takes no e-mail: the name is only made one line.
    return " ".join(part.strip() for part in identifier.splitlines() if part.strip())


def _package_ids(refs: Sequence[str]) -> dict[str, str]:
    """By ref, a unique SPDX id; `refs` sorted, so the ids are the same in every run."""
    bases = {ref: PACKAGE_SPDX_ID_PREFIX + _NOT_IN_ID.sub("-", ref) for ref in refs}
    shared = Counter(bases.values())
    taken = {base for base, count in shared.items() if count == 1}
    ids: dict[str, str] = {}
    for ref in refs:
        base = bases[ref]
        if shared[base] == 1:
            ids[ref] = base
            continue
        digest = hashlib.sha256(ref.encode("utf-8")).hexdigest()[:16]
        candidate, extra = f"{base}-{digest}", 0
        while candidate in taken:  # only a ref written to look like another's id
            extra += 1
            candidate = f"{base}-{digest}-{extra}"
        taken.add(candidate)
        ids[ref] = candidate
    return ids


# ----------------------------------------------------------------------- SBOM parts


def _device_package(device: Device) -> Package:
    manufacturer = _actor_name(device.manufacturer)
    organisation = Actor(ActorType.ORGANIZATION, manufacturer) if manufacturer else None
    return Package(
        spdx_id=DEVICE_SPDX_ID,
        name=device.name,
        download_location=SpdxNoAssertion(),
        version=device.version,
        supplier=organisation or SpdxNoAssertion(),
        originator=organisation,
        files_analyzed=False,
        license_concluded=SpdxNoAssertion(),
        license_declared=SpdxNoAssertion(),
        external_references=_purl_reference(documents.device_purl(device)),
        primary_package_purpose=PackagePurpose.DEVICE,
    )


def _package(
    component: Component, spdx_id: str, sboms: Sequence[str], licenses: _LicenseCache
) -> Package:
    supplier = _actor_name(component.supplier) if component.supplier else ""
    declared, license_comment = licenses.declared(component.licenses)
    references = _purl_reference(component.purl) if component.purl else []
    if component.cpe:
        references += _reference(ExternalPackageRefCategory.SECURITY, "cpe23Type", component.cpe)
    return Package(
        spdx_id=spdx_id,
        name=component.name,
        download_location=SpdxNoAssertion(),
        version=component.version,
        supplier=Actor(ActorType.ORGANIZATION, supplier) if supplier else SpdxNoAssertion(),
        files_analyzed=False,
        checksums=[
            Checksum(_SPDX_CHECKSUMS[algorithm], digest)
            for algorithm, digest in sorted(component.hashes.items())
            if algorithm in _SPDX_CHECKSUMS
        ],
        license_concluded=SpdxNoAssertion(),
        license_declared=declared,
        license_comment=license_comment,
        comment=_comment(component, sboms),
        external_references=references,
        primary_package_purpose=_PURPOSES.get(component.type, PackagePurpose.OTHER),
        valid_until_date=(
            midnight_utc(component.end_of_support) if component.end_of_support else None
        ),
    )


def _purl_reference(purl: str) -> list[ExternalPackageRef]:
    # An invalid purl is reported by `validate` (CF400); the export leaves it out, as the
    # CycloneDX SBOM does, and writes a valid one in canonical form.
    parsed = documents.package_url(purl)
    if parsed is None:
        return []
    canonical = str(parsed.to_string())
    return _reference(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", canonical)


def _reference(
    category: ExternalPackageRefCategory, kind: str, locator: str
) -> list[ExternalPackageRef]:
    """The reference, when its locator has the form SPDX 2.3 (Annex F) gives its type.

    sbom.yaml checks a CPE with the `cpe` library, which also accepts a few forms the SPDX
    pattern does not (a lone `?` wildcard); such a CPE stays in the CycloneDX SBOM only.
    """
    if not re.match(TYPE_TO_REGEX[kind], locator):
        return []
    return [ExternalPackageRef(category, kind, locator)]


def _comment(component: Component, sboms: Sequence[str]) -> str | None:
    end_of_support = component.end_of_support
    facts = (
        (PROPERTY_GROUP, component.group),
        *((PROPERTY_SBOM, name) for name in sboms),
        (PROPERTY_SUPPORT_LEVEL, component.support.value),
        (PROPERTY_END_OF_SUPPORT, end_of_support.isoformat() if end_of_support else None),
        (PROPERTY_SUPPORT_EVIDENCE, component.support_evidence),
        (PROPERTY_REPLACEMENT_PLAN, component.replacement_plan),
        (PROPERTY_SUPPORT_JUSTIFICATION, component.justification),
    )
    lines = [f"{name}: {_json_string(value)}" for name, value in facts if value is not None]
    return "\n".join(lines) or None


def _json_string(text: str) -> str:
    """`text` as a JSON string on one line, for every reader's idea of a line: json.dumps
    escapes the control characters below U+0020, this also the other line breaks Python's
    `str.splitlines` knows (NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR)."""
    encoded = json.dumps(text, ensure_ascii=False)
    for char in "\x85\u2028\u2029":
        encoded = encoded.replace(char, f"\\u{ord(char):04x}")
    return encoded


class _LicenseCache:
    """licenseDeclared and licenseComments of a component's `licenses`, parsed once per
    text: a big SBOM names few distinct licenses."""

    def __init__(self) -> None:
        self._parsed: dict[str, Any] = {}

    def declared(self, texts: Sequence[str]) -> tuple[Any, str | None]:
        """One text that is an SPDX license expression (known SPDX ids and exceptions,
        as the SPDX license list names them): that expression. Anything else is not one
        declared expression: NOASSERTION, and the texts as a license comment."""
        if not texts:
            return SpdxNoAssertion(), None
        if len(texts) == 1:
            expression = self._expression(texts[0])
            if expression is not None:
                return expression, None
        recorded = "\n".join(_json_string(text) for text in texts)
        return SpdxNoAssertion(), (
            "The SBOM records these licenses, which are not one SPDX license expression "
            f"(one JSON string per line):\n{recorded}"
        )

    def _expression(self, text: str) -> Any:
        if text not in self._parsed:
            try:
                # strict: an exception used as a license, or a license as an exception,
                # is refused too; unknown ids (LicenseRef-..., free text) raise.
                self._parsed[text] = spdx_licensing.parse(text, validate=True, strict=True)
            except Exception:
                # Not only ExpressionError: on some malformed texts the parser fails with
                # AssertionError or IndexError. Whatever it refuses is no expression.
                self._parsed[text] = None
        return self._parsed[text]


def _relationships(
    project: Project, components: Sequence[Component], ids: Mapping[str, str]
) -> list[Relationship]:
    # The edges of the CycloneDX SBOM: refs that name no component are left out
    # (`validate` reports them).
    used = {ref for refs in project.asset_components().values() for ref in refs}
    out = [Relationship(DOCUMENT_SPDX_ID, RelationshipType.DESCRIBES, DEVICE_SPDX_ID)]
    out.extend(
        Relationship(DEVICE_SPDX_ID, RelationshipType.DEPENDS_ON, ids[ref])
        for ref in sorted(used & ids.keys())
    )
    for component in components:
        out.extend(
            Relationship(ids[component.ref], RelationshipType.DEPENDS_ON, ids[ref])
            for ref in sorted(set(component.depends_on) & ids.keys())
        )
    return out
