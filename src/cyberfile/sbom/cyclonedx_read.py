"""Read a CycloneDX SBOM (JSON 1.2-1.6, or XML parsed safely) with cyclonedx-python-lib."""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cyberfile.errors import InputError
from cyberfile.model.sbom import is_cpe23
from cyberfile.model.vocabulary import HashAlgorithm, well_formed_digest

MAX_SBOM_BYTES = 256 * 1024 * 1024

_HASHES = {
    "MD5": HashAlgorithm.MD5,
    "SHA-1": HashAlgorithm.SHA1,
    "SHA-256": HashAlgorithm.SHA256,
    "SHA-384": HashAlgorithm.SHA384,
    "SHA-512": HashAlgorithm.SHA512,
    "SHA3-256": HashAlgorithm.SHA3_256,
    "SHA3-384": HashAlgorithm.SHA3_384,
    "SHA3-512": HashAlgorithm.SHA3_512,
    "BLAKE2b-256": HashAlgorithm.BLAKE2B_256,
    "BLAKE2b-384": HashAlgorithm.BLAKE2B_384,
    "BLAKE2b-512": HashAlgorithm.BLAKE2B_512,
    "BLAKE3": HashAlgorithm.BLAKE3,
}
"""CycloneDX hash algorithm names -> the names sbom.yaml uses."""


class SbomReadError(InputError):
    """The file is not a CycloneDX SBOM cyberfile can read; the message says why."""


@dataclass(frozen=True)
class ImportedComponent:
    ref: str
    type: str
    """CycloneDX component type (`library`, `operating-system`, `firmware`, ...)."""
    name: str
    group: str | None
    version: str | None
    supplier: str | None
    purl: str | None
    hashes: dict[str, str]
    licenses: tuple[str, ...]
    depends_on: tuple[str, ...]
    cpe: str | None = None
    """CycloneDX `cpe`, kept when it is a CPE 2.3 formatted string."""


def _cpe(component: Any, ref: str, skipped: list[str]) -> str | None:
    text = _text(getattr(component, "cpe", None))
    if text is None:
        return None
    if not is_cpe23(text):
        skipped.append(f"{ref}: cpe {text!r} is not a CPE 2.3 formatted string; not kept")
        return None
    return text


def with_edges(component: ImportedComponent, edges: dict[str, set[str]]) -> ImportedComponent:
    """The component with its dependency edges, sorted."""
    return replace(component, depends_on=tuple(sorted(edges.get(component.ref, ()))))


@dataclass
class ImportedSbom:
    file: Path
    sha256: str
    spec_version: str
    serial_number: str | None
    timestamp: str | None
    authors: tuple[str, ...]
    tools: tuple[str, ...]
    components: list[ImportedComponent]
    skipped: list[str] = field(default_factory=list)
    """What was left out and why (duplicates, malformed hashes, services)."""
    roots: tuple[str, ...] = ()
    """Refs of the components the SBOM is about (SPDX: the packages the document
    DESCRIBES); empty when the file does not say."""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _walk(components: Any) -> Iterator[Any]:
    for component in sorted(components):
        yield component
        yield from _walk(component.components)


def _license_texts(component: Any) -> tuple[str, ...]:
    texts = []
    for item in component.licenses:
        value = (
            getattr(item, "value", None) or getattr(item, "id", None) or getattr(item, "name", None)
        )
        if value:
            texts.append(str(value))
    return tuple(texts)


def _component_type(component: Any) -> str:
    # The library reads `type` into its ComponentType enum; the schema requires it.
    return str(getattr(component.type, "value", component.type))


def _supplier(component: Any) -> str | None:
    if component.supplier is not None and component.supplier.name:
        return _text(component.supplier.name)
    return _text(component.publisher)


def _hashes(component: Any, ref: str, skipped: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in component.hashes:
        algorithm = _HASHES.get(str(getattr(item.alg, "value", item.alg)))
        digest = str(item.content).lower()
        if algorithm is None:
            skipped.append(f"{ref}: hash algorithm {item.alg} is not supported; left out")
            continue
        if not well_formed_digest(algorithm, digest):
            skipped.append(f"{ref}: {algorithm.value} digest is malformed; left out")
            continue
        out[algorithm.value] = digest
    return out


SERVICES_SHOWN = 10
"""Service names a note lists before "and N more"."""


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text.strip())[:80] or "(no name)"


def _json_services(services: Any) -> Iterator[str]:
    """The names of the services of a CycloneDX JSON document, nested ones after their
    parent, in file order."""
    for service in services if isinstance(services, list) else ():
        if not isinstance(service, dict):
            continue
        name = service.get("name")
        yield _printable(name) if isinstance(name, str) else "(no name)"
        yield from _json_services(service.get("services"))


def _xml_services(element: Any, namespace: str) -> Iterator[str]:
    for service in element.findall(f"{{{namespace}}}service"):
        name = service.find(f"{{{namespace}}}name")
        yield _printable(name.text or "") if name is not None else "(no name)"
        for inner in service.findall(f"{{{namespace}}}services"):
            yield from _xml_services(inner, namespace)


def services_note(names: list[str]) -> str | None:
    """The `skipped` note for the services of an SBOM (SaaSBOM): they are not imported."""
    if not names:
        return None
    shown = ", ".join(names[:SERVICES_SHOWN])
    more = len(names) - SERVICES_SHOWN
    listed = shown + (f" and {more} more" if more > 0 else "")
    count = f"{len(names)} service" + ("s" if len(names) > 1 else "")
    return f"{count} not imported ({listed}): sbom.yaml lists components, not services"


def _parse_bom(raw: bytes, path: Path) -> tuple[Any, dict[str, Any]]:
    """The library's Bom and the raw metadata (the library fills in missing timestamps and
    serial numbers with fresh values, which would make imports non-repeatable).

    `services` (a SaaSBOM's, or any BOM's) are taken out of the document before the library
    reads it, after the schema check: sbom.yaml lists components only, and the library
    cannot read every valid service (data classifications of CycloneDX 1.5 and 1.6). Their
    names are in meta["services"]."""
    from cyclonedx.model.bom import Bom

    stripped = raw.lstrip()
    if stripped.startswith(b"<"):
        from defusedxml import ElementTree
        from defusedxml.common import DefusedXmlException

        try:
            root = ElementTree.fromstring(raw)
        except (DefusedXmlException, ElementTree.ParseError) as exc:
            raise SbomReadError(f"{path}: not a safe, well-formed XML document ({exc})") from None
        namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
        if not namespace.startswith("http://cyclonedx.org/schema/bom/"):
            raise SbomReadError(f"{path}: XML, but not a CycloneDX BOM (namespace {namespace!r})")
        meta: dict[str, Any] = {
            "specVersion": namespace.rsplit("/", 1)[-1],
            "serialNumber": root.get("serialNumber"),
        }
        timestamp = root.find(f"{{{namespace}}}metadata/{{{namespace}}}timestamp")
        meta["timestamp"] = timestamp.text if timestamp is not None else None
        names: list[str] = []
        for services in root.findall(f"{{{namespace}}}services"):
            names.extend(_xml_services(services, namespace))
            root.remove(services)
        meta["services"] = names
        try:
            return Bom.from_xml(root), meta  # type: ignore[attr-defined]
        except Exception as exc:  # the library raises many types for bad content
            raise SbomReadError(f"{path}: not a valid CycloneDX XML BOM ({exc})") from None
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise SbomReadError(f"{path}: not JSON or XML ({exc})") from None
    if not isinstance(document, dict) or document.get("bomFormat") != "CycloneDX":
        raise SbomReadError(f"{path}: not a CycloneDX document (bomFormat is not CycloneDX)")
    _validate_json(raw, document, path)
    names = list(_json_services(document.get("services")))
    components_only = {key: value for key, value in document.items() if key != "services"}
    try:
        bom = Bom.from_json(components_only)  # type: ignore[attr-defined]
    except Exception as exc:  # the library raises many types for bad content
        raise SbomReadError(f"{path}: cannot read the CycloneDX content ({exc})") from None
    metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
    meta = {  # the same keys as for XML above
        "specVersion": document.get("specVersion"),
        "serialNumber": document.get("serialNumber"),
        "timestamp": metadata.get("timestamp") if metadata else None,
        "services": names,
    }
    return bom, meta


def _validate_json(raw: bytes, document: dict[str, Any], path: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    version = str(document.get("specVersion"))
    try:
        schema = SchemaVersion.from_version(version)
    except ValueError:
        raise SbomReadError(
            f"{path}: CycloneDX specVersion {version!r} is not supported (1.2 to 1.6 are)"
        ) from None
    if schema < SchemaVersion.V1_2:
        raise SbomReadError(f"{path}: CycloneDX {version} is too old; 1.2 to 1.6 are supported")
    library = JsonStrictValidator(schema)
    error: object | None
    try:
        # The library checks every `format`; the IRI checks of the optional rfc3987-syntax
        # package cost ~50 ms per URL (minutes on a large SBOM) and say nothing about
        # whether the SBOM is usable, so they are left out. Same schema otherwise.
        from jsonschema import FormatChecker

        checker = FormatChecker()
        for slow in ("iri", "iri-reference"):
            checker.checkers.pop(slow, None)
        validator = library._validator.evolve(format_checker=checker)
        error = next(iter(validator.iter_errors(document)), None)
    except AttributeError:  # library internals changed: use its public check
        error = library.validate_str(raw.decode("utf-8", "replace"))
    if error is not None:
        detail = getattr(error, "data", error)
        message = getattr(detail, "message", str(detail))
        where = "/".join(str(p) for p in getattr(detail, "absolute_path", []))
        raise SbomReadError(
            f"{path}: invalid CycloneDX {version}: {message}" + (f" (at /{where})" if where else "")
        )


def read_cyclonedx(path: Path) -> ImportedSbom:
    """Read and validate a CycloneDX SBOM file; raise SbomReadError if unusable."""
    # Reading an older SBOM makes the library warn that 1.6 deprecates fields the file
    # uses; that is about the file's own spec version, not something a user can act on.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _read(path)


def _read(path: Path) -> ImportedSbom:
    try:
        size = path.stat().st_size
        if size > MAX_SBOM_BYTES:
            raise SbomReadError(f"{path}: {size} bytes is larger than cyberfile reads")
        raw = path.read_bytes()
    except OSError as exc:
        raise SbomReadError(f"{path}: cannot read ({exc.strerror or exc})") from None
    bom, meta = _parse_bom(raw, path)
    skipped: list[str] = []
    note = services_note(meta.get("services") or [])
    if note is not None:
        skipped.append(note)
    by_bom_ref: dict[str, str] = {}
    components: list[ImportedComponent] = []
    seen: set[str] = set()
    flat = list(_walk(bom.components))
    for component in flat:
        purl = str(component.purl) if component.purl is not None else None
        bom_ref = _text(component.bom_ref.value) if component.bom_ref else None
        ref = (
            purl
            or bom_ref
            or "/".join(
                p for p in (component.group, f"{component.name}@{component.version or ''}") if p
            )
        )
        if bom_ref:
            by_bom_ref[bom_ref] = ref
        if ref in seen:
            skipped.append(f"{ref}: listed more than once; kept the first")
            continue
        seen.add(ref)
        components.append(
            ImportedComponent(
                ref=ref,
                type=_component_type(component),
                name=str(component.name),
                group=_text(component.group),
                version=_text(component.version),
                supplier=_supplier(component),
                purl=purl,
                hashes=_hashes(component, ref, skipped),
                licenses=_license_texts(component),
                depends_on=(),
                cpe=_cpe(component, ref, skipped),
            )
        )
    edges: dict[str, set[str]] = {}
    for dependency in bom.dependencies:
        source = by_bom_ref.get(str(dependency.ref.value))
        if source is None:
            continue
        targets = {by_bom_ref.get(str(d.ref.value)) for d in dependency.dependencies}
        edges.setdefault(source, set()).update(t for t in targets if t and t != source)
    components = [with_edges(c, edges) for c in components]
    metadata = bom.metadata
    # An author known only by e-mail is still the author: keep what the file says.
    authors = tuple(text for a in metadata.authors if (text := _text(a.name) or _text(a.email)))
    tools = tuple(
        " ".join(p for p in (str(t.name or ""), str(t.version or "")) if p)
        for t in [*metadata.tools.tools, *metadata.tools.components, *metadata.tools.services]
        if getattr(t, "name", None)
    )
    return ImportedSbom(
        file=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        spec_version=str(meta.get("specVersion")),
        serial_number=_text(meta.get("serialNumber")),
        timestamp=_text(meta.get("timestamp")),
        authors=authors,
        tools=tools,
        components=components,
        skipped=skipped,
    )
