"""`sbom.yaml`: the software bill of materials with NTIA elements and support facts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from cyberfile.model.base import (
    Date,
    ItemId,
    Model,
    NonEmptyStr,
    Sha256,
    StrictStr,
    Text,
    TextOrWebUrl,
)
from cyberfile.model.purl import purl_parts
from cyberfile.model.vocabulary import (
    HASH_HEX_LENGTH,
    ComponentType,
    HashAlgorithm,
    SupportLevel,
)

HexDigest = Annotated[StrictStr, StringConstraints(pattern=r"^[0-9a-f]+$")]


CPE23_PREFIX = r"^cpe:2\.3:[aoh*-]:"


def is_cpe23(text: str) -> bool:
    """Whether `text` is a CPE 2.3 formatted string (NISTIR 7695 grammar, checked by the
    `cpe` library): the one test for sbom.yaml and for every SBOM reader."""
    if not re.match(CPE23_PREFIX, text):
        return False
    from cpe.cpe2_3_fs import CPE2_3_FS

    try:
        CPE2_3_FS(text)
    except (ValueError, NotImplementedError):
        return False
    return True


def _cpe23(text: str) -> str:
    if not is_cpe23(text):
        raise ValueError(
            "not a CPE 2.3 formatted string: cpe:2.3:part:vendor:product:version followed by "
            "7 more fields (* for any), e.g. cpe:2.3:a:haxx:curl:8.4.0:*:*:*:*:*:*:*"
        ) from None
    return text


Cpe23 = Annotated[
    StrictStr,
    StringConstraints(pattern=CPE23_PREFIX),
    AfterValidator(_cpe23),
]


SOURCE_NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"

SourceName = Annotated[
    StrictStr,
    StringConstraints(pattern=SOURCE_NAME_PATTERN, max_length=64),
    Field(
        description="Name of the SBOM within the project (lowercase letters, digits, . _ -), "
        "e.g. firmware, app, cloud; `sbom import --name`. Default: the file name "
        "without .yaml."
    ),
]


class SbomSource(Model):
    name: SourceName | None = None
    asset: ItemId | None = Field(
        default=None,
        description="The asset this SBOM describes (`sbom import --asset`): every component "
        "of the SBOM counts as used by it.",
    )
    shared: tuple[NonEmptyStr, ...] = Field(
        default=(),
        description="Refs of components this SBOM contains that are written in another "
        "SBOM's file (a component is written once per project); kept by `sbom import`.",
    )
    file: NonEmptyStr = Field(
        description="The SBOM file (CycloneDX or SPDX) `cyberfile sbom import` read, "
        "relative to the project folder."
    )
    sha256: Sha256
    spec_version: Text | None = Field(
        default=None, description="Format and version of the file (1.6, SPDX-2.3)."
    )
    serial_number: Text | None = Field(default=None, description="serialNumber of the file.")
    timestamp: Text | None = Field(
        default=None, description="metadata.timestamp of the file (NTIA: timestamp)."
    )
    authors: tuple[Text, ...] = Field(
        default=(), description="Authors of the SBOM data (NTIA: author), from the file."
    )
    tools: tuple[Text, ...] = Field(default=(), description="Tools that produced the file.")


class Component(Model):
    ref: NonEmptyStr = Field(description="CycloneDX bom-ref, normally the purl.")
    type: ComponentType = Field(
        default=ComponentType.LIBRARY,
        description="CycloneDX component type (library, operating-system, firmware, "
        "application, ...), kept from import and exported as is.",
    )
    name: Text
    group: Text | None = Field(default=None, description="Namespace (npm scope, Maven group).")
    version: Text | None = Field(default=None, description="Component version (quote it).")
    supplier: Text | None = None
    purl: NonEmptyStr | None = Field(default=None, description="Package URL.")
    cpe: Cpe23 | None = Field(
        default=None,
        description="CPE 2.3 formatted string (cpe:2.3:part:vendor:product:version:...); "
        "how `cyberfile scan --cve` matches embedded software.",
    )
    compiled_files: NonEmptyStr | None = Field(
        default=None,
        description="Project file listing the source files built into this binary (one path "
        "per line, or a compile_commands.json): `scan` settles kernel-style CVE records "
        "whose fix touches none of them.",
    )
    hashes: dict[HashAlgorithm, HexDigest] = Field(
        default_factory=dict, description="Digests by algorithm, lowercase hex."
    )
    licenses: tuple[Text, ...] = Field(default=(), description="SPDX license ids.")
    depends_on: tuple[NonEmptyStr, ...] = Field(default=(), description="Refs of components.")
    support: SupportLevel = Field(
        default=SupportLevel.UNKNOWN,
        description="actively_maintained | limited | no_longer_maintained | abandoned | unknown.",
    )
    end_of_support: Date | None = None
    support_evidence: TextOrWebUrl | None = Field(
        default=None,
        description="Where the support facts came from: a URL (https, http or mailto; any "
        "other scheme, such as javascript: or file:, is refused) or a document reference.",
    )
    replacement_plan: Text | None = Field(
        default=None, description="Expected once end of support is near or past."
    )
    justification: Text | None = Field(
        default=None, description="Required when support is unknown."
    )

    @model_validator(mode="after")
    def _digest_lengths(self) -> Component:
        for algorithm, digest in self.hashes.items():
            expected = HASH_HEX_LENGTH[algorithm]
            if len(digest) != expected:
                raise ValueError(
                    f"hashes.{algorithm.value} has {len(digest)} hex characters; "
                    f"{algorithm.value} digests have {expected}"
                )
        return self


class SupportMatch(Model):
    """Which components a support rule speaks for: every criterion given must hold."""

    purl_type: NonEmptyStr | None = Field(
        default=None, description="Package URL type, e.g. npm, pypi, maven."
    )
    namespace: NonEmptyStr | None = Field(
        default=None, description="Package URL namespace, e.g. @angular or org.apache.commons."
    )
    pattern: NonEmptyStr | None = Field(
        default=None,
        description="Shell-style pattern over the component's purl (its ref without one), "
        "e.g. pkg:npm/@angular/*.",
    )
    sbom: SourceName | None = Field(
        default=None, description="Name of the SBOM (source) the component comes from."
    )

    @model_validator(mode="after")
    def _something(self) -> SupportMatch:
        if not (self.purl_type or self.namespace or self.pattern or self.sbom):
            raise ValueError("a match needs at least one of purl_type, namespace, pattern, sbom")
        return self

    def holds(self, component: Component, sboms: tuple[str, ...]) -> bool:
        if self.sbom is not None and self.sbom not in sboms:
            return False
        identity = component.purl or component.ref
        if self.pattern is not None and not fnmatchcase(identity, self.pattern):
            return False
        if self.purl_type is None and self.namespace is None:
            return True
        kind, namespace = purl_parts(identity)
        if self.purl_type is not None and kind != self.purl_type:
            return False
        return self.namespace is None or namespace == self.namespace


SUPPORT_FACTS = (
    "support",
    "end_of_support",
    "support_evidence",
    "replacement_plan",
    "justification",
)
"""The component fields a support rule states for the components it matches."""


class SupportRule(Model):
    """Support facts stated once for a set of components (say, every npm package of the
    app). A component's own facts win, field by field; the first matching rule applies."""

    id: ItemId
    match: SupportMatch
    support: SupportLevel = SupportLevel.UNKNOWN
    end_of_support: Date | None = None
    support_evidence: TextOrWebUrl | None = Field(
        default=None,
        description="Where the support facts came from: a URL (https, http or mailto; any "
        "other scheme, such as javascript: or file:, is refused) or a document reference.",
    )
    replacement_plan: Text | None = None
    justification: Text | None = Field(
        default=None, description="Required when support is unknown."
    )

    @model_validator(mode="after")
    def _grounded(self) -> SupportRule:
        if not self.support_evidence and not self.justification:
            raise ValueError(
                "a support rule states where its facts come from: support_evidence, "
                "or a justification"
            )
        return self


# What one file of the sbom part holds (`sbom.yaml`, or each `sbom/NAME.yaml`): the
# JSON Schema editors check each file against.
class SbomFile(Model):
    source: SbomSource | None = Field(
        default=None,
        description="The SBOM the components of this file were imported from; written by "
        "`cyberfile sbom import`, drift compares it. One per file.",
    )
    components: tuple[Component, ...] = ()
    support_rules: tuple[SupportRule, ...] = Field(
        default=(), description="Support facts stated once for many components."
    )


class Sbom(Model):
    """The sbom part as loaded: every file's `source` becomes an entry of `sources` (named
    after its file unless it says otherwise); lists are concatenated."""

    sources: tuple[SbomSource, ...] = ()
    components: tuple[Component, ...] = ()
    support_rules: tuple[SupportRule, ...] = ()

    @property
    def source(self) -> SbomSource | None:
        """The only source of a project with one SBOM."""
        return self.sources[0] if len(self.sources) == 1 else None


def apply_support_rules(
    components: tuple[Component, ...],
    rules: tuple[SupportRule, ...],
    sbom_of: Mapping[str, tuple[str, ...]],
) -> tuple[tuple[Component, ...], dict[str, str]]:
    """Components with the facts of the first rule that matches them filled in where they
    state none; and which rule spoke for which component (ref -> rule id)."""
    if not rules:
        return components, {}
    applied: dict[str, str] = {}
    out = []
    for component in components:
        rule = next(
            (r for r in rules if r.match.holds(component, sbom_of.get(component.ref, ()))),
            None,
        )
        if rule is None:
            out.append(component)
            continue
        update = {
            name: getattr(rule, name)
            for name in SUPPORT_FACTS
            if getattr(component, name) in (None, SupportLevel.UNKNOWN)
            and getattr(rule, name) not in (None, SupportLevel.UNKNOWN)
        }
        if update:
            applied[component.ref] = rule.id
            out.append(component.model_copy(update=update))
        else:
            out.append(component)
    return tuple(out), applied


def sboms_of(members: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """By component ref, the names of the SBOMs that contain it."""
    out: dict[str, tuple[str, ...]] = {}
    for name, refs in members.items():
        for ref in refs:
            if name not in out.get(ref, ()):
                out[ref] = (*out.get(ref, ()), name)
    return out
