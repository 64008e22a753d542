"""What the Cybersecurity Change Summary says: the changes since the baseline of the last
submission in reviewer language, the statements on vulnerabilities with uncontrolled risk
(open now, and remediated since the baseline), the plan submitted then, and how the
support of components compares with the predicate version.

Every statement is computed from the two versions of the project; where the records do
not establish something (a vulnerability not yet assessed), the document says so instead
of concluding.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from cyberfile.check.baseline import Comparison
from cyberfile.check.changes import FieldChange, ItemChange, ProjectChanges
from cyberfile.check.sbom import end_of_support_counts
from cyberfile.model.items import KINDS, Kind
from cyberfile.model.project import Project
from cyberfile.model.vocabulary import RiskControl, VulnerabilityStatus
from cyberfile.model.vulnerabilities import Vulnerability
from cyberfile.render.changes import field_text, rating_text, references_only

_FIELD_WIDTH = 120

SECTIONS: tuple[tuple[str, tuple[Kind, ...]], ...] = (
    ("Threat model", (Kind.THREAT,)),
    ("Security architecture", (Kind.ASSET, Kind.TRUST_BOUNDARY, Kind.DATA_FLOW, Kind.VIEW)),
    ("Security controls and requirements", (Kind.CONTROL, Kind.REQUIREMENT)),
    ("Testing and evidence", (Kind.TEST, Kind.EVIDENCE)),
    ("Unresolved anomalies", (Kind.ANOMALY,)),
)
"""Item changes by the document of the package they concern."""

_STATUS_WORDS = {
    "added": "Added",
    "removed": "Removed",
    "changed": "Changed",
    "renamed": "Renamed",
}


@dataclass(frozen=True)
class Statement:
    """A vulnerability named in the statements on uncontrolled risk."""

    ident: str
    components: str
    risk: str
    discovered: str
    communicated: str
    fixed: str
    deployed: str


def _singular(kind: Kind) -> str:
    return kind.value


def _fields(fields: tuple[FieldChange, ...]) -> str:
    return "; ".join(field_text(f, _FIELD_WIDTH) for f in fields)


def item_rows(changes: tuple[ItemChange, ...], kinds: tuple[Kind, ...]) -> list[list[str]]:
    """Item, kind, change, what changed: the items of `kinds` that changed themselves."""
    rows = []
    for change in changes:
        if change.kind not in kinds or references_only(change):
            continue
        what = _STATUS_WORDS[change.status]
        if change.status == "renamed":
            what = f"Renamed from {change.renamed_from}"
        detail = _fields(change.fields)
        if change.status == "added":
            detail = change.title or ""
        elif change.status == "removed":
            detail = f"was: {change.title}" if change.title else ""
        rows.append([change.ident, _singular(change.kind), what, detail])
    return rows


def affected_reviews(changes: tuple[ItemChange, ...]) -> list[list[str]]:
    """Items unchanged themselves whose referenced items changed, by kind."""
    by_kind: dict[Kind, list[ItemChange]] = {}
    for change in changes:
        if references_only(change):
            by_kind.setdefault(change.kind, []).append(change)
    rows = []
    for spec in KINDS:
        listed = by_kind.get(spec.kind)
        if listed:
            causes = sorted({ref for change in listed for ref in change.references})
            rows.append(
                [
                    spec.plural,
                    ", ".join(change.ident for change in listed),
                    ", ".join(causes),
                ]
            )
    return rows


def _rating(vulnerability: Vulnerability) -> str:
    if vulnerability.exploitability is None or vulnerability.severity is None:
        return "not rated"
    return f"{vulnerability.exploitability.value} / {vulnerability.severity.value}"


def _is_open(vulnerability: Vulnerability) -> bool:
    return vulnerability.status in (
        VulnerabilityStatus.AFFECTED,
        VulnerabilityStatus.UNDER_INVESTIGATION,
    )


def _risk_while_open(project: Project, vulnerability: Vulnerability) -> str:
    """The risk its ratings mean under the project's acceptance matrix (a fixed
    vulnerability counts as controlled now; its ratings say what it was while open)."""
    if vulnerability.exploitability is None or vulnerability.severity is None:
        return "not rated"
    acceptable = project.manifest.policy.risk_acceptance.is_acceptable(
        vulnerability.exploitability, vulnerability.severity
    )
    verdict = "controlled" if acceptable else "uncontrolled"
    return f"{verdict} ({_rating(vulnerability)})"


def _day(value: date | None) -> str:
    return value.isoformat() if value else "not recorded"


def _statement(project: Project, vulnerability: Vulnerability, risk: str) -> Statement:
    remediation = vulnerability.remediation
    fixed = ""
    if remediation and remediation.fixed_on:
        fixed = remediation.fixed_on.isoformat()
        if remediation.fixed_in:
            fixed += f" (version {remediation.fixed_in})"
    elif remediation and remediation.planned_release:
        fixed = f"planned for version {remediation.planned_release}"
    return Statement(
        vulnerability.id,
        ", ".join(vulnerability.components),
        risk,
        vulnerability.discovered.isoformat(),
        _day(remediation.customer_communication if remediation else None),
        fixed or "not recorded",
        _day(remediation.deployed_on if remediation else None),
    )


@dataclass(frozen=True)
class UncontrolledRisk:
    open_uncontrolled: tuple[Statement, ...]
    open_unassessed: tuple[Statement, ...]
    remediated: tuple[Statement, ...]
    """Fixed now, and not fixed in the baseline (absent from it or open there)."""
    remediated_uncontrolled: int
    """Of those, how many the ratings put at uncontrolled risk while open."""
    remediated_unrated: int = 0
    """Of those, how many carry no rating: whether their risk was controlled is unknown."""


def uncontrolled_risk(base: Project, head: Project) -> UncontrolledRisk:
    """The statements on vulnerabilities with uncontrolled risk (524B; §VII.D)."""
    fixed_before = {
        v.id for v in base.vulnerabilities.vulnerabilities if v.status is VulnerabilityStatus.FIXED
    }
    open_uncontrolled, open_unassessed, remediated = [], [], []
    uncontrolled_then = unrated = 0
    for vulnerability in head.vulnerabilities.vulnerabilities:
        control = head.risk_control(vulnerability)
        if _is_open(vulnerability):
            if control is RiskControl.UNCONTROLLED:
                risk = f"uncontrolled ({_rating(vulnerability)})"
                open_uncontrolled.append(_statement(head, vulnerability, risk))
            elif control is RiskControl.NOT_ASSESSED:
                why = (
                    "under investigation"
                    if vulnerability.status is VulnerabilityStatus.UNDER_INVESTIGATION
                    else "affected, not rated"
                )
                open_unassessed.append(_statement(head, vulnerability, f"not assessed ({why})"))
        elif (
            vulnerability.status is VulnerabilityStatus.FIXED
            and vulnerability.id not in fixed_before
        ):
            risk = _risk_while_open(head, vulnerability)
            uncontrolled_then += risk.startswith("uncontrolled")
            unrated += risk == "not rated"
            remediated.append(_statement(head, vulnerability, risk))
    return UncontrolledRisk(
        tuple(open_uncontrolled),
        tuple(open_unassessed),
        tuple(remediated),
        uncontrolled_then,
        unrated,
    )


def support_comparison(base: Project, head: Project, day: date) -> list[list[str]]:
    """Support of the components, the predicate version beside this one."""

    def levels(project: Project) -> Counter[str]:
        return Counter(c.support.value for c in project.sbom.components)

    def past_end(project: Project) -> int:
        return sum(
            1
            for c in project.sbom.components
            if c.end_of_support is not None and c.end_of_support < day
        )

    rows = [["Components", str(len(base.sbom.components)), str(len(head.sbom.components))]]
    before, after = levels(base), levels(head)
    for level in sorted(set(before) | set(after)):
        rows.append([f"Support: {level}", str(before[level]), str(after[level])])
    counts_before = end_of_support_counts(base.sbom.components)
    counts_after = end_of_support_counts(head.sbom.components)
    rows.append(
        [
            "End of support stated (date or justification)",
            str(counts_before.dated + counts_before.justified),
            str(counts_after.dated + counts_after.justified),
        ]
    )
    rows.append(
        [f"Past end of support on {day.isoformat()}", str(past_end(base)), str(past_end(head))]
    )
    return rows


def change_summary_context(comparison: Comparison, day: date) -> dict[str, Any]:
    """What the change summary template reads (besides the common document context)."""
    changes = comparison.changes
    base, head = comparison.base.project, comparison.head.project
    components = [
        [
            c.ref,
            c.name,
            {"upgraded": "Upgraded", "downgraded": "Downgraded"}.get(c.status, c.status.title()),
            c.version_before or "",
            c.version_after or "",
            _fields((*c.support, *c.fields)),
        ]
        for c in changes.components
    ]
    support_changes = [[c.ref, c.name, _fields(c.support)] for c in changes.components if c.support]
    risks = [
        [
            r.threat,
            r.title or "",
            *(
                rating_text(rating, separator=" / ", absent="none")
                for rating in (
                    r.initial_before,
                    r.initial_after,
                    r.residual_before,
                    r.residual_after,
                )
            ),
        ]
        for r in changes.risks
    ]
    vulnerabilities = [
        [
            v.ident,
            ", ".join(v.components),
            v.status[0].upper() + v.status[1:],
            v.before_state or "",
            v.after_state or "",
            (v.after_risk or "").replace("_", " "),
        ]
        for v in changes.vulnerabilities
    ]
    evidence = [
        [e.ident, e.title or "", e.performed_before, e.performed_after] for e in changes.evidence
    ]
    tests = [
        [
            t.ident,
            t.title or "",
            f"{t.result_before} ({t.performed_before or 'no date'})",
            f"{t.result_after} ({t.performed_after or 'no date'})",
        ]
        for t in changes.tests
    ]
    sections = [(title, item_rows(changes.items, kinds)) for title, kinds in SECTIONS]
    base_plan = base.postmarket
    statements = uncontrolled_risk(base, head)
    return {
        "comparison": comparison,
        "submission": comparison.submission,
        "base_revision": comparison.base.revision,
        "base_version": base.manifest.device.version,
        "base_errors": [d for d in comparison.base.findings if d.severity.value == "error"],
        "counts": changes.counts,
        "component_rows": components,
        "support_change_rows": support_changes,
        "support_rows": support_comparison(base, head, day),
        "risk_rows": risks,
        "item_sections": sections,
        "affected_rows": affected_reviews(changes.items),
        "vulnerability_rows": vulnerabilities,
        "evidence_rows": evidence,
        "test_rows": tests,
        "uncontrolled": statements,
        "open_rows": [
            [v.ident, v.components, v.risk, v.discovered, v.communicated, v.fixed]
            for v in (*statements.open_uncontrolled, *statements.open_unassessed)
        ],
        "remediated_rows": [
            [v.ident, v.components, v.risk, v.discovered, v.communicated, v.fixed, v.deployed]
            for v in statements.remediated
        ],
        "plan_effective": base_plan.effective,
        "plan_changes": [[f.field, field_text(f, _FIELD_WIDTH)] for f in changes.postmarket.fields],
        "base_label": comparison.base.label(words=True),
        "device_changes": [
            field_text(f, _FIELD_WIDTH)
            for f in changes.manifest.fields
            if f.field.startswith("device.")
        ],
        "other_changes": [
            [p.part, field_text(f, _FIELD_WIDTH)]
            for p in (changes.manifest, *changes.parts)
            for f in p.fields
            if not f.field.startswith(("device.", "submissions"))
        ],
    }


@dataclass(frozen=True)
class ChangeNote:
    """What an item page says about the item's change since the baseline."""

    summary: str
    fields: tuple[str, ...] = ()


def item_notes(changes: ProjectChanges) -> dict[str, ChangeNote]:
    """By item id (component ref, vulnerability id), how the item changed since the
    baseline; an item not listed has the same content as in the baseline."""
    notes: dict[str, ChangeNote] = {}
    for item in changes.items:
        if item.status == "removed":
            continue
        fields = tuple(field_text(f, _FIELD_WIDTH) for f in item.fields)
        if item.status == "added":
            summary = "Added since the baseline."
        elif item.status == "renamed":
            summary = f"Renamed from {item.renamed_from} (same content)."
        elif references_only(item):
            summary = (
                "Unchanged itself; items it references changed: " + ", ".join(item.references) + "."
            )
        else:
            summary = "Changed:"
            if item.references:
                fields += ("items it references changed: " + ", ".join(item.references),)
        notes[item.ident] = ChangeNote(summary, fields)
    for component in changes.components:
        if component.status == "removed":
            continue
        if component.status in ("upgraded", "downgraded"):
            summary = f"{component.status.capitalize()} from version {component.version_before}" + (
                f" (was {component.ref_before})." if component.ref_before else "."
            )
        elif component.status == "added":
            summary = "Added since the baseline."
        elif component.status == "renamed":
            summary = f"Renamed from {component.ref_before} (same content)."
        else:
            summary = "Changed:"
        fields = tuple(field_text(f, _FIELD_WIDTH) for f in (*component.support, *component.fields))
        notes[component.ref] = ChangeNote(summary, fields)
    for vulnerability in changes.vulnerabilities:
        if vulnerability.status == "no longer listed":
            continue
        summary = vulnerability.status[0].upper() + vulnerability.status[1:]
        if vulnerability.status == "newly known":
            summary += f" since the baseline ({vulnerability.after_state})."
        elif vulnerability.before_state != vulnerability.after_state:
            summary += f": {vulnerability.before_state} -> {vulnerability.after_state}."
        else:
            summary += ":"
        fields = tuple(
            field_text(f, _FIELD_WIDTH) for f in vulnerability.fields if f.field != "status"
        )
        notes[vulnerability.ident] = ChangeNote(summary, fields)
    return notes
