"""Static SBOM and vulnerability checks that need no date (CF400-CF404)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from packageurl import PackageURL

from cyberfile.check.index import position
from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.load.yamlsource import SourceMap
from cyberfile.model.project import Project
from cyberfile.model.sbom import Component
from cyberfile.model.vocabulary import SupportLevel, VulnerabilityStatus


class EndOfSupport(StrEnum):
    """What sbom.yaml states about a component's end of support (guidance §V.A.4)."""

    DATE = "date"
    """`end_of_support` is given."""
    JUSTIFIED = "justified"
    """No date, but a `justification` says why."""
    UNSTATED = "unstated"
    """Neither: a gap (CF404, or CF400 when support is unknown too)."""


def end_of_support(component: Component) -> EndOfSupport:
    if component.end_of_support is not None:
        return EndOfSupport.DATE
    if component.justification:
        return EndOfSupport.JUSTIFIED
    return EndOfSupport.UNSTATED


@dataclass(frozen=True)
class EndOfSupportCounts:
    """How many components state their end of support, and how; the SBOM document and
    readiness count the same way."""

    total: int
    dated: int
    justified: int
    unstated: tuple[str, ...]
    """Refs of the components that state neither, in sbom.yaml order."""


def end_of_support_counts(components: Sequence[Component]) -> EndOfSupportCounts:
    states = [(c.ref, end_of_support(c)) for c in components]
    return EndOfSupportCounts(
        total=len(states),
        dated=sum(state is EndOfSupport.DATE for _, state in states),
        justified=sum(state is EndOfSupport.JUSTIFIED for _, state in states),
        unstated=tuple(ref for ref, state in states if state is EndOfSupport.UNSTATED),
    )


def purl_problem(text: str) -> str | None:
    """Why `text` is not a valid package URL, or None when it is one."""
    try:
        PackageURL.from_string(text)
    except ValueError as exc:
        return str(exc)
    return None


def check_sbom(project: Project, sources: dict[str, SourceMap]) -> Iterator[Diagnostic]:
    for i, component in enumerate(project.sbom.components):
        base = ("components", i)
        for field, value in (("purl", component.purl), ("ref", component.ref)):
            if value is None or (field == "ref" and not value.startswith("pkg:")):
                continue
            if field == "ref" and value == component.purl:
                continue
            problem = purl_problem(value)
            if problem:
                yield rules.INVALID_PURL(
                    position(sources, "sbom", (*base, field)),
                    f"{component.ref}: {field} is not a valid package URL ({problem})",
                )
        if component.support is SupportLevel.UNKNOWN and not component.justification:
            yield rules.SUPPORT_UNKNOWN_UNJUSTIFIED(
                position(sources, "sbom", base),
                f"{component.ref}: level of support is unknown and not justified",
            )
        elif end_of_support(component) is EndOfSupport.UNSTATED:
            # One finding per component: CF400 above already asks for the support facts.
            yield rules.END_OF_SUPPORT_UNSTATED(
                position(sources, "sbom", base),
                f"{component.ref}: no end-of-support date and no justification",
            )
    spoke = set(project.support_rule_of.values())
    for i, rule in enumerate(project.sbom.support_rules):
        if rule.id not in spoke:
            yield rules.SUPPORT_RULE_UNUSED(
                position(sources, "sbom", ("support_rules", i, "match")),
                f"{rule.id}: matches no component that lacks its facts",
            )
    for i, vulnerability in enumerate(project.vulnerabilities.vulnerabilities):
        if vulnerability.cvss is not None:
            from cyberfile.vulndb.cvss import CvssProblem, score

            try:
                score(vulnerability.cvss)
            except CvssProblem as exc:
                yield rules.INVALID_CVSS(
                    position(sources, "vulnerabilities", ("vulnerabilities", i, "cvss")),
                    f"{vulnerability.id}: cvss is not a valid vector ({exc})",
                )
        if (
            vulnerability.status is VulnerabilityStatus.NOT_AFFECTED
            and vulnerability.justification is None
            and not vulnerability.detail
        ):
            yield rules.NOT_AFFECTED_UNJUSTIFIED(
                position(sources, "vulnerabilities", ("vulnerabilities", i, "status")),
                f"{vulnerability.id} is not_affected without a justification or detail",
            )
