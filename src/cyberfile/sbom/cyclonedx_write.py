"""Write a project's CycloneDX 1.6 SBOM and CycloneDX 1.6 VEX with cyclonedx-python-lib.

The functions are pure: they turn a loaded `Project` into JSON text and the caller writes
the files. The caller also supplies the timestamp (from the data, `--as-of` or
`SOURCE_DATE_EPOCH`); the serial number is derived from the document content (see
`cyberfile.sbom.documents`), so equal input gives byte-identical documents.

The SBOM keeps the provenance `cyberfile sbom import` recorded (`sbom.source`): its
timestamp, its authors and the tools that made it (cyberfile is added to them, never in
their place), and each component's CycloneDX type.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
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
from cyclonedx.model.contact import OrganizationalContact, OrganizationalEntity
from cyclonedx.model.dependency import Dependency
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

from cyberfile import __version__
from cyberfile.dates import midnight_utc
from cyberfile.model.manifest import Device
from cyberfile.model.project import Project
from cyberfile.model.sbom import Component, SbomSource, sboms_of
from cyberfile.model.vocabulary import (
    HashAlgorithm,
    VulnerabilitySource,
    VulnerabilityStatus,
)
from cyberfile.model.vulnerabilities import Vulnerability
from cyberfile.sbom import documents
from cyberfile.vulndb.cvss import CvssProblem
from cyberfile.vulndb.cvss import score as cvss_score

__all__ = [
    "SUPPORT_PROPERTIES",
    "cyclonedx_sbom",
    "cyclonedx_vex",
]

PROPERTY_SUPPORT_LEVEL = "cyberfile:support:level"
PROPERTY_END_OF_SUPPORT = "cyberfile:support:end_of_support"
PROPERTY_SUPPORT_EVIDENCE = "cyberfile:support:evidence"
PROPERTY_REPLACEMENT_PLAN = "cyberfile:support:replacement_plan"
PROPERTY_SUPPORT_JUSTIFICATION = "cyberfile:support:justification"
PROPERTY_KNOWN_EXPLOITED = "cyberfile:known_exploited"
PROPERTY_SBOM = "cyberfile:sbom"
"""On a component of a device with several SBOMs: the name of one SBOM it came from."""
SUPPORT_PROPERTIES = (
    PROPERTY_SUPPORT_LEVEL,
    PROPERTY_END_OF_SUPPORT,
    PROPERTY_SUPPORT_EVIDENCE,
    PROPERTY_REPLACEMENT_PLAN,
    PROPERTY_SUPPORT_JUSTIFICATION,
)
"""Names of the CycloneDX component properties that carry the FDA support facts."""

# Bom() draws a random uuid4 when given no serial; this one is replaced after rendering.
_PLACEHOLDER_SERIAL = uuid.UUID(int=0)
# The SBOM is always version 1 of its serial: a changed SBOM gets a new serial instead.
_BOM_VERSION = 1

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

_CDX_STATES: Mapping[VulnerabilityStatus, ImpactAnalysisState] = {
    VulnerabilityStatus.UNDER_INVESTIGATION: ImpactAnalysisState.IN_TRIAGE,
    VulnerabilityStatus.AFFECTED: ImpactAnalysisState.EXPLOITABLE,
    VulnerabilityStatus.NOT_AFFECTED: ImpactAnalysisState.NOT_AFFECTED,
    VulnerabilityStatus.FIXED: ImpactAnalysisState.RESOLVED,
}

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


def cyclonedx_sbom(project: Project, *, timestamp: datetime) -> str:
    """The CycloneDX 1.6 JSON SBOM of the device: its components, support facts, dependencies.

    metadata.component is the device (bom-ref = `device_purl`); it depends on the components
    the architecture's assets are built from, and each component on its `depends_on`.
    `timestamp` is used only when no `sbom.sources` entry records a usable timestamp of its
    own. With several SBOMs, authors and tools are their union and each component names
    the SBOMs it came from (property `cyberfile:sbom`).
    """
    device = project.manifest.device
    subject = _device_component(device)
    _require_unique([str(subject.bom_ref), *(c.ref for c in project.sbom.components)])
    in_sboms = sboms_of(project.sbom_members) if len(project.sbom.sources) > 1 else {}
    components = {
        c.ref: _sbom_component(c, in_sboms.get(c.ref, ())) for c in project.sbom.components
    }
    sources = project.sbom.sources
    bom = Bom(
        serial_number=_PLACEHOLDER_SERIAL,
        version=_BOM_VERSION,
        metadata=_metadata(
            device, subject, documents.sources_timestamp(sources) or timestamp, sources
        ),
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


# ------------------------------------------------------------------- document level


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


def _index_dependencies(bom: Bom) -> None:
    """The library's output step calls `Bom.validate`, which registers every component's
    dependency entry with `register_dependency`, a linear search of the graph per call:
    quadratic in components (minutes at 10,000). Every component already has its entry
    (`_register_dependencies`), so for this one Bom the call only needs to find it: an
    index answers in constant time, and anything new still goes to the library."""
    known = {dependency.ref for dependency in bom.dependencies}
    library = bom.register_dependency

    def register(target: Any, depends_on: Any = None) -> None:
        if not depends_on and target.bom_ref in known:
            return
        library(target, depends_on)
        known.update(d.ref for d in bom.dependencies)

    bom.register_dependency = register  # type: ignore[method-assign]


def _render(bom: Bom) -> str:
    """Serialise with the library, then order components by bom-ref and set the serial.

    The library orders components by (type, group, name, version, bom-ref); bom-ref order
    is what the project promises. The serial is a uuid5 of everything else in the
    document, timestamp included, so equal content gives an equal serial.
    """
    _index_dependencies(bom)
    document: dict[str, Any] = json.loads(JsonV1Dot6(bom).output_as_string())
    document.get("components", []).sort(key=lambda component: component["bom-ref"])
    del document["serialNumber"]
    document["serialNumber"] = documents.content_uuid(document).urn
    return documents.dump_json(document)


def _device_component(device: Device) -> CdxComponent:
    purl = documents.device_purl(device)
    # `device` rather than `firmware` or `application`: CycloneDX (1.0 onwards, supported
    # by the library for 1.6) defines it as a hardware device that contains software, and
    # the subject of an FDA SBOM is the medical device as marketed (pump firmware, gateway
    # and app alike), named by the software version under submission.
    return CdxComponent(
        type=ComponentType.DEVICE,
        bom_ref=purl,
        name=device.name,
        version=device.version,
        purl=documents.package_url(purl),
        manufacturer=OrganizationalEntity(name=device.manufacturer),
        supplier=OrganizationalEntity(name=device.manufacturer),
    )


def _metadata(
    device: Device,
    subject: CdxComponent,
    timestamp: datetime,
    sources: Sequence[SbomSource] = (),
) -> BomMetaData:
    """Document metadata; with `sources`, the SBOMs' recorded authors and tools too."""
    authors = list(dict.fromkeys(a for source in sources for a in source.authors))
    tools = [_tool(text) for text in dict.fromkeys(t for s in sources for t in s.tools)]
    if not any((t.name, t.version) == ("cyberfile", __version__) for t in tools):
        tools.append(
            CdxComponent(type=ComponentType.APPLICATION, name="cyberfile", version=__version__)
        )
    return BomMetaData(
        component=subject,
        # Always given: the library would otherwise stamp the wall clock.
        timestamp=documents.as_utc(timestamp),
        # NTIA "author of SBOM data": the authors the imported SBOM names, as it names them.
        authors=[OrganizationalContact(name=name) for name in authors],
        # CycloneDX 1.6 metadata.manufacturer is the organisation that created the BOM:
        # the device manufacturer.
        manufacturer=OrganizationalEntity(name=device.manufacturer),
        tools=ToolRepository(components=tools),
    )


def _tool(text: str) -> CdxComponent:
    """A tool as `sbom import` recorded it, "NAME VERSION" (or "NAME" alone).

    The last word is the version when it looks like one (a digit, or `v` and a digit,
    first); otherwise the whole text is the name.
    """
    name, version = documents.tool_parts(text)
    if version is not None:
        return CdxComponent(type=ComponentType.APPLICATION, name=name, version=version)
    return CdxComponent(type=ComponentType.APPLICATION, name=text)


# ----------------------------------------------------------------------- SBOM parts


def _sbom_component(component: Component, sboms: Sequence[str] = ()) -> CdxComponent:
    return CdxComponent(
        # sbom.yaml uses CycloneDX's own type names, value for value.
        type=ComponentType(component.type.value),
        bom_ref=component.ref,
        name=component.name,
        group=component.group,
        version=component.version,
        supplier=OrganizationalEntity(name=component.supplier) if component.supplier else None,
        purl=documents.package_url(component.purl) if component.purl else None,
        cpe=component.cpe,
        hashes=[
            HashType(alg=_CDX_HASHES[algorithm], content=digest)
            for algorithm, digest in sorted(component.hashes.items())
        ],
        licenses=_licenses(component.licenses),
        properties=[
            *_support_properties(component),
            *(Property(name=PROPERTY_SBOM, value=name) for name in sboms),
        ],
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
    """The dependency graph, handed to the library in one piece: the device depends on
    what its assets are built from, each component on its `depends_on`, and every
    component has an entry. (`Bom.register_dependency` searches the graph for every call:
    quadratic in components.)"""
    # A ref that resolves to no component is reported by `validate`; the library would
    # refuse the whole document, so the export leaves such refs out.
    used = {ref for refs in project.asset_components().values() for ref in refs}
    graph = [
        Dependency(
            ref=subject.bom_ref,
            dependencies=[
                Dependency(ref=components[r].bom_ref) for r in sorted(used & components.keys())
            ],
        )
    ]
    for component in project.sbom.components:
        needs = sorted(set(component.depends_on) & components.keys())
        graph.append(
            Dependency(
                ref=components[component.ref].bom_ref,
                dependencies=[Dependency(ref=components[r].bom_ref) for r in needs],
            )
        )
    bom.dependencies = graph


# ------------------------------------------------------------------------ VEX parts


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
            for alias in documents.vulnerability_aliases(vulnerability)
        ],
        ratings=[_rating(vulnerability.cvss)] if vulnerability.cvss else [],
        analysis=_analysis(vulnerability),
        recommendation=(
            documents.action_statement(vulnerability)
            if vulnerability.status is VulnerabilityStatus.AFFECTED
            else None
        ),
        affects=[BomTarget(ref=_bom_link(sbom, ref)) for ref in targets],
        properties=properties,
    )


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
