"""`vulnerabilities.yaml`: every known vulnerability with its assessment and remediation."""

from __future__ import annotations

from pydantic import Field

from cyberfile.model.base import Date, ItemId, Model, NonEmptyStr, StrictBool, Text
from cyberfile.model.common import Review
from cyberfile.model.manifest import Policy
from cyberfile.model.vocabulary import (
    Exploitability,
    RemediationResponse,
    RiskControl,
    Severity,
    SsvcAutomatable,
    SsvcExploitation,
    SsvcTechnicalImpact,
    VexJustification,
    VulnerabilitySource,
    VulnerabilityStatus,
)


class Assessment(Model):
    by: Text
    on: Date


class Remediation(Model):
    response: RemediationResponse | None = Field(
        default=None,
        description="can_not_fix | will_not_fix | update | rollback | workaround_available.",
    )
    planned_release: Text | None = Field(default=None, description="Version due to fix it.")
    customer_communication: Date | None = Field(
        default=None, description="Date customers were told."
    )
    fixed_in: Text | None = Field(default=None, description="Version that fixes it.")
    fixed_on: Date | None = Field(default=None, description="Date the fix was released.")
    deployed_on: Date | None = Field(
        default=None,
        description="Date the fix was deployed in the field (installed base updated), "
        "when known; used for the patch-to-deployment metric.",
    )


class Ssvc(Model):
    """CISA's SSVC decision points for the vulnerability (CISA ADP container of the CVE
    record), recorded by `cyberfile scan --cve`."""

    exploitation: SsvcExploitation = Field(description="none | poc | active.")
    automatable: SsvcAutomatable = Field(description="yes | no.")
    technical_impact: SsvcTechnicalImpact = Field(description="partial | total.")

    @property
    def act_now(self) -> bool:
        """Exploitation active, automatable and total technical impact: the top of
        CISA's SSVC decision tree, triaged first."""
        return (
            self.exploitation is SsvcExploitation.ACTIVE
            and self.automatable is SsvcAutomatable.YES
            and self.technical_impact is SsvcTechnicalImpact.TOTAL
        )


class Vulnerability(Model):
    id: NonEmptyStr = Field(description="Id of the source: CVE-…, GHSA-…, PYSEC-…, or internal.")
    aliases: tuple[NonEmptyStr, ...] = ()
    components: tuple[NonEmptyStr, ...] = Field(default=(), description="SBOM refs affected.")
    discovered: Date = Field(description="Date the team learned of it.")
    source: VulnerabilitySource | None = Field(
        default=None,
        description="osv | nvd | kev | supplier_advisory | isao | researcher | internal_test | "
        "penetration_test | customer.",
    )
    known_exploited: StrictBool = Field(default=False, description="Listed in CISA KEV.")
    ssvc: Ssvc | None = Field(
        default=None, description="CISA SSVC decision points (from the CVE record's ADP)."
    )
    cvss: NonEmptyStr | None = Field(default=None, description="CVSS 3.1 or 4.0 vector.")
    status: VulnerabilityStatus = Field(
        description="under_investigation | affected | not_affected | fixed."
    )
    justification: VexJustification | None = Field(
        default=None, description="Why not_affected (CycloneDX VEX justification)."
    )
    detail: Text | None = None
    exploitability: Exploitability | None = None
    severity: Severity | None = Field(default=None, description="Severity of patient harm.")
    assessed: Assessment | None = None
    found_by: tuple[ItemId, ...] = Field(
        default=(), description="Ids of the tests that found it (penetration test, fuzzing)."
    )
    remediation: Remediation | None = None
    reviewed: Review | None = None

    def risk_control(self, policy: Policy) -> RiskControl:
        """Controlled or uncontrolled residual risk of patient harm (2016 guidance).

        The single source of this verdict: every document, matrix, export and command asks
        here. A vulnerability still under investigation is not assessed whatever
        (preliminary) ratings it carries: unassessed is never controlled. One that does
        not affect the device or is fixed is controlled. An affected one is not assessed
        until it has both exploitability and severity; then the pair is looked up in the
        risk acceptance matrix.
        """
        if self.status is VulnerabilityStatus.UNDER_INVESTIGATION:
            return RiskControl.NOT_ASSESSED
        if self.status in (VulnerabilityStatus.NOT_AFFECTED, VulnerabilityStatus.FIXED):
            return RiskControl.CONTROLLED
        if self.exploitability is None or self.severity is None:
            return RiskControl.NOT_ASSESSED
        if policy.risk_acceptance.is_acceptable(self.exploitability, self.severity):
            return RiskControl.CONTROLLED
        return RiskControl.UNCONTROLLED


class Vulnerabilities(Model):
    vulnerabilities: tuple[Vulnerability, ...] = ()
