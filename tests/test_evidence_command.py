"""`cyberfile evidence add` and `cyberfile evidence rehash`: evidence recorded with its
sha256 in one command, in the project's own files, comments kept, atomically."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from cyberfile.load.project import load_project

from .conftest import EXAMPLE, Run, edit, tree_digest

DAY = "2025-06-30"
AS_OF = "2025-07-01"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _report(root: Path, name: str = "pentest-2026.md", text: str = "# Pentest\n") -> Path:
    path = root / "artifacts" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _add(cli: Callable[..., Run], root: Path, file: Path, *extra: str) -> Run:
    return cli(
        "evidence",
        "add",
        str(file),
        str(root),
        "--type",
        "penetration_test",
        "--covers",
        "THR-001",
        "--performed",
        DAY,
        *extra,
    )


def _evidence(root: Path) -> dict[str, object]:
    """The project's evidence items by id, as the loader reads them."""
    result = load_project(root)
    assert result.project is not None
    return {item.id: item for item in result.project.evidence.evidence}


def _drift_codes(cli: Callable[..., Run], root: Path, ident: str) -> set[str]:
    run = cli("drift", str(root), "--as-of", AS_OF, "--format", "json")
    diagnostics = json.loads(run.out)["diagnostics"]
    return {d["code"] for d in diagnostics if ident in d["message"]}


def _temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp")]


# --- add ----------------------------------------------------------------------------


def test_add_records_the_sha256_and_validate_and_drift_accept_it(
    cli: Callable[..., Run], project: Path
) -> None:
    report = _report(project)
    run = _add(cli, project, report, "--covers", "CTL-BLE-AUTH", "--report-id", "NSL-1")
    assert run.code == 0, run.err
    ident = "EV-PENETRATION-TEST-20250630"
    assert f"added {ident} to " in run.out
    assert _sha(report) in run.out  # prints what it wrote
    item = _evidence(project)[ident]
    assert item.sha256 == _sha(report)  # type: ignore[attr-defined]
    assert item.file == "artifacts/pentest-2026.md"  # type: ignore[attr-defined]
    assert item.covers == ("THR-001", "CTL-BLE-AUTH")  # type: ignore[attr-defined]
    assert item.title == "Pentest 2026"  # type: ignore[attr-defined]
    assert item.report_id == "NSL-1"  # type: ignore[attr-defined]
    assert str(item.performed) == DAY  # type: ignore[attr-defined]
    validate = cli("validate", str(project))
    assert validate.code == 0, validate.out
    assert _drift_codes(cli, project, ident) == set()
    # the digest is really checked: a change to the file is now drift's CF303
    report.write_text("# Pentest, edited\n", encoding="utf-8")
    assert _drift_codes(cli, project, ident) == {"CF303"}


def test_comments_and_order_survive_byte_for_byte_outside_the_new_item(
    cli: Callable[..., Run], project: Path
) -> None:
    old = _report(project, "old.md", "old\n")
    original = (
        "# yaml-language-server: $schema=schemas/evidence.schema.json\n"
        "# Team notes: keep this header.\n"
        "evidence:\n"
        "  # the first pentest\n"
        "  - title: 'Old report'   # quoted on purpose\n"
        "    id: EV-OLD-1\n"
        "    type: penetration_test\n"
        "    performed: 2024-01-02\n"
        "    file: artifacts/old.md\n"
        f'    sha256: "{_sha(old)}"\n'
        "    covers: [THR-001]   # only one\n"
        "# trailing note\n"
    )
    path = project / "evidence.yaml"
    path.write_text(original, encoding="utf-8")
    run = _add(cli, project, _report(project))
    assert run.code == 0, run.err
    text = path.read_text(encoding="utf-8")
    assert text.startswith(original), text
    assert text[len(original) :].startswith("  - id: EV-PENETRATION-TEST-20250630\n")
    assert cli("validate", str(project)).code == 0


def test_the_write_is_atomic_and_a_failed_write_leaves_the_old_file(
    cli: Callable[..., Run], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _report(project)
    before = tree_digest(project)

    def full_disk(self: Path, target: object) -> Path:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(Path, "replace", full_disk)
        run = _add(cli, project, report)
    assert run.code == 2
    assert "cyberfile evidence add: cannot write" in run.err
    assert "No space left on device" in run.err and "Traceback" not in run.err
    assert tree_digest(project) == before
    assert _temp_files(project) == []
    run = _add(cli, project, report)
    assert run.code == 0, run.err
    assert _temp_files(project) == []
    assert "EV-PENETRATION-TEST-20250630" in _evidence(project)


def test_a_file_outside_the_project_is_refused_without_copy_and_copied_with_it(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "downloads" / "nsl_report-final.pdf"
    outside.parent.mkdir()
    outside.write_bytes(b"%PDF-1.7 report\n")
    before = tree_digest(project)
    refused = _add(cli, project, outside)
    assert refused.code == 2
    assert "is outside the project folder" in refused.err
    assert "--copy" in refused.err and "artifacts/nsl_report-final.pdf" in refused.err
    assert tree_digest(project) == before

    copied = _add(cli, project, outside, "--copy")
    assert copied.code == 0, copied.err
    target = project / "artifacts" / "nsl_report-final.pdf"
    assert target.read_bytes() == outside.read_bytes()
    item = _evidence(project)["EV-PENETRATION-TEST-20250630"]
    assert item.file == "artifacts/nsl_report-final.pdf"  # type: ignore[attr-defined]
    assert item.sha256 == _sha(outside)  # type: ignore[attr-defined]
    assert item.title == "Nsl report final"  # type: ignore[attr-defined]
    assert cli("validate", str(project)).code == 0

    # a different file of the same name is never overwritten
    outside.write_bytes(b"%PDF-1.7 another report\n")
    before = tree_digest(project)
    clash = _add(cli, project, outside, "--copy")
    assert clash.code == 2
    assert "already exists" in clash.err and "nothing was overwritten" in clash.err
    assert tree_digest(project) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--type", "pentest"), "did you mean 'penetration_test'?"),
        (("--type", "audit"), "use one of: penetration_test, vulnerability_scan, "),
        (("--covers", "THR-01"), "--covers 'THR-01': no item, component or vulnerability"),
        (("--covers", "THR-01"), "did you mean 'THR-001'?"),
        (("--covers", "pkg:pypi/nothing@1.0"), "'pkg:pypi/nothing@1.0'"),
        (("--performed", "2025-02-30"), "--performed: '2025-02-30' is not a date"),
        (("--performed", "2999-01-01"), "is in the future"),
        (("--id", "ev-lower"), "--id 'ev-lower': ids are capital letters"),
        (("--id", "THR-001"), "--id THR-001: the project already has an item with this id"),
        (("--title", "   "), "--title: must not be empty"),
    ],
)
def test_bad_options_exit_2_with_the_reason_and_write_nothing(
    cli: Callable[..., Run], project: Path, change: tuple[str, str], message: str
) -> None:
    report = _report(project)
    before = tree_digest(project)
    option, value = change
    args = {"--type": "penetration_test", "--covers": "THR-001", "--performed": DAY}
    args[option] = value
    flat = [part for pair in args.items() for part in pair]
    run = cli("evidence", "add", str(report), str(project), *flat)
    assert run.code == 2, run.out
    assert run.err.startswith("cyberfile evidence add: "), run.err
    assert message in run.err
    assert "Traceback" not in run.err
    assert tree_digest(project) == before


def test_every_unknown_cover_is_named(cli: Callable[..., Run], project: Path) -> None:
    run = _add(cli, project, _report(project), "--covers", "CTL-NOPE", "--covers", "REQ-X")
    assert run.code == 2
    assert "'CTL-NOPE'" in run.err and "'REQ-X'" in run.err


def test_performed_and_covers_are_required(cli: Callable[..., Run], project: Path) -> None:
    report = _report(project)
    before = tree_digest(project)
    no_date = cli(
        "evidence", "add", str(report), str(project), "--type", "other", "--covers", "THR-001"
    )
    assert no_date.code == 2
    assert "--performed YYYY-MM-DD is required" in no_date.err
    assert "clock" in no_date.err
    no_covers = cli(
        "evidence", "add", str(report), str(project), "--type", "other", "--performed", DAY
    )
    assert no_covers.code == 2 and "--covers ID is required" in no_covers.err
    assert tree_digest(project) == before


def test_a_missing_file_or_a_project_with_errors_is_refused(
    cli: Callable[..., Run], project: Path
) -> None:
    missing = _add(cli, project, project / "artifacts" / "nope.pdf")
    assert missing.code == 2 and "nope.pdf: no such file" in missing.err
    report = _report(project)
    edit(project / "threats.yaml", "- id: THR-001", "- id: THR-001\n    colour: red")
    before = tree_digest(project)
    broken = _add(cli, project, report)
    assert broken.code == 2
    assert "error(s) in the project; run `cyberfile validate`" in broken.err
    assert tree_digest(project) == before


def test_the_evidence_file_itself_cannot_be_evidence(
    cli: Callable[..., Run], project: Path
) -> None:
    before = tree_digest(project)
    run = _add(cli, project, project / "evidence.yaml")
    assert run.code == 2 and "cannot be evidence" in run.err
    assert tree_digest(project) == before


def test_the_id_is_derived_and_made_unique(cli: Callable[..., Run], project: Path) -> None:
    report = _report(project)
    assert _add(cli, project, report).code == 0
    second = _add(cli, project, report)
    assert second.code == 0, second.err
    third = _add(cli, project, report, "--id", "EV-NSL-2025", "--title", "Retest")
    assert third.code == 0, third.err
    assert list(_evidence(project)) == [
        "EV-PENETRATION-TEST-20250630",
        "EV-PENETRATION-TEST-20250630-2",
        "EV-NSL-2025",
    ]
    taken = _add(cli, project, report, "--id", "EV-NSL-2025")
    assert taken.code == 2 and "already has an item with this id" in taken.err


def test_dry_run_prints_the_item_and_writes_nothing(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "scan.json"
    outside.write_text("{}\n", encoding="utf-8")
    before = tree_digest(project)
    run = _add(cli, project, outside, "--copy", "--dry-run")
    assert run.code == 0, run.err
    assert "would copy" in run.out and "dry run: nothing written" in run.out
    assert "file: artifacts/scan.json" in run.out and _sha(outside) in run.out
    assert tree_digest(project) == before


HOSTILE = [
    'He said "stop" # not a comment',
    "it's {x: 1} [a, b] & *alias !tag %d @e `f`",
    "line one\nline two\n\n  indented: yes",
    "null",
    "2025-06-30",
    "- looks like a list",
    "tab\tand \x85 NEL \u2028 LS, ESC \x1b[31m",
    "NEL\x85next LS\u2028next",  # printable otherwise: must not be folded into spaces
]


@pytest.mark.parametrize("title", HOSTILE)
def test_hostile_titles_round_trip_as_text(
    cli: Callable[..., Run], project: Path, title: str
) -> None:
    run = _add(cli, project, _report(project), "--title", title, "--report-id", title)
    assert run.code == 0, run.err
    item = _evidence(project)["EV-PENETRATION-TEST-20250630"]
    assert item.title == title  # type: ignore[attr-defined]
    assert item.report_id == title  # type: ignore[attr-defined]
    validate = cli("validate", str(project))
    assert validate.code == 0, validate.out


def test_a_project_whose_evidence_is_a_folder(cli: Callable[..., Run], project: Path) -> None:
    folder = project / "evidence"
    folder.mkdir()
    kept = folder / "00-existing.yaml"
    old = _report(project, "old.md", "old\n")
    kept.write_text(
        "# yaml-language-server: $schema=../schemas/evidence.schema.json\n"
        "evidence:\n"
        "  - {id: EV-OLD-1, type: other, title: Old, performed: 2024-01-02, "
        f"file: artifacts/old.md, sha256: {_sha(old)}, covers: [THR-001]}}\n",
        encoding="utf-8",
    )
    (project / "evidence.yaml").unlink()
    kept_before = kept.read_bytes()
    run = _add(cli, project, _report(project))
    assert run.code == 0, run.err
    written = folder / "ev-penetration-test-20250630.yaml"
    assert written.is_file(), sorted(p.name for p in folder.iterdir())
    assert written.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=../schemas/evidence.schema.json\n"
    )
    assert kept.read_bytes() == kept_before
    assert set(_evidence(project)) == {"EV-OLD-1", "EV-PENETRATION-TEST-20250630"}
    validate = cli("validate", str(project))
    assert validate.code == 0, validate.out

    # rehash finds the item in its own file of the folder
    (project / "artifacts" / "pentest-2026.md").write_text("changed\n", encoding="utf-8")
    rehash = cli("evidence", "rehash", "EV-PENETRATION-TEST-20250630", str(project))
    assert rehash.code == 0, rehash.err
    assert kept.read_bytes() == kept_before
    assert _drift_codes(cli, project, "EV-PENETRATION-TEST-20250630") == set()


def test_add_finds_the_project_from_its_folder(cli: Callable[..., Run], project: Path) -> None:
    _report(project)
    run = cli(
        "evidence",
        "add",
        "artifacts/pentest-2026.md",
        "--type",
        "fuzz_test",
        "--covers",
        "TST-BLE-AUTH-1",
        "--performed",
        DAY,
        cwd=project,
    )
    assert run.code == 0, run.err
    assert "added EV-FUZZ-TEST-20250630 to evidence.yaml" in run.out


# --- rehash -------------------------------------------------------------------------


@pytest.fixture
def example(tmp_path: Path) -> Path:
    root = tmp_path / "pump"
    shutil.copytree(EXAMPLE, root)
    return root


def test_rehash_shows_old_and_new_and_the_drift_finding_disappears(
    cli: Callable[..., Run], example: Path
) -> None:
    ident = "EV-PENTEST-2026"
    report = example / "artifacts" / "pentest-2026.md"
    old_digest = _sha(report)
    evidence = example / "evidence.yaml"
    before = evidence.read_text(encoding="utf-8")
    with report.open("a", encoding="utf-8") as handle:
        handle.write("\nErratum: page 4 table header corrected.\n")
    new_digest = _sha(report)
    as_of = ("--as-of", "2026-11-26")
    drift = cli("drift", str(example), *as_of, "--select", "CF303", "--format", "json")
    assert [d["code"] for d in json.loads(drift.out)["diagnostics"]] == ["CF303"]

    dry = cli("evidence", "rehash", ident, str(example), "--dry-run")
    assert dry.code == 0, dry.err
    assert f"{old_digest} -> {new_digest}" in dry.out
    assert evidence.read_text(encoding="utf-8") == before

    run = cli("evidence", "rehash", ident, str(example))
    assert run.code == 0, run.err
    assert f"sha256 {old_digest} -> {new_digest}" in run.out
    assert f"wrote {evidence.as_posix()}" in run.out
    # only the digest line changed: comments, order and every other item are kept
    after = evidence.read_text(encoding="utf-8")
    assert after == before.replace(old_digest, new_digest, 1)
    assert _temp_files(example) == []
    drift = cli("drift", str(example), *as_of, "--select", "CF303", "--format", "json")
    assert json.loads(drift.out)["diagnostics"] == []
    assert cli("validate", str(example)).code == 0


def test_rehash_of_an_unchanged_file_writes_nothing(cli: Callable[..., Run], example: Path) -> None:
    before = tree_digest(example)
    run = cli("evidence", "rehash", "EV-PENTEST-2026", str(example))
    assert run.code == 0, run.err
    assert "is unchanged" in run.out and "nothing written" in run.out
    assert tree_digest(example) == before


def test_rehash_records_a_digest_that_was_missing(cli: Callable[..., Run], project: Path) -> None:
    report = _report(project)
    assert _add(cli, project, report).code == 0
    evidence = project / "evidence.yaml"
    edit(evidence, f"    sha256: {_sha(report)}\n", "")
    assert _drift_codes(cli, project, "EV-PENETRATION-TEST-20250630") == {"CF304"}
    run = cli("evidence", "rehash", "EV-PENETRATION-TEST-20250630", str(project))
    assert run.code == 0, run.err
    assert f"(none recorded) -> {_sha(report)}" in run.out
    lines = evidence.read_text(encoding="utf-8").splitlines()
    at = lines.index("    file: artifacts/pentest-2026.md")
    assert lines[at + 1] == f"    sha256: {_sha(report)}"
    assert _drift_codes(cli, project, "EV-PENETRATION-TEST-20250630") == set()


def test_rehash_refuses_what_it_cannot_hash(cli: Callable[..., Run], project: Path) -> None:
    evidence = project / "evidence.yaml"
    evidence.write_text(
        "evidence:\n"
        "  - {id: EV-NOFILE, type: other, title: Minutes, performed: 2025-01-02}\n"
        "  - {id: EV-GONE, type: other, title: Gone, performed: 2025-01-02, "
        "file: artifacts/gone.pdf}\n"
        "  - {id: EV-OUT, type: other, title: Out, performed: 2025-01-02, "
        "file: ../outside.pdf}\n",
        encoding="utf-8",
    )
    (project.parent / "outside.pdf").write_text("x\n", encoding="utf-8")
    before = tree_digest(project)
    cases = {
        "EV-NOFIL": "no evidence item with this id; did you mean 'EV-NOFILE'?",
        "THR-001": "THR-001 is a threat, not an evidence item",
        "EV-NOFILE": "EV-NOFILE records no file",
        "EV-GONE": f"{(project / 'artifacts' / 'gone.pdf').as_posix()} does not exist",
        "EV-OUT": "file '../outside.pdf' climbs out of the folder",
    }
    for ident, message in cases.items():
        run = cli("evidence", "rehash", ident, str(project))
        assert run.code == 2, (ident, run.out)
        assert run.err.startswith("cyberfile evidence rehash: "), run.err
        assert message in run.err, (ident, run.err)
    assert tree_digest(project) == before


def test_help_shows_examples(cli: Callable[..., Run]) -> None:
    for command in ("add", "rehash"):
        run = cli("evidence", command, "--help")
        assert run.code == 0
        assert "Examples:" in run.out and f"cyberfile evidence {command} " in run.out
    assert "--performed" in cli("evidence", "add", "--help").out
