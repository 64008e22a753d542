"""The contract every command keeps with its user and with CI, through `main()`: which
rules a command runs and reports, how projects are found, exit codes, output layouts."""

from __future__ import annotations

import json
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from junitparser import JUnitXml

from cyberfile.diagnostics.rules import RULES
from cyberfile.report.terminal import use_color

from .conftest import EXAMPLE, Run, edit, line_of

AS_OF = "2026-11-26"


@pytest.fixture
def dangling(project: Path) -> Path:
    """A fresh project whose one threat names a control that does not exist."""
    edit(project / "threats.yaml", "controls: [CTL-", "controls: [CTL-NOPE, CTL-")
    return project


@pytest.fixture
def portfolio(tmp_path: Path) -> Path:
    """A repository with the example at projects/pump; the tests run from its root."""
    shutil.copytree(EXAMPLE, tmp_path / "projects" / "pump")
    return tmp_path


def _junit_cases(text: str) -> list[str]:
    xml = JUnitXml.fromstring(text)
    return [case.name for suite in xml for case in suite]


# --- which rules a command runs ------------------------------------------------------


def test_drift_junit_does_not_list_rules_drift_never_runs(
    cli: Callable[..., Run], dangling: Path
) -> None:
    validate = cli("validate", str(dangling), "--format", "junit")
    assert validate.code == 1
    assert any(
        name.startswith("CF121 dangling-reference at ") for name in _junit_cases(validate.out)
    )
    drift = cli("drift", str(dangling), "--as-of", AS_OF, "--format", "junit")
    cases = _junit_cases(drift.out)
    assert cases, drift.out
    codes = {name.split()[0] for name in cases}
    assert not any(code.startswith(("CF12", "CF2")) for code in codes), sorted(codes)
    assert all("drift" in RULES[code].commands for code in codes)


def test_sarif_describes_only_the_rules_the_command_ran(
    cli: Callable[..., Run], project: Path
) -> None:
    for command, extra in (("validate", ()), ("drift", ("--as-of", AS_OF))):
        run = cli(command, str(project), "--format", "sarif", *extra)
        described = {r["id"] for r in json.loads(run.out)["runs"][0]["tool"]["driver"]["rules"]}
        assert described, command
        assert all(command in RULES[code].commands for code in described), command
        assert not any(RULES[code].opt_in for code in described)  # not enabled, not run


@pytest.mark.parametrize(
    ("command", "option", "code", "runner"),
    [
        ("validate", "--enable", "CF501", "drift"),
        ("validate", "--select", "CF411", "drift"),
        ("drift", "--select", "CF121", "validate"),
        ("drift", "--ignore", "CF202", "validate"),
    ],
)
def test_a_rule_of_another_command_is_refused(
    cli: Callable[..., Run], project: Path, command: str, option: str, code: str, runner: str
) -> None:
    run = cli(command, str(project), option, code)
    assert run.code == 2, run.out
    assert f"{code} ({RULES[code].name}) is not a rule of `cyberfile {command}`" in run.err
    assert f"`cyberfile {runner}` runs it" in run.err
    assert run.out == ""


def test_an_unknown_rule_code_is_refused(cli: Callable[..., Run], project: Path) -> None:
    run = cli("validate", str(project), "--ignore", "cf999")
    assert run.code == 2 and "--ignore CF999: there is no such rule" in run.err


def test_drift_enable_reports_an_opt_in_rule(cli: Callable[..., Run], project: Path) -> None:
    without = cli("drift", str(project), "--as-of", AS_OF, "--format", "json")
    enabled = cli("drift", str(project), "--as-of", AS_OF, "--format", "json", "--enable", "CF501")
    codes = [d["code"] for d in json.loads(enabled.out)["diagnostics"]]
    assert "CF501" in codes
    assert "CF501" not in [d["code"] for d in json.loads(without.out)["diagnostics"]]


# --- how projects are found ----------------------------------------------------------


def test_review_finds_its_project_from_the_repository_root(
    cli: Callable[..., Run], portfolio: Path
) -> None:
    run = cli("review", "CTL-MTLS", "--by", "A. Auditor", "--on", AS_OF, cwd=portfolio)
    assert run.code == 0, run.err
    assert "reviewed control CTL-MTLS (projects/pump/controls.yaml)" in run.out


def test_review_takes_a_project_path_among_its_arguments(
    cli: Callable[..., Run], portfolio: Path
) -> None:
    run = cli("review", "projects/pump", "CTL-MTLS", "--by", "A. A.", "--on", AS_OF, cwd=portfolio)
    assert run.code == 0, run.err
    assert "projects/pump: no reviewable item" not in run.err
    both = cli("review", "projects/pump", "CTL-MTLS", "--by", "x", "--project", ".", cwd=portfolio)
    assert both.code == 2 and "name one project" in both.err


def test_review_asks_which_project_when_there_are_several(
    cli: Callable[..., Run], portfolio: Path
) -> None:
    shutil.copytree(EXAMPLE, portfolio / "projects" / "monitor")
    run = cli("review", "CTL-MTLS", "--by", "x", "--on", AS_OF, cwd=portfolio)
    assert run.code == 2
    assert "2 projects here (projects/monitor, projects/pump); name the one" in run.err


def test_the_review_hint_of_drift_runs_from_where_drift_ran(
    cli: Callable[..., Run], portfolio: Path
) -> None:
    pump = portfolio / "projects" / "pump"
    edit(pump / "architecture.yaml", "over TLS 1.3 (Mosquitto", "over TLS 1.2 (Mosquitto")
    drift = cli("drift", "--as-of", AS_OF, "--select", "CF500", "--format", "json", cwd=portfolio)
    hints = [d["hint"] for d in json.loads(drift.out)["diagnostics"] if d["code"] == "CF500"]
    assert hints, drift.out
    command = hints[0].removeprefix("review it again: ")
    assert command.startswith("cyberfile review THR-") and "--project projects/pump" in command
    argv = shlex.split(command.replace("--by NAME", "--by 'J. Rivera'"))[1:]
    run = cli(*argv, "--on", AS_OF, cwd=portfolio)
    assert run.code == 0, run.err


# --- exit codes ------------------------------------------------------------------------


def test_an_internal_error_is_exit_3_with_the_debug_hint_and_no_traceback(
    cli: Callable[..., Run], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("cyberfile.commands.validate.run", broken)
    monkeypatch.delenv("CYBERFILE_DEBUG", raising=False)
    run = cli("validate", str(project))
    assert run.code == 3
    assert "internal error: RuntimeError: boom" in run.err
    assert "CYBERFILE_DEBUG=1" in run.err and "Traceback" not in run.err
    monkeypatch.setenv("CYBERFILE_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli("validate", str(project))


def test_impact_exits_1_when_nothing_matches_and_finds_a_bare_name(
    cli: Callable[..., Run], portfolio: Path
) -> None:
    none = cli("impact", "left-pad", cwd=portfolio)
    assert none.code == 1 and "no project contains or records left-pad" in none.out
    found = cli("impact", "Django", "--format", "json", cwd=portfolio)
    assert found.code == 0
    components = {r["component"] for r in json.loads(found.out)["results"]}
    assert components == {"pkg:pypi/django@4.2.15"}


def test_a_date_in_the_future_is_refused_where_it_would_be_recorded(
    cli: Callable[..., Run], portfolio: Path
) -> None:
    run = cli("review", "CTL-MTLS", "--by", "x", "--on", "2999-01-01", cwd=portfolio)
    assert run.code == 2 and "2999-01-01 is in the future" in run.err
    assert "reviewed:" not in (portfolio / "projects/pump/controls.yaml").read_text("utf-8")
    drift = cli("drift", "--as-of", "2999-01-01", "--format", "json", cwd=portfolio)
    assert drift.code in (0, 1)  # drift only measures; a future date is a forecast


# --- output ----------------------------------------------------------------------------


@pytest.fixture
def noisy(project: Path) -> Path:
    """A project with many warnings (unused components) and one error in a file that
    sorts after them."""
    unused = "".join(
        f"\n  - ref: pkg:pypi/unused{i}@1.0\n    name: unused{i}\n    version: '1.0'\n"
        "    supplier: x\n    support: actively_maintained\n    end_of_support: 2030-12-31"
        for i in range(25)
    )
    edit(project / "sbom.yaml", "components: []", "components:" + unused)
    edit(project / "threats.yaml", "controls: [CTL-", "controls: [CTL-NOPE, CTL-")
    return project


def test_errors_come_first_however_many_warnings_follow(
    cli: Callable[..., Run], noisy: Path
) -> None:
    run = cli("validate", str(noisy))
    lines = run.out.splitlines()
    assert "1 error, 26 warnings; errors first" in lines[0]
    assert " CF121 error " in lines[1]
    assert lines[-1] == "1 project checked: 1 error, 26 warnings"


def test_output_formats_concise_grouped_and_statistics(
    cli: Callable[..., Run], noisy: Path
) -> None:
    concise = cli("validate", str(noisy), "--output-format", "concise").out.splitlines()
    assert not any(line.startswith("    hint:") for line in concise)
    assert sum(" CF205 warning " in line for line in concise) == 25
    grouped = cli("validate", str(noisy), "--output-format", "grouped").out
    assert f"\n{(noisy / 'sbom.yaml').as_posix()}\n" in grouped
    threats_line = line_of(noisy / "threats.yaml", "CTL-NOPE")
    assert f"\n  {threats_line}:" in grouped  # within a file, lines without the file name
    statistics = cli("validate", str(noisy), "--statistics")
    assert statistics.code == 1
    rows = statistics.out.splitlines()
    assert rows[0].split() == ["25", "CF205", "warning", "component-unused"]
    assert rows[1].split() == ["1", "CF121", "error", "dangling-reference"]


def test_tables_keep_every_value_whole_when_piped(cli: Callable[..., Run], portfolio: Path) -> None:
    run = cli("impact", "pkg:generic/openssl", cwd=portfolio)
    assert run.code == 0
    rows = [line for line in run.out.splitlines() if "pkg:generic/openssl@3.0.13" in line]
    assert rows and all("│" not in row for row in rows)
    assert all(row.startswith("projects/pump  ") for row in rows)


def test_colour_only_on_a_terminal_and_never_with_no_color(
    cli: Callable[..., Run], dangling: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(None, "text", Terminal()) is True  # type: ignore[arg-type]
    assert use_color(None, "json", Terminal()) is False  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color(None, "text", Terminal()) is False  # type: ignore[arg-type]
    assert use_color(True, "text", Terminal()) is True  # type: ignore[arg-type]
    assert "\x1b[" not in cli("validate", str(dangling)).out
    assert "\x1b[" in cli("validate", str(dangling), "--color").out


def test_hundreds_of_findings_of_one_rule_are_summarised(
    cli: Callable[..., Run], project: Path
) -> None:
    """840 npm components without support data gave 840 warnings on the first screen."""
    unused = "".join(
        f"\n  - ref: pkg:npm/left-pad-{i}@1.0.0\n    name: left-pad-{i}\n    version: 1.0.0"
        "\n    supplier: x\n    support: actively_maintained\n    justification: bench"
        for i in range(120)
    )
    edit(project / "sbom.yaml", "components: []", "components:" + unused)
    full = cli("validate", str(project)).out.splitlines()
    assert sum(" CF205 warning " in line for line in full) == 10
    assert any(
        line.startswith("... and 110 more CF205 (component-unused) findings") for line in full
    )
    concise = cli("validate", str(project), "--output-format", "concise").out.splitlines()
    assert sum(" CF205 warning " in line for line in concise) == 120
    document = json.loads(cli("validate", str(project), "--format", "json").out)
    assert sum(d["code"] == "CF205" for d in document["diagnostics"]) == 120
