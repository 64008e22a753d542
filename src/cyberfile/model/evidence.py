"""`evidence.yaml`: dated records (reports, scans, reviews) with the files that prove them."""

from __future__ import annotations

from pydantic import Field

from cyberfile.model.base import Date, ItemId, Model, NonEmptyStr, Sha256, Text
from cyberfile.model.common import Performer
from cyberfile.model.vocabulary import EvidenceType


class EvidenceItem(Model):
    id: ItemId
    type: EvidenceType = Field(
        description="penetration_test | vulnerability_scan | sbom_generation | "
        "threat_model_review | fuzz_test | static_analysis | risk_review | cvd_exercise | "
        "training | other."
    )
    title: Text
    performed: Date = Field(description="Date the work was done; drift measures from it.")
    file: NonEmptyStr | None = Field(
        default=None,
        description="Path of the document, relative to the project folder and inside it.",
    )
    sha256: Sha256 | None = Field(default=None, description="Digest of `file`.")
    report_id: Text | None = Field(
        default=None, description="The report's own document number (NSL-2026-0419)."
    )
    performer: Performer | None = None
    covers: tuple[NonEmptyStr, ...] = Field(
        default=(),
        description="Ids of what this evidence is about: threats, controls, requirements, "
        "tests, component refs, vulnerabilities.",
    )


class Evidence(Model):
    evidence: tuple[EvidenceItem, ...] = ()
