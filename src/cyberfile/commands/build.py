"""`cyberfile build`: documents, matrices, SBOM/VEX, site and PDFs for each project.

Everything is written to a staging folder beside the output (`.<project>.<random>.building`)
and swapped into place only when the whole build succeeded, under an exclusive lock on
`.<project>.lock` so that builds of one project into one folder run one at a time;
`manifest.json` lists the sha256 of every input and output. The same inputs and date give
byte-identical files. A build killed at any moment leaves the previous output whole: the
next build removes what it left and repairs the swap (see `_recover`)."""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from jinja2 import TemplateError, TemplateSyntaxError

from cyberfile import __version__, dates
from cyberfile.check.baseline import Comparison, Version, compare
from cyberfile.check.readiness import ReadinessItem, readiness
from cyberfile.check.stages import run_stages
from cyberfile.dates import midnight_utc
from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic, Severity
from cyberfile.diagnostics.rules import RULES, Stage
from cyberfile.errors import CyberfileError, ExitCode, InputError, UsageError
from cyberfile.load.git import GitError
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


class BuildWriteError(BuildError):
    """The output could not be written (full disk, read-only or locked folder); the staging
    folder is removed and the previous output is left as it was."""

    exit_code = ExitCode.CANNOT_WRITE


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
    outcome = BuildResult(root, final, draft=bool(errors))
    lock, staging = _prepare_output(root, out_parent, name)
    try:
        meta = DocumentMeta(day, source_commit(root), f"cyberfile {__version__}")
        drift = _drift_for(result, day, validation)
        say("comparison with the baseline")
        comparison, baseline_problem = _baseline(root, project, validation)
        if baseline_problem:
            outcome.warnings.append(
                f"no Cybersecurity Change Summary: the baseline cannot be compared: "
                f"{baseline_problem}"
            )
        items = readiness(project, [*validation, *drift], baseline_problem)
        say("diagrams")
        diagrams = project_diagrams(project, problems=outcome.warnings)
        say("documents")
        try:
            documents = render_documents(project, meta, drift, validation, items, comparison)
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
            _site(
                result,
                documents,
                diagrams,
                validation,
                drift,
                items,
                staging,
                stamp,
                day,
                comparison,
            )
        if want_pdf:
            say("PDFs")
            _pdfs(project, documents, docs_dir, staging / "pdf", stamp)
        _manifest(root, staging, day)
        _replace(staging, final)
        outcome.files = sorted(p for p in final.rglob("*") if p.is_file())
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        failure = _output_failure(exc, root, out_parent)
        if failure is not None:
            raise failure from None
        raise
    finally:
        lock.release()
    return outcome


def _baseline(
    root: Path, project: Project, validation: list[Diagnostic]
) -> tuple[Comparison | None, str | None]:
    """The project compared with the baseline of its newest earlier submission, or why it
    cannot be (None, None: the project names no baseline)."""
    submission = project.manifest.baseline_submission
    if submission is None:
        return None, None
    try:
        head = Version(project, None, tuple(validation))
        return compare(root, head), None
    except GitError as exc:
        return None, str(exc)


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
    comparison: Comparison | None = None,
) -> None:
    from cyberfile.render.change_summary import item_notes
    from cyberfile.render.navigator import publish_navigator
    from cyberfile.render.site import SiteError, build_site, landing_page

    since = None
    if comparison is not None and comparison.base.revision is not None:
        revision = comparison.base.revision
        version = comparison.base.project.manifest.device.version
        given = "" if revision.given in (revision.commit, revision.short) else f"{revision.given}, "
        since = f"version {version} ({given}commit {revision.short})"

    project = result.project
    assert project is not None
    source = staging / ".site-source"
    _write_documents(source, documents, diagrams)
    (source / "index.md").write_text(
        landing_page(project, items, drift, day.isoformat(), tuple(documents), since),
        encoding="utf-8",
    )
    try:
        build_site(source, staging / "site", project, stamp)
    except SiteError as exc:
        raise BuildError(str(exc)) from None
    finally:
        shutil.rmtree(source, ignore_errors=True)
    pages = {"index.html": "Overview"} | {
        f"{s.slug}.html": s.title for s in DOCUMENTS if s.slug in documents
    }
    changed = (since, item_notes(comparison.changes)) if since and comparison else None
    publish_navigator(
        project, result.sources, [*validation, *drift], staging / "site", pages, changed
    )


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
    """Put the finished build in place, with no moment at which `final` is half written.

    Where the filesystem can (Linux `renameat2(RENAME_EXCHANGE)`: ext4, xfs, btrfs, tmpfs),
    staging and `final` trade places in one step, and `final` is never missing. Elsewhere
    `final` is renamed to `.<project>.old`, staging to `final`; a build killed between the
    two renames leaves the previous output whole in `.<project>.old`, which the next build
    renames back (`_recover`). Either way the previous output ends up under the staging
    name, which marks it as garbage (removed here, or by the next build if killed now)."""
    if not final.exists() and not final.is_symlink():
        staging.rename(final)
        return
    if not _exchange(staging, final):
        old = _previous(final)
        if old.exists():
            shutil.rmtree(old)
        final.rename(old)
        try:
            staging.rename(final)
        except BaseException:
            old.rename(final)
            raise
        old.rename(staging)
    shutil.rmtree(staging, ignore_errors=True)


def _previous(final: Path) -> Path:
    """Where the previous output waits while the new one is renamed into place."""
    return final.with_name(f".{final.name}.old")


RENAME_EXCHANGE = 2
AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two directories in one step; False where the system or filesystem cannot."""
    if sys.platform != "linux":
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # a libc without renameat2 (glibc < 2.28, musl)
        return False
    text, number = ctypes.c_char_p, ctypes.c_int
    renameat2.argtypes = [number, text, number, text, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    done = renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE)
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM}:
        return False  # the filesystem (or a sandbox) does not offer it: two renames instead
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def _staging_pattern(name: str) -> re.Pattern[str]:
    """Staging folders of project `name` (and, after a swap, its previous output): the
    random part has no dot, so project `a` never claims the staging folder of `a.b`."""
    return re.compile(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}\.building")


def _new_staging(out_parent: Path, name: str) -> Path:
    while True:
        staging = out_parent / f".{name}.{secrets.token_hex(4)}.building"
        try:
            staging.mkdir()
        except FileExistsError:
            continue
        return staging


def _recover(out_parent: Path, name: str) -> None:
    """Clean up after a build that was killed (SIGKILL, a cancelled CI job, a crash):
    put back a previous output left in `.<project>.old` by a kill between the two renames
    of `_replace`, or drop it when the new output made it there, and remove staging
    folders. Runs under the lock, so no other build of the project is using them."""
    final = out_parent / name
    old = _previous(final)
    if old.is_dir() and not old.is_symlink():
        if final.exists() or final.is_symlink():
            shutil.rmtree(old)
        else:
            old.rename(final)
    pattern = _staging_pattern(name)
    for entry in out_parent.iterdir():
        if pattern.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)


LOCK_TIMEOUT = 600.0
"""Seconds a build waits for another build of the same project into the same folder."""

LOCK_TIMEOUT_VARIABLE = "CYBERFILE_BUILD_LOCK_TIMEOUT"


def _lock_timeout() -> float:
    value = os.environ.get(LOCK_TIMEOUT_VARIABLE, "").strip()
    if not value:
        return LOCK_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise UsageError(f"{LOCK_TIMEOUT_VARIABLE}={value!r}: expected a number of seconds")
    return seconds


class _Lock:
    """An exclusive `flock` on OUT/.<project>.lock, held for the whole build. The file
    is removed when the build ends (it is left behind only by a killed build, and then
    reused: the kernel drops the lock of a dead process)."""

    def __init__(self, path: Path, fd: int | None) -> None:
        self.path = path
        self.fd = fd

    def release(self) -> None:
        if self.fd is None:
            return
        # unlinked while still held: a build waiting on this file notices, and locks anew
        with suppress(OSError):
            self.path.unlink()
        os.close(self.fd)
        self.fd = None


def _lock(root: Path, out_parent: Path, name: str) -> _Lock:
    """Wait (up to CYBERFILE_BUILD_LOCK_TIMEOUT, default 600 s) for another build of the
    project into the same folder, saying so once; then BuildWriteError."""
    path = out_parent / f".{name}.lock"
    if sys.platform == "win32":
        return _Lock(path, None)
    import fcntl

    timeout = _lock_timeout()
    deadline = time.monotonic() + timeout
    said = False
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() >= deadline:
                raise BuildWriteError(
                    f"{root.as_posix()}: another build into {(out_parent / name).as_posix()} "
                    f"is still running after {timeout:g} s (lock {path.as_posix()}); nothing "
                    f"was built. Wait for it, or set {LOCK_TIMEOUT_VARIABLE} to wait longer"
                ) from None
            if not said:
                echo(
                    f"cyberfile build: {root.as_posix()}: waiting for another build into "
                    f"{(out_parent / name).as_posix()} to finish (lock {path.as_posix()}, "
                    f"up to {timeout:g} s)",
                    err=True,
                )
                said = True
            time.sleep(0.1)
            continue
        except OSError as exc:
            os.close(fd)
            if exc.errno in {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS}:
                return _Lock(path, None)  # a filesystem without locks: run unlocked
            raise
        try:
            current = path.stat()
        except FileNotFoundError:
            current = None
        mine = os.fstat(fd)
        if current is not None and (current.st_dev, current.st_ino) == (mine.st_dev, mine.st_ino):
            return _Lock(path, fd)
        os.close(fd)  # the holder removed the file as we locked it: lock the new one


def _prepare_output(root: Path, out_parent: Path, name: str) -> tuple[_Lock, Path]:
    """Create the output folder, take the lock, clean up after a killed build, and make
    a new staging folder; BuildWriteError when the folder cannot be written."""
    lock: _Lock | None = None
    try:
        out_parent.mkdir(parents=True, exist_ok=True)
        lock = _lock(root, out_parent, name)
        _recover(out_parent, name)
        return lock, _new_staging(out_parent, name)
    except BaseException as exc:
        if lock is not None:
            lock.release()
        failure = _output_failure(exc, root, out_parent)
        if failure is not None:
            raise failure from None
        raise


def _output_failure(exc: BaseException, root: Path, out_parent: Path) -> BuildWriteError | None:
    """The message for a build stopped by the filesystem: a full disk or a read-only
    filesystem anywhere in the exception's chain (mkdocs and openpyxl wrap them), or any
    other OSError; None for every other failure."""
    if not isinstance(exc, Exception) or isinstance(exc, BuildWriteError):
        return None
    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in chain:
        chain.append(link)
        link = link.__cause__ or link.__context__
    causes = [link for link in chain if isinstance(link, OSError)]
    where = out_parent.as_posix()
    kept = "the previous output is left as it was"
    for cause in causes:
        if cause.errno in {errno.ENOSPC, errno.EDQUOT}:
            return BuildWriteError(
                f"{root.as_posix()}: cannot write into {where}: the disk is full "
                f"({cause.strerror}); nothing was built, {kept}"
            )
        if cause.errno == errno.EROFS:
            target = Path(cause.filename).as_posix() if cause.filename else where
            return BuildWriteError(
                f"{root.as_posix()}: cannot write {target}: read-only file system; "
                f"nothing was built, {kept}"
            )
    if isinstance(exc, OSError):
        target = Path(exc.filename).as_posix() if exc.filename else where
        return BuildWriteError(
            f"{root.as_posix()}: cannot build into {where}: {target}: {exc.strerror or exc}; {kept}"
        )
    return None


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
