"""Loading a project as it was at a git revision, from git's objects: the old content, the
working tree's paths, clear errors, and nothing written to the repository or left behind."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from cyberfile.load.git import GitError, load_project_at, repository_of, resolve
from cyberfile.load.project import load_project
from cyberfile.scaffold import scaffold

from .conftest import edit, line_of

if shutil.which("git") is None:
    pytest.skip(
        "git is not on the PATH: loading a project at a revision needs it",
        allow_module_level=True,
    )

OLD_TITLE = "Unauthenticated app sends commands to the device"
NEW_TITLE = "Rogue app sends commands over BLE"


@pytest.fixture(autouse=True)
def _plain_git(plain_git: None) -> None:
    """Every test here runs with git isolated (tests/conftest.py plain_git)."""


def git(repo: Path, *args: str, when: str = "2024-05-01T12:00:00+02:00") -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", *args],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def commit(repo: Path, message: str, when: str = "2024-05-01T12:00:00+02:00") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, when=when)


def digest(root: Path) -> dict[str, str]:
    """sha256 of every file under root, the repository's own files included."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose tag v1 holds a new project in projects/x."""
    top = tmp_path / "repo"
    top.mkdir()
    git(top, "init", "-q")
    scaffold(
        top / "projects" / "x",
        device_name="Pump",
        manufacturer="Acme",
        effective=date(2024, 1, 1),
    )
    # late in the evening west of UTC: already 2024-05-02 in UTC, the committer's day counts
    commit(top, "First version\n\nWith a body.", when="2024-05-01T23:30:00-05:00")
    git(top, "tag", "v1")
    return top


def test_loads_the_tagged_content_and_leaves_the_working_tree_alone(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threats = repo / "projects" / "x" / "threats.yaml"
    edit(threats, OLD_TITLE, NEW_TITLE)
    commit(repo, "Rename a threat", when="2024-06-02T09:00:00+00:00")
    edit(threats, "Describe the attack", "Describe how the attack goes")  # uncommitted
    (repo / "projects" / "x" / "notes.txt").write_text("untracked\n", encoding="utf-8")
    status = git(repo, "status", "--porcelain")
    before = digest(repo)
    monkeypatch.chdir(repo)
    root = Path("projects/x")

    result, revision = load_project_at(root, "v1")

    assert result.project is not None
    assert result.project.threats.threats[0].title == OLD_TITLE
    assert str(result.project.threats.threats[0].description).startswith("Describe the attack")
    assert digest(repo) == before
    assert git(repo, "status", "--porcelain") == status
    assert re.fullmatch(r"[0-9a-f]{40}", revision.commit)
    assert revision.commit == git(repo, "rev-parse", "v1^{commit}").strip()
    assert revision.short == revision.commit[:12]
    assert (revision.given, revision.date, revision.subject) == (
        "v1",
        "2024-05-01",
        "First version",
    )

    newer, at_head = load_project_at(root, "HEAD")
    assert newer.project is not None
    assert newer.project.threats.threats[0].title == NEW_TITLE
    assert "how the attack goes" not in str(newer.project.threats.threats[0].description)
    assert (at_head.date, at_head.subject) == ("2024-06-02", "Rename a threat")
    assert resolve(repo, "HEAD~1").commit == revision.commit
    assert resolve(repo, revision.commit[:10]) == replace(revision, given=revision.commit[:10])


def test_every_path_is_the_working_tree_path(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    root = Path("projects/x")
    result, _ = load_project_at(root, "v1")
    here = load_project(root)
    assert result.root == root
    assert result.project is not None and result.project.root == root
    assert result.project.name == "x"
    assert result.files == here.files
    assert result.sbom_files == here.sbom_files
    for name, source in result.sources.items():
        assert source.values == here.sources[name].values, name
        assert source.keys == here.sources[name].keys, name


def test_findings_at_a_revision_name_the_working_tree_file_and_line(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threats = repo / "projects" / "x" / "threats.yaml"
    edit(threats, "stride: [spoofing]", "stride: [spoofin]")
    line = line_of(threats, "stride: [spoofin]")
    commit(repo, "A typo")
    git(repo, "tag", "bad")
    edit(threats, "stride: [spoofin]", "stride: [spoofing]")
    commit(repo, "Fixed")
    monkeypatch.chdir(repo)

    result, _ = load_project_at(Path("projects/x"), "bad")

    assert result.project is not None  # findings do not stop loading
    found = [d for d in result.diagnostics if "spoofin" in d.message]
    assert found, [d.message for d in result.diagnostics]
    assert found[0].position is not None
    assert found[0].position.file == Path("projects/x/threats.yaml")
    assert found[0].position.line == line
    assert not load_project(Path("projects/x")).diagnostics


def test_a_path_inside_a_message_is_the_working_tree_path(repo: Path) -> None:
    """A key given twice in a part folder names the first file in the message itself."""
    project = repo / "projects" / "x"
    folder = project / "threats"
    folder.mkdir()
    (project / "threats.yaml").rename(folder / "a.yaml")
    (folder / "b.yaml").write_text(
        "methodology: {name: PASTA, rationale: Another one.}\n", encoding="utf-8"
    )
    commit(repo, "Split the threats")
    shutil.rmtree(folder)
    git(repo, "checkout", "-q", "v1", "--", "projects/x/threats.yaml")

    result, _ = load_project_at(project, "HEAD")

    twice = [d for d in result.diagnostics if "already defined in" in d.message]
    assert len(twice) == 1
    assert f"{folder / 'a.yaml'}:" in twice[0].message
    assert twice[0].position is not None and twice[0].position.file == folder / "b.yaml"
    assert "cyberfile-git-" not in twice[0].message


def test_a_project_at_the_top_of_the_repository(tmp_path: Path) -> None:
    top = tmp_path / "device"
    scaffold(top, device_name="Pump", manufacturer="Acme", effective=date(2024, 1, 1))
    git(top, "init", "-q")
    commit(top, "Init")
    edit(top / "threats.yaml", OLD_TITLE, NEW_TITLE)

    result, _ = load_project_at(top / "threats" / "..", "HEAD")

    assert result.project is not None
    assert result.project.threats.threats[0].title == OLD_TITLE
    assert repository_of(top / "threats.yaml") == top.resolve()


def test_a_project_from_a_subfolder_of_the_repository(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "projects" / "x")
    result, _ = load_project_at(Path(), "v1")
    assert result.project is not None
    assert result.files[0] == Path("cyberfile.yaml")


def test_links_are_followed_only_inside_the_project_and_submodules_skipped(
    repo: Path, tmp_path: Path
) -> None:
    project = repo / "projects" / "x"
    (project / "parts").mkdir()
    (project / "architecture.yaml").rename(project / "parts" / "arch.yaml")
    (project / "architecture.yaml").symlink_to("parts/arch.yaml")
    secret = tmp_path / "secret.yaml"
    secret.write_text("vulnerabilities: [{id: SECRET}]\n", encoding="utf-8")
    (project / "vulnerabilities.yaml").unlink()
    (project / "vulnerabilities.yaml").symlink_to(os.path.relpath(secret, project))
    (project / "anomalies.yaml").unlink()
    (project / "anomalies.yaml").symlink_to(secret)
    commit(repo, "Links")
    sha = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{sha},projects/x/sub")
    git(repo, "commit", "-q", "-m", "A submodule")

    result, _ = load_project_at(project, "HEAD")

    assert result.project is not None
    assert [a.id for a in result.project.architecture.assets][:1] == ["AST-DEVICE-FW"]
    assert not result.project.vulnerabilities.vulnerabilities
    assert "SECRET" not in result.written_ids
    assert project / "architecture.yaml" in result.files


def test_an_unknown_revision(repo: Path) -> None:
    with pytest.raises(GitError, match=r"unknown revision 'nope' in .*repo"):
        load_project_at(repo / "projects" / "x", "nope")


@pytest.mark.parametrize("rev", ["--output=x", "-h", "", "  "])
def test_option_like_or_empty_revisions_are_refused(
    repo: Path, monkeypatch: pytest.MonkeyPatch, rev: str
) -> None:
    monkeypatch.chdir(repo)
    with pytest.raises(GitError, match="not a revision name"):
        load_project_at(Path("projects/x"), rev)
    assert not (repo / "x").exists()
    assert not git(repo, "status", "--porcelain")


def test_not_a_git_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    scaffold(plain, device_name="Pump", manufacturer="Acme", effective=date(2024, 1, 1))
    with pytest.raises(GitError, match=r"plain is not inside a git repository$"):
        load_project_at(plain, "HEAD")


def test_git_not_installed(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(GitError, match="git is not installed"):
        load_project_at(repo / "projects" / "x", "v1")


def test_a_project_absent_at_the_revision(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scaffold(
        repo / "projects" / "y",
        device_name="Monitor",
        manufacturer="Acme",
        effective=date(2024, 1, 1),
    )
    commit(repo, "Second device")
    monkeypatch.chdir(repo)
    with pytest.raises(
        GitError, match=r"the project projects/y does not exist at v1 \([0-9a-f]{12}\)"
    ):
        load_project_at(Path("projects/y"), "v1")
    shutil.rmtree(repo / "projects" / "x")  # gone from the working tree, there at v1
    for rev in ("v1", "HEAD"):  # its removal is not committed
        result, _ = load_project_at(Path("projects/x"), rev)
        assert result.project is not None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "schema_version: 99\n",
            r"cyberfile.yaml:1:17: this project is written in format version 99",
        ),
        ("device: [unclosed\n", r"cyberfile.yaml:\d+:\d+: invalid YAML"),
        (b"\xff\xfe junk\n", "not valid UTF-8"),
    ],
)
def test_a_manifest_that_cannot_be_read_at_the_revision(
    repo: Path, monkeypatch: pytest.MonkeyPatch, text: str | bytes, reason: str
) -> None:
    manifest = repo / "projects" / "x" / "cyberfile.yaml"
    good = manifest.read_bytes()
    manifest.write_bytes(text if isinstance(text, bytes) else text.encode())
    commit(repo, "Broken")
    manifest.write_bytes(good)
    monkeypatch.chdir(repo)
    with pytest.raises(GitError) as caught:
        load_project_at(Path("projects/x"), "HEAD")
    message = str(caught.value)
    assert message.startswith("the project projects/x at HEAD (")
    assert "could not be read: projects/x/" in message
    assert re.search(reason, message), message


def test_the_temporary_folder_is_removed(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    manifest = repo / "projects" / "x" / "cyberfile.yaml"
    load_project_at(repo / "projects" / "x", "v1")
    assert not list(scratch.iterdir())
    manifest.write_text("schema_version: 99\n", encoding="utf-8")
    commit(repo, "Broken")
    with pytest.raises(GitError):
        load_project_at(repo / "projects" / "x", "HEAD")
    assert not list(scratch.iterdir())


def test_the_repository_is_the_one_holding_the_path(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A git hook exports GIT_DIR (and GIT_INDEX_FILE): the path decides, not they."""
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    result, revision = load_project_at(repo / "projects" / "x", "v1")
    assert result.project is not None
    assert revision.subject == "First version"
