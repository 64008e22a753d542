"""The three measures FDA asks for (premarket guidance §V.A.6), from the vulnerability
history: share of vulnerabilities patched, days from identification to patch, and days
from patch availability to deployment in the field (where deployment is recorded)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import mean

from cyberfile.model.project import Project
from cyberfile.model.vocabulary import VulnerabilityStatus
from cyberfile.model.vulnerabilities import Vulnerability


@dataclass(frozen=True)
class Metrics:
    period: str
    """"all" or a calendar year of discovery."""
    identified: int
    applicable: int
    """Vulnerabilities that affect the device (affected or fixed): the ones to patch."""
    patched: int
    days_to_patch: tuple[int, ...]
    days_to_deploy: tuple[int, ...]
    without_fixed_on: tuple[str, ...] = ()
    """Fixed vulnerabilities that record no `remediation.fixed_on`: left out of the mean
    days to patch."""
    without_deployed_on: tuple[str, ...] = ()
    """Fixed vulnerabilities that do not record both `fixed_on` and `deployed_on`: left
    out of the mean days from patch to field."""

    @property
    def percent_patched(self) -> float | None:
        return round(100 * self.patched / self.applicable, 1) if self.applicable else None

    @property
    def mean_days_to_patch(self) -> float | None:
        return round(mean(self.days_to_patch), 1) if self.days_to_patch else None

    @property
    def mean_days_to_deploy(self) -> float | None:
        return round(mean(self.days_to_deploy), 1) if self.days_to_deploy else None


def compute(vulnerabilities: Iterable[Vulnerability], period: str = "all") -> Metrics:
    items = list(vulnerabilities)
    applicable = [
        v for v in items if v.status in (VulnerabilityStatus.AFFECTED, VulnerabilityStatus.FIXED)
    ]
    patched = [v for v in applicable if v.status is VulnerabilityStatus.FIXED]
    to_patch = []
    to_deploy = []
    undated: list[str] = []
    undeployed: list[str] = []
    for v in patched:
        remediation = v.remediation
        if remediation is None or remediation.fixed_on is None:
            undated.append(v.id)
            undeployed.append(v.id)
            continue
        to_patch.append((remediation.fixed_on - v.discovered).days)
        if remediation.deployed_on is not None:
            to_deploy.append((remediation.deployed_on - remediation.fixed_on).days)
        else:
            undeployed.append(v.id)
    return Metrics(
        period,
        len(items),
        len(applicable),
        len(patched),
        tuple(to_patch),
        tuple(to_deploy),
        tuple(undated),
        tuple(undeployed),
    )


def project_metrics(project: Project) -> list[Metrics]:
    """Overall, then one entry per calendar year of discovery (oldest first)."""
    vulnerabilities = project.vulnerabilities.vulnerabilities
    years = sorted({v.discovered.year for v in vulnerabilities})
    return [compute(vulnerabilities)] + [
        compute((v for v in vulnerabilities if v.discovered.year == y), str(y)) for y in years
    ]
