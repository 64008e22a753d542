"""`cyberfile build` under a kill, a concurrent build, a read-only project and a full disk.

The output is swapped into place in one step under an exclusive lock (docs/build.md,
"Interrupted and concurrent builds; read-only and full disks"); a killed build leaves the
previous output whole, and the next build cleans up after it."""

from __future__ import annotations

import errno
import fcntl
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cyberfile.commands import build as build_module

from .conftest import EXAMPLE, Run, tree_digest

pytestmark = pytest.mark.slow  # whole builds of the example, many as subprocesses: CI runs them

OLD_DAY = "2026-11-26"
NEW_DAY = "2026-11-27"
"""Two document dates: the same project gives two different, complete outputs."""

NAME = "pump"


@pytest.fixture
def pump(tmp_path: Path) -> Path:
    """A copy of the bundled example, outside any git checkout (no commit id in the output)."""
    root = tmp_path / "src" / NAME
    shutil.copytree(EXAMPLE, root)
    return root


def checked(folder: Path) -> dict[str, str]:
    """The sha256 of every file of a build, after checking that it is one complete build:
    manifest.json lists exactly the other files, each with its digest."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    files = tree_digest(folder)
    listed = dict(manifest["outputs"])
    assert set(files) - {"manifest.json"} == set(listed), "files and manifest differ"
    for relative, digest in listed.items():
        assert files[relative] == digest, f"{relative}: digest differs from the manifest"
    return files


def build_args(root: Path, out: Path, day: str) -> list[str]:
    return ["build", str(root), "-o", str(out), "--no-pdf", "--as-of", day]


def start_build(root: Path, out: Path, day: str) -> subprocess.Popen[str]:
    """`python -m cyberfile build` in its own process group (killed as a CI job is)."""
    return subprocess.Popen(
        [sys.executable, "-m", "cyberfile", *build_args(root, out, day)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def kill(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)


def staging_folders(out: Path) -> list[Path]:
    return sorted(out.glob(f".{NAME}.*.building"))


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str]) -> bool:
    """Poll until `condition` holds; False when the build ended first."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if condition():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.002)
    raise AssertionError("the build neither finished nor reached the awaited step")


def reference(cli: Callable[..., Run], root: Path, out: Path, day: str) -> dict[str, str]:
    """A clean build into a fresh folder."""
    run = cli(*build_args(root, out, day))
    assert run.code == 0, run.err
    return checked(out / NAME)


# --------------------------------------------------------------------------- interrupted


def test_a_killed_build_leaves_the_previous_output_whole(
    cli: Callable[..., Run], pump: Path, tmp_path: Path
) -> None:
    old = reference(cli, pump, tmp_path / "ref-old", OLD_DAY)
    new = reference(cli, pump, tmp_path / "ref-new", NEW_DAY)
    assert old != new
    out = tmp_path / "out"
    assert cli(*build_args(pump, out, OLD_DAY)).code == 0
    final = out / NAME
    previous = checked(final)
    assert previous == old

    def after(seconds: float) -> Callable[[subprocess.Popen[str]], bool]:
        def reached(_process: subprocess.Popen[str]) -> bool:
            time.sleep(seconds)  # on a fast machine the build may be done: that is fine too
            return True

        return reached

    def staging_exists(_process: subprocess.Popen[str]) -> bool:
        return wait_for(lambda: bool(staging_folders(out)), _process)

    def staging_nearly_done(process: subprocess.Popen[str]) -> bool:
        # the item pages are written last, then the manifest, then the swap
        return wait_for(
            lambda: any((s / "site" / "items").exists() for s in staging_folders(out)), process
        )

    def swapped(process: subprocess.Popen[str]) -> bool:
        # the output folder is another one: killed while the previous one is deleted
        inode = final.stat().st_ino
        return wait_for(lambda: final.exists() and final.stat().st_ino != inode, process)

    moments: list[tuple[str, Callable[[subprocess.Popen[str]], bool]]] = [
        ("after 0.2 s", after(0.2)),
        ("after 0.5 s", after(0.5)),
        ("after 1 s", after(1.0)),
        ("after 2 s", after(2.0)),
        ("staging folder made", staging_exists),
        ("site item pages being written", staging_nearly_done),
        ("right after the swap", swapped),
    ]
    for moment, reached in moments:
        before = checked(final)
        process = start_build(pump, out, NEW_DAY)
        if not reached(process):
            process.communicate(timeout=60)
            pytest.fail(f"{moment}: the build finished before it could be killed")
        kill(process)
        now = checked(final)  # complete whatever the moment
        assert now in (before, new), moment
        if moment == "staging folder made":
            assert now == before, "the output changed before the build was done"
        # what a killed build leaves: staging folders and the lock file, all dot-names
        assert {p.name for p in out.iterdir() if not p.name.startswith(".")} == {NAME}
    assert checked(final) == new  # the last kill came after the swap

    process = start_build(pump, out, NEW_DAY)
    _stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert checked(final) == new  # byte-identical to a clean build
    assert sorted(p.name for p in out.iterdir()) == [NAME]  # the leftovers are gone


def _fail_on_template(root: Path) -> None:
    """Make the next build fail after loading, validating and creating its staging folder."""
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "labeling.md.j2").write_text("{{ no_such_variable }}\n", encoding="utf-8")


def test_a_kill_between_the_two_renames_is_repaired_by_the_next_build(
    cli: Callable[..., Run], pump: Path, tmp_path: Path
) -> None:
    """Where directories cannot be exchanged in one step, `_replace` renames the output
    aside and then the staging folder into place. Killed between the two, the previous
    output waits in .pump.old: the next build puts it back, even when it fails itself."""
    out = tmp_path / "out"
    assert cli(*build_args(pump, out, OLD_DAY), "--no-site").code == 0
    previous = checked(out / NAME)
    (out / NAME).rename(out / f".{NAME}.old")  # the state such a kill leaves
    half = out / f".{NAME}.0123abcd.building"
    (half / "documents").mkdir(parents=True)
    (half / "documents" / "threat-model.md").write_text("half written", encoding="utf-8")
    (out / f".{NAME}.lock").touch()  # left by the killed build, whose lock died with it
    _fail_on_template(pump)
    run = cli(*build_args(pump, out, NEW_DAY), "--no-site")
    assert run.code == 2 and "template error" in run.err
    assert checked(out / NAME) == previous
    assert sorted(p.name for p in out.iterdir()) == [NAME]


def test_without_an_exchange_the_two_renames_give_the_same_output(
    cli: Callable[..., Run], pump: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli(*build_args(pump, tmp_path / "ref", NEW_DAY), "--no-site").code == 0
    new = checked(tmp_path / "ref" / NAME)
    out = tmp_path / "out"
    assert cli(*build_args(pump, out, OLD_DAY), "--no-site").code == 0
    monkeypatch.setattr(build_module, "_exchange", lambda _a, _b: False)
    assert cli(*build_args(pump, out, NEW_DAY), "--no-site").code == 0
    assert checked(out / NAME) == new
    assert sorted(p.name for p in out.iterdir()) == [NAME]


def test_a_failed_rename_puts_the_previous_output_back(
    cli: Callable[..., Run], pump: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert cli(*build_args(pump, out, OLD_DAY), "--no-site").code == 0
    previous = checked(out / NAME)
    monkeypatch.setattr(build_module, "_exchange", lambda _a, _b: False)
    rename = Path.rename

    def failing(self: Path, target: Any) -> Path:
        if self.name.endswith(".building") and Path(target) == out / NAME:
            raise OSError(errno.EIO, "Input/output error", str(self))
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", failing)
    run = cli(*build_args(pump, out, NEW_DAY), "--no-site")
    assert run.code == 2, run.err
    assert run.err.startswith("cyberfile build: ") and "Input/output error" in run.err
    assert "Traceback" not in run.err
    assert checked(out / NAME) == previous
    assert sorted(p.name for p in out.iterdir()) == [NAME]


def test_stale_staging_folders_of_this_project_only_are_removed(
    cli: Callable[..., Run], pump: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    mine = [out / f".{NAME}.0123abcd.building", out / f".{NAME}.q7_x9zk2.building"]
    others = [out / f".{NAME}.v2.0123abcd.building", out / "notes"]
    for folder in (*mine, *others):
        folder.mkdir(parents=True)
        (folder / "file.txt").write_text("x", encoding="utf-8")
    assert cli(*build_args(pump, out, OLD_DAY), "--no-site").code == 0
    checked(out / NAME)
    assert not any(folder.exists() for folder in mine)
    assert all(folder.exists() for folder in others)  # project pump.v2's, and not ours


# --------------------------------------------------------------------------- concurrent


def test_two_builds_at_once_give_one_complete_build(
    cli: Callable[..., Run], pump: Path, tmp_path: Path
) -> None:
    new = reference(cli, pump, tmp_path / "ref", NEW_DAY)
    out = tmp_path / "out"
    assert cli(*build_args(pump, out, OLD_DAY)).code == 0
    first, second = start_build(pump, out, NEW_DAY), start_build(pump, out, NEW_DAY)
    results = [process.communicate(timeout=300) for process in (first, second)]
    for process, (_stdout, stderr) in zip((first, second), results, strict=True):
        assert process.returncode == 0, stderr
        assert "Traceback" not in stderr
    assert checked(out / NAME) == new
    assert sorted(p.name for p in out.iterdir()) == [NAME]


def _hold_lock(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / f".{NAME}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_a_second_build_waits_for_the_first_and_says_so(pump: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    fd = _hold_lock(out)  # as a build in progress holds it
    process = start_build(pump, out, NEW_DAY)
    try:
        assert process.stderr is not None
        line = process.stderr.readline()  # blocks until the build says it waits
        assert line.startswith(f"cyberfile build: {pump.as_posix()}: waiting for another build")
        assert f".{NAME}.lock" in line
        time.sleep(0.5)
        assert process.poll() is None and not staging_folders(out)  # it waits, writing nothing
    finally:
        os.close(fd)
    _stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    checked(out / NAME)
    assert sorted(p.name for p in out.iterdir()) == [NAME]


def test_a_build_that_waits_too_long_gives_up_with_exit_2(
    cli: Callable[..., Run], pump: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert cli(*build_args(pump, out, OLD_DAY), "--no-site").code == 0
    before = tree_digest(out / NAME)
    fd = _hold_lock(out)
    try:
        monkeypatch.setenv("CYBERFILE_BUILD_LOCK_TIMEOUT", "0.3")
        run = cli(*build_args(pump, out, NEW_DAY), "--no-site")
    finally:
        os.close(fd)
    assert run.code == 2
    assert "waiting for another build" in run.err
    assert "another build into" in run.err and "is still running after 0.3 s" in run.err
    assert "CYBERFILE_BUILD_LOCK_TIMEOUT" in run.err and "Traceback" not in run.err
    assert tree_digest(out / NAME) == before and not staging_folders(out)
    monkeypatch.setenv("CYBERFILE_BUILD_LOCK_TIMEOUT", "soon")
    run = cli(*build_args(pump, out, NEW_DAY), "--no-site")
    assert run.code == 2 and "CYBERFILE_BUILD_LOCK_TIMEOUT='soon'" in run.err


# --------------------------------------------------------------------------- read-only project


def _mount(*args: str) -> bool:
    """`mount ARGS`; False where this machine does not let the tests mount."""
    if shutil.which("mount") is None:
        return False
    done = subprocess.run(["mount", *args], capture_output=True, check=False, timeout=30)
    return done.returncode == 0


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False, timeout=30)


WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _refuse_writes_under(root: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every write under `root` fail as on a read-only filesystem (EROFS), for a
    machine where the test can neither chmod (root) nor mount; returns the attempts."""
    attempts: list[str] = []
    base = str(root.resolve())

    def guard(path: Any) -> None:
        try:
            text = str(Path(os.fsdecode(path)).resolve())
        except TypeError:
            return  # a file descriptor
        if text == base or text.startswith(base + os.sep):
            attempts.append(text)
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), text)

    real_open, real_os_open = io.open, os.open

    def fake_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(flag in mode for flag in "wax+"):
            guard(file)
        return real_open(file, mode, *args, **kwargs)

    def fake_os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & WRITE_FLAGS:
            guard(path)
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(io, "open", fake_open)
    monkeypatch.setattr("builtins.open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)
    for name in ("mkdir", "rmdir", "unlink", "remove", "chmod", "utime", "truncate"):
        real = getattr(os, name)

        def one_path(path: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            guard(path)
            return _real(path, *args, **kwargs)

        monkeypatch.setattr(os, name, one_path)
    for name in ("rename", "replace", "link", "symlink"):
        real = getattr(os, name)

        def two_paths(source: Any, target: Any, *args: Any, _real: Any = real, **kw: Any) -> Any:
            guard(source)
            guard(target)
            return _real(source, target, *args, **kw)

        monkeypatch.setattr(os, name, two_paths)
    return attempts


@pytest.fixture(params=["filesystem", "patched"])
def read_only(
    request: pytest.FixtureRequest, pump: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, list[str]]]:
    """The example on a read-only filesystem: `chmod -R a-w` (root ignores it, so as root
    a read-only bind mount, skipped where mounting is not allowed), or with every write
    under it patched to fail with EROFS. Yields the project and the writes attempted."""
    if request.param == "patched":
        yield pump, _refuse_writes_under(pump, monkeypatch)
        return
    if os.geteuid() != 0:
        subprocess.run(["chmod", "-R", "a-w", str(pump)], check=True)
        try:
            yield pump, []
        finally:
            subprocess.run(["chmod", "-R", "u+w", str(pump)], check=True)
        return
    if not _mount("--bind", "-o", "ro", str(pump), str(pump)):
        pytest.skip("running as root, and a read-only bind mount is not permitted here")
    try:
        yield pump, []
    finally:
        _umount(pump)


def test_a_read_only_project_validates_and_builds_elsewhere(
    cli: Callable[..., Run], read_only: tuple[Path, list[str]], tmp_path: Path
) -> None:
    root, attempts = read_only
    before = tree_digest(root)
    assert cli("validate", str(root)).code == 0
    out = tmp_path / "out"
    run = cli(*build_args(root, out, OLD_DAY))
    assert run.code == 0, run.err
    checked(out / NAME)
    assert tree_digest(root) == before and attempts == []  # never even tried to write


@pytest.mark.parametrize(
    ("command", "written"),
    [
        (
            [
                "sbom", "import", "{root}/artifacts/sbom/infusafe-gateway-2.4.0-rc6.cdx.json",
                "{root}", "--name", "extra",
            ],
            "sbom/extra.yaml",
        ),
        (
            ["review", "THR-001", "--by", "A. Auditor", "--on", OLD_DAY, "--project", "{root}"],
            "threats/",
        ),
        (["scan", "{root}", "--osv", "{feed}", "--as-of", "2026-11-29"], "vulnerabilities.yaml"),
        (
            [
                "evidence", "add", "{root}/artifacts/pentest-2026.md", "{root}",
                "--type", "penetration_test", "--performed", "2026-06-30", "--covers", "THR-001",
            ],
            "evidence.yaml",
        ),
    ],
    ids=["sbom-import", "review", "scan", "evidence-add"],
)  # fmt: skip
def test_writing_commands_on_a_read_only_project_fail_with_exit_2(
    cli: Callable[..., Run],
    read_only: tuple[Path, list[str]],
    tmp_path: Path,
    command: list[str],
    written: str,
) -> None:
    root, _attempts = read_only
    feed = tmp_path / "osv"
    feed.mkdir()
    (feed / "GHSA-test-0001.json").write_text(  # a finding for the example's sqlparse 0.4.3
        json.dumps(
            {
                "id": "GHSA-test-0001",
                "modified": "2026-01-01T00:00:00Z",
                "published": "2026-01-01T00:00:00Z",
                "summary": "a test advisory",
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": "sqlparse"},
                        "ranges": [
                            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9"}]}
                        ],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    before = tree_digest(root)
    run = cli(*(arg.format(root=root, feed=feed) for arg in command))
    assert run.code == 2, run.out + run.err
    prefix = "cyberfile " + " ".join(
        command[:2] if command[0] in {"sbom", "evidence"} else command[:1]
    )
    message = run.err.strip().splitlines()[-1]
    assert message.startswith(f"{prefix}: cannot write {root.as_posix()}/{written}"), run.err
    assert "Read-only file system" in message or "Permission denied" in message
    assert "Traceback" not in run.err
    assert tree_digest(root) == before


# --------------------------------------------------------------------------- full disk


def _disk_use(folder: Path) -> int:
    """Bytes a tmpfs needs for the files under `folder` (whole pages)."""
    pages = sum(-(-p.stat().st_size // 4096) or 1 for p in folder.rglob("*") if p.is_file())
    return pages * 4096


def test_a_full_disk_fails_cleanly_and_keeps_the_previous_output(
    cli: Callable[..., Run], pump: Path, tmp_path: Path
) -> None:
    """On a real full filesystem: a tmpfs with room for one build and a half."""
    reference(cli, pump, tmp_path / "ref", OLD_DAY)
    size = _disk_use(tmp_path / "ref" / NAME) * 3 // 2
    out = tmp_path / "out"
    out.mkdir()
    if not _mount("-t", "tmpfs", "-o", f"size={size // 1024}k", "tmpfs", str(out)):
        pytest.skip("mounting a tmpfs is not permitted here (see the patched variant)")
    try:
        run = cli(*build_args(pump, out, OLD_DAY))
        assert run.code == 0, run.err  # one build fits
        before = checked(out / NAME)
        run = cli(*build_args(pump, out, NEW_DAY))  # a second one beside it does not
        assert run.code == 2, run.err
        assert run.err.startswith(
            f"cyberfile build: {pump.as_posix()}: cannot write into {out.as_posix()}: "
            "the disk is full (No space left on device)"
        ), run.err
        assert "previous output is left as it was" in run.err and "Traceback" not in run.err
        assert checked(out / NAME) == before
        assert sorted(p.name for p in out.iterdir()) == [NAME]  # staging and lock removed
    finally:
        _umount(out)


@pytest.mark.parametrize(
    "writes",
    [0, 40, 700, None],
    ids=["first-document", "site-source", "item-pages", "inside-mkdocs"],
)
def test_a_full_disk_by_patched_writes_fails_cleanly(
    cli: Callable[..., Run],
    pump: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    writes: int | None,
) -> None:
    """The same where no tmpfs can be mounted: the file written after `writes` others
    fails with ENOSPC, or (None) a page that mkdocs writes, which mkdocs wraps."""
    import mkdocs.utils

    out = tmp_path / "out"
    assert cli(*build_args(pump, out, OLD_DAY), "--no-site").code == 0
    before = checked(out / NAME)
    count = 0

    def full(path: Any) -> OSError:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    if writes is None:

        def write_file(_content: bytes, path: str) -> None:
            nonlocal count
            count += 1
            raise full(path)

        monkeypatch.setattr(mkdocs.utils, "write_file", write_file)
    else:
        real = Path.write_text

        def write_text(self: Path, data: str, *args: Any, **kwargs: Any) -> int:
            nonlocal count
            if out in self.parents:
                count += 1
                if count > writes:
                    raise full(self)
            return real(self, data, *args, **kwargs)

        monkeypatch.setattr(Path, "write_text", write_text)
    run = cli(*build_args(pump, out, NEW_DAY))
    assert count > (writes or 0), "the build wrote fewer files than the test expects"
    assert run.code == 2, run.err
    assert run.err.startswith(
        f"cyberfile build: {pump.as_posix()}: cannot write into {out.as_posix()}: "
        "the disk is full (No space left on device); nothing was built, the previous "
        "output is left as it was"
    ), run.err
    assert "Traceback" not in run.err
    assert checked(out / NAME) == before
    assert sorted(p.name for p in out.iterdir()) == [NAME]


def test_a_read_only_output_folder_fails_cleanly(
    cli: Callable[..., Run], pump: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert cli(*build_args(pump, out, OLD_DAY), "--no-site").code == 0
    before = checked(out / NAME)
    if not _mount("--bind", "-o", "ro", str(out), str(out)):
        pytest.skip("a read-only bind mount is not permitted here")
    try:
        run = cli(*build_args(pump, out, NEW_DAY), "--no-site")
    finally:
        _umount(out)
    assert run.code == 2
    assert run.err.startswith(f"cyberfile build: {pump.as_posix()}: cannot write {out.as_posix()}/")
    assert "read-only file system" in run.err and "Traceback" not in run.err
    assert checked(out / NAME) == before
