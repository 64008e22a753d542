"""The submission documents: one Markdown file per element of the FDA's recommended
cybersecurity documentation, rendered from Jinja templates (project templates override
the built-in ones by file name)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from cyberfile import __version__
from cyberfile.check.readiness import ReadinessItem, readiness, score
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.model.project import Project
from cyberfile.model.vocabulary import ControlCategory, LabelingTopic, Stride, ViewType
from cyberfile.postmarket.clocks import clocks
from cyberfile.postmarket.metrics import project_metrics
from cyberfile.render.environment import make_environment
from cyberfile.trace.matrix import chains, component_vulnerabilities, requirement_coverage


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
        "§VI.B; 524B(b)(1), (b)(2)",
    ),
    DocumentSpec("labeling", "Cybersecurity Labeling", "§VI.A"),
    DocumentSpec("metrics", "Cybersecurity Measures and Metrics", "§V.A.6"),
    DocumentSpec("readiness-report", "Submission Readiness Report", "Appendix 4; 524B"),
)

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


@dataclass(frozen=True)
class DocumentMeta:
    date: date
    commit: str | None
    generator: str


def context(
    project: Project, meta: DocumentMeta, drift: list[Diagnostic] | None = None
) -> dict[str, Any]:
    items: list[ReadinessItem] = readiness(project)
    by_slug = {spec.slug: spec for spec in DOCUMENTS}
    settings = project.manifest.documents
    return {
        "project": project,
        "device": project.manifest.device,
        "policy": project.manifest.policy,
        "meta": meta,
        "settings": settings,
        "documents": DOCUMENTS,
        "by_slug": by_slug,
        "readiness": items,
        "readiness_score": score(items),
        "chains": chains(project),
        "coverage": requirement_coverage(project),
        "component_rows": component_vulnerabilities(project),
        "clocks": clocks(project),
        "metrics": project_metrics(project),
        "drift": drift or [],
        "categories": CATEGORY_TITLES,
        "view_titles": VIEW_TITLES,
        "topic_titles": TOPIC_TITLES,
        "strides": list(Stride),
        "version": __version__,
    }


def render_documents(
    project: Project, meta: DocumentMeta, drift: list[Diagnostic] | None = None
) -> dict[str, str]:
    """Slug -> Markdown for every document."""
    environment = make_environment(project.root)
    values = context(project, meta, drift)
    out = {}
    for spec in DOCUMENTS:
        template = environment.get_template(f"{spec.slug}.md.j2")
        out[spec.slug] = template.render(**values, doc=spec)
    return out
