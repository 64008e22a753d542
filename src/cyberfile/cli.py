"""The command line: arguments in, a pipeline call, an exit code out. No logic lives here."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from cyberfile import __version__
from cyberfile.report import FORMATS
from cyberfile.report.model import ExitCode

if TYPE_CHECKING:
    from rich.console import Console

    from cyberfile.check.selection import RuleSelection
    from cyberfile.commands.scan import ProgressFactory

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="cyberfile")
def cli() -> None:
    """Keep a medical device's cybersecurity file as code.

    \b
    Exit codes: 0 clean; 1 findings at or above --fail-on; 2 the input could not
    be read or the command was misused; 3 an internal error (please report it).
    """


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    """Rule codes from repeated or comma-separated options; unknown codes are misuse."""
    from cyberfile.check.selection import unknown_codes

    codes = tuple(c.strip().upper() for v in values for c in v.split(",") if c.strip())
    unknown = unknown_codes(codes)
    if unknown:
        raise click.BadParameter(f"unknown rule code(s): {', '.join(unknown)}; see docs/rules.md")
    return codes


def _selection(
    select: tuple[str, ...], ignore: tuple[str, ...], enable: tuple[str, ...]
) -> RuleSelection:
    from cyberfile.check.selection import RuleSelection

    return RuleSelection(
        frozenset(_codes(ignore)), frozenset(_codes(enable)), frozenset(_codes(select))
    )


FORMAT_CHOICE = click.Choice(list(FORMATS))


def _use_color(color: bool | None, fmt: str) -> bool:
    return color if color is not None else (fmt == "text" and sys.stdout.isatty())


def _emit(result: tuple[ExitCode, str], use_color: bool) -> NoReturn:
    """Print a rendered report and exit with the code it means."""
    code, output = result
    click.echo(output, nl=False, color=use_color)
    raise SystemExit(int(code))


def _report_options(func: Callable[..., None]) -> Callable[..., None]:
    """Options shared by validate and drift."""
    options = [
        click.option(
            "--format",
            "fmt",
            type=FORMAT_CHOICE,
            default="text",
            show_default=True,
            help="text, json, sarif (code scanning) or junit (CI test reports).",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(["error", "warning"]),
            default="error",
            show_default=True,
            help="Lowest severity that makes the exit code 1.",
        ),
        click.option(
            "--select",
            multiple=True,
            metavar="CODE[,CODE]",
            help="Report only these rule codes (replaces cyberfile.yaml rules.select).",
        ),
        click.option(
            "--ignore",
            multiple=True,
            metavar="CODE[,CODE]",
            help="Rule codes not to report (adds to cyberfile.yaml rules.ignore).",
        ),
        click.option(
            "--enable",
            multiple=True,
            metavar="CODE[,CODE]",
            help="Opt-in rules to report, e.g. CF501 (never reviewed).",
        ),
        click.option(
            "--color/--no-color",
            default=None,
            help="Colour the text output (default: when writing to a terminal).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_report_options
def validate(
    paths: tuple[Path, ...],
    fmt: str,
    fail_on: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    enable: tuple[str, ...],
    color: bool | None,
) -> None:
    """Check projects: schema, references and traceability gaps. Never writes.

    With no PATH: every project under ./projects/, or the current folder if it holds
    a cyberfile.yaml.

    \b
    Examples:
      cyberfile validate
      cyberfile validate projects/example-infusion-pump
      cyberfile validate --format sarif projects/* > cyberfile.sarif
      cyberfile validate --fail-on warning --ignore CF205
    """
    from cyberfile.commands.validate import run_validate

    use_color = _use_color(color, fmt)
    _emit(
        run_validate(
            list(paths), Path.cwd(), fmt, fail_on, use_color, _selection(select, ignore, enable)
        ),
        use_color,
    )


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--as-of", "as_of", help="Measure against this date, YYYY-MM-DD (default: today).")
@_report_options
def drift(
    paths: tuple[Path, ...],
    as_of: str | None,
    fmt: str,
    fail_on: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    enable: tuple[str, ...],
    color: bool | None,
) -> None:
    """Which postmarket promise is overdue or about to be. Never writes.

    Evidence older than the plan's cadence, changed evidence files, components past
    end of support, vulnerabilities past triage or their 30/60-day clocks, KEV entries
    still open, reviews made before what they reviewed changed. See docs/postmarket.md.

    \b
    Examples:
      cyberfile drift
      cyberfile drift --as-of 2027-01-01 projects/example-infusion-pump
      cyberfile drift --format junit > drift-junit.xml
    """
    from cyberfile.commands.drift import run_drift

    use_color = _use_color(color, fmt)
    _emit(
        run_drift(
            list(paths),
            Path.cwd(),
            _as_of(as_of),
            fmt,
            fail_on,
            use_color,
            _selection(select, ignore, enable),
        ),
        use_color,
    )


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


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    return Console(
        file=stream, width=None if terminal else 120, no_color=not terminal, highlight=False
    )


def _progress_factory() -> ProgressFactory | None:
    """A rich progress bar on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None
    from rich.progress import Progress

    progress = Progress(console=_console(stderr=True), transient=True)
    progress.start()

    def start(label: str, total: int) -> Callable[[int], None]:
        task = progress.add_task(label, total=total)

        def advance(step: int) -> None:
            progress.advance(task, step)
            if progress.tasks[task].finished:
                progress.stop()

        return advance

    return start


def _as_of(value: str | None) -> date:
    """--as-of DATE, else SOURCE_DATE_EPOCH, else today."""
    if value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC).date()
    return date.today()


def _document_day(value: str | None) -> date | None:
    """--as-of or SOURCE_DATE_EPOCH when given; None lets the project's data decide."""
    if value or os.environ.get("SOURCE_DATE_EPOCH"):
        return _as_of(value)
    return None


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--osv",
    "osv",
    required=True,
    type=click.Path(path_type=Path),
    help="Local OSV data: a folder of .json/.yaml records or an OSV all.zip export.",
)
@click.option(
    "--kev",
    "kev",
    type=click.Path(path_type=Path),
    help="Local copy of the CISA KEV catalog (known_exploited_vulnerabilities.json).",
)
@click.option("--as-of", "as_of", help="Date of the scan, YYYY-MM-DD (default: today).")
@click.option("--dry-run", is_flag=True, help="Report what would be recorded; write nothing.")
def scan(
    paths: tuple[Path, ...], osv: Path, kev: Path | None, as_of: str | None, dry_run: bool
) -> None:
    """Match SBOM components against local OSV and CISA KEV copies.

    New findings are appended to vulnerabilities.yaml as under_investigation, with the
    date, the CVSS vector of the advisory and the KEV flag; existing assessments are
    never changed, but a new KEV listing or a fix published since the assessment is
    reported. The scan is recorded as a dated vulnerability_scan evidence item.
    Exit code 1 when there are new findings or notices, 0 when nothing changed.

    \b
    Examples:
      cyberfile scan --osv osv-pypi/ --kev known_exploited_vulnerabilities.json
      cyberfile scan projects/pump --osv all.zip --dry-run
    """
    from cyberfile.commands.scan import run_scan
    from cyberfile.commands.scan_output import print_outcome
    from cyberfile.load.project import discover
    from cyberfile.vulndb.osv import FeedError

    day = _as_of(as_of)
    roots, general = discover(list(paths), Path.cwd())
    for problem in general:
        click.echo(f"cyberfile scan: {problem.message}", err=True)
    if not roots:
        raise SystemExit(int(ExitCode.UNREADABLE))
    try:
        outcome = run_scan(roots, osv, kev, day, dry_run, _progress_factory())
    except FeedError as exc:
        click.echo(f"cyberfile scan: {exc}", err=True)
        raise SystemExit(int(ExitCode.UNREADABLE)) from None
    print_outcome(outcome, _console(), dry_run)
    if outcome.problems or general:
        raise SystemExit(int(ExitCode.UNREADABLE))
    changed = any(s.new or s.notices for s in outcome.scans)
    raise SystemExit(int(ExitCode.FINDINGS if changed else ExitCode.OK))


def _one_project(project: Path | None, command: str) -> Path:
    """The project folder a single-project command works on (default: the current one)."""
    from cyberfile.load.project import find_root

    root = find_root(project if project is not None else Path())
    if root is None:
        where = project.as_posix() if project is not None else "the current folder"
        click.echo(f"cyberfile {command}: {where} is not a cyberfile project", err=True)
        raise SystemExit(int(ExitCode.UNREADABLE))
    return root


@cli.group()
def sbom() -> None:
    """Bring a CycloneDX SBOM into the project, or publish the project's SBOM and VEX."""


@sbom.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.argument("project", required=False, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
def sbom_import(file: Path, project: Path | None, dry_run: bool) -> None:
    """Merge the CycloneDX SBOM FILE (JSON 1.2-1.6 or XML) into PROJECT's sbom.yaml.

    Components are matched by purl (or bom-ref). New ones are added with
    `support: unknown`; ones no longer in FILE are removed; a version change keeps
    the entry and its annotations (support, end of support, justification, comments)
    and updates the assets that list it. The file's name and sha256 are recorded
    under `source`. An invalid FILE changes nothing.

    \b
    Examples:
      cyberfile sbom import build/firmware.cdx.json projects/pump
      cyberfile sbom import gateway-sbom.xml --dry-run      # inside a project folder
    """
    from cyberfile.commands.sbom_import import ImportProblem, import_sbom
    from cyberfile.sbom.cyclonedx_read import SbomReadError

    root = _one_project(project, "sbom import")
    try:
        outcome = import_sbom(file, root, dry_run)
    except (ImportProblem, SbomReadError) as exc:
        click.echo(f"cyberfile sbom import: {exc}", err=True)
        raise SystemExit(int(ExitCode.UNREADABLE)) from None
    report = outcome.report
    prefix = "would change" if dry_run else "changed"
    click.echo(
        f"{file.as_posix()}: CycloneDX {outcome.sbom.spec_version}, "
        f"{len(outcome.sbom.components)} components"
    )
    for ref in report.added:
        click.echo(f"  added            {ref}  (support: unknown)")
    for old, new in report.version_changed:
        click.echo(f"  version changed  {old} -> {new}")
    for ref, fields in report.updated:
        click.echo(f"  updated          {ref}  ({', '.join(fields)})")
    for ref in report.removed:
        click.echo(f"  removed          {ref}")
    for note in outcome.sbom.skipped:
        click.echo(f"  skipped          {note}")
    for path, old, new in outcome.references_updated:
        click.echo(f"  reference        {path.as_posix()}: {old} -> {new}")
    click.echo(
        f"{prefix}: {len(report.added)} added, {len(report.removed)} removed, "
        f"{len(report.version_changed)} version changes, {len(report.updated)} updated, "
        f"{report.unchanged} unchanged"
        + ("" if dry_run else f"; wrote {len(outcome.written)} file(s)")
    )
    if report.removed or report.added:
        click.echo(f"next: cyberfile validate {root.as_posix()}")


@sbom.command("export")
@click.argument("project", required=False, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Folder to write into (default: build/<project>).",
)
@click.option(
    "--as-of",
    "as_of",
    help="Document date, YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else the newest date "
    "in the project's data).",
)
def sbom_export(project: Path | None, output: Path | None, as_of: str | None) -> None:
    """Write sbom.cdx.json (CycloneDX 1.6), vex.cdx.json and vex.openvex.json.

    The same project and date always give byte-identical files. Support level and end
    of support travel as `cyberfile:support:*` component properties (docs/sbom-vex.md).

    \b
    Example:
      cyberfile sbom export projects/example-infusion-pump -o out/
    """
    from cyberfile.commands.sbom_export import export_documents, write_documents
    from cyberfile.load.project import load_for_writing

    root = _one_project(project, "sbom export")
    result, problem = load_for_writing(root)
    if problem or result.project is None:
        click.echo(f"cyberfile sbom export: {root.as_posix()}: {problem}", err=True)
        raise SystemExit(int(ExitCode.UNREADABLE))
    day = _document_day(as_of)
    files = export_documents(result.project, day)
    out = output or Path("build") / root.resolve().name
    try:
        written = write_documents(files, out)
    except OSError as exc:
        click.echo(f"cyberfile sbom export: cannot write {out}: {exc.strerror or exc}", err=True)
        raise SystemExit(int(ExitCode.UNREADABLE)) from None
    for path in written:
        click.echo(f"wrote {path.as_posix()}")
    if "vex.openvex.json" not in files:
        click.echo(
            "no vulnerabilities recorded: vex.openvex.json not written (OpenVEX needs "
            "at least one statement)"
        )


@cli.command("impact")
@click.argument("query")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def impact_command(query: str, paths: tuple[Path, ...], fmt: str) -> None:
    """Which devices contain a component, or record a vulnerability, and how it is assessed.

    QUERY is a purl (with or without version: pkg:pypi/django matches every Django) or a
    vulnerability id or alias (CVE-…, GHSA-…, PYSEC-…). Searches every project under
    ./projects/ unless PATHs are given. Reads only what the projects record.

    \b
    Examples:
      cyberfile impact pkg:generic/openssl
      cyberfile impact CVE-2024-5535 --format json
    """
    import json

    from cyberfile.commands.impact import impact
    from cyberfile.load.project import discover

    roots, general = discover(list(paths), Path.cwd())
    if not roots:
        for problem in general:
            click.echo(f"cyberfile impact: {problem.message}", err=True)
        raise SystemExit(int(ExitCode.UNREADABLE))
    rows, skipped = impact(roots, query)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "query": query,
                    "results": [r.__dict__ for r in rows],
                    "unreadable_projects": skipped,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        from rich.table import Table

        if not rows:
            click.echo(f"no project contains or records {query} ({len(roots)} searched)")
        else:
            table = Table(title=f"impact of {query}")
            for column in (
                "project",
                "device",
                "version",
                "component",
                "vulnerability",
                "status",
                "risk",
            ):
                table.add_column(column, overflow="fold")
            for r in rows:
                table.add_row(
                    r.project,
                    r.device,
                    r.device_version,
                    r.component or "",
                    r.vulnerability or "",
                    r.status or "",
                    r.risk or "",
                )
            _console().print(table)
        for root in skipped:
            click.echo(
                f"cyberfile impact: {root}: could not be read; run cyberfile validate", err=True
            )
    raise SystemExit(int(ExitCode.UNREADABLE if skipped else ExitCode.OK))


@cli.command("review")
@click.argument("idents", nargs=-1, metavar="ID...")
@click.option("--by", "by", required=True, help="Name of the reviewer.")
@click.option("--on", "on", help="Date of the review, YYYY-MM-DD (default: today).")
@click.option("--all-suspect", is_flag=True, help="Also stamp every item whose review is suspect.")
@click.option(
    "--project",
    "project",
    type=click.Path(path_type=Path),
    help="Project folder (default: the current folder).",
)
def review_command(
    idents: tuple[str, ...], by: str, on: str | None, all_suspect: bool, project: Path | None
) -> None:
    """Stamp items as reviewed: reviewed: {by, on, fingerprint}.

    The fingerprint covers the item and the items it references (a threat's targets
    and controls, ...), so drift reports the review as suspect (CF500) once any of them
    changes. Comments and key order are kept; the write is atomic.

    \b
    Examples:
      cyberfile review THR-001 THR-002 --by "J. Rivera" --project projects/pump
      cyberfile review --all-suspect --by "Risk review board" --on 2026-11-30
    """
    from cyberfile.commands.review import ReviewProblem, review

    if not idents and not all_suspect:
        raise click.UsageError("name the items to stamp, or use --all-suspect")
    root = _one_project(project, "review")
    if not by.strip():
        raise click.BadParameter("the reviewer's name must not be empty", param_hint="--by")
    try:
        stamps = review(root, list(idents), by.strip(), _as_of(on), all_suspect)
    except ReviewProblem as exc:
        click.echo(f"cyberfile review: {exc}", err=True)
        raise SystemExit(int(ExitCode.UNREADABLE)) from None
    for stamp in stamps:
        click.echo(f"reviewed {stamp.kind} {stamp.ident} ({stamp.file.as_posix()})")
    if not stamps:
        click.echo("nothing to stamp: no review is suspect")


@cli.command("build")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Folder that receives <project>/ for each project.",
)
@click.option(
    "--as-of",
    "as_of",
    help="Document date, YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else the newest "
    "date in the project's data).",
)
@click.option(
    "--pdf/--no-pdf",
    default=None,
    help="Write PDFs (default: cyberfile.yaml documents.pdf, which is true).",
)
@click.option(
    "--site/--no-site",
    default=True,
    show_default=True,
    help="Build the audit site with mkdocs-material.",
)
def build_command(
    paths: tuple[Path, ...], output: Path, as_of: str | None, pdf: bool | None, site: bool
) -> None:
    """Build the documentation package: documents, matrices, SBOM/VEX, site and PDFs.

    Writes build/<project>/ (documents/*.md, pdf/*.pdf, traceability.csv and .xlsx,
    sbom.cdx.json, vex.cdx.json, vex.openvex.json, site/, manifest.json). The output is
    replaced only when the whole build succeeded; the same inputs and date give
    byte-identical files.

    \b
    Examples:
      cyberfile build projects/example-infusion-pump
      cyberfile build --no-pdf -o out/ --as-of 2027-03-01
    """
    from cyberfile.commands.build import BuildError, build_project
    from cyberfile.load.project import discover

    roots, general = discover(list(paths), Path.cwd())
    for problem in general:
        click.echo(f"cyberfile build: {problem.message}", err=True)
    if not roots:
        raise SystemExit(int(ExitCode.UNREADABLE))
    day = _document_day(as_of)
    failed = False
    for root in roots:

        def say(step: str, root: Path = root) -> None:
            if sys.stderr.isatty():
                click.echo(f"{root.as_posix()}: {step}…", err=True)

        try:
            result = build_project(root, output, day, pdf=pdf, site=site, progress=say)
        except BuildError as exc:
            click.echo(f"cyberfile build: {exc}", err=True)
            failed = True
            continue
        click.echo(f"{root.as_posix()}: wrote {len(result.files)} files to {result.out.as_posix()}")
    raise SystemExit(int(ExitCode.UNREADABLE if failed or general else ExitCode.OK))


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
