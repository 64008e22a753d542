"""`threats.yaml`: the threat model (§V.A.1) and per-threat risk assessment (§V.A.2)."""

from __future__ import annotations

from pydantic import Field

from cyberfile.model.base import ItemId, Model, StrictBool, Text
from cyberfile.model.common import Review, RiskRating
from cyberfile.model.vocabulary import LifecyclePhase, Stride


class Methodology(Model):
    name: Text = Field(description="e.g. STRIDE per element.")
    rationale: Text | None = Field(default=None, description="Why this method fits the device.")


class Threat(Model):
    id: ItemId
    title: Text
    stride: tuple[Stride, ...] = Field(
        min_length=1,
        description="spoofing | tampering | repudiation | information_disclosure | "
        "denial_of_service | elevation_of_privilege.",
    )
    targets: tuple[ItemId, ...] = Field(default=(), description="Asset or data flow ids.")
    lifecycle_phase: LifecyclePhase | None = Field(
        default=None,
        description="design | supply_chain | manufacturing | deployment | operation | "
        "maintenance_update | decommission.",
    )
    description: Text | None = None
    pre_mitigation: RiskRating | None = Field(default=None, description="Risk before controls.")
    controls: tuple[ItemId, ...] = Field(default=(), description="Control ids that mitigate it.")
    post_mitigation: RiskRating | None = Field(
        default=None, description="Residual risk with the controls in place."
    )
    safety_hazard: Text | None = Field(
        default=None, description="Id of the hazard in the ISO 14971 safety risk file."
    )
    multi_patient_harm: StrictBool = Field(
        default=False, description="True when one exploit could harm more than one patient."
    )
    residual_risk_rationale: Text | None = Field(
        default=None, description="Needed when the post-mitigation risk is not acceptable."
    )
    reviewed: Review | None = None


class ThreatModel(Model):
    methodology: Methodology | None = None
    assumptions: tuple[Text, ...] = Field(
        default=(), description="e.g. An adversary controls the hospital network."
    )
    threats: tuple[Threat, ...] = ()
