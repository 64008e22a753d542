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
  `SPDXRef-Package-busybox` does; identifiers that change with every build, as Yocto's image
  package `SPDXRef-Image-IMAGE_NAME` with the build date in IMAGE_NAME, turn a re-import into
  "removed" and "added"). Two packages with one purl: the first is kept, the other's
  relationships go to it, and a note says so.
- `name`, `version` (`versionInfo`); `group` stays empty (SPDX has no such field; a purl
  keeps its namespace).
- `supplier`: the `supplier` organisation or person name; when the supplier is absent or
  NOASSERTION, the `originator` (the original author: the CycloneDX reader falls back from
  supplier to publisher the same way); without either, for a package that takes its CPE
  from its recipe (below), the recipe's.
- `purl`; `cpe`: the first `cpe23Type` external reference that is a CPE 2.3 formatted string
  (sbom.yaml holds one CPE per component; further ones, invalid ones and `cpe22Type` ones are
  noted in `skipped`); without one, that of the package it is GENERATED_FROM (below).
- `type`: from SPDX 2.3 `primaryPackagePurpose` (see `_PURPOSE_TYPES`); SPDX 2.2 has none:
  `library`, the model's default.
- `hashes`: the package checksums sbom.yaml has an algorithm for (`_HASHES`); others (MD2,
  MD4, MD6, SHA224, ADLER32) are noted.
- `licenses`: `licenseConcluded` then `licenseDeclared` (when different), as SPDX
  expressions; NOASSERTION and NONE are left out.
- `depends_on`: edges between packages (of this document and of the other documents it
  leads to, below) from the relationships in `_DEPENDS` (DEPENDS_ON; DEPENDENCY_OF and the
  runtime, optional and provided kinds reversed; STATIC_LINK and DYNAMIC_LINK; CONTAINS, and
  CONTAINED_BY reversed: a package that contains others depends on them, so that an image or
  firmware package reaches its parts).
  Build, development and test dependencies are not part of what ships and are left out.
  Relationships are plain edges: a cycle is kept as written and nothing follows it here.
  A file's dependency and link relationships count for the packages that contain it
  (CONTAINS, CONTAINED_BY, `hasFiles`, or files listed after a package in tag-value):
  `main-binary DYNAMIC_LINK libc` makes the package holding `main-binary` depend on `libc`;
  containment itself makes edges between packages only.

Other documents. A relationship may name an element of another SPDX document,
`DocumentRef-X:SPDXRef-Y`, the document declaring `DocumentRef-X` in `externalDocumentRefs`
with that document's `documentNamespace` (`spdxDocument`) and checksum. Yocto's create-spdx
writes an image so, in SPDX 2.2 JSON (read in OE-Core's `meta/classes/create-spdx-2.2.bbclass`,
`create-spdx.bbclass` in kirkstone, ids from `meta/lib/oe/sbom.py`, CPEs from
`oe.cve_check.get_cpe_ids`; deploy/spdx/MACHINE/):

- IMAGE_NAME.spdx.json: one package, `SPDXRef-Image-IMAGE_NAME` (no DESCRIBES), that
  CONTAINS `DocumentRef-PKG:SPDXRef-Package-PKG` for each installed package and has an
  OTHER relationship with `DocumentRef-runtime-PKG:SPDXRef-DOCUMENT` for each.
- packages/PKG.spdx.json: one package, `SPDXRef-Package-PKG`: name, `versionInfo` (the
  recipe's PV), supplier (SPDX_SUPPLIER; none in early kirkstone), declared licence, files,
  and no external reference at all: no purl, no CPE. It is GENERATED_FROM
  `DocumentRef-recipe-PN:SPDXRef-Recipe-PN` (its files are GENERATED_FROM their debug
  sources: NOASSERTION, or source files of recipe documents).
- recipes/recipe-PN.spdx.json: `SPDXRef-Recipe-PN`, with PV, supplier and one `cpe23Type`
  reference per CVE_PRODUCT entry (`cpe:2.3:a:VENDOR:PRODUCT:VERSION:…`, `*` for an absent
  vendor; kirkstone wrote `cpe:2.3:*:…`), the download packages (`SPDXRef-Download-PN-N`) and
  BUILD_DEPENDENCY_OF relationships from the recipes it was built with
  (`DocumentRef-dependency-recipe-X`).
- runtime/runtime-PKG.spdx.json: no package, file or snippet; `SPDXRef-DOCUMENT AMENDS
  DocumentRef-package-PKG:SPDXRef-DOCUMENT`, and for each RDEPENDS
  `DocumentRef-runtime-dependency-DEP:SPDXRef-Package-DEP RUNTIME_DEPENDENCY_OF
  DocumentRef-package-PKG:SPDXRef-Package-PKG`.

The import follows them:

- Which elements: all packages of the imported document, as before; an element of another
  document when a relationship in `_DEPENDS` leads to it from an imported package (in
  whichever document read states it), or when the imported document names it as the
  dependent side of such a relationship or DESCRIBES it; and so on recursively, through the
  references of the documents read too. A file stands for the packages that contain it (for
  the dependency and link kinds), as within one document; `DocumentRef-X:SPDXRef-DOCUMENT`
  stands for the packages document X describes. Other kinds lead to no element (GENERATED_FROM
  and OTHER lead to the documents of the next two points), and a note counts the referenced
  documents nothing led to, and the packages nothing reached of the documents read for their
  elements. Each package is imported once and each document read once, so cycles of
  relationships and of documents end.
- Recipes: a package imported without a valid CPE of its own that is GENERATED_FROM a package
  (or that one GENERATES), of its own document or of another, takes that package's first
  valid CPE 2.3 (its further, invalid and `cpe22Type` ones are noted once, as for a
  package) and, when it has no supplier or originator, that package's. The first such package
  with a valid CPE is used. The recipe is read for that alone: it is not imported (a package
  of the imported document is, as every one), nor its download packages, and its document's
  relationships (build dependencies) are not taken in. Notes count the packages so completed,
  and name each package left without a CPE because its recipe could not be used, and why
  (document not found, another checksum, not valid SPDX, no such package). A package with a
  CPE of its own keeps it, and its recipe is not read. The version needs nothing: the
  package has the recipe's.
- Runtime dependencies: a document an imported package has an OTHER relationship with, as a
  whole (`DocumentRef-X:SPDXRef-DOCUMENT`), is read, and when it AMENDS another document its
  relationships are taken in as those of any document read: `B RUNTIME_DEPENDENCY_OF A`
  makes an imported A depend on B (and so imports B). That costs one small document per
  installed package. A document that holds no element cannot DESCRIBE one, which spdx-tools
  requires: for a referenced document that holds none this is not a refusal (one note lists
  them). A document OTHER leads to that amends nothing is noted and not used.
- Where: in the folder of the imported file and its subfolders only, never elsewhere and
  never by fetching the namespace URI (`spdx_refs.DocumentFinder`: hidden folders, symbolic
  links that lead out of the folder and files larger than `MAX_SBOM_BYTES` are left out; the
  search stops at `spdx_refs.MAX_SCANNED_FILES` files or `MAX_SCANNED_BYTES` read; the
  files an `index.json` as Yocto writes it lists are tried first; none is needed). The
  document used is the file whose `documentNamespace` is the reference's `spdxDocument` and
  whose checksum is the reference's (SHA1, as the specification and Yocto have it; the other
  algorithms Python computes are checked the same way). It is parsed and validated as the
  imported file is, JSON or tag-value (but for the DESCRIBES rule when it holds no element,
  above); its tolerated messages are notes naming its file.
  A Yocto archive must be extracted first (it holds every referenced document, flat, with
  `index.json`): `tar --zstd -xf IMAGE.spdx.tar.zst -C artifacts/sbom/firmware/`, then
  `cyberfile sbom import artifacts/sbom/firmware/IMAGE.spdx.json`. The IMAGE.spdx.json of
  deploy/images/MACHINE/ imported where it lies finds none of them. (deploy/spdx/MACHINE/
  itself holds the documents of every package and recipe built, installed or not: a large
  build may pass `MAX_SCANNED_FILES` there, and the archive, with its index, is the surer
  way.) `--copy` copies the imported file alone, so a copied image document finds none
  either: copy the folder.
- Not followed, and said so in `skipped` (how many documents and references, the first few
  DocumentRef ids with their namespaces and why), never dropped silently: a document not
  found; found with another checksum (a cycle of documents always has one somewhere: a
  document cannot hold the SHA1 of a document that holds its own); not valid SPDX (the
  library's first messages); a checksum algorithm Python does not compute (MD2, MD4, MD6,
  BLAKE3). Also noted: an element a found document does not have. The import goes on with
  what it has; an invalid imported document is still refused.
- Refs: as in one document. A package of another document with the purl of a package
  imported already is that component (the first is kept, a note says so); a package without
  purl whose SPDXID a package of another document imported already has (without purl
  either) gets `spdx:NAMESPACE#SPDXID`, and a note says so.
- Drift: `sha256` is the imported file's alone, and that is enough for the documents it
  leads to: each is used only when its checksum is the one the document naming it holds, so
  the imported file fixes, through the chain of checksums, the bytes of every document read
  (Yocto writes a new image document, with new SHA1s, whenever a package document changes;
  a package document holds its recipe's SHA1, the image its runtime documents').
  It does not cover what the folder holds: a referenced document missing (or refused) at
  import that is added (or fixed) later, or one removed or changed after the import, changes
  what a re-import gives (more packages, or fewer and a note) while the imported file, and so
  `drift`, stays the same; as does a search cut short by its limits. The notes of the import
  list every such reference.

Not solved here: create-spdx writes recipe and package names into ids unchanged, and SPDX
ids allow only letters, digits, `.` and `-` (and `+` in a DocumentRef). spdx-tools refuses
the documents that have others: every recipe document of an x86-64 MACHINE (its build
dependency `DocumentRef-dependency-recipe-gcc-cross-x86_64:SPDXRef-Recipe-gcc-cross-x86_64`),
whose packages then have no CPE (the note gives spdx-tools' message); a package document of
a name with `+` or `_` (libstdc++6), whose package is then not imported; and an image
document that CONTAINS such a package, which is then refused as a whole.

Document level: `spec_version` is `spdxVersion` (`SPDX-2.3`); `serial_number` the
`documentNamespace`; `timestamp` `creationInfo.created`; `authors` the `Person:` and
`Organization:` creators (their names), `tools` the `Tool:` creators; `roots` the packages
the document DESCRIBES (or that are DESCRIBED_BY it; a document of one package describes it),
packages of other documents included.

Size: the same limit as CycloneDX (`MAX_SBOM_BYTES`, 256 MiB).

Speed: spdx-tools 0.8 does some lookups by scanning lists (every relationship's ids against
a list of all ids, every package against every relationship, every `hasFiles` entry against
every relationship) and builds a new licence index for every tag-value licence expression:
validating 5,000 packages took 38 s, parsing 1,500 packages of tag-value 63 s.
`_linear_time()` replaces those lookups, while one document is parsed and validated, with
indexed ones that give the same answers (tests/test_spdx_import.py compares them with the
library's own on every example and on a document full of mistakes); the checks themselves
stay the library's. The JSON parser's copies of the relationships without comments (two per
document, only asked `in`) and its check of each `DocumentRef-` against every external
reference are indexed too: an image of 500 package documents and 5,000 packages is read in
about 2 s (benchmarks/spdx_import_speed.py). The tag-value lexer also reads `<text>` blocks
in runs (`_text_lexer`), so a 50 MB block takes a fraction of a second instead of half a
minute.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cyberfile.model.sbom import is_cpe23
from cyberfile.model.vocabulary import HashAlgorithm, well_formed_digest
from cyberfile.sbom.cyclonedx_read import (
    MAX_SBOM_BYTES,
    ImportedComponent,
    ImportedSbom,
    SbomReadError,
    with_edges,
)
from cyberfile.sbom.spdx_refs import DocumentFinder, digest

if TYPE_CHECKING:
    from spdx_tools.spdx.model.document import Document
    from spdx_tools.spdx.model.package import Package

SPDX_VERSIONS = ("SPDX-2.2", "SPDX-2.3")

SHOWN_PROBLEMS = 3
"""How many of spdx-tools' messages a refusal shows."""

SHOWN_REFERENCES = 5


def _first(texts: Iterable[str]) -> str:
    """The first SHOWN_REFERENCES texts, joined, with " ..." when there are more."""
    listed = list(texts)
    shown = ", ".join(listed[:SHOWN_REFERENCES])
    return shown + (" ..." if len(listed) > SHOWN_REFERENCES else "")


"""How many references (or elements) a note about other documents names."""

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

_ID_CHARACTERS = re.compile(
    r"(?:spdx_id|the internal SPDX id part of spdx_id|document_ref_id|the external document "
    r"reference part of spdx_id) must only contain letters, numbers, .*?, but is: "
    r"((?:DocumentRef|SPDXRef)-\S+)$"
)
"""spdx-tools' messages for an SPDX id or DocumentRef id with characters the SPDX grammar
does not allow.
Yocto's create-spdx writes recipe and package names unchanged into ids
(`SPDXRef-Package-libstdc++6`, `SPDXRef-Recipe-gcc-cross-x86_64`), so nearly every real
image breaks this rule. An id that begins with SPDXRef- is still unambiguous within its
document: such ids are imported as written, with one note that counts them."""

_NO_DESCRIBES = "there must be at least one relationship"
"""spdx-tools' message for a document that DESCRIBES nothing (while it does not hold a single
package). Yocto's runtime documents hold no element at all, only relationships between
elements of other documents, so they cannot describe one: for such a referenced document
the message is not a refusal (`_validate(referenced=True)`)."""

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


def _describes_nothing(document: Document) -> bool:
    """A document without packages, files or snippets (Yocto's runtime documents: only
    relationships between elements of other documents): it has nothing to describe."""
    return not (document.packages or document.files or document.snippets)


def _validate(path: Path, document: Document, *, referenced: bool = False) -> list[str]:
    """Refuse the document on spdx-tools' validation messages; return the notes for the
    tolerated ones. A `referenced` document (one the imported document leads to) that
    describes nothing because it holds no element is not refused for that alone
    (`_NO_DESCRIBES`); the import notes such documents together."""
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    _normalise_reference_types(document)
    version = document.creation_info.spdx_version
    notes: list[str] = []
    refusals: list[str] = []
    elementless = referenced and _describes_nothing(document)
    odd_ids: list[str] = []
    for message in validate_full_spdx_document(document):
        text = message.validation_message
        where = message.context.spdx_id or message.context.parent_id
        if _is_cpe_locator_message(message):
            continue
        odd = _ID_CHARACTERS.search(text)
        if odd:
            odd_ids.append(odd.group(1))
            continue
        if elementless and text.startswith(_NO_DESCRIBES):
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
    if odd_ids:
        shown = sorted(set(odd_ids))
        notes.append(
            f"{path.name}: {len(shown)} SPDX id(s) hold characters the SPDX grammar does not "
            f"allow (e.g. {', '.join(_clean(i, 80) for i in shown[:3])}); Yocto's create-spdx "
            "writes names unchanged into ids: imported as written"
        )
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
        if not well_formed_digest(algorithm, digest):
            skipped.append(f"{where}: {algorithm.value} checksum is malformed; left out")
            continue
        out.setdefault(algorithm.value, digest)
    return out


def _identity(
    package: Package, where: str, skipped: list[str], *, with_purl: bool = True
) -> tuple[str | None, str | None]:
    """(purl, cpe) from the package's external references (purl None, and purl references
    not looked at, without `with_purl`)."""
    purl: str | None = None
    cpe: str | None = None
    extra_cpes = 0
    for reference in package.external_references:
        kind, locator = reference.reference_type, reference.locator.strip()
        if kind == "purl" and with_purl:
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


def _component(package: Package, ref: str, skipped: list[str], where: str) -> ImportedComponent:
    purl, cpe = _identity(package, where, skipped)
    purpose = package.primary_package_purpose
    return ImportedComponent(
        ref=ref,
        type=_PURPOSE_TYPES.get(purpose.name, "library") if purpose is not None else "library",
        name=package.name,
        group=None,
        version=(package.version or "").strip() or None,
        supplier=_supplier(package),
        purl=purl,
        hashes=_hashes(package, where, skipped),
        licenses=_licenses(package),
        depends_on=(),
        cpe=cpe,
    )


def _supplier(package: Package) -> str | None:
    return _actor_name(package.supplier) or _actor_name(package.originator)


def _ref_of(package: Package) -> str:
    for reference in package.external_references:
        if reference.reference_type == "purl" and _valid_purl(reference.locator.strip()):
            return reference.locator.strip()
    return f"spdx:{package.spdx_id}"


# -- the documents an import reads -----------------------------------------------------------

_Key = tuple[str, str]
"""An element anywhere: (the documentNamespace of its document, its SPDXID there)."""


@dataclass
class _Doc:
    """What the import keeps of one SPDX document it read."""

    namespace: str
    path: Path
    label: str
    """How notes name it: the imported file's name, or the path of another document
    relative to the imported file's folder."""
    document_id: str
    packages: dict[str, Package]
    holders: dict[str, list[str]]
    """File id -> ids of the packages that contain it."""
    elements: set[str]
    described: list[str]
    """Ids the document DESCRIBES (or that are DESCRIBED_BY it), as written."""
    links: list[tuple[str, str, bool]]
    """(dependent, dependency, containment) from the relationships in `_DEPENDS`, ids as
    written (`DocumentRef-X:SPDXRef-Y` for elements of other documents)."""
    refs: dict[str, Any]
    """externalDocumentId -> spdx-tools ExternalDocumentRef."""
    files: int
    snippets: int
    generated_from: dict[str, list[str]] = field(default_factory=dict)
    """Package id -> the ids it is GENERATED_FROM (or that GENERATE it), as written: Yocto's
    `DocumentRef-recipe-busybox:SPDXRef-Recipe-busybox`."""
    others: dict[str, list[str]] = field(default_factory=dict)
    """Package id -> the documents of other SPDX documents it has an OTHER relationship
    with, as written (Yocto's image -> `DocumentRef-runtime-busybox:SPDXRef-DOCUMENT`)."""
    amends: bool = False
    """Whether the document AMENDS another (Yocto's runtime documents do)."""
    digests: dict[str, str | None] = field(default_factory=dict)
    admitted: bool = False
    """Whether its relationships were taken in (`_Import._admit`): the imported document,
    and a document read for its elements or as an amendment; a document read only for a
    recipe's CPE is not."""

    def digest(self, algorithm: str) -> str | None:
        if algorithm not in self.digests:
            try:
                self.digests[algorithm] = digest(algorithm, self.path.read_bytes())
            except OSError:
                self.digests[algorithm] = None
        return self.digests[algorithm]


def _summary(document: Document, path: Path, label: str, raw: bytes) -> _Doc:
    info = document.creation_info
    packages: dict[str, Package] = {}
    for package in document.packages:
        packages.setdefault(package.spdx_id, package)
    file_ids = {f.spdx_id for f in document.files}
    holders: dict[str, list[str]] = {}
    described: list[str] = []
    links: list[tuple[str, str, bool]] = []
    generated_from: dict[str, list[str]] = {}
    others: dict[str, list[str]] = {}
    amends = False
    for relationship in document.relationships:
        kind = relationship.relationship_type.name
        element, related = relationship.spdx_element_id, relationship.related_spdx_element_id
        if not isinstance(related, str):  # NONE, NOASSERTION
            continue
        if kind == "GENERATED_FROM" and element in packages:
            generated_from.setdefault(element, []).append(related)
        elif kind == "GENERATES" and related in packages:
            generated_from.setdefault(related, []).append(element)
        elif kind == "OTHER" and element in packages and ":" in related:
            others.setdefault(element, []).append(related)
        elif kind == "AMENDS" and element == info.spdx_id:
            amends = True
        if kind == "CONTAINS" and element in packages and related in file_ids:
            holders.setdefault(related, []).append(element)
        elif kind == "CONTAINED_BY" and related in packages and element in file_ids:
            holders.setdefault(element, []).append(related)
        if kind == "DESCRIBES" and element == info.spdx_id:
            described.append(related)
        elif kind == "DESCRIBED_BY" and related == info.spdx_id:
            described.append(element)
        reverse = _DEPENDS.get(kind)
        if reverse is not None:
            source, target = (related, element) if reverse else (element, related)
            links.append((source, target, kind in ("CONTAINS", "CONTAINED_BY")))
    return _Doc(
        namespace=info.document_namespace,
        path=path,
        label=label,
        document_id=info.spdx_id,
        packages=packages,
        holders={f: list(dict.fromkeys(h)) for f, h in holders.items()},
        elements=set(packages) | file_ids | {s.spdx_id for s in document.snippets},
        described=described,
        links=links,
        refs={r.document_ref_id: r for r in info.external_document_refs},
        files=len(document.files),
        snippets=len(document.snippets),
        generated_from=generated_from,
        others=others,
        amends=amends,
        digests={"SHA1": digest("SHA1", raw)},
    )


@dataclass
class _Failure:
    """A referenced document that could not be used, and the references that named it."""

    kind: str
    """`missing`, `checksum`, `unreadable` or `unchecked`."""
    namespace: str
    detail: str
    references: dict[tuple[str, str], None] = field(default_factory=dict)
    """(label of the document that declares it, its externalDocumentId), in order."""
    elements: set[_Key] = field(default_factory=set)


_Via = tuple[_Doc, Any] | None
"""How an element was named: None inside its own document, else (the document that
names it, the ExternalDocumentRef it names it through)."""


def _check_of(namespace: str, reference: Any) -> tuple[str, str, str]:
    """What following a reference checks: (namespace, checksum algorithm, checksum)."""
    checksum = reference.checksum
    return (namespace, checksum.algorithm.name, checksum.value.strip().lower())


_DOCUMENT_ID = "SPDXRef-DOCUMENT"
"""The SPDXID of every SPDX 2 document (the specification fixes it)."""

_WHY_UNUSABLE = {
    "missing": "its document was not found",
    "checksum": "its document's checksum is not the one the reference gives",
    "unreadable": "its document is not a valid SPDX 2.2/2.3 document",
    "unchecked": "cyberfile cannot compute the checksum the reference gives",
}
"""Why a recipe's document could not be used, by `_Failure.kind` (for the note on the
packages that are left without a CPE)."""


class _Import:
    """The packages of the imported document and those of other documents it reaches.

    Every package of the imported document is imported. An element of another document
    (`DocumentRef-X:SPDXRef-Y`) is imported when a relationship in `_DEPENDS` leads to it
    from an imported package, or when the imported document names it as the dependent side
    of such a relationship or DESCRIBES it; then what it depends on, in any document read,
    recursively. A document is read (once) when one of its elements is needed, found under
    the imported file's folder by its namespace, and used only when its checksum is the one
    the reference gives. Each package is imported once, so that cycles end.

    Two more reasons to read a document, for Yocto's create-spdx: a package imported
    without a CPE of its own takes that of the package it is GENERATED_FROM (its recipe;
    the recipe is not imported for it, and its document's relationships are not taken in);
    and a document an imported package has an OTHER relationship with
    (`DocumentRef-X:SPDXRef-DOCUMENT`) is read, and when it AMENDS another document its
    relationships are taken in (Yocto's runtime documents: `B RUNTIME_DEPENDENCY_OF A`)."""

    def __init__(self, main: _Doc, skipped: list[str]) -> None:
        self.main = main
        self.skipped = skipped
        self.docs: dict[str, _Doc] = {main.namespace: main}
        self.released: set[str] = {main.namespace}
        self.finder: DocumentFinder | None = None
        self.verified: set[tuple[str, str, str]] = set()
        self.failures: dict[tuple[str, str, str], _Failure] = {}
        self.refs: dict[_Key, str] = {}  # package -> its component's ref, in import order
        self.owners: dict[str, _Key] = {}
        self.components: list[ImportedComponent] = []
        self.out: dict[_Key, list[tuple[_Key, _Via, bool]]] = {}
        self.waiting: dict[str, list[tuple[_Key, _Via, _Key, _Via, bool]]] = {}
        self.queue: deque[tuple[_Key | None, _Key, _Via, bool]] = deque()
        self.amendments: deque[tuple[_Key, _Via]] = deque()
        self.edges: dict[str, set[str]] = {}
        self.missing: dict[tuple[str, str], None] = {}
        self.undeclared: dict[tuple[str, str], None] = {}
        self.recipes: dict[_Key, tuple[str | None, str | None]] = {}
        """Recipe package -> (its first valid CPE, its supplier)."""
        self.from_recipe: list[tuple[str, bool, bool]] = []
        """(package, CPE taken, supplier taken) for the packages a recipe completed."""
        self.recipeless: list[tuple[str, str]] = []
        """(package, why) for packages left without a CPE because no recipe could be used."""
        self.elementless: dict[str, None] = {}
        self.not_amending: dict[str, None] = {}

    def run(self) -> tuple[list[str], list[str]]:
        """(roots, notes): imports, and returns the refs of the roots."""
        main = self.main
        self._admit(main)
        for package_id in main.packages:
            self._reach((main.namespace, package_id))
        described: list[tuple[_Key, _Via]] = []
        for spdx_id in main.described:
            resolved = self._resolve(main, spdx_id)
            if resolved is not None and resolved[1] is not None:
                described.append(resolved)
                self.queue.append((None, resolved[0], resolved[1], False))
        for source, _, containment in main.links:
            resolved = self._resolve(main, source)
            if resolved is not None and resolved[1] is not None:
                self.queue.append((None, resolved[0], resolved[1], containment))
        while self.queue or self.amendments:
            if self.queue:
                self._follow(*self.queue.popleft())
            else:
                self._amend(*self.amendments.popleft())
        roots = [self.refs[(main.namespace, i)] for i in main.described if i in main.packages]
        for key, via in described:
            if self._usable(key, via) is not None:
                roots.extend(self.refs[k] for k in self._expand(key, False, True) if k in self.refs)
        if not roots and len(main.packages) == 1:
            roots.append(self.refs[(main.namespace, next(iter(main.packages)))])
        return roots, self._notes()

    # -- elements and documents -------------------------------------------------------------

    def _resolve(self, doc: _Doc, spdx_id: str) -> tuple[_Key, _Via] | None:
        if ":" not in spdx_id:
            return (doc.namespace, spdx_id), None
        document_ref, local = spdx_id.split(":", 1)
        reference = doc.refs.get(document_ref)
        if reference is None:  # spdx-tools' validation refuses this; kept safe anyway
            self.undeclared[(doc.label, spdx_id)] = None
            return None
        return (reference.document_uri, local), (doc, reference)

    def _admit(self, doc: _Doc) -> None:
        """Take in a document's relationships (those whose dependent is in a document not
        read yet wait for it)."""
        doc.admitted = True
        for source, target, containment in doc.links:
            resolved_source, resolved_target = (
                self._resolve(doc, source),
                self._resolve(doc, target),
            )
            if resolved_source is None or resolved_target is None:
                continue
            link = (*resolved_source, *resolved_target, containment)
            if resolved_source[0][0] in self.docs:
                self._attach(*link)
            else:
                self.waiting.setdefault(resolved_source[0][0], []).append(link)

    def _attach(
        self, source: _Key, source_via: _Via, target: _Key, via: _Via, contains: bool
    ) -> None:
        if self._usable(source, source_via, admit=False) is None:
            return
        for package in self._expand(source, contains, source_via is not None):
            self.out.setdefault(package, []).append((target, via, contains))
            if package in self.refs:
                self.queue.append((package, target, via, contains))

    def _expand(self, key: _Key, contains: bool, foreign: bool) -> list[_Key]:
        """The packages an element stands for: itself; for a dependency or link
        relationship, the packages that contain a file; named from another document, a
        document stands for the packages it describes."""
        doc = self.docs[key[0]]
        spdx_id = key[1]
        if spdx_id in doc.packages:
            return [key]
        if spdx_id == doc.document_id:
            if not foreign:
                return []
            return [(doc.namespace, d) for d in doc.described if d in doc.packages]
        if spdx_id in doc.elements:
            return [] if contains else [(doc.namespace, h) for h in doc.holders.get(spdx_id, ())]
        self.missing[(doc.label, spdx_id)] = None
        return []

    def _follow(self, dependent: _Key | None, target: _Key, via: _Via, contains: bool) -> None:
        if self._usable(target, via) is None:
            return
        for package in self._expand(target, contains, via is not None):
            ref = self._reach(package)
            if dependent is not None and ref != self.refs[dependent]:
                self.edges.setdefault(self.refs[dependent], set()).add(ref)

    def _amend(self, key: _Key, via: _Via) -> None:
        """A document an imported package has an OTHER relationship with: its relationships
        are taken in when it AMENDS another document (Yocto's runtime documents)."""
        doc = self._usable(key, via, admit=False)
        if doc is None or doc.admitted:
            return
        if doc.amends:
            self._admit(doc)
        else:
            self.not_amending[doc.label] = None

    def _reach(self, key: _Key) -> str:
        """The package's ref, importing it the first time."""
        if key in self.refs:
            return self.refs[key]
        doc = self.docs[key[0]]
        package = doc.packages[key[1]]
        where = package.spdx_id if doc is self.main else f"{package.spdx_id} in {doc.label}"
        ref = _ref_of(package)
        owner = self.owners.get(ref)
        if owner is not None and ref.startswith("spdx:") and owner[0] != key[0]:
            ref = f"spdx:{key[0]}#{key[1]}"
            self.skipped.append(
                f"{where}: a package of another document has the same SPDXID and neither has "
                f"a purl; imported as {ref}"
            )
            owner = None
        self.refs[key] = ref
        if owner is not None:
            self.skipped.append(f"{ref}: listed more than once ({where}); kept the first")
        else:
            self.owners[ref] = key
            component = _component(package, ref, self.skipped, where)
            if component.cpe is None:
                component = self._with_recipe(key, component, where)
            self.components.append(component)
        for target, via, contains in self.out.get(key, ()):
            self.queue.append((key, target, via, contains))
        for written in doc.others.get(key[1], ()):
            resolved = self._resolve(doc, written)
            if resolved is not None and resolved[0][1] == _DOCUMENT_ID:
                self.amendments.append(resolved)
        return ref

    # -- recipes ----------------------------------------------------------------------------

    def _with_recipe(
        self, key: _Key, component: ImportedComponent, where: str
    ) -> ImportedComponent:
        """The component with the CPE (and, when it has none, the supplier) of the package
        it is GENERATED_FROM: the first such package with a valid CPE, else the first one
        found. Its document is found and checked as any other; it is not imported."""
        doc = self.docs[key[0]]
        chosen: tuple[str | None, str | None] | None = None
        problems: list[str] = []
        for written in doc.generated_from.get(key[1], ()):
            resolved = self._resolve(doc, written)
            if resolved is None:
                problems.append(f"{written}: its DocumentRef is not declared")
                continue
            target, via = resolved
            recipe_doc = self._usable(target, via, admit=False)
            if recipe_doc is None:
                problems.append(f"{written}: {self._why(target, via)}")
                continue
            found = [self._recipe(k) for k in self._recipe_packages(recipe_doc, target[1], key)]
            if not found:
                problems.append(f"{written}: {recipe_doc.label} has no such package")
            for identity in found:
                if chosen is None or (chosen[0] is None and identity[0] is not None):
                    chosen = identity
            if chosen is not None and chosen[0] is not None:
                break
        if (chosen is None or chosen[0] is None) and problems:
            self.recipeless.append((where, "; ".join(problems)))
        if chosen is None:
            return component
        cpe, supplier = chosen
        supplier = component.supplier or supplier
        if cpe is None and supplier == component.supplier:
            return component
        self.from_recipe.append((where, cpe is not None, supplier != component.supplier))
        return replace(component, cpe=cpe, supplier=supplier)

    def _recipe_packages(self, doc: _Doc, spdx_id: str, key: _Key) -> list[_Key]:
        if spdx_id in doc.packages:
            return [(doc.namespace, spdx_id)]
        if spdx_id == doc.document_id:
            return [
                (doc.namespace, d)
                for d in doc.described
                if d in doc.packages and (doc.namespace, d) != key
            ]
        if spdx_id not in doc.elements:
            self.missing[(doc.label, spdx_id)] = None
        return []

    def _recipe(self, key: _Key) -> tuple[str | None, str | None]:
        """(first valid CPE, supplier) of a recipe package, worked out once: its notes about
        its CPEs are made once (not at all when it is imported itself, which makes them)."""
        found = self.recipes.get(key)
        if found is None:
            doc = self.docs[key[0]]
            package = doc.packages[key[1]]
            where = package.spdx_id if doc is self.main else f"{package.spdx_id} in {doc.label}"
            own = doc is self.main or key in self.refs
            _, cpe = _identity(package, where, [] if own else self.skipped, with_purl=False)
            found = self.recipes[key] = (cpe, _supplier(package))
        return found

    def _why(self, key: _Key, via: _Via) -> str:
        assert via is not None
        failure = self.failures.get(_check_of(key[0], via[1]))
        kind = failure.kind if failure is not None else "missing"
        if kind == "missing":
            return f"{_WHY_UNUSABLE[kind]} under {self.main.path.parent.as_posix()}"
        return _WHY_UNUSABLE[kind]

    # -- reading and checking documents -----------------------------------------------------

    def _usable(self, key: _Key, via: _Via, *, admit: bool = True) -> _Doc | None:
        """The document of `key`, read if need be, when the reference that names it can be
        followed; None (and the reason kept for the notes) when it cannot. With `admit`,
        the document's relationships are taken in (once)."""
        namespace = key[0]
        if via is not None:
            declaring, reference = via
            check = _check_of(namespace, reference)
            if check not in self.verified:
                failure = self.failures.get(check)
                if failure is None:
                    failure = self._check(*check)
                if failure is not None:
                    self.failures[check] = failure
                    failure.references[(declaring.label, reference.document_ref_id)] = None
                    failure.elements.add(key)
                    return None
                self.verified.add(check)
        doc = self.docs[namespace]
        if admit and not doc.admitted:
            self._admit(doc)
        if namespace not in self.released:
            # relationships of documents read before, whose dependent side is in this one
            self.released.add(namespace)
            for link in self.waiting.pop(namespace, []):
                self._attach(*link)
        return doc

    def _check(self, namespace: str, algorithm: str, expected: str) -> _Failure | None:
        if digest(algorithm, b"") is None:
            return _Failure("unchecked", namespace, f"its {algorithm} checksum")
        known = self.docs.get(namespace)
        if known is not None:
            found = known.digest(algorithm)
            if found == expected:
                return None
            return _Failure(
                "checksum",
                namespace,
                f"{known.label} (already read) has {algorithm} {found}, the reference {expected}",
            )
        return self._read(namespace, algorithm, expected)

    def _read(self, namespace: str, algorithm: str, expected: str) -> _Failure | None:
        """Find, check, parse and validate the document of `namespace` (None: done)."""
        if self.finder is None:
            self.finder = DocumentFinder(self.main.path.parent, self.main.path, MAX_SBOM_BYTES)
        finder = self.finder
        mismatch: _Failure | None = None
        problem: _Failure | None = None
        for path in finder.files(namespace):
            label = path.relative_to(finder.real).as_posix()
            try:
                raw = _read_bytes(path)
            except SbomReadError as exc:
                message = str(exc).removeprefix(f"{path}: ")
                problem = problem or _Failure("unreadable", namespace, f"{label}: {message}")
                continue
            found = digest(algorithm, raw)
            if found != expected:
                mismatch = mismatch or _Failure(
                    "checksum",
                    namespace,
                    f"{label} has {algorithm} {found}, the reference {expected}",
                )
                continue
            try:
                with _linear_time():
                    document = _parse(path, raw)
                    notes = _validate(path, document, referenced=True)
            except SbomReadError as exc:
                message = str(exc).removeprefix(f"{path}: ")
                problem = problem or _Failure("unreadable", namespace, f"{label}: {message}")
                continue
            if document.creation_info.document_namespace != namespace:
                continue  # the namespace was read from the file cheaply, and wrongly
            doc = _summary(document, path, label, raw)
            doc.digests[algorithm] = found
            self.skipped.extend(f"{label}: {note}" for note in notes)
            if _describes_nothing(document) and not doc.described:
                self.elementless[label] = None
            self.docs[namespace] = doc
            return None
        return problem or mismatch or _Failure("missing", namespace, "")

    # -- notes ------------------------------------------------------------------------------

    def _notes(self) -> list[str]:
        notes: list[str] = []
        by_kind: dict[str, list[_Failure]] = {}
        for failure in self.failures.values():
            by_kind.setdefault(failure.kind, []).append(failure)
        folder = self.main.path.parent.as_posix()
        headings = {
            "missing": f"not found under {folder} (no file there or in its subfolders has "
            "their documentNamespace)",
            "checksum": "not used: the file's checksum is not the one the reference gives",
            "unreadable": "not used: the file is not a valid SPDX 2.2/2.3 document",
            "unchecked": "not used: cyberfile cannot compute the checksum the reference gives",
        }
        for kind, heading in headings.items():
            failures = by_kind.get(kind, [])
            if not failures:
                continue
            references = [r for f in failures for r in f.references]
            elements = {e for f in failures for e in f.elements}
            shown = "; ".join(
                _failure_text(f, self.main.label) for f in failures[:SHOWN_REFERENCES]
            )
            more = len(failures) - SHOWN_REFERENCES
            notes.append(
                f"{len(failures)} referenced SPDX document(s) {heading}; {len(references)} "
                f"reference(s) to them not followed ({len(elements)} element(s) named through "
                f"them): {shown}" + (f" (and {more} more)" if more > 0 else "")
            )
        if by_kind.get("missing") and self.finder is not None:
            notes.extend(self.finder.notes())
        if self.missing:
            shown = _first(f"{i} in {label}" for label, i in self.missing)
            notes.append(
                f"{len(self.missing)} element(s) named from other documents are not in "
                f"them: {shown}"
            )
        if self.undeclared:
            shown = ", ".join(
                f"{i} in {label}" for label, i in list(self.undeclared)[:SHOWN_REFERENCES]
            )
            notes.append(
                f"{len(self.undeclared)} relationship end(s) name an undeclared DocumentRef: "
                + shown
            )
        notes.extend(self._recipe_notes())
        notes.extend(self._unread())
        return notes

    def _recipe_notes(self) -> list[str]:
        """Packages completed from their recipe, packages left without a CPE, and the
        documents read for their relationships."""
        notes: list[str] = []
        if self.from_recipe:
            cpes = sum(1 for _, cpe, _ in self.from_recipe if cpe)
            suppliers = sum(1 for _, _, supplier in self.from_recipe if supplier)
            shown = ", ".join(where for where, _, _ in self.from_recipe[:SHOWN_REFERENCES])
            more = len(self.from_recipe) - SHOWN_REFERENCES
            notes.append(
                f"{cpes} package(s) without a CPE of their own took the CPE, and {suppliers} "
                "without a supplier the supplier, of the package they are GENERATED_FROM (their "
                f"recipe, not imported itself): {shown}"
                + (f" (and {more} more)" if more > 0 else "")
            )
        if self.recipeless:
            shown = "; ".join(
                f"{where}: {why}" for where, why in self.recipeless[:SHOWN_REFERENCES]
            )
            more = len(self.recipeless) - SHOWN_REFERENCES
            notes.append(
                f"{len(self.recipeless)} package(s) without a CPE of their own are imported "
                "without one: the package they are GENERATED_FROM (their recipe) could not be "
                f"used: {shown}" + (f" (and {more} more)" if more > 0 else "")
            )
        if self.elementless:
            notes.append(
                f"{len(self.elementless)} referenced SPDX document(s) hold no package, file or "
                "snippet, and so DESCRIBE nothing (spdx-tools requires it); read anyway: "
                + _first(self.elementless)
            )
        if self.not_amending:
            notes.append(
                f"{len(self.not_amending)} SPDX document(s) an OTHER relationship leads to "
                "AMEND no other document; their relationships are not used: "
                + _first(self.not_amending)
            )
        return notes

    def _unread(self) -> list[str]:
        """Referenced documents nothing led to, and packages of read documents nothing
        reached."""
        tried = {f.namespace for f in self.failures.values()}
        admitted = [doc for doc in self.docs.values() if doc.admitted]
        unread: dict[str, str] = {}
        for doc in admitted:
            for document_ref, reference in doc.refs.items():
                namespace = reference.document_uri
                if namespace not in self.docs and namespace not in tried:
                    name = document_ref if doc is self.main else f"{document_ref} in {doc.label}"
                    unread.setdefault(namespace, name)
        notes = []
        if unread:
            shown = _first(unread.values())
            notes.append(
                f"{len(unread)} referenced SPDX document(s) not read: no dependency, link or "
                "containment relationship leads to them (GENERATED_FROM is followed only for "
                "the CPE of a package without one, OTHER only to a document that AMENDS "
                f"another; the other kinds are not followed): {shown}"
            )
        others = [
            (doc, package_id)
            for doc in admitted
            if doc is not self.main
            for package_id in doc.packages
            if (doc.namespace, package_id) not in self.refs
        ]
        if others:
            shown = _first(f"{i} in {doc.label}" for doc, i in others)
            notes.append(
                f"{len(others)} package(s) of the other documents read are not reached by "
                f"those relationships; not imported: {shown}"
            )
        return notes


def _failure_text(failure: _Failure, main: str) -> str:
    names = ", ".join(
        name if label == main else f"{name} in {label}" for label, name in failure.references
    )
    detail = f": {failure.detail}" if failure.detail else ""
    return f"{names} ({failure.namespace}){detail}"


def _imported(path: Path, raw: bytes, document: Document, notes: list[str]) -> ImportedSbom:
    from spdx_tools.spdx.datetime_conversions import datetime_to_iso_string
    from spdx_tools.spdx.model.actor import ActorType

    skipped = list(notes)
    main = _summary(document, path, path.name, raw)
    reader = _Import(main, skipped)
    roots, following = reader.run()
    skipped.extend(following)
    files = sum(d.files for d in reader.docs.values() if d.admitted)
    snippets = sum(d.snippets for d in reader.docs.values() if d.admitted)
    if files or snippets:
        skipped.append(
            f"{files} file(s) and {snippets} snippet(s) not imported (sbom.yaml lists packages)"
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
        components=[with_edges(c, reader.edges) for c in reader.components],
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


class _WithoutComments(Sequence[Any]):
    """What spdx-tools' `get_all_relationships_without_comments` returns (a copy of each
    relationship, comment left out) for the one question its JSON parser asks of it,
    `relationship in ...`: answered from keys, without building a Relationship (a
    type-checked object) per relationship twice per document. Anything else builds them."""

    def __init__(self, relationships: Any, strip: Any) -> None:
        self._relationships = relationships
        self._strip = strip
        self._built: list[Any] | None = None
        self._keys = {(*_relationship_key(r)[:-1], None) for r in relationships}

    def _list(self) -> list[Any]:
        if self._built is None:
            self._built = list(self._strip(self._relationships))
        return self._built

    def __contains__(self, item: object) -> bool:
        try:
            return _relationship_key(item) in self._keys
        except AttributeError:
            return item in self._list()

    def __getitem__(self, index: Any) -> Any:
        return self._list()[index]

    def __len__(self) -> int:
        return len(self._relationships)


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
        self.document_refs = {
            r.document_ref_id for r in document.creation_info.external_document_refs
        }
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

    def document_ref_present(document_ref_id: str, document: Any) -> bool:
        return document_ref_id in index(document).document_refs

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

    def without_comments(existing: Any) -> Sequence[Any]:
        return _WithoutComments(existing, strip_comments)

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
        (
            spdx_id_validators,
            "is_external_doc_ref_present_in_document",
            document_ref_present,
        ),
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
