"""`postmarket.yaml`: the cybersecurity management plan (§VI.B, 524B(b)(1))."""

from __future__ import annotations

from pydantic import Field

from cyberfile.model.base import Date, Duration, Model, StrictBool, Text, TextOrWebUrl, WebUrl
from cyberfile.model.vocabulary import EvidenceType, MonitoringKind


class Person(Model):
    role: Text
    name: Text | None = None
    responsibilities: Text | None = None


class MonitoringSource(Model):
    source: Text = Field(description="e.g. OSV, CISA KEV, H-ISAC.")
    kind: MonitoringKind = Field(
        description="vulnerability_database | exploited_catalog | supplier_advisory | isao | "
        "researcher_reports | customer_reports | internal_testing."
    )
    every: Duration = Field(description="How often the source is checked.")
    evidence_type: EvidenceType | None = Field(
        default=None,
        description="Evidence type that proves each check; without it the cadence is not "
        "checked for freshness.",
    )


class PeriodicTest(Model):
    type: EvidenceType = Field(description="Evidence type the periodic activity produces.")
    every: Duration


class Cvd(Model):
    """Coordinated vulnerability disclosure."""

    policy_url: WebUrl | None = Field(
        default=None,
        description="Where the disclosure policy is published: an https or http URL (or "
        "mailto); any other scheme is refused.",
    )
    contact: TextOrWebUrl | None = Field(
        default=None,
        description="How to report a vulnerability: an e-mail address, or a URL (https, "
        "http or mailto; any other scheme is refused).",
    )
    acknowledge_within: Duration | None = None


class Isao(Model):
    name: Text
    member: StrictBool = False
    shares_communications: StrictBool = False


class Patching(Model):
    regular_cycle: Duration | None = Field(default=None, description="Routine update cycle.")
    regular_cycle_rationale: Text | None = None
    out_of_cycle: Text | None = Field(
        default=None, description="When and how critical fixes ship out of cycle."
    )
    update_process: Text | None = None
    delivery_rate: Text | None = Field(
        default=None, description="Patching capability: rate of delivery to devices."
    )


class Postmarket(Model):
    effective: Date | None = Field(
        default=None,
        description="The day the plan took effect. Its promises start then: an activity "
        "never recorded is due one period (`every`) after it (drift CF302). Without it, "
        "an activity never recorded is overdue at once.",
    )
    personnel: tuple[Person, ...] = ()
    monitoring: tuple[MonitoringSource, ...] = ()
    periodic_testing: tuple[PeriodicTest, ...] = ()
    cvd: Cvd | None = None
    isao: Isao | None = None
    patching: Patching | None = None
    communication: Text | None = Field(
        default=None, description="How remediations are communicated to customers."
    )
