"""The submission documents: one Markdown file per element of the FDA's recommended
cybersecurity documentation, rendered from Jinja templates (project templates override
the built-in ones by file name)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from cyberfile import __version__
from cyberfile.check.baseline import Comparison
from cyberfile.check.coverage import VulnerabilitySearch, vulnerability_search
from cyberfile.check.readiness import ReadinessItem, readiness, score
from cyberfile.check.sbom import end_of_support_counts
from cyberfile.diagnostics.diagnostic import Diagnostic, Severity
from cyberfile.model.project import Project
from cyberfile.model.sbom import sboms_of
from cyberfile.model.vocabulary import ControlCategory, LabelingTopic, Stride, ViewType
from cyberfile.postmarket.metrics import project_metrics
from cyberfile.render.change_summary import change_summary_context
from cyberfile.render.environment import gap, make_environment
from cyberfile.render.escape import Trusted
from cyberfile.render.risk import (
    acceptance_grid,
    plan_handles_known_exploited,
    plan_recorded,
    residual_risk,
    unwritten_policy,
    verification,
)
from cyberfile.sbom.documents import source_timestamp, sources_timestamp
from cyberfile.trace.matrix import (
    chains,
    component_vulnerabilities,
    element_rows,
    evidence_rows,
    requirement_coverage,
    view_rows,
)
from cyberfile.trace.testing import finding_rows, independence, testing_summary, version_note


@dataclass(frozen=True)
class DocumentSpec:
    slug: str
    title: str
    sections: str
    """Guidance sections it answers, as the guidance numbers them."""


DOCUMENTS: tuple[DocumentSpec, ...] = (
    DocumentSpec("cybersecurity-summary", "Cybersecurity Summary", "Appendix 4; 524B(c)"),
    DocumentSpec("security-risk-management-report", "Security Risk Management Report", "§V.A"),
    DocumentSpec("threat-model", "Threat Model", "§V.A.1"),
    DocumentSpec("cybersecurity-risk-assessment", "Cybersecurity Risk Assessment", "§V.A.2"),
    DocumentSpec("security-architecture", "Security Architecture Views", "§V.B.2, Appendix 2"),
    DocumentSpec("security-controls", "Security Controls and Requirements", "§V.B.1, Appendix 1"),
    DocumentSpec("sbom", "Software Bill of Materials and Software Support", "§V.A.4"),
    DocumentSpec("vulnerability-assessment", "Vulnerability Assessment", "§V.A.4"),
    DocumentSpec("unresolved-anomalies", "Unresolved Anomalies Assessment", "§V.A.5"),
    DocumentSpec("cybersecurity-testing", "Cybersecurity Testing", "§V.C"),
    DocumentSpec("traceability-matrix", "Traceability Matrix", "§V.A"),
    DocumentSpec(
        "cybersecurity-management-plan",
        "Cybersecurity Management Plan",
        "§VI.B; 524B(b)(1)",
    ),
    DocumentSpec("labeling", "Cybersecurity Labeling", "§VI.A"),
    DocumentSpec("metrics", "Cybersecurity Measures and Metrics", "§V.A.6"),
    DocumentSpec("readiness-report", "Submission Readiness Report", "Appendix 4; 524B"),
    DocumentSpec(
        "cybersecurity-change-summary",
        "Cybersecurity Change Summary",
        "§VII.D; 524B (modified device)",
    ),
)
"""Every document of the package, in the order of their numbers (a new document is added
at the end: numbers are never reused)."""

CHANGE_SUMMARY = "cybersecurity-change-summary"
"""Written only when the project is compared with the baseline of an earlier submission."""


def documents_of(compared: bool) -> tuple[DocumentSpec, ...]:
    """The documents a build writes: the change summary only with a comparison."""
    return tuple(spec for spec in DOCUMENTS if compared or spec.slug != CHANGE_SUMMARY)


CATEGORY_TITLES = {
    ControlCategory.AUTHENTICATION: "Authentication",
    ControlCategory.AUTHORIZATION: "Authorization",
    ControlCategory.CRYPTOGRAPHY: "Cryptography",
    ControlCategory.CODE_DATA_EXECUTION_INTEGRITY: "Code, Data and Execution Integrity",
    ControlCategory.CONFIDENTIALITY: "Confidentiality",
    ControlCategory.EVENT_DETECTION_LOGGING: "Event Detection and Logging",
    ControlCategory.RESILIENCY_RECOVERY: "Resiliency and Recovery",
    ControlCategory.FIRMWARE_SOFTWARE_UPDATES: "Firmware and Software Updates",
}
VIEW_TITLES = {
    ViewType.GLOBAL_SYSTEM: "Global System View",
    ViewType.MULTI_PATIENT_HARM: "Multi-Patient Harm View",
    ViewType.UPDATABILITY_PATCHABILITY: "Updatability/Patchability View",
    ViewType.SECURITY_USE_CASE: "Security Use Case View",
}
TOPIC_TITLES = {
    t: t.value.replace("_", " ").capitalize().replace("Sbom", "SBOM") for t in LabelingTopic
}


GUIDANCE = (
    "FDA guidance *Cybersecurity in Medical Devices: Quality Management System "
    "Considerations and Content of Premarket Submissions* (February 2026; first issued as a "
    "final guidance in September 2023, section VII added in June 2025)"
)
"""The premarket guidance whose sections the documents cite, by title and date."""

SUBMISSION_TYPES = {
    "510k": "510(k) premarket notification",
    "de_novo": "De Novo classification request",
    "pma": "premarket approval application (PMA)",
    "pma_supplement": "PMA supplement",
    "hde": "humanitarian device exemption (HDE)",
    "ide": "investigational device exemption (IDE)",
}


@dataclass(frozen=True)
class DocumentMeta:
    date: date
    commit: str | None
    generator: str


def document_number(project: Project, spec: DocumentSpec) -> str | None:
    """`documents.numbers` for this document when given, else PREFIX-NNN from
    `document_control.number_prefix`, NNN its stable place in the package (documents
    added later get new numbers; none is ever reused)."""
    given = project.manifest.documents.numbers.get(spec.slug)
    if given:
        return given
    prefix = project.manifest.document_control.number_prefix
    if prefix is None:
        return None
    return f"{prefix}-{DOCUMENTS.index(spec) + 1:03d}"


def context(
    project: Project,
    meta: DocumentMeta,
    drift: list[Diagnostic] | None = None,
    validation: list[Diagnostic] | None = None,
    items: list[ReadinessItem] | None = None,
) -> dict[str, Any]:
    """What every template sees. `validation` is what `cyberfile validate` reports for the
    project, `drift` what `cyberfile drift` reports as of the document date: readiness
    comes from them (`items`, when the caller has it already), and validation errors make
    every document a marked draft."""
    if items is None:
        items = readiness(project, [*(validation or []), *(drift or [])])
    by_slug = {spec.slug: spec for spec in DOCUMENTS}
    settings = project.manifest.documents
    errors = [d for d in (validation or []) if d.severity is Severity.ERROR]
    search = vulnerability_search(project, meta.date)
    control = project.manifest.document_control
    approvals = [[a.role, a.name, "", ""] for a in control.approvals]
    if not approvals and settings.approved_by:
        approvals = [["Approved by", settings.approved_by, "", ""]]
    own_monitoring: dict[tuple[str, ...], int] = {}  # own software, by the sources used
    for c in search.own_monitored:
        through = tuple(s.source for s in c.monitored_by)
        own_monitoring[through] = own_monitoring.get(through, 0) + 1
    return {
        "guidance": Trusted(GUIDANCE),
        "approval_rows": approvals,
        "submission_types": SUBMISSION_TYPES,
        "document_control": project.manifest.document_control,
        "numbers": {spec.slug: document_number(project, spec) for spec in DOCUMENTS},
        "validation_errors": errors,
        "project": project,
        "device": project.manifest.device,
        "policy": project.manifest.policy,
        "meta": meta,
        "settings": settings,
        "documents": DOCUMENTS,
        "by_slug": by_slug,
        "built": {spec.slug for spec in documents_of(False)},
        "readiness": items,
        "readiness_score": score(items),
        "chains": chains(project),
        "coverage": requirement_coverage(project),
        "component_rows": component_vulnerabilities(project),
        "metrics": project_metrics(project),
        "drift": drift or [],
        "categories": CATEGORY_TITLES,
        "view_titles": VIEW_TITLES,
        "topic_titles": TOPIC_TITLES,
        "strides": list(Stride),
        "residual": residual_risk(project, meta.date),
        "acceptance_grid": acceptance_grid(project),
        "verification": verification(project),
        "vulnerability_search": search,
        "coverage_rows": coverage_rows(search),
        "own_monitoring": list(own_monitoring.items()),
        # what cyberfile.yaml and postmarket.yaml do not state (cyberfile.render.risk)
        "unwritten_policy": unwritten_policy(project.manifest.policy),
        "plan_recorded": plan_recorded(project.postmarket),
        "kev_out_of_cycle": plan_handles_known_exploited(project.postmarket),
        # testing (§V.C) and traceability (§V.A): cyberfile.trace.testing, .matrix
        "testing": testing_summary(project),
        "test_findings": finding_rows(project),
        "version_note": version_note,
        "independence": independence,
        "evidence_by_id": {e.id: e for e in project.evidence.evidence},
        "evidence_rows": evidence_rows(project),
        "element_rows": element_rows(project),
        "view_rows": view_rows(project),
        # SBOM (§V.A.4): cyberfile.check.sbom, cyberfile.sbom.documents
        "end_of_support": end_of_support_counts(project.sbom.components),
        "sbom_timestamp": sources_timestamp(project.sbom.sources),
        "source_timestamps": {
            s.name: source_timestamp(s) is not None for s in project.sbom.sources
        },
        "component_sboms": sboms_of(project.sbom_members),
        "asset_names": {a.id: a.name for a in project.architecture.assets},
        "version": __version__,
    }


def coverage_rows(search: VulnerabilitySearch) -> list[list[str | Trusted]]:
    """Component, version, supplier, coverage; a component no feed and no monitoring
    covers is shown as a gap."""
    return [
        [
            c.component.ref,
            c.component.version or "",
            c.component.supplier or "",
            gap(c.coverage) if c.gap else c.coverage,
        ]
        for c in search.components
    ]


def render_documents(
    project: Project,
    meta: DocumentMeta,
    drift: list[Diagnostic] | None = None,
    validation: list[Diagnostic] | None = None,
    items: list[ReadinessItem] | None = None,
    comparison: Comparison | None = None,
) -> dict[str, str]:
    """Slug -> Markdown for every document; the change summary when `comparison` (the
    project compared with the baseline of its last submission) is given."""
    environment = make_environment(project.root)
    values = context(project, meta, drift, validation, items)
    values["documents"] = documents_of(comparison is not None)
    values["built"] = {spec.slug for spec in values["documents"]}
    if comparison is not None:
        values["change"] = change_summary_context(comparison, meta.date)
    out = {}
    for spec in documents_of(comparison is not None):
        template = environment.get_template(f"{spec.slug}.md.j2")
        out[spec.slug] = template.render(**values, doc=spec)
    return out
