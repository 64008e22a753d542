"""The command line: arguments in, a pipeline call, an exit code out. No logic lives here."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from cyberfile import __version__
from cyberfile.report.model import ExitCode

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="cyberfile")
def cli() -> None:
    """Keep a medical device's cybersecurity file as code.

    \b
    Exit codes: 0 clean; 1 findings at or above --fail-on; 2 the input could not
    be read or the command was misused; 3 an internal error (please report it).
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default="error",
    show_default=True,
    help="Lowest severity that makes the exit code 1.",
)
@click.option(
    "--color/--no-color",
    default=None,
    help="Colour the text output (default: when writing to a terminal).",
)
def validate(paths: tuple[Path, ...], fmt: str, fail_on: str, color: bool | None) -> None:
    """Check projects: schema, references and traceability gaps. Never writes.

    With no PATH: every project under ./projects/, or the current folder if it holds
    a cyberfile.yaml.

    \b
    Examples:
      cyberfile validate
      cyberfile validate projects/example-infusion-pump
      cyberfile validate --format json --fail-on warning projects/*
    """
    from cyberfile.commands.validate import run_validate

    use_color = color if color is not None else (fmt == "text" and sys.stdout.isatty())
    code, output = run_validate(list(paths), Path.cwd(), fmt, fail_on, use_color)
    click.echo(output, nl=False, color=use_color)
    raise SystemExit(int(code))


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--name", default="Example Device", show_default=True, help="Device name.")
@click.option(
    "--manufacturer", default="Example Manufacturer", show_default=True, help="Manufacturer."
)
def init(path: Path, name: str, manufacturer: str) -> None:
    """Create a new device project at PATH that validates.

    Refuses to overwrite: PATH must not hold a project or any file init would write.

    \b
    Example:
      cyberfile init projects/my-pump --name "My Pump" --manufacturer "ACME Medical"
      cyberfile validate projects/my-pump
    """
    from cyberfile.scaffold import ScaffoldError, scaffold

    try:
        written = scaffold(path, device_name=name, manufacturer=manufacturer)
    except ScaffoldError as exc:
        click.echo(f"cyberfile init: {exc}", err=True)
        raise SystemExit(int(ExitCode.UNREADABLE)) from None
    click.echo(
        f"Created {len(written)} files in {path.as_posix()}; next: cyberfile validate "
        f"{path.as_posix()}"
    )


@cli.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("schemas"),
    show_default=True,
    help="Folder to write the JSON Schemas into.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the folder is out of date.")
def schema(output: Path, check: bool) -> None:
    """Regenerate the JSON Schemas of every YAML file from the models.

    \b
    Examples:
      cyberfile schema                 # refresh ./schemas
      cyberfile schema --check         # in CI: fail when ./schemas is stale
    """
    from cyberfile.schema import stale_schemas, write_schemas

    if check:
        stale = stale_schemas(output)
        for name in stale:
            click.echo(f"{(output / name).as_posix()}: out of date; run `cyberfile schema`")
        raise SystemExit(int(ExitCode.FINDINGS if stale else ExitCode.OK))
    try:
        changed = write_schemas(output)
    except OSError as exc:
        click.echo(f"cyberfile schema: cannot write {output}: {exc.strerror or exc}", err=True)
        raise SystemExit(int(ExitCode.UNREADABLE)) from None
    click.echo(f"{len(changed)} schema file(s) updated in {output.as_posix()}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv`; return the exit code (tests call this)."""
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="cyberfile",
            standalone_mode=False,
        )
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(ExitCode.UNREADABLE)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return int(ExitCode.UNREADABLE)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so plainly, show the traceback only on request
        if os.environ.get("CYBERFILE_DEBUG"):
            raise
        click.echo(
            f"cyberfile: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in cyberfile. Run again with CYBERFILE_DEBUG=1 to see the "
            "traceback, and please report it.",
            err=True,
        )
        return int(ExitCode.INTERNAL_ERROR)
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
