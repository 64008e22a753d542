"""Read an SPDX 2.2 or 2.3 SBOM (JSON or tag-value) with spdx-tools, the SPDX project's library.

The file is parsed and validated by spdx-tools (`validate_full_spdx_document`); a document it
rejects is refused with its first messages, except for the few rules listed under
`_TOLERATED` below, which concern parts cyberfile does not import. Nothing is imported from a
file that is refused: the caller gets an `SbomReadError` and writes nothing.

How a package becomes an `ImportedComponent` (files and snippets are not imported; a note
says how many there were):

- `ref`: the package's purl (the first `purl` external reference that is a valid package
  URL); without one, `spdx:` + its SPDXID (`spdx:SPDXRef-Package-hello`). The SPDXID is the
  document's own identifier for the package, as the bom-ref is in CycloneDX: unique in the
  document, and stable across builds when the producer keeps it (Yocto's
  `SPDXRef-Recipe-busybox` does; identifiers that change with every build turn a re-import
  into "removed" and "added"). Two packages with one purl: the first is kept, the other's
  relationships go to it, and a note says so.
- `name`, `version` (`versionInfo`); `group` stays empty (SPDX has no such field; a purl
  keeps its namespace).
- `supplier`: the `supplier` organisation or person name; when the supplier is absent or
  NOASSERTION, the `originator` (the original author: the CycloneDX reader falls back from
  supplier to publisher the same way).
- `purl`; `cpe`: the first `cpe23Type` external reference that is a CPE 2.3 formatted string
  (sbom.yaml holds one CPE per component; further ones, invalid ones and `cpe22Type` ones are
  noted in `skipped`).
- `type`: from SPDX 2.3 `primaryPackagePurpose` (see `_PURPOSE_TYPES`); SPDX 2.2 has none:
  `library`, the model's default.
- `hashes`: the package checksums sbom.yaml has an algorithm for (`_HASHES`); others (MD2,
  MD4, MD6, SHA224, ADLER32) are noted.
- `licenses`: `licenseConcluded` then `licenseDeclared` (when different), as SPDX
  expressions; NOASSERTION and NONE are left out.
- `depends_on`: edges between packages of this document from the relationships in
  `_DEPENDS` (DEPENDS_ON; DEPENDENCY_OF and the runtime, optional and provided kinds
  reversed; STATIC_LINK and DYNAMIC_LINK; CONTAINS, and CONTAINED_BY reversed: a package that
  contains others depends on them, so that an image or firmware package reaches its parts).
  Build, development and test dependencies are not part of what ships and are left out.
  Relationships are plain edges: a cycle is kept as written and nothing follows it here.
  A file's dependency and link relationships count for the packages that contain it
  (CONTAINS, CONTAINED_BY, `hasFiles`, or files listed after a package in tag-value):
  `main-binary DYNAMIC_LINK libc` makes the package holding `main-binary` depend on `libc`;
  containment itself makes edges between packages only. Elements of other documents
  (`DocumentRef-…:SPDXRef-…`) are not followed; a note counts them.

Document level: `spec_version` is `spdxVersion` (`SPDX-2.3`); `serial_number` the
`documentNamespace`; `timestamp` `creationInfo.created`; `authors` the `Person:` and
`Organization:` creators (their names), `tools` the `Tool:` creators; `roots` the packages
the document DESCRIBES (or that are DESCRIBED_BY it; a document of one package describes it).

Size: the same limit as CycloneDX (`MAX_SBOM_BYTES`, 256 MiB).

Speed: spdx-tools 0.8 does some lookups by scanning lists (every relationship's ids against
a list of all ids, every package against every relationship, every `hasFiles` entry against
every relationship) and builds a new licence index for every tag-value licence expression:
validating 5,000 packages took 38 s, parsing 1,500 packages of tag-value 63 s.
`_linear_time()` replaces those lookups, while one document is parsed and validated, with
indexed ones that give the same answers (tests/test_spdx_import.py compares them with the
library's own on every example and on a document full of mistakes); the checks themselves
stay the library's. The tag-value lexer also reads `<text>` blocks in runs
(`_text_lexer`), so a 50 MB block takes a fraction of a second instead of half a minute.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cyberfile.model.sbom import is_cpe23
from cyberfile.model.vocabulary import HASH_HEX_LENGTH, HashAlgorithm
from cyberfile.sbom.cyclonedx_read import (
    MAX_SBOM_BYTES,
    ImportedComponent,
    ImportedSbom,
    SbomReadError,
    with_edges,
)

if TYPE_CHECKING:
    from spdx_tools.spdx.model.document import Document
    from spdx_tools.spdx.model.package import Package

SPDX_VERSIONS = ("SPDX-2.2", "SPDX-2.3")

SHOWN_PROBLEMS = 3
"""How many of spdx-tools' messages a refusal shows."""

_HASHES = {
    "MD5": HashAlgorithm.MD5,
    "SHA1": HashAlgorithm.SHA1,
    "SHA256": HashAlgorithm.SHA256,
    "SHA384": HashAlgorithm.SHA384,
    "SHA512": HashAlgorithm.SHA512,
    "SHA3_256": HashAlgorithm.SHA3_256,
    "SHA3_384": HashAlgorithm.SHA3_384,
    "SHA3_512": HashAlgorithm.SHA3_512,
    "BLAKE2B_256": HashAlgorithm.BLAKE2B_256,
    "BLAKE2B_384": HashAlgorithm.BLAKE2B_384,
    "BLAKE2B_512": HashAlgorithm.BLAKE2B_512,
    "BLAKE3": HashAlgorithm.BLAKE3,
}
"""spdx-tools ChecksumAlgorithm names -> the names sbom.yaml uses."""

_PURPOSE_TYPES = {
    "APPLICATION": "application",
    "FRAMEWORK": "framework",
    "LIBRARY": "library",
    "CONTAINER": "container",
    "OPERATING_SYSTEM": "operating-system",
    "DEVICE": "device",
    "FIRMWARE": "firmware",
    "FILE": "file",
    "ARCHIVE": "file",  # a tarball or zip is a file; CycloneDX has no archive type
    "INSTALL": "file",  # an installer or install package is a distributable file
    "SOURCE": "library",  # CycloneDX has no source type; library claims nothing more
    "OTHER": "library",
}
"""SPDX 2.3 primaryPackagePurpose -> CycloneDX component type."""

_DEPENDS = {
    "DEPENDS_ON": False,
    "DEPENDENCY_OF": True,
    "RUNTIME_DEPENDENCY_OF": True,
    "OPTIONAL_DEPENDENCY_OF": True,
    "PROVIDED_DEPENDENCY_OF": True,
    "STATIC_LINK": False,
    "DYNAMIC_LINK": False,
    "CONTAINS": False,
    "CONTAINED_BY": True,
}
"""Relationship types that make a dependency edge -> whether the edge runs from the related
element to the element (`A DEPENDENCY_OF B`: B depends on A)."""

_TOLERATED = (
    "package must contain no elements if files_analyzed is False",
    "license_info_from_files must be None if files_analyzed is False",
    "verification_code must be None if files_analyzed is False",
)
"""spdx-tools messages that do not refuse a file: they concern which files a package's
analysis covered, and cyberfile imports no files (the SPDX project's own example
`appbomination` breaks the first). They are reported as notes. Messages about `cpe23Type`
and `cpe22Type` locators are not refusals either: each CPE is checked on its own and left
out with a note when it is not a CPE 2.3 formatted string."""

_REFERENCE_TYPE_PREFIX = "http://spdx.org/rdf/references/"
"""Yocto's create-spdx (and other RDF-minded writers) give external reference types as
`http://spdx.org/rdf/references/cpe23Type`; JSON and tag-value use the short name."""

_TAG_VALUE_VERSION = re.compile(r"^[ \t]*SPDXVersion[ \t]*:[ \t]*(\S*)", re.MULTILINE)


def read_spdx(path: Path) -> ImportedSbom:
    """Read and validate an SPDX 2.2/2.3 file (JSON or tag-value, told apart by content);
    raise SbomReadError, naming the file and the first problems, if it is unusable."""
    raw = _read_bytes(path)
    with _linear_time():
        document = _parse(path, raw)
        notes = _validate(path, document)
    return _imported(path, raw, document, notes)


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_SBOM_BYTES:
            raise SbomReadError(
                f"{path}: {size} bytes is larger than cyberfile reads ({MAX_SBOM_BYTES} bytes)"
            )
        return path.read_bytes()
    except OSError as exc:
        raise SbomReadError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _clean(text: object, limit: int = 300) -> str:
    """A library message or a value from the file, fit for one terminal line: control
    characters escaped, long texts cut."""
    out = "".join(
        c if unicodedata.category(c)[0] != "C" or c == " " else f"\\x{ord(c):02x}"
        for c in str(text)
    )
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _problems(path: Path, what: str, messages: list[str]) -> SbomReadError:
    shown = "; ".join(_clean(m) for m in messages[:SHOWN_PROBLEMS])
    more = len(messages) - SHOWN_PROBLEMS
    return SbomReadError(
        f"{path}: {what}: {shown}" + (f" (and {more} more problems)" if more > 0 else "")
    )


# -- parsing ---------------------------------------------------------------------------------


def _parse(path: Path, raw: bytes) -> Document:
    from spdx_tools.spdx.parser.error import SPDXParsingError

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SbomReadError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    start = text.lstrip()[:1]
    try:
        if start == "{":
            return _parse_json(path, raw)
        if start == "<":
            raise SbomReadError(
                f"{path}: XML; cyberfile reads SPDX as JSON or tag-value (and CycloneDX XML)"
            )
        return _parse_tag_value(path, text)
    except SPDXParsingError as exc:
        raise _problems(path, "not a readable SPDX document", exc.get_messages()) from None
    except SbomReadError:
        raise
    except Exception as exc:  # the library raises many types for content of the wrong shape
        raise SbomReadError(
            f"{path}: cannot read the SPDX content ({type(exc).__name__}: {_clean(exc)})"
        ) from None


def _check_version(path: Path, version: object) -> None:
    if version in SPDX_VERSIONS:
        return
    shown = _clean(version, 40) if isinstance(version, str) else repr(version)
    raise SbomReadError(
        f"{path}: SPDX version {shown} is not supported (SPDX-2.2 and SPDX-2.3 are)"
    )


def _parse_json(path: Path, raw: bytes) -> Document:
    from spdx_tools.spdx.parser.json.json_parser import remove_json_control_chars_hook
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser

    try:
        data = json.loads(raw, object_pairs_hook=remove_json_control_chars_hook)
    except (ValueError, RecursionError) as exc:
        raise SbomReadError(f"{path}: not valid JSON ({_clean(exc)})") from None
    if not isinstance(data, dict):
        raise SbomReadError(f"{path}: not an SPDX document (the JSON is not an object)")
    if "spdxVersion" not in data:
        if "spdx" in str(data.get("@context")).lower():
            raise SbomReadError(
                f"{path}: SPDX 3 (JSON-LD) is not supported; SPDX-2.2 and SPDX-2.3 are"
            )
        raise SbomReadError(f"{path}: not an SPDX document (no spdxVersion)")
    _check_version(path, data["spdxVersion"])
    document: Document = JsonLikeDictParser().parse(data)
    return document


def _parse_tag_value(path: Path, text: str) -> Document:
    from ply import yacc
    from spdx_tools.spdx.parser.tagvalue.parser import Parser

    match = _TAG_VALUE_VERSION.search(text)
    if match is None:
        raise SbomReadError(f"{path}: not an SPDX document (no SPDXVersion line)")
    _check_version(path, match.group(1))
    # No tables written next to the library, no debug file, no "Generating LALR tables".
    parser = Parser(write_tables=False, debug=False, errorlog=yacc.NullLogger())
    parser.lex = _text_lexer()
    relationships = _RelationshipList()
    parser.elements_built["relationships"] = relationships
    document: Document = parser.parse(text)
    lexer: Any = parser.lex.lexer
    if lexer.current_state() == "text":
        # the lexer swallowed everything after an unclosed <text>: the rest of the file
        line = text.count("\n", 0, getattr(lexer, "text_start", 0)) + 1
        raise SbomReadError(f"{path}: the <text> opened on line {line} is never closed")
    return document


def _text_lexer() -> Any:
    """The library's tag-value lexer, except that inside `<text>…</text>` it takes runs of
    characters instead of one character per token (a 10 MB text block took 7 s). The
    block's value is still the slice between the tags. Falls back to the library's own
    lexer if its text rules ever stop being ordered `</text>` first."""
    from ply.lex import TOKEN
    from spdx_tools.spdx.parser.tagvalue.lexer import SPDXLexer

    def t_text_any(self: Any, t: Any) -> None:
        """Inside <text>: anything up to the next `<` (t_text_end, earlier, takes `</text>`)."""

    lexer: Any = type("Lexer", (SPDXLexer,), {"t_text_any": TOKEN(r"[^<]+|<")(t_text_any)})()
    lexer.build(reflags=re.UNICODE)
    text_rules = lexer.lexer.lexstatere.get("text", [])
    if not (text_rules and text_rules[0][0].pattern.startswith("(?P<t_text_end>")):
        lexer = SPDXLexer()
        lexer.build(reflags=re.UNICODE)
    return lexer


# -- validation ------------------------------------------------------------------------------


def _normalise_reference_types(document: Document) -> None:
    for package in document.packages:
        for reference in package.external_references:
            if reference.reference_type.startswith(_REFERENCE_TYPE_PREFIX):
                reference.reference_type = reference.reference_type[len(_REFERENCE_TYPE_PREFIX) :]


def _is_cpe_locator_message(message: Any) -> bool:
    from spdx_tools.spdx.validation.validation_message import SpdxElementType

    context = message.context
    return bool(
        context.element_type == SpdxElementType.EXTERNAL_PACKAGE_REF
        and getattr(context.full_element, "reference_type", None) in ("cpe22Type", "cpe23Type")
    )


def _validate(path: Path, document: Document) -> list[str]:
    """Refuse the document on spdx-tools' validation messages; return the notes for the
    tolerated ones."""
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    _normalise_reference_types(document)
    version = document.creation_info.spdx_version
    notes: list[str] = []
    refusals: list[str] = []
    for message in validate_full_spdx_document(document):
        text = message.validation_message
        where = message.context.spdx_id or message.context.parent_id
        if _is_cpe_locator_message(message):
            continue
        if text.startswith(_TOLERATED):
            notes.append(
                f"{where}: not conformant to {version} ({_clean(text.split(', but ')[0])}); "
                "imported anyway: it concerns files, which are not imported"
            )
            continue
        refusals.append(f"{where}: {text}" if where else text)
    if refusals:
        raise _problems(path, f"invalid {version} document (spdx-tools)", refusals)
    return notes


# -- mapping ---------------------------------------------------------------------------------


def _valid_purl(text: str) -> bool:
    from packageurl import PackageURL

    try:
        PackageURL.from_string(text)
    except ValueError:
        return False
    return True


def _actor_name(actor: Any) -> str | None:
    name = getattr(actor, "name", None)  # SpdxNoAssertion and None have none
    return name.strip() or None if isinstance(name, str) else None


def _licenses(package: Package) -> tuple[str, ...]:
    from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
    from spdx_tools.spdx.model.spdx_none import SpdxNone

    out: list[str] = []
    for expression in (package.license_concluded, package.license_declared):
        if expression is None or isinstance(expression, SpdxNoAssertion | SpdxNone):
            continue
        text = str(expression).strip()
        if text and text not in out:
            out.append(text)
    return tuple(out)


def _hashes(package: Package, where: str, skipped: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for checksum in package.checksums:
        name = checksum.algorithm.name
        algorithm = _HASHES.get(name)
        digest = checksum.value.strip().lower()
        if algorithm is None:
            skipped.append(f"{where}: {name} checksum: sbom.yaml has no such algorithm; left out")
            continue
        if len(digest) != HASH_HEX_LENGTH[algorithm] or not all(
            c in "0123456789abcdef" for c in digest
        ):
            skipped.append(f"{where}: {algorithm.value} checksum is malformed; left out")
            continue
        out.setdefault(algorithm.value, digest)
    return out


def _identity(package: Package, skipped: list[str]) -> tuple[str | None, str | None]:
    """(purl, cpe) from the package's external references."""
    purl: str | None = None
    cpe: str | None = None
    where = package.spdx_id
    extra_cpes = 0
    for reference in package.external_references:
        kind, locator = reference.reference_type, reference.locator.strip()
        if kind == "purl":
            if purl is not None:
                if locator != purl:
                    skipped.append(f"{where}: further purl {locator[:200]!r} not kept")
            elif _valid_purl(locator):
                purl = locator
            else:
                skipped.append(
                    f"{where}: purl {locator[:200]!r} is not a valid package URL; not kept"
                )
        elif kind == "cpe23Type":
            if not is_cpe23(locator):
                skipped.append(
                    f"{where}: cpe {locator[:200]!r} is not a CPE 2.3 formatted string; not kept"
                )
            elif cpe is None:
                cpe = locator
            elif locator != cpe:
                extra_cpes += 1
        elif kind == "cpe22Type":
            skipped.append(f"{where}: cpe22Type {locator[:200]!r} not kept (CPE 2.3 only)")
    if extra_cpes:
        skipped.append(
            f"{where}: kept the first CPE ({cpe}); {extra_cpes} more not kept "
            "(sbom.yaml holds one CPE per component)"
        )
    return purl, cpe


def _component(package: Package, ref: str, skipped: list[str]) -> ImportedComponent:
    purl, cpe = _identity(package, skipped)
    purpose = package.primary_package_purpose
    return ImportedComponent(
        ref=ref,
        type=_PURPOSE_TYPES.get(purpose.name, "library") if purpose is not None else "library",
        name=package.name,
        group=None,
        version=(package.version or "").strip() or None,
        supplier=_actor_name(package.supplier) or _actor_name(package.originator),
        purl=purl,
        hashes=_hashes(package, package.spdx_id, skipped),
        licenses=_licenses(package),
        depends_on=(),
        cpe=cpe,
    )


def _ref_of(package: Package) -> str:
    for reference in package.external_references:
        if reference.reference_type == "purl" and _valid_purl(reference.locator.strip()):
            return reference.locator.strip()
    return f"spdx:{package.spdx_id}"


def _graph(document: Document, by_id: dict[str, str]) -> tuple[list[str], dict[str, set[str]], int]:
    """(roots, dependency edges between refs, relationships naming other documents)."""
    document_id = document.creation_info.spdx_id
    file_ids = {f.spdx_id for f in document.files}
    holders: dict[str, set[str]] = {}  # file id -> refs of the packages that contain it
    for relationship in document.relationships:
        kind = relationship.relationship_type.name
        element, related = relationship.spdx_element_id, str(relationship.related_spdx_element_id)
        if kind == "CONTAINS" and element in by_id and related in file_ids:
            holders.setdefault(related, set()).add(by_id[element])
        elif kind == "CONTAINED_BY" and related in by_id and element in file_ids:
            holders.setdefault(element, set()).add(by_id[related])

    def refs(spdx_id: str) -> set[str]:
        if spdx_id in by_id:
            return {by_id[spdx_id]}
        return holders.get(spdx_id, set())

    roots: list[str] = []
    edges: dict[str, set[str]] = {}
    external = 0
    for relationship in document.relationships:
        kind = relationship.relationship_type.name
        element, related = relationship.spdx_element_id, str(relationship.related_spdx_element_id)
        if kind == "DESCRIBES" and element == document_id and related in by_id:
            roots.append(by_id[related])
            continue
        if kind == "DESCRIBED_BY" and related == document_id and element in by_id:
            roots.append(by_id[element])
            continue
        reverse = _DEPENDS.get(kind)
        if reverse is None:
            continue
        if ":" in element or ":" in related:
            external += 1
            continue
        source, target = (related, element) if reverse else (element, related)
        if kind in ("CONTAINS", "CONTAINED_BY"):  # holding files is not depending on them
            if source in by_id and target in by_id and by_id[source] != by_id[target]:
                edges.setdefault(by_id[source], set()).add(by_id[target])
            continue
        for dependent in refs(source):
            edges.setdefault(dependent, set()).update(refs(target) - {dependent})
    return roots, edges, external


def _imported(path: Path, raw: bytes, document: Document, notes: list[str]) -> ImportedSbom:
    from spdx_tools.spdx.datetime_conversions import datetime_to_iso_string
    from spdx_tools.spdx.model.actor import ActorType

    skipped = list(notes)
    by_id: dict[str, str] = {}
    components: list[ImportedComponent] = []
    seen: set[str] = set()
    for package in document.packages:
        ref = _ref_of(package)
        by_id[package.spdx_id] = ref
        if ref in seen:
            skipped.append(f"{ref}: listed more than once ({package.spdx_id}); kept the first")
            continue
        seen.add(ref)
        components.append(_component(package, ref, skipped))

    roots, edges, external = _graph(document, by_id)
    if not roots and len(document.packages) == 1:
        roots.append(by_id[document.packages[0].spdx_id])
    if external:
        skipped.append(
            f"{external} dependency relationship(s) name elements of other SPDX documents "
            "(DocumentRef-…); not followed"
        )
    if document.files or document.snippets:
        skipped.append(
            f"{len(document.files)} file(s) and {len(document.snippets)} snippet(s) not "
            "imported (sbom.yaml lists packages)"
        )

    info = document.creation_info
    return ImportedSbom(
        file=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        spec_version=info.spdx_version,
        serial_number=info.document_namespace,
        timestamp=datetime_to_iso_string(info.created),
        authors=tuple(
            a.name.strip()
            for a in info.creators
            if a.actor_type in (ActorType.PERSON, ActorType.ORGANIZATION) and a.name.strip()
        ),
        tools=tuple(
            a.name.strip()
            for a in info.creators
            if a.actor_type == ActorType.TOOL and a.name.strip()
        ),
        components=[with_edges(c, edges) for c in components],
        skipped=skipped,
        roots=tuple(dict.fromkeys(roots)),
    )


# -- linear-time lookups for spdx-tools 0.8 --------------------------------------------------


def _relationship_key(relationship: Any) -> tuple[object, ...]:
    related = relationship.related_spdx_element_id
    return (
        relationship.spdx_element_id,
        relationship.relationship_type,
        type(related).__name__,
        str(related),
        relationship.comment,
    )


class _RelationshipList(list[Any]):
    """A list of relationships whose `in` is a hash lookup (the library asks
    `relationship in relationships` once per file and per `hasFiles` entry)."""

    def __init__(self, items: Any = ()) -> None:
        super().__init__(items)
        self._keys = {_relationship_key(r) for r in self}

    def append(self, item: Any) -> None:
        super().append(item)
        self._keys.add(_relationship_key(item))

    def extend(self, items: Any) -> None:
        for item in items:
            self.append(item)

    def __contains__(self, item: object) -> bool:
        try:
            return _relationship_key(item) in self._keys
        except AttributeError:
            return super().__contains__(item)


class _DocumentIndex:
    """What the validator looks up, computed once per document."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.relationships = document.relationships
        self.ids = {document.creation_info.spdx_id}
        self.kinds: dict[str, type] = {}
        for elements in (document.snippets, document.files, document.packages):
            for element in elements:
                self.ids.add(element.spdx_id)
                # the library answers Package before File before Snippet
                self.kinds[element.spdx_id] = type(element)
        self.files = document.files
        self.file_ids = {f.spdx_id for f in document.files}
        self.by_origin: dict[tuple[object, str], list[Any]] = {}
        self.by_target: dict[tuple[object, object], list[Any]] = {}
        for relationship in self.relationships:
            kind = relationship.relationship_type
            self.by_origin.setdefault((kind, relationship.spdx_element_id), []).append(relationship)
            target = relationship.related_spdx_element_id  # or NONE / NOASSERTION objects
            key = target if isinstance(target, str) else (type(target).__name__, str(target))
            self.by_target.setdefault((kind, key), []).append(relationship)


def _str_from_text(text: str | None) -> str | None:
    """spdx-tools' `str_from_text` (`<text>((.|\\n)+)</text>` matched at the start: the
    text up to the last `</text>`) without a regular expression that steps through the
    text one captured character at a time."""
    if isinstance(text, str) and text.startswith("<text>"):
        end = text.rfind("</text>")
        if end > len("<text>"):
            return text[len("<text>") : end]
    return text if isinstance(text, str) else None


@contextmanager
def _linear_time() -> Iterator[None]:
    """While one document is parsed and validated: the library's lookups, indexed."""
    from spdx_tools.common.spdx_licensing import spdx_licensing
    from spdx_tools.spdx.model import relationship_filters
    from spdx_tools.spdx.parser.jsonlikedict import relationship_parser
    from spdx_tools.spdx.parser.tagvalue import parser as tagvalue_parser
    from spdx_tools.spdx.validation import package_validator, spdx_id_validators

    indexes: dict[int, _DocumentIndex] = {}

    def index(document: Any) -> _DocumentIndex:
        found = indexes.get(id(document))
        if found is None or found.document is not document:
            found = indexes[id(document)] = _DocumentIndex(document)
        return found

    # ids may be NONE / NOASSERTION objects (unhashable; equal to no id in the document)
    def present_in_document(spdx_id: object, document: Any) -> bool:
        return isinstance(spdx_id, str) and spdx_id in index(document).ids

    def element_type(spdx_id: object, document: Any) -> type | None:
        return index(document).kinds.get(spdx_id) if isinstance(spdx_id, str) else None

    def by_list(relationships: Any) -> _DocumentIndex | None:
        for candidate in indexes.values():
            if candidate.relationships is relationships:
                return candidate
        return None

    present_in_files_original = spdx_id_validators.is_spdx_id_present_in_files

    def present_in_files(spdx_id: str, files: Any) -> bool:
        for candidate in indexes.values():
            if candidate.files is files:
                return isinstance(spdx_id, str) and spdx_id in candidate.file_ids
        return present_in_files_original(spdx_id, files)

    filter_origin = relationship_filters.filter_by_type_and_origin
    filter_target = relationship_filters.filter_by_type_and_target

    def by_type_and_origin(relationships: Any, kind: Any, origin: str) -> list[Any]:
        found = by_list(relationships)
        if found is None:
            return filter_origin(relationships, kind, origin)
        return list(found.by_origin.get((kind, origin), ()))

    def by_type_and_target(relationships: Any, kind: Any, target: str) -> list[Any]:
        found = by_list(relationships)
        if found is None:
            return filter_target(relationships, kind, target)
        return list(found.by_target.get((kind, target), ()))

    strip_comments = relationship_parser.RelationshipParser.get_all_relationships_without_comments

    def without_comments(existing: Any) -> list[Any]:
        return _RelationshipList(strip_comments(existing))

    replacements: list[tuple[object, str, object]] = [
        (tagvalue_parser, "get_spdx_licensing", lambda: spdx_licensing),
        (tagvalue_parser, "str_from_text", _str_from_text),
        (
            relationship_parser.RelationshipParser,
            "get_all_relationships_without_comments",
            staticmethod(without_comments),
        ),
        (spdx_id_validators, "is_spdx_id_present_in_document", present_in_document),
        (spdx_id_validators, "is_spdx_id_present_in_files", present_in_files),
        (package_validator, "filter_by_type_and_origin", by_type_and_origin),
        (package_validator, "filter_by_type_and_target", by_type_and_target),
        (package_validator, "get_element_type_from_spdx_id", element_type),
    ]
    with ExitStack() as stack:
        for owner, name, replacement in replacements:
            if name in vars(owner):  # a later library without the name: keep its own
                stack.enter_context(_swapped(owner, name, replacement))
        yield


@contextmanager
def _swapped(owner: object, name: str, value: object) -> Iterator[None]:
    original = vars(owner)[name]
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)
