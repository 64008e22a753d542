"""Write a project's OpenVEX 0.2.0 document: one statement per vulnerability.

The function is pure: it turns a loaded `Project` into JSON text and the caller writes
the file. The caller supplies the timestamp; the `@id` is derived from the document
content (see `cyberfile.sbom.documents`), so equal input gives a byte-identical document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cyberfile import __version__
from cyberfile.model.project import Project
from cyberfile.model.sbom import Component
from cyberfile.model.vocabulary import HashAlgorithm, VexJustification, VulnerabilityStatus
from cyberfile.model.vulnerabilities import Vulnerability
from cyberfile.sbom import documents

__all__ = ["OPENVEX_CONTEXT", "openvex"]

OPENVEX_CONTEXT = "https://openvex.dev/ns/v0.2.0"

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

_NO_IMPACT_STATEMENT = "No justification recorded; see assessment."


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
    product = documents.device_purl(device)
    sbom = {c.ref: c for c in project.sbom.components}
    vulnerabilities = sorted(project.vulnerabilities.vulnerabilities, key=lambda v: v.id)
    document: dict[str, Any] = {
        "@context": OPENVEX_CONTEXT,
        "author": device.manufacturer,
        "timestamp": documents.as_utc(timestamp).isoformat(),
        "version": 1,
        "tooling": f"cyberfile {__version__}",
        "statements": [_openvex_statement(v, product, sbom) for v in vulnerabilities],
    }
    document["@id"] = documents.content_uuid(document).urn
    return documents.dump_json(document)


def _openvex_statement(
    vulnerability: Vulnerability, product: str, sbom: Mapping[str, Component]
) -> dict[str, Any]:
    named: dict[str, Any] = {"name": vulnerability.id}
    aliases = documents.vulnerability_aliases(vulnerability)
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
        action = documents.action_statement(vulnerability)
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
    purl = documents.package_url(text)
    return str(purl.to_string()) if purl else text


def _openvex_hashes(component: Component) -> dict[str, str]:
    return {
        _OPENVEX_HASHES[algorithm]: digest
        for algorithm, digest in sorted(component.hashes.items())
        if algorithm in _OPENVEX_HASHES
    }
