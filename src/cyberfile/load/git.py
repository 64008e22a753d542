"""Load a project as it was at a git revision, read from git's objects.

`cyberfile diff` compares a project at two revisions, and the drift check looks up what
an item was like when it was reviewed. Neither may use the working tree for an old
revision: a checkout, a stash or an extra worktree would change the user's files, index
or repository, and their uncommitted work is not ours to move. So the project's folder is
listed at the commit (`git ls-tree`), its YAML blobs are read in one `git cat-file
--batch` (a constant number of git processes, whatever the size of the project), written
into a private temporary folder and loaded there by the ordinary loader. Every path in
the result is then rewritten to the path the file has in the working tree, so that
findings read `projects/x/threats/ble.yaml:12:3: ...`, and the temporary folder is
removed before returning. The revision is returned beside the result for the caller to
name ("at v2.3.0 (abc123def456):").

Git is only ever asked to read: `GIT_OPTIONAL_LOCKS=0` (not even an index refresh),
never a fetch (`GIT_NO_LAZY_FETCH=1`), and the repository is the one holding the path,
whatever `GIT_DIR` a hook may have exported. What the files hold is loaded as it is in
the blob (a Git LFS pointer stays a pointer).

Only YAML is materialised: the loader reads nothing else. The other files' folders are
created, so the layout looks as it did, but evidence documents are not written, and the
loaded `Project.root` is the working-tree folder: whatever later reads evidence files
reads today's. A symbolic link in the tree is followed only to a YAML file of the same
project folder at the same commit (its content is copied); any other link, and every
submodule, is left out.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.diagnostics.position import PathKey, Position
from cyberfile.errors import InputError
from cyberfile.gcpause import cyclic_gc_paused
from cyberfile.load.project import LoadResult, load_project
from cyberfile.model.project import MANIFEST_NAME

_FILE_MODES = frozenset({b"100644", b"100755"})
_LINK_MODE = b"120000"
_READ_SUFFIXES = frozenset({".yaml", ".yml"})
_MAX_LINK_HOPS = 40

_REPOSITORY_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_NAMESPACE",
)
"""Dropped from git's environment: the repository is the one holding the path."""


class GitError(InputError):
    """A project cannot be read at a git revision (no repository, no such revision, no
    project there, or git missing); the message names the path and the revision."""


@dataclass(frozen=True)
class Revision:
    """A commit, as the user named it and as git knows it."""

    given: str
    """As the user wrote it: "v2.3.0", "HEAD~2", a sha."""
    commit: str
    """The full 40-hex sha (64 in a SHA-256 repository)."""
    short: str
    """The first 12 hex digits of `commit`."""
    date: str
    """The committer date, yyyy-mm-dd, in the committer's time zone (fixed by the commit)."""
    subject: str
    """The first line of the commit message."""


def run_git(
    cwd: Path, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run `git ARGS` in `cwd`, read-only: the repository is the one holding `cwd`
    (whatever GIT_DIR a hook exported), no optional locks, no lazy fetch, no prompt;
    OSError when git cannot be started."""
    env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_VARIABLES}
    env.update(
        GIT_OPTIONAL_LOCKS="0",
        GIT_NO_LAZY_FETCH="1",
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
        LANGUAGE="C",
    )
    return subprocess.run(
        ["git", "-c", "core.quotepath=off", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        check=False,
        env=env,
    )


def _said(process: subprocess.CompletedProcess[bytes]) -> str:
    """Git's own reason, for a message: the first line it wrote to stderr."""
    lines = process.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[0].removeprefix("fatal: ").removeprefix("error: ") if lines else ""


def repository_of(path: Path) -> Path:
    """The top-level folder of the git work tree that holds `path` (which need not exist
    any more: its nearest existing folder is asked)."""
    shown = path.as_posix()
    start = path.absolute()
    while not start.is_dir() and start != start.parent:
        start = start.parent
    try:
        process = run_git(start, "rev-parse", "--show-toplevel")
    except OSError as exc:
        why = "git is not installed (no `git` on the PATH)"
        if not isinstance(exc, FileNotFoundError):
            why = f"git cannot be run ({exc.strerror or exc})"
        raise GitError(f"cannot read {shown} from git: {why}") from None
    top = process.stdout.rstrip(b"\n")
    if process.returncode != 0 or not top:
        said = _said(process)
        if not said or "not a git repository" in said:
            raise GitError(f"{shown} is not inside a git repository")
        raise GitError(f"{shown} is not inside a git work tree that can be read ({said})")
    return Path(os.fsdecode(top))


def resolve(repo: Path, rev: str) -> Revision:
    """The commit `rev` names in `repo`. Names that git would take for an option (they
    start with '-') are refused, as are empty ones."""
    if not rev.strip() or rev.startswith("-") or "\0" in rev:
        raise GitError(
            f"'{rev}' is not a revision name (a revision is a tag, a branch or a commit id, "
            "and does not start with '-')"
        )
    try:
        found = run_git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        commit = found.stdout.decode("ascii", "replace").strip()
        if found.returncode != 0 or not commit:
            raise GitError(f"unknown revision '{rev}' in {repo.as_posix()}")
        shown = run_git(
            repo,
            "-c",
            "i18n.logOutputEncoding=UTF-8",
            "log",
            "-1",
            "--no-show-signature",
            "--format=%cI%x00%B",
            commit,
            "--",
        )
    except OSError as exc:
        raise GitError(f"cannot read {repo.as_posix()} with git: {exc.strerror or exc}") from None
    if shown.returncode != 0:
        raise GitError(f"cannot read commit {commit[:12]} in {repo.as_posix()}: {_said(shown)}")
    date, _, message = shown.stdout.decode("utf-8", "replace").partition("\0")
    subject = message.strip().split("\n", 1)[0].strip()
    return Revision(given=rev, commit=commit, short=commit[:12], date=date[:10], subject=subject)


@dataclass(frozen=True)
class _Entry:
    mode: bytes
    oid: str
    path: str
    """Relative to the project folder, '/'-separated."""


def _safe(path: str) -> bool:
    """A path git would check out: no empty, '.', '..' or '.git' component."""
    return all(part not in {"", ".", ".."} and part.lower() != ".git" for part in path.split("/"))


def _list(repo: Path, commit: str, rel: PurePosixPath) -> list[_Entry] | None:
    """The files under the project folder at the commit, or None if there is no such
    folder."""
    tree = commit if rel == PurePosixPath() else f"{commit}:{rel.as_posix()}"
    process = run_git(repo, "ls-tree", "-r", "-z", "--full-tree", tree)
    if process.returncode != 0:
        return None
    entries = []
    for record in process.stdout.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, _, rest = meta.partition(b" ")
        oid = rest.partition(b" ")[2].decode("ascii")
        entries.append(_Entry(mode, oid, os.fsdecode(name)))
    return entries


def _follow(path: str, links: dict[str, str], files: set[str]) -> str | None:
    """The file of the project folder a link leads to, following links; None when it
    leaves the folder, is absolute, loops or ends anywhere but at a file."""
    for _ in range(_MAX_LINK_HOPS):
        target = links[path]
        if target.startswith("/"):
            return None
        parts = path.split("/")[:-1]
        for part in target.split("/"):
            if part == "..":
                if not parts:
                    return None
                parts.pop()
            elif part not in {"", "."}:
                parts.append(part)
        path = "/".join(parts)
        if path in files:
            return path
        if path not in links:
            return None
    return None


def _read_blobs(repo: Path, oids: list[str], rev: Revision) -> dict[str, bytes]:
    """The content of each blob, all read by one `git cat-file --batch`."""
    if not oids:
        return {}
    process = run_git(repo, "cat-file", "--batch", stdin="".join(f"{o}\n" for o in oids).encode())
    if process.returncode != 0:
        raise GitError(
            f"cannot read the files of {rev.given} ({rev.short}) in {repo.as_posix()}: "
            f"{_said(process)}"
        )
    out = process.stdout
    blobs: dict[str, bytes] = {}
    at = 0
    for oid in oids:
        end = out.index(b"\n", at)
        header = out[at:end].split(b" ")
        if len(header) != 3:
            raise GitError(
                f"the repository {repo.as_posix()} lacks object {oid[:12]} of {rev.given} "
                f"({rev.short}): {out[at:end].decode('utf-8', 'replace')} (a shallow or "
                "partial clone?)"
            )
        size = int(header[2])
        blobs[oid] = out[end + 1 : end + 1 + size]
        at = end + 1 + size + 1
    return blobs


def _materialise(repo: Path, entries: list[_Entry], rev: Revision, into: Path) -> None:
    """Write the project's YAML files into `into`, and create every folder it has."""
    files = {e.path: e for e in entries if e.mode in _FILE_MODES and _safe(e.path)}
    links = {e.path: e.oid for e in entries if e.mode == _LINK_MODE and _safe(e.path)}
    wanted = {p: e.oid for p, e in files.items() if PurePosixPath(p).suffix in _READ_SUFFIXES}
    linked = [p for p in links if PurePosixPath(p).suffix in _READ_SUFFIXES]
    blobs = _read_blobs(repo, list(dict.fromkeys([*wanted.values(), *links.values()])), rev)
    targets = {p: os.fsdecode(blobs[oid]) for p, oid in links.items()}
    for path in linked:
        real = _follow(path, targets, set(files))
        if real is not None and real in wanted:
            wanted[path] = wanted[real]
    into.mkdir(parents=True, exist_ok=True)
    for path in sorted({posixpath.dirname(p) for p in files} - {""}):
        (into / path).mkdir(parents=True, exist_ok=True)
    for path, oid in wanted.items():
        (into / path).write_bytes(blobs[oid])


class _Relocate:
    """Rewrites paths under the temporary project folder to the working-tree folder."""

    def __init__(self, old: Path, new: Path) -> None:
        self.old = old
        self.new = new
        self.seen: dict[Path, Path] = {}
        new_text = "" if str(new) == "." else f"{new}{os.sep}"
        self.texts = ((f"{old}{os.sep}", new_text), (str(old), str(new)))

    def path(self, path: Path) -> Path:
        moved = self.seen.get(path)
        if moved is None:
            try:
                moved = self.new / path.relative_to(self.old)
            except ValueError:
                moved = path
            self.seen[path] = moved
        return moved

    def position(self, position: Position) -> Position:
        return Position(self.path(position.file), position.line, position.column)

    def table(self, table: dict[PathKey, Position]) -> dict[PathKey, Position]:
        """A source map's table with its positions moved. The 10,000-item project holds
        some 200,000: the new path is looked up by the identity of the old one (the
        positions of a file share its Path, and the table keeps them alive meanwhile)."""
        moved: dict[int, Path] = {}
        out: dict[PathKey, Position] = {}
        for key, (file, line, column) in table.items():
            new = moved.get(id(file))
            if new is None:
                new = moved[id(file)] = self.path(file)
            out[key] = Position(new, line, column)
        return out

    def text(self, text: str) -> str:
        for old, new in self.texts:
            text = text.replace(old, new)
        return text

    def diagnostic(self, diagnostic: Diagnostic) -> Diagnostic:
        position = diagnostic.position
        return replace(
            diagnostic,
            position=None if position is None else self.position(position),
            message=self.text(diagnostic.message),
            hint=None if diagnostic.hint is None else self.text(diagnostic.hint),
        )

    def result(self, result: LoadResult) -> None:
        """Rewrite, in place, every path `result` holds."""
        result.root = self.new
        result.files = [self.path(p) for p in result.files]
        result.sbom_files = {name: self.path(p) for name, p in result.sbom_files.items()}
        result.diagnostics = [self.diagnostic(d) for d in result.diagnostics]
        for source in result.sources.values():
            source.values = self.table(source.values)
            source.keys = self.table(source.keys)
        if result.project is not None:
            result.project = replace(result.project, root=self.new)


def _relative(project_root: Path, repo: Path) -> PurePosixPath:
    real = project_root.resolve()
    try:
        return PurePosixPath(real.relative_to(repo.resolve()).as_posix())
    except ValueError:
        raise GitError(
            f"{project_root.as_posix()} is not inside the git work tree {repo.as_posix()}"
        ) from None


def load_project_at(project_root: Path, rev: str) -> tuple[LoadResult, Revision]:
    """Load the project in folder `project_root` as it was at revision `rev` of the git
    repository holding it; every path in the result is the file's working-tree path
    (`project_root / relative path`). A project with findings at that revision still
    loads; GitError when the revision or the project cannot be read at all."""
    repo = repository_of(project_root)
    revision = resolve(repo, rev)
    rel = _relative(project_root, repo)
    where = f"{rev} ({revision.short})"
    shown = rel.as_posix() if rel != PurePosixPath() else "at the top of the repository"
    try:
        entries = _list(repo, revision.commit, rel)
        found = entries is not None and any(
            e.path == MANIFEST_NAME and e.mode in {*_FILE_MODES, _LINK_MODE} for e in entries
        )
        if entries is None or not found:
            raise GitError(
                f"the project {shown} does not exist at {where}: no {MANIFEST_NAME} there"
            )
        with tempfile.TemporaryDirectory(prefix="cyberfile-git-") as tmp:
            name = project_root.resolve().name or "project"
            loaded_root = Path(tmp).resolve() / name
            _materialise(repo, entries, revision, loaded_root)
            result = load_project(loaded_root)
    except OSError as exc:
        raise GitError(
            f"cannot read the project {shown} at {where}: {exc.strerror or exc}"
        ) from None
    with cyclic_gc_paused():  # some 200,000 new positions for a 10,000-item project
        _Relocate(loaded_root, project_root).result(result)
    if result.project is None:
        manifest = project_root / MANIFEST_NAME
        first = next(
            (d for d in result.diagnostics if d.file == manifest),
            result.diagnostics[0] if result.diagnostics else None,
        )
        pos = first.position if first else None
        at = f"{pos.file.as_posix()}:{pos.line}:{pos.column}: " if pos else ""
        why = first.message if first else f"no readable {MANIFEST_NAME}"
        raise GitError(f"the project {shown} at {where} could not be read: {at}{why}")
    return result, revision
