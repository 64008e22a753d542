"""Export a project's SBOM and VEX: CycloneDX 1.6 SBOM, CycloneDX 1.6 VEX and OpenVEX 0.2.0.

The functions are pure: they turn a loaded `Project` into JSON text and the caller writes
the files. The caller also supplies the timestamp (from the data, `--as-of` or
`SOURCE_DATE_EPOCH`), so the same project and timestamp give byte-identical documents in
every process. Serial numbers and the OpenVEX `@id` are derived from the document content
(uuid5), never drawn at random.

Every string comes from untrusted YAML. It reaches the output only through a JSON
serialiser (cyclonedx-python-lib, then `json.dumps`), never through string concatenation.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from cyclonedx.contrib.license.exceptions import InvalidSpdxLicenseException
from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model import HashAlgorithm as CdxHashAlgorithm
from cyclonedx.model import HashType, Property, XsUri
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentType
from cyclonedx.model.contact import OrganizationalEntity
from cyclonedx.model.impact_analysis import (
    ImpactAnalysisJustification,
    ImpactAnalysisResponse,
    ImpactAnalysisState,
)
from cyclonedx.model.license import DisjunctiveLicense, License
from cyclonedx.model.tool import ToolRepository
from cyclonedx.model.vulnerability import (
    BomTarget,
    VulnerabilityAnalysis,
    VulnerabilityRating,
    VulnerabilityReference,
    VulnerabilityScoreSource,
    VulnerabilitySeverity,
)
from cyclonedx.model.vulnerability import Vulnerability as CdxVulnerability
from cyclonedx.model.vulnerability import VulnerabilitySource as CdxSource
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from cyberfile import __version__
from cyberfile.dates import midnight_utc
from cyberfile.model.manifest import Device
from cyberfile.model.project import Project
from cyberfile.model.sbom import Component
from cyberfile.model.vocabulary import (
    HashAlgorithm,
    RemediationResponse,
    VexJustification,
    VulnerabilitySource,
    VulnerabilityStatus,
)
from cyberfile.model.vulnerabilities import Vulnerability
from cyberfile.vulndb.cvss import CvssProblem
from cyberfile.vulndb.cvss import score as cvss_score

__all__ = [
    "OPENVEX_CONTEXT",
    "SUPPORT_PROPERTIES",
    "cyclonedx_sbom",
    "cyclonedx_vex",
    "device_purl",
    "openvex",
]

OPENVEX_CONTEXT = "https://openvex.dev/ns/v0.2.0"

PROPERTY_SUPPORT_LEVEL = "cyberfile:support:level"
PROPERTY_END_OF_SUPPORT = "cyberfile:support:end_of_support"
PROPERTY_SUPPORT_EVIDENCE = "cyberfile:support:evidence"
PROPERTY_REPLACEMENT_PLAN = "cyberfile:support:replacement_plan"
PROPERTY_SUPPORT_JUSTIFICATION = "cyberfile:support:justification"
PROPERTY_KNOWN_EXPLOITED = "cyberfile:known_exploited"
SUPPORT_PROPERTIES = (
    PROPERTY_SUPPORT_LEVEL,
    PROPERTY_END_OF_SUPPORT,
    PROPERTY_SUPPORT_EVIDENCE,
    PROPERTY_REPLACEMENT_PLAN,
    PROPERTY_SUPPORT_JUSTIFICATION,
)
"""Names of the CycloneDX component properties that carry the FDA support facts."""

# Serial numbers are uuid5 names in this namespace (a fixed, once-drawn UUID), so they
# cannot collide with uuid5 serials other tools derive in the standard namespaces.
_SERIAL_NAMESPACE = uuid.UUID("b002db74-5ae1-4149-a5f1-6c6659f9fa2f")
# Bom() draws a random uuid4 when given no serial; this one is replaced after rendering.
_PLACEHOLDER_SERIAL = uuid.UUID(int=0)
# The SBOM is always version 1 of its serial: a changed SBOM gets a new serial instead.
_BOM_VERSION = 1

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LICENSES = LicenseFactory()

_CDX_HASHES: Mapping[HashAlgorithm, CdxHashAlgorithm] = {
    HashAlgorithm.MD5: CdxHashAlgorithm.MD5,
    HashAlgorithm.SHA1: CdxHashAlgorithm.SHA_1,
    HashAlgorithm.SHA256: CdxHashAlgorithm.SHA_256,
    HashAlgorithm.SHA384: CdxHashAlgorithm.SHA_384,
    HashAlgorithm.SHA512: CdxHashAlgorithm.SHA_512,
    HashAlgorithm.SHA3_256: CdxHashAlgorithm.SHA3_256,
    HashAlgorithm.SHA3_384: CdxHashAlgorithm.SHA3_384,
    HashAlgorithm.SHA3_512: CdxHashAlgorithm.SHA3_512,
    HashAlgorithm.BLAKE2B_256: CdxHashAlgorithm.BLAKE2B_256,
    HashAlgorithm.BLAKE2B_384: CdxHashAlgorithm.BLAKE2B_384,
    HashAlgorithm.BLAKE2B_512: CdxHashAlgorithm.BLAKE2B_512,
    HashAlgorithm.BLAKE3: CdxHashAlgorithm.BLAKE3,
}

# OpenVEX names fewer algorithms than CycloneDX; blake2b-384 and BLAKE3 digests are left out.
_OPENVEX_HASHES: Mapping[HashAlgorithm, str] = {
    HashAlgorithm.MD5: "md5",
    HashAlgorithm.SHA1: "sha1",
    HashAlgorithm.SHA256: "sha-256",
    HashAlgorithm.SHA384: "sha-384",
    HashAlgorithm.SHA512: "sha-512",
    HashAlgorithm.SHA3_256: "sha3-256",
    HashAlgorithm.SHA3_384: "sha3-384",
    HashAlgorithm.SHA3_512: "sha3-512",
    HashAlgorithm.BLAKE2B_256: "blake2b-256",
    HashAlgorithm.BLAKE2B_512: "blake2b-512",
}

_CDX_STATES: Mapping[VulnerabilityStatus, ImpactAnalysisState] = {
    VulnerabilityStatus.UNDER_INVESTIGATION: ImpactAnalysisState.IN_TRIAGE,
    VulnerabilityStatus.AFFECTED: ImpactAnalysisState.EXPLOITABLE,
    VulnerabilityStatus.NOT_AFFECTED: ImpactAnalysisState.NOT_AFFECTED,
    VulnerabilityStatus.FIXED: ImpactAnalysisState.RESOLVED,
}

_OPENVEX_JUSTIFICATIONS: Mapping[VexJustification, str] = {
    VexJustification.CODE_NOT_PRESENT: "vulnerable_code_not_present",
    VexJustification.CODE_NOT_REACHABLE: "vulnerable_code_not_in_execute_path",
    VexJustification.REQUIRES_CONFIGURATION: "vulnerable_code_cannot_be_controlled_by_adversary",
    VexJustification.REQUIRES_DEPENDENCY: "vulnerable_code_cannot_be_controlled_by_adversary",
    VexJustification.REQUIRES_ENVIRONMENT: "vulnerable_code_cannot_be_controlled_by_adversary",
    VexJustification.PROTECTED_BY_COMPILER: "inline_mitigations_already_exist",
    VexJustification.PROTECTED_AT_RUNTIME: "inline_mitigations_already_exist",
    VexJustification.PROTECTED_AT_PERIMETER: "inline_mitigations_already_exist",
    VexJustification.PROTECTED_BY_MITIGATING_CONTROL: "inline_mitigations_already_exist",
}

_RESPONSE_ACTIONS: Mapping[RemediationResponse, str] = {
    RemediationResponse.UPDATE: "Update the device software to the fixed release",
    RemediationResponse.ROLLBACK: "Roll back the device software to an unaffected release",
    RemediationResponse.WORKAROUND_AVAILABLE: "Apply the workaround published by the manufacturer",
    RemediationResponse.WILL_NOT_FIX: "The manufacturer will not fix this vulnerability",
    RemediationResponse.CAN_NOT_FIX: "The manufacturer cannot fix this vulnerability",
}
_NO_ACTION = "No remediation recorded yet; see assessment."
_NO_IMPACT_STATEMENT = "No justification recorded; see assessment."

# The database that issues an identifier is known from its prefix, whoever reported it.
_ADVISORY_DATABASES: tuple[tuple[str, str, str], ...] = (
    ("CVE-", "NVD", "https://nvd.nist.gov/vuln/detail/{id}"),
    ("GHSA-", "GitHub Advisories", "https://github.com/advisories/{id}"),
    ("PYSEC-", "OSV", "https://osv.dev/vulnerability/{id}"),
)
# Otherwise the source is who reported it. Only OSV resolves any identifier it aggregates;
# NVD pages exist for CVE ids only (handled above), KEV has one catalogue page.
_REPORTERS: Mapping[VulnerabilitySource, tuple[str, str | None]] = {
    VulnerabilitySource.OSV: ("OSV", "https://osv.dev/vulnerability/{id}"),
    VulnerabilitySource.NVD: ("NVD", None),
    VulnerabilitySource.KEV: (
        "CISA KEV",
        "https://www.cisa.gov/known-exploited-vulnerabilities-catalog",
    ),
    VulnerabilitySource.SUPPLIER_ADVISORY: ("Supplier advisory", None),
    VulnerabilitySource.ISAO: ("ISAO", None),
    VulnerabilitySource.RESEARCHER: ("Security researcher", None),
    VulnerabilitySource.INTERNAL_TEST: ("Internal testing", None),
    VulnerabilitySource.PENETRATION_TEST: ("Penetration test", None),
    VulnerabilitySource.CUSTOMER: ("Customer report", None),
}


# ----------------------------------------------------------------------------- public


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


def cyclonedx_sbom(project: Project, *, timestamp: datetime) -> str:
    """The CycloneDX 1.6 JSON SBOM of the device: its components, support facts, dependencies.

    metadata.component is the device (bom-ref = `device_purl`); it depends on the components
    the architecture's assets are built from, and each component on its `depends_on`.
    """
    device = project.manifest.device
    subject = _device_component(device)
    _require_unique([str(subject.bom_ref), *(c.ref for c in project.sbom.components)])
    components = {c.ref: _sbom_component(c) for c in project.sbom.components}
    bom = Bom(
        serial_number=_PLACEHOLDER_SERIAL,
        version=_BOM_VERSION,
        metadata=_metadata(device, subject, timestamp),
        components=components.values(),
    )
    _register_dependencies(bom, project, subject, components)
    return _render(bom)


def cyclonedx_vex(project: Project, *, timestamp: datetime, sbom_serial: str) -> str:
    """The CycloneDX 1.6 JSON VEX of the device: one vulnerability entry per assessment.

    `sbom_serial` is the serialNumber of the SBOM the VEX speaks about (the output of
    `cyclonedx_sbom` for the same project): every `affects` target is a BOM-Link into it,
    `urn:cdx:<serial>/1#<percent-encoded bom-ref>`. A vulnerability that names no
    component affects the device itself.
    """
    sbom = _serial_uuid(sbom_serial)
    device = project.manifest.device
    subject = _device_component(device)
    vulnerabilities = sorted(project.vulnerabilities.vulnerabilities, key=lambda v: v.id)
    device_ref = str(subject.bom_ref)
    _require_unique([device_ref, *(v.id for v in vulnerabilities)])
    bom = Bom(
        serial_number=_PLACEHOLDER_SERIAL,
        version=_BOM_VERSION,
        metadata=_metadata(device, subject, timestamp),
        vulnerabilities=[_vex_vulnerability(v, sbom, device_ref) for v in vulnerabilities],
    )
    return _render(bom)


def openvex(project: Project, *, timestamp: datetime) -> str:
    """The OpenVEX 0.2.0 document of the device: one statement per vulnerability.

    The product is the device (`device_purl`), the subcomponents the affected components
    (their purl, else their ref). `@id` is `urn:uuid:` + a uuid5 of the content: a document
    id that claims no web location the manufacturer does not control.

    Justifications map from CycloneDX's vocabulary to OpenVEX's (CISA's five):

    | CycloneDX (YAML)                  | OpenVEX                                           |
    |-----------------------------------|---------------------------------------------------|
    | code_not_present                  | vulnerable_code_not_present                       |
    | code_not_reachable                | vulnerable_code_not_in_execute_path               |
    | requires_configuration            | vulnerable_code_cannot_be_controlled_by_adversary |
    | requires_dependency               | vulnerable_code_cannot_be_controlled_by_adversary |
    | requires_environment              | vulnerable_code_cannot_be_controlled_by_adversary |
    | protected_by_compiler             | inline_mitigations_already_exist                  |
    | protected_at_runtime              | inline_mitigations_already_exist                  |
    | protected_at_perimeter            | inline_mitigations_already_exist                  |
    | protected_by_mitigating_control   | inline_mitigations_already_exist                  |

    Why: the first two are the same claim in both vocabularies (code compiled out; code
    present but never executed). The `requires_*` three say the component and its code are
    present and may run, but a precondition the attack needs (a configuration, another
    dependency, an environment such as a BR/EDR radio) is absent, so an adversary cannot
    mount the attack; claiming "not in execute path" would overstate it, and
    `component_not_present` would be false because the component is in the SBOM. The
    `protected_*` four name a control of the product (compiler hardening, runtime
    protection, its perimeter filtering, a mitigating control) that stops exploitation,
    which is OpenVEX's inline mitigation. `component_not_present` is never produced: a
    statement about a component the SBOM does not list belongs in no cyberfile project.

    A not_affected statement carries the justification and the detail as impact_statement;
    an affected one an action_statement built from the remediation (response and planned
    release), else the detail, else a fixed sentence, because OpenVEX requires one.
    """
    device = project.manifest.device
    product = device_purl(device)
    sbom = {c.ref: c for c in project.sbom.components}
    vulnerabilities = sorted(project.vulnerabilities.vulnerabilities, key=lambda v: v.id)
    document: dict[str, Any] = {
        "@context": OPENVEX_CONTEXT,
        "author": device.manufacturer,
        "timestamp": _utc(timestamp).isoformat(),
        "version": 1,
        "tooling": f"cyberfile {__version__}",
        "statements": [_openvex_statement(v, product, sbom) for v in vulnerabilities],
    }
    document["@id"] = _content_uuid(document).urn
    return _dump(document)


# ------------------------------------------------------------------- shared helpers


def _slug(text: str) -> str:
    # Fold accents first so "Médical" becomes "medical" rather than "m-dical".
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub("-", folded.lower()).strip("-")


def _utc(timestamp: datetime) -> datetime:
    # A naive datetime would be read in the machine's zone: the same call would give
    # different documents on different machines.
    if timestamp.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware, e.g. datetime(..., tzinfo=UTC)")
    return timestamp.astimezone(UTC)


def _package_url(text: str) -> PackageURL | None:
    # An invalid purl is reported by `validate` (CF400); the export leaves it out.
    try:
        return PackageURL.from_string(text)
    except ValueError:
        return None


def _serial_uuid(serial: str) -> uuid.UUID:
    try:
        # uuid.UUID accepts both `urn:uuid:<uuid>` and the bare form.
        return uuid.UUID(serial)
    except ValueError:
        raise ValueError(f"sbom_serial {serial!r} is not a urn:uuid serial number") from None


def _require_unique(refs: Iterable[str]) -> None:
    # cyclonedx-python-lib silently gives a duplicate bom-ref a random value while
    # rendering, which would break determinism; `validate` reports duplicates (CF120).
    duplicates = sorted(ref for ref, count in Counter(refs).items() if count > 1)
    if duplicates:
        raise ValueError(f"bom-refs must be unique; duplicated: {', '.join(duplicates)}")


def _content_uuid(document: Mapping[str, Any]) -> uuid.UUID:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return uuid.uuid5(_SERIAL_NAMESPACE, hashlib.sha256(canonical.encode("ascii")).hexdigest())


def _dump(document: Mapping[str, Any]) -> str:
    # Sorted keys and ASCII-only escapes: the same bytes whatever encoding the writer uses.
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def _render(bom: Bom) -> str:
    """Serialise with the library, then order components by bom-ref and set the serial.

    The library orders components by (type, group, name, version, bom-ref); bom-ref order
    is what the project promises. The serial is a uuid5 of everything else in the
    document, timestamp included, so equal content gives an equal serial.
    """
    document: dict[str, Any] = json.loads(JsonV1Dot6(bom).output_as_string())
    document.get("components", []).sort(key=lambda component: component["bom-ref"])
    del document["serialNumber"]
    document["serialNumber"] = _content_uuid(document).urn
    return _dump(document)


# ------------------------------------------------------------------ CycloneDX parts


def _device_component(device: Device) -> CdxComponent:
    purl = device_purl(device)
    # `device` rather than `firmware` or `application`: CycloneDX (1.0 onwards, supported
    # by the library for 1.6) defines it as a hardware device that contains software, and
    # the subject of an FDA SBOM is the medical device as marketed (pump firmware, gateway
    # and app alike), named by the software version under submission.
    return CdxComponent(
        type=ComponentType.DEVICE,
        bom_ref=purl,
        name=device.name,
        version=device.version,
        purl=_package_url(purl),
        manufacturer=OrganizationalEntity(name=device.manufacturer),
        supplier=OrganizationalEntity(name=device.manufacturer),
    )


def _metadata(device: Device, subject: CdxComponent, timestamp: datetime) -> BomMetaData:
    tool = CdxComponent(type=ComponentType.APPLICATION, name="cyberfile", version=__version__)
    return BomMetaData(
        component=subject,
        # Always given: the library would otherwise stamp the wall clock.
        timestamp=_utc(timestamp),
        # CycloneDX 1.6 metadata.manufacturer is the organisation that created the BOM:
        # the device manufacturer, NTIA's "author of SBOM data".
        manufacturer=OrganizationalEntity(name=device.manufacturer),
        tools=ToolRepository(components=[tool]),
    )


def _sbom_component(component: Component) -> CdxComponent:
    return CdxComponent(
        type=ComponentType.LIBRARY,
        bom_ref=component.ref,
        name=component.name,
        group=component.group,
        version=component.version,
        supplier=OrganizationalEntity(name=component.supplier) if component.supplier else None,
        purl=_package_url(component.purl) if component.purl else None,
        hashes=[
            HashType(alg=_CDX_HASHES[algorithm], content=digest)
            for algorithm, digest in sorted(component.hashes.items())
        ],
        licenses=_licenses(component.licenses),
        properties=_support_properties(component),
    )


def _licenses(texts: Sequence[str]) -> list[License]:
    # CycloneDX allows one SPDX expression or a list of single licenses, never both; the
    # library refuses the mix. A lone text may be an expression ("MIT OR Apache-2.0"); in
    # a list, each text is an SPDX id or else a named license.
    if len(texts) == 1:
        return [_LICENSES.make_from_string(texts[0])]
    return [_single_license(text) for text in texts]


def _single_license(text: str) -> DisjunctiveLicense:
    try:
        return _LICENSES.make_with_id(text)
    except InvalidSpdxLicenseException:
        return _LICENSES.make_with_name(text)


def _support_properties(component: Component) -> list[Property]:
    end_of_support = component.end_of_support
    facts = (
        (PROPERTY_SUPPORT_LEVEL, component.support.value),
        (PROPERTY_END_OF_SUPPORT, end_of_support.isoformat() if end_of_support else None),
        (PROPERTY_SUPPORT_EVIDENCE, component.support_evidence),
        (PROPERTY_REPLACEMENT_PLAN, component.replacement_plan),
        (PROPERTY_SUPPORT_JUSTIFICATION, component.justification),
    )
    return [Property(name=name, value=value) for name, value in facts if value is not None]


def _register_dependencies(
    bom: Bom, project: Project, subject: CdxComponent, components: Mapping[str, CdxComponent]
) -> None:
    # A ref that resolves to no component is reported by `validate`; the library would
    # refuse the whole document, so the export leaves such refs out.
    used = {ref for asset in project.architecture.assets for ref in asset.components}
    bom.register_dependency(subject, [components[ref] for ref in sorted(used & components.keys())])
    for component in project.sbom.components:
        needs = sorted(set(component.depends_on) & components.keys())
        bom.register_dependency(components[component.ref], [components[ref] for ref in needs])


def _vex_vulnerability(
    vulnerability: Vulnerability, sbom: uuid.UUID, device_ref: str
) -> CdxVulnerability:
    targets = sorted(set(vulnerability.components or (device_ref,)))
    reporter = vulnerability.source
    properties = (
        [Property(name=PROPERTY_KNOWN_EXPLOITED, value="true")]
        if vulnerability.known_exploited
        else []
    )
    return CdxVulnerability(
        bom_ref=vulnerability.id,
        id=vulnerability.id,
        source=_advisory_source(vulnerability.id, reporter),
        references=[
            # The schema requires a source on every reference.
            VulnerabilityReference(
                id=alias, source=_advisory_source(alias, reporter) or CdxSource(name="unspecified")
            )
            for alias in _aliases(vulnerability)
        ],
        ratings=[_rating(vulnerability.cvss)] if vulnerability.cvss else [],
        analysis=_analysis(vulnerability),
        recommendation=(
            _action_statement(vulnerability)
            if vulnerability.status is VulnerabilityStatus.AFFECTED
            else None
        ),
        affects=[BomTarget(ref=_bom_link(sbom, ref)) for ref in targets],
        properties=properties,
    )


def _aliases(vulnerability: Vulnerability) -> list[str]:
    return list(dict.fromkeys(a for a in vulnerability.aliases if a != vulnerability.id))


def _advisory_source(identifier: str, reporter: VulnerabilitySource | None) -> CdxSource | None:
    # Identifiers are untrusted text: percent-encode them before they enter a URL.
    quoted = quote(identifier, safe="")
    for prefix, name, template in _ADVISORY_DATABASES:
        if identifier.upper().startswith(prefix):
            return CdxSource(name=name, url=XsUri(template.format(id=quoted)))
    if reporter is None:
        return None
    name, reporter_template = _REPORTERS[reporter]
    url = XsUri(reporter_template.format(id=quoted)) if reporter_template else None
    return CdxSource(name=name, url=url)


def _rating(vector: str) -> VulnerabilityRating:
    scored = _cvss_base(vector)
    if scored is None:
        # Not a vector the cvss package can score: keep the text, claim no CVSS method.
        return VulnerabilityRating(method=VulnerabilityScoreSource.OTHER, vector=vector)
    score, severity = scored
    return VulnerabilityRating(
        method=VulnerabilityScoreSource.get_from_vector(vector),
        vector=vector,
        score=score,
        severity=severity,
    )


def _cvss_base(vector: str) -> tuple[Decimal, VulnerabilitySeverity] | None:
    """Base score and severity of a CVSS 3.x or 4.0 vector; None when it is not one."""
    try:
        scored = cvss_score(vector)
    except CvssProblem:
        return None
    return scored.base_score, VulnerabilitySeverity(scored.severity)


def _analysis(vulnerability: Vulnerability) -> VulnerabilityAnalysis:
    remediation = vulnerability.remediation
    justification = vulnerability.justification
    # The YAML vocabulary for justification and response is CycloneDX's own, value for
    # value. A justification only explains not_affected, so it is not exported otherwise.
    not_affected = vulnerability.status is VulnerabilityStatus.NOT_AFFECTED
    return VulnerabilityAnalysis(
        state=_CDX_STATES[vulnerability.status],
        justification=(
            ImpactAnalysisJustification(justification.value)
            if not_affected and justification
            else None
        ),
        responses=(
            [ImpactAnalysisResponse(remediation.response.value)]
            if remediation and remediation.response
            else []
        ),
        detail=vulnerability.detail,
        last_updated=midnight_utc(vulnerability.assessed.on) if vulnerability.assessed else None,
    )


def _bom_link(sbom: uuid.UUID, bom_ref: str) -> str:
    # The library's BOM-Link helper percent-encodes the bom-ref (urllib quote).
    return str(XsUri.make_bom_link(sbom, _BOM_VERSION, bom_ref))


def _action_statement(vulnerability: Vulnerability) -> str:
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


# -------------------------------------------------------------------- OpenVEX parts


def _openvex_statement(
    vulnerability: Vulnerability, product: str, sbom: Mapping[str, Component]
) -> dict[str, Any]:
    named: dict[str, Any] = {"name": vulnerability.id}
    aliases = _aliases(vulnerability)
    if aliases:
        named["aliases"] = aliases
    statement: dict[str, Any] = {
        "vulnerability": named,
        "products": [_openvex_product(product, vulnerability.components, sbom)],
        # The YAML statuses are the CISA minimum set, OpenVEX's four words exactly.
        "status": vulnerability.status.value,
    }
    statement.update(_openvex_status_fields(vulnerability))
    return statement


def _openvex_status_fields(vulnerability: Vulnerability) -> dict[str, str]:
    detail = vulnerability.detail
    if vulnerability.status is VulnerabilityStatus.NOT_AFFECTED:
        fields: dict[str, str] = {}
        if vulnerability.justification:
            fields["justification"] = _OPENVEX_JUSTIFICATIONS[vulnerability.justification]
        # OpenVEX requires a justification or an impact statement. `validate` requires
        # one too (CF401); the fallback only keeps a broken project's document valid.
        if detail or not vulnerability.justification:
            fields["impact_statement"] = detail or _NO_IMPACT_STATEMENT
        return fields
    if vulnerability.status is VulnerabilityStatus.AFFECTED:
        action = _action_statement(vulnerability)
        fields = {"action_statement": action}
        if detail and detail != action:
            fields["status_notes"] = detail
        return fields
    return {"status_notes": detail} if detail else {}


def _openvex_product(
    product: str, refs: Sequence[str], sbom: Mapping[str, Component]
) -> dict[str, Any]:
    subcomponents: dict[str, dict[str, Any]] = {}
    for ref in refs:
        component = sbom.get(ref)
        identifier = _canonical_purl(component.purl) if component and component.purl else ref
        entry: dict[str, Any] = {"@id": identifier}
        hashes = _openvex_hashes(component) if component else {}
        if hashes:
            entry["hashes"] = hashes
        # OpenVEX wants unique subcomponents; two refs with one purl are one subcomponent.
        subcomponents.setdefault(identifier, entry)
    described: dict[str, Any] = {"@id": product}
    if subcomponents:
        described["subcomponents"] = [subcomponents[key] for key in sorted(subcomponents)]
    return described


def _canonical_purl(text: str) -> str:
    # The form the SBOM's `purl` fields carry, so consumers can match the two documents.
    purl = _package_url(text)
    return str(purl.to_string()) if purl else text


def _openvex_hashes(component: Component) -> dict[str, str]:
    return {
        _OPENVEX_HASHES[algorithm]: digest
        for algorithm, digest in sorted(component.hashes.items())
        if algorithm in _OPENVEX_HASHES
    }
