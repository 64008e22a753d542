"""`sbom.yaml`: the software bill of materials with NTIA elements and support facts."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from cyberfile.model.base import Date, Model, NonEmptyStr, Sha256, StrictStr, Text
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


class SbomSource(Model):
    file: NonEmptyStr = Field(description="The CycloneDX file `cyberfile sbom import` read.")
    sha256: Sha256
    spec_version: Text | None = Field(default=None, description="CycloneDX version of the file.")
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
    support_evidence: Text | None = Field(
        default=None, description="Where the support facts came from (URL)."
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


class Sbom(Model):
    source: SbomSource | None = Field(
        default=None, description="Written by `cyberfile sbom import`; drift compares it."
    )
    components: tuple[Component, ...] = ()
