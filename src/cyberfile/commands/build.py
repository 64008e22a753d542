"""`cyberfile build`: documents, matrices, SBOM/VEX, site and PDFs for each project.

Everything is written to a temporary folder beside the output and moved into place only
when the whole build succeeded; `manifest.json` lists the sha256 of every input and
output. The same inputs and date give byte-identical files."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from jinja2 import TemplateError, TemplateSyntaxError

from cyberfile import __version__, dates
from cyberfile.check.readiness import ReadinessItem, readiness
from cyberfile.check.stages import run_stages
from cyberfile.dates import midnight_utc
from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic, Severity
from cyberfile.diagnostics.rules import RULES, Stage
from cyberfile.errors import CyberfileError, ExitCode, InputError
from cyberfile.load.project import LoadResult, discover, load_project
from cyberfile.model.project import Project
from cyberfile.render.diagrams import project_diagrams, without_links
from cyberfile.render.documents import DOCUMENTS, DocumentMeta, render_documents
from cyberfile.render.tables import traceability_csv, traceability_xlsx
from cyberfile.report import renderer
from cyberfile.report.model import ProjectReport, Report
from cyberfile.report.terminal import echo, out
from cyberfile.sbom.publish import export_documents


class BuildError(InputError):
    """The build could not finish; the previous output is left as it was."""


class ValidationFailed(CyberfileError):
    """`cyberfile validate` reports errors: nothing is built (unless --allow-errors)."""

    exit_code = ExitCode.FINDINGS

    def __init__(self, root: Path, errors: list[Diagnostic]) -> None:
        super().__init__(
            f"{root.as_posix()}: {len(errors)} validation error(s); nothing was built. Fix "
            "them, or build a draft marked as such with --allow-errors"
        )
        self.root = root
        self.errors = errors


@dataclass
class BuildResult:
    root: Path
    out: Path
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """What the build had to work around (a diagram drawn by a fallback layout, or not
    drawn at all); the build still succeeded."""
    draft: bool = False
    """Built with --allow-errors from a project with validation errors."""


Progress = Callable[[str], None]


def source_commit(root: Path) -> str | None:
    """The git commit the project is built from, marked when the project has changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
            timeout=20,
        )
        if head.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "."],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = head.stdout.strip()[:12]
    return commit + (" with uncommitted changes" if status.stdout.strip() else "")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _inputs(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not any(
            part.startswith(".") for part in path.relative_to(root).parts
        ):
            out[path.relative_to(root).as_posix()] = _digest(path)
    return out


def _drift_for(result: LoadResult, day: date, validation: list[Diagnostic]) -> list[Diagnostic]:
    """The postmarket findings the readiness report and the site's landing page show:
    what `cyberfile drift` reports as of the document date, its date rules only (the
    steps it shares with validate are in the validate findings already), and what it
    says of waivers that validate has not said."""
    found = run_stages(result, "drift", day).diagnostics
    said = {(d.code, d.message, d.position) for d in validation}
    return [
        d
        for d in found
        if d.code not in MACHINE_RULES
        and (
            RULES[d.code].stage is Stage.DRIFT
            or (
                RULES[d.code].stage is Stage.WAIVERS and (d.code, d.message, d.position) not in said
            )
        )
    ]


MACHINE_RULES = frozenset({rules.FEED_CACHE_STALE.code})
"""Drift rules about the machine the command runs on (its feed cache), not the project:
the package must not depend on where it was built."""


def build_project(
    root: Path,
    out_parent: Path,
    as_of: date | None,
    *,
    pdf: bool | None,
    site: bool,
    allow_errors: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    """Build one project. A project with validation errors is refused (ValidationFailed)
    unless `allow_errors`, and then every document is marked a draft; files that cannot
    be read at all are refused either way (BuildError)."""
    result = load_project(root)
    project = result.project
    unreadable = [d for d in result.diagnostics if d.unreadable]
    if project is None or unreadable:
        first = unreadable[0] if unreadable else None
        where = (
            f" (first: {first.position.file.as_posix()}:{first.position.line}: {first.message})"
            if first and first.position
            else ""
        )
        raise BuildError(f"{root.as_posix()}: the project cannot be read{where}")
    day = project.document_date(as_of)
    # waivers are judged as of the document date, like drift
    validation = run_stages(result, "validate", day).diagnostics
    errors = [d for d in validation if d.severity is Severity.ERROR and d.waived is None]
    if errors and not allow_errors:
        raise ValidationFailed(root, errors)
    say = progress or (lambda _message: None)
    stamp = midnight_utc(day)
    want_pdf = project.manifest.documents.pdf if pdf is None else pdf
    name = root.resolve().name
    final = out_parent / name
    out_parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".building", dir=out_parent))
    outcome = BuildResult(root, final, draft=bool(errors))
    try:
        meta = DocumentMeta(day, source_commit(root), f"cyberfile {__version__}")
        drift = _drift_for(result, day, validation)
        items = readiness(project, [*validation, *drift])
        say("diagrams")
        diagrams = project_diagrams(project, problems=outcome.warnings)
        say("documents")
        try:
            documents = render_documents(project, meta, drift, validation, items)
        except TemplateError as exc:
            where = (
                f"{exc.filename}:{exc.lineno}: "
                if isinstance(exc, TemplateSyntaxError) and exc.filename
                else ""
            )
            raise BuildError(f"{root.as_posix()}: template error: {where}{exc}") from None
        docs_dir = staging / "documents"
        # documents/ and the PDFs: diagrams without links (they point into the site)
        _write_documents(docs_dir, documents, {k: without_links(v) for k, v in diagrams.items()})
        say("traceability matrices")
        (staging / "traceability.csv").write_text(traceability_csv(project), encoding="utf-8")
        traceability_xlsx(project, staging / "traceability.xlsx", stamp)
        say("SBOM and VEX")
        for file_name, text in export_documents(project, day).items():
            (staging / file_name).write_text(text, encoding="utf-8")
        if site:
            say("site")
            _site(result, documents, diagrams, validation, drift, items, staging, stamp, day)
        if want_pdf:
            say("PDFs")
            _pdfs(project, documents, docs_dir, staging / "pdf", stamp)
        _manifest(root, staging, day)
        _replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    outcome.files = sorted(p for p in final.rglob("*") if p.is_file())
    return outcome


def _write_documents(folder: Path, documents: dict[str, str], diagrams: dict[str, str]) -> None:
    """The Markdown documents, with their SVG diagrams under diagrams/."""
    (folder / "diagrams").mkdir(parents=True)
    for slug, text in documents.items():
        (folder / f"{slug}.md").write_text(text, encoding="utf-8")
    for diagram, svg in diagrams.items():
        (folder / "diagrams" / f"{diagram}.svg").write_text(svg, encoding="utf-8")


def _site(
    result: LoadResult,
    documents: dict[str, str],
    diagrams: dict[str, str],
    validation: list[Diagnostic],
    drift: list[Diagnostic],
    items: list[ReadinessItem],
    staging: Path,
    stamp: datetime,
    day: date,
) -> None:
    from cyberfile.render.navigator import publish_navigator
    from cyberfile.render.site import SiteError, build_site, landing_page

    project = result.project
    assert project is not None
    source = staging / ".site-source"
    _write_documents(source, documents, diagrams)
    (source / "index.md").write_text(
        landing_page(project, items, drift, day.isoformat()),
        encoding="utf-8",
    )
    try:
        build_site(source, staging / "site", project, stamp)
    except SiteError as exc:
        raise BuildError(str(exc)) from None
    finally:
        shutil.rmtree(source, ignore_errors=True)
    pages = {"index.html": "Overview"} | {f"{s.slug}.html": s.title for s in DOCUMENTS}
    publish_navigator(project, result.sources, [*validation, *drift], staging / "site", pages)


def _pdfs(
    project: Project, documents: dict[str, str], docs_dir: Path, out: Path, stamp: datetime
) -> None:
    from cyberfile.render.pdf import PdfUnavailable, jobs_for, load_weasyprint, write_pdfs

    try:
        load_weasyprint()
    except PdfUnavailable as exc:
        raise BuildError(str(exc)) from None
    out.mkdir()
    titles = {spec.slug: spec.title for spec in DOCUMENTS}
    day = stamp.date().isoformat()
    write_pdfs(jobs_for(project, documents, titles, day, docs_dir, out), stamp)


def _manifest(root: Path, staging: Path, day: date) -> None:
    outputs = {
        p.relative_to(staging).as_posix(): _digest(p)
        for p in sorted(staging.rglob("*"))
        if p.is_file()
    }
    manifest = {
        "generator": f"cyberfile {__version__}",
        "date": day.isoformat(),
        "project": root.resolve().name,
        "inputs": _inputs(root),
        "outputs": outputs,
    }
    (staging / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def _replace(staging: Path, final: Path) -> None:
    """Put the finished build in place; the old one is removed only afterwards."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old")
        if old.exists():
            shutil.rmtree(old)
        final.rename(old)
    staging.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def run(
    paths: list[Path],
    cwd: Path,
    output: Path,
    as_of: str | None,
    pdf: bool | None,
    site: bool,
    allow_errors: bool = False,
) -> ExitCode:
    """Build every project found; one failing project does not stop the others."""
    roots, general = discover(paths, cwd)
    for problem in general:
        echo(f"cyberfile build: {problem.message}", err=True)
    if not roots:
        return ExitCode.UNREADABLE
    day = dates.requested_document_day(as_of)
    failed = False
    refused = False
    interactive = sys.stderr.isatty()
    for root in roots:

        def say(step: str, root: Path = root) -> None:
            if interactive:
                echo(f"{root.as_posix()}: {step}…", err=True)

        try:
            result = build_project(
                root, output, day, pdf=pdf, site=site, allow_errors=allow_errors, progress=say
            )
        except ValidationFailed as exc:
            report = Report("build", [ProjectReport(root, exc.errors)])
            out(renderer("text")(report))
            echo(f"cyberfile build: {exc}", err=True)
            refused = True
            continue
        except InputError as exc:
            echo(f"cyberfile build: {exc}", err=True)
            failed = True
            continue
        if result.draft:
            echo(
                f"cyberfile build: {root.as_posix()}: warning: built with validation errors; "
                "every document is marked DRAFT",
                err=True,
            )
        for warning in result.warnings:
            echo(f"cyberfile build: {root.as_posix()}: warning: {warning}", err=True)
        echo(f"{root.as_posix()}: wrote {len(result.files)} files to {result.out.as_posix()}")
    if failed or general:
        return ExitCode.UNREADABLE
    return ExitCode.FINDINGS if refused else ExitCode.OK
