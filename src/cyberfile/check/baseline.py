"""The project as it was at an earlier revision, and what changed since: what `cyberfile
diff`, the Cybersecurity Change Summary and the site's "changed since" marks all read.

The base is read from git objects (`cyberfile.load.git`); the working tree is never
touched. A base that fails validation is still compared, and its findings are kept so
that readers are told; findings about evidence files are left out for the base, because
only the YAML of an old revision is read (its evidence files are today's).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cyberfile.check.changes import ProjectChanges, diff_projects
from cyberfile.check.stages import run_stages
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.diagnostics.rules import Stage
from cyberfile.load.git import GitError, Revision, load_project_at, repository_of
from cyberfile.load.project import LoadResult
from cyberfile.model.manifest import PriorSubmission
from cyberfile.model.project import Project


@dataclass(frozen=True)
class Version:
    """One side of a comparison: the project, where it was read from, what checks found."""

    project: Project
    revision: Revision | None
    """None for the working tree."""
    findings: tuple[Diagnostic, ...]
    """What `validate` reports for it (for a revision: without the evidence-file checks)."""

    def label(self, *, words: bool = False) -> str:
        """`v2.3.0 (266338ca0dad, 2026-12-06)`; with `words`, `revision v2.3.0 (commit
        266338ca0dad, 2026-12-06)`. A revision given as its sha is named once
        (`266338ca0dad (2026-12-06)`); the working tree is `the working tree`."""
        revision = self.revision
        if revision is None:
            return "the working tree"
        if revision.given in (revision.commit, revision.short):
            return f"{'commit ' if words else ''}{revision.short} ({revision.date})"
        if words:
            return f"revision {revision.given} (commit {revision.short}, {revision.date})"
        return f"{revision.given} ({revision.short}, {revision.date})"


@dataclass(frozen=True)
class Comparison:
    base: Version
    head: Version
    changes: ProjectChanges
    submission: PriorSubmission | None = None
    """The earlier submission whose baseline is the base, when it is one."""


class NoBaseline(GitError):
    """The project names no baseline and none was given."""


def checked(result: LoadResult, revision: Revision | None) -> Version:
    """`result` (a loaded project) with its validation findings."""
    assert result.project is not None
    # evidence files of an old revision are not read from git: not checked either
    skip = frozenset({Stage.EVIDENCE_FILES}) if revision is not None else frozenset()
    findings = run_stages(result, "validate", skip=skip).diagnostics
    return Version(result.project, revision, tuple(findings))


def read_version(root: Path, rev: str) -> Version:
    """The project at `root` as it was at revision `rev` (GitError, exit 2, when it cannot
    be read)."""
    result, revision = load_project_at(root, rev)
    return checked(result, revision)


def baseline_of(project: Project) -> PriorSubmission:
    """The newest earlier submission with a baseline (NoBaseline when there is none)."""
    submission = project.manifest.baseline_submission
    if submission is None or submission.baseline is None:
        raise NoBaseline(
            f"{project.root.as_posix()}: no --base given, and cyberfile.yaml lists no earlier "
            "submission with a baseline (submissions: [{..., baseline: REV}])"
        )
    return submission


def compare(root: Path, head: Version, base_rev: str | None = None) -> Comparison:
    """Compare `head` with revision `base_rev`, by default the baseline of the newest
    earlier submission that `head` lists."""
    submission = None
    if base_rev is None:
        submission = baseline_of(head.project)
        assert submission.baseline is not None
        repository_of(root)  # no repository at all: said as it is
        try:
            base = read_version(root, submission.baseline)
        except GitError as exc:
            named = f"{submission.type.value} {submission.number or ''}".rstrip()
            raise GitError(
                f"{exc} (the baseline of the {named} submission of version "
                f"{submission.version}, cyberfile.yaml submissions)"
            ) from None
    else:
        base = read_version(root, base_rev)
    if submission is None:
        submission = _submission_at(head.project, base)
    return Comparison(base, head, diff_projects(base.project, head.project), submission)


def _submission_at(project: Project, base: Version) -> PriorSubmission | None:
    """The earlier submission whose baseline is the base's commit, if the project lists one."""
    if base.revision is None:
        return None
    for submission in project.manifest.submissions:
        if submission.baseline in (base.revision.given, base.revision.commit):
            return submission
    return None
