"""The command line: options parsed by click, handed to `cyberfile.commands.<verb>.run`,
whose exit code is returned. No logic or output lives here, except turning a
`CyberfileError` (and any bug) into a message and an exit code, in `main`."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from cyberfile import __version__
from cyberfile.errors import CyberfileError, ExitCode

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
PATHS = click.Path(path_type=Path)


class _Failed(Exception):
    """A CyberfileError, with the command it happened in (for the message prefix)."""

    def __init__(self, command: str, error: CyberfileError) -> None:
        super().__init__(str(error))
        self.command = command
        self.error = error


class Command(click.Command):
    """A command whose user-facing failures carry the command's name."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CyberfileError as exc:
            raise _Failed(ctx.command_path, exc) from None


class Group(click.Group):
    command_class = Command
    group_class = type  # subgroups (sbom) are of this class too


def _exit(code: ExitCode) -> NoReturn:
    raise SystemExit(int(code))


@click.group(cls=Group, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="cyberfile")
def cli() -> None:
    """Keep a medical device's cybersecurity file as code.

    \b
    Projects: a PATH names a project folder (or its cyberfile.yaml); with no PATH,
    the current folder if it holds a cyberfile.yaml, else every ./projects/*/.
    Exit codes: 0 clean; 1 findings at or above --fail-on; 2 the input could not
    be read, an output could not be written, or the command was misused; 3 an
    internal error (please report it). Colour: --color/--no-color, or NO_COLOR.
    """


def _report_options(*, selection: bool = True) -> Callable[[Callable[..., None]], Any]:
    """The options of every command that reports findings."""

    def decorate(func: Callable[..., None]) -> Any:
        options = [
            click.option(
                "--format",
                "fmt",
                type=click.Choice(["text", "json", "sarif", "junit"]),
                default="text",
                show_default=True,
                help="text, json, sarif (code scanning) or junit (CI test reports).",
            ),
            click.option(
                "--output-format",
                "layout",
                type=click.Choice(["full", "concise", "grouped"]),
                default="full",
                show_default=True,
                help="Text layout: with hints, one line per finding, or grouped by file.",
            ),
            click.option(
                "--statistics",
                is_flag=True,
                help="Text: count the findings per rule instead of listing them.",
            ),
            click.option(
                "--fail-on",
                type=click.Choice(["error", "warning"]),
                default="error",
                show_default=True,
                help="Lowest severity that makes the exit code 1.",
            ),
            click.option(
                "--color/--no-color",
                default=None,
                help="Colour the text output (default: on a terminal, unless NO_COLOR).",
            ),
        ]
        if selection:
            options += [
                click.option(
                    "--select",
                    multiple=True,
                    metavar="CODE[,CODE]",
                    help="Report only these rules (replaces cyberfile.yaml rules.select).",
                ),
                click.option(
                    "--ignore",
                    multiple=True,
                    metavar="CODE[,CODE]",
                    help="Rules not to report (adds to cyberfile.yaml rules.ignore).",
                ),
                click.option(
                    "--enable",
                    multiple=True,
                    metavar="CODE[,CODE]",
                    help="Opt-in rules to report (see docs/rules.md).",
                ),
            ]
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def _options(fmt: str, layout: str, statistics: bool, fail_on: str, color: bool | None) -> Any:
    from cyberfile.diagnostics.diagnostic import Severity
    from cyberfile.report.model import ReportOptions, TextLayout
    from cyberfile.report.terminal import use_color

    return ReportOptions(
        fmt=fmt,
        fail_on=Severity(fail_on),
        color=use_color(color, fmt),
        layout=TextLayout(layout),
        statistics=statistics,
    )


@cli.command()
@click.argument("paths", nargs=-1, type=PATHS)
@_report_options()
def validate(
    paths: tuple[Path, ...],
    fmt: str,
    layout: str,
    statistics: bool,
    fail_on: str,
    color: bool | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    enable: tuple[str, ...],
) -> None:
    """Check projects: schema, references and traceability gaps. Never writes.

    \b
    Examples:
      cyberfile validate
      cyberfile validate projects/example-infusion-pump
      cyberfile validate --format sarif projects/* > cyberfile.sarif
      cyberfile validate --statistics
      cyberfile validate --fail-on warning --ignore CF205 --output-format concise
    """
    from cyberfile.commands import validate as command

    options = _options(fmt, layout, statistics, fail_on, color)
    _exit(command.run(list(paths), Path.cwd(), options, select, ignore, enable))


@cli.command()
@click.argument("paths", nargs=-1, type=PATHS)
@click.option("--as-of", "as_of", help="Measure against this date, YYYY-MM-DD (default: today).")
@_report_options()
def drift(
    paths: tuple[Path, ...],
    as_of: str | None,
    fmt: str,
    layout: str,
    statistics: bool,
    fail_on: str,
    color: bool | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    enable: tuple[str, ...],
) -> None:
    """Which postmarket promise is overdue or about to be. Never writes.

    Evidence older than the plan's cadence, changed evidence files, components past
    end of support, vulnerabilities past triage or their 30/60-day clocks, KEV entries
    still open, reviews made before what they reviewed changed. See docs/postmarket.md.

    \b
    Examples:
      cyberfile drift
      cyberfile drift --as-of 2027-01-01 projects/example-infusion-pump
      cyberfile drift --enable CF501          # also: items never reviewed
      cyberfile drift --format junit > drift-junit.xml
    """
    from cyberfile.commands import drift as command

    options = _options(fmt, layout, statistics, fail_on, color)
    _exit(command.run(list(paths), Path.cwd(), as_of, options, select, ignore, enable))


@cli.command()
@click.argument("paths", nargs=-1, type=PATHS)
@click.option(
    "--osv",
    "osv",
    type=PATHS,
    help="Local OSV data: a folder of .json/.yaml records or an OSV all.zip export.",
)
@click.option(
    "--cve",
    "cve",
    type=PATHS,
    help="Local CVE JSON 5 records (cvelistV5 or vulnrichment folder, or a zip): components "
    "are matched by their CPE.",
)
@click.option(
    "--kev",
    "kev",
    type=PATHS,
    help="Local copy of the CISA KEV catalog (known_exploited_vulnerabilities.json).",
)
@click.option("--as-of", "as_of", help="Date of the scan, YYYY-MM-DD (default: today).")
@click.option("--dry-run", is_flag=True, help="Report what would be recorded; write nothing.")
@click.option(
    "--allow-stale",
    is_flag=True,
    help="Read cached feeds older than feeds.max_age anyway (the scan records that it did).",
)
@_report_options(selection=False)
def scan(
    paths: tuple[Path, ...],
    osv: Path | None,
    cve: Path | None,
    kev: Path | None,
    as_of: str | None,
    dry_run: bool,
    allow_stale: bool,
    fmt: str,
    layout: str,
    statistics: bool,
    fail_on: str,
    color: bool | None,
) -> None:
    """Match SBOM components against local OSV, CVE and CISA KEV copies.

    Components are matched by purl against OSV and by CPE against CVE JSON 5 records
    (any combination of feeds). Without --osv, --cve and --kev the feeds are read from the
    feed cache that `cyberfile feeds update` fills (docs/feeds.md): a cached feed older
    than feeds.max_age is refused unless --allow-stale. New findings (CF440) are appended to
    vulnerabilities.yaml as under_investigation, with the date, the CVSS vector, the KEV
    flag and CISA's SSVC decision points; KEV and SSVC "active" findings are marked to be
    triaged first. Records whose versions cannot be evaluated are listed for manual
    assessment (CF443), never recorded. A component with compiled_files settles the
    records whose fix touches none of its files (recorded not_affected). Existing
    assessments are never changed, but what the feeds now contradict is reported (CF441),
    and so is every component no feed can match (CF442). Feeds that hold nothing for the
    project are an error (CF445, exit 2), not a clean scan. The scan is recorded as a dated
    vulnerability_scan evidence item with a report of its coverage; its date cannot be in
    the future.

    \b
    Examples:
      cyberfile scan                  # the feed cache (run `cyberfile feeds update` first)
      cyberfile scan --osv osv-pypi/ --kev known_exploited_vulnerabilities.json
      cyberfile scan --cve vulnrichment/ --osv all.zip --kev kev.json
      cyberfile scan projects/pump --cve cves.zip --dry-run --format sarif > scan.sarif
    """
    from cyberfile.commands import scan as command

    options = _options(fmt, layout, statistics, fail_on, color)
    _exit(command.run(list(paths), Path.cwd(), osv, kev, cve, as_of, dry_run, options, allow_stale))


@cli.command()
@click.argument("path", type=PATHS)
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
    from cyberfile.commands import init as command

    _exit(command.run(path, name, manufacturer))


@cli.command()
@click.option(
    "-o",
    "--output",
    type=PATHS,
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
    from cyberfile.commands import schema as command

    _exit(command.run(output, check))


@cli.group()
def sbom() -> None:
    """Bring a CycloneDX SBOM into the project, or publish the project's SBOM and VEX."""


@sbom.command("import")
@click.argument("file", type=PATHS)
@click.argument("project", required=False, type=PATHS)
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option(
    "--copy",
    is_flag=True,
    help="FILE is outside the project: copy it into artifacts/sbom/ first and import the copy.",
)
@click.option(
    "--name",
    metavar="NAME",
    help="Which SBOM of the device this is (firmware, app, ...): it is kept in "
    "sbom/NAME.yaml. A new name adds an SBOM.",
)
@click.option(
    "--asset",
    metavar="ID",
    help="The asset the SBOM describes (e.g. AST-PUMP-FW): its components count as used "
    "by that asset.",
)
@click.option(
    "--claim-from",
    "claim_from",
    metavar="NAME",
    help="Components of FILE that SBOM NAME's file holds move into this SBOM's file "
    "(annotations and comments kept); NAME lists them as shared. Splits one merged SBOM "
    "(NAME) into per-build SBOMs.",
)
@click.option("--verbose", "-v", is_flag=True, help="List every change (default: 20 of each kind).")
def sbom_import(
    file: Path,
    project: Path | None,
    dry_run: bool,
    copy: bool,
    name: str | None,
    asset: str | None,
    claim_from: str | None,
    verbose: bool,
) -> None:
    """Merge the SBOM FILE (CycloneDX JSON 1.2-1.6 or XML, SPDX 2.2/2.3 JSON or tag-value)
    into PROJECT's sbom part.

    A device with one SBOM keeps it in sbom.yaml. A device with several (firmware, app,
    cloud, each from its own build) keeps one file per SBOM, sbom/NAME.yaml, each with its
    own `source`: --name says which one FILE is (re-importing it touches only its file),
    --asset links it to the asset it describes. A component already written in another
    SBOM's file is listed under `source.shared` rather than written twice.

    Components are matched by purl (or bom-ref). New ones are added with
    `support: unknown`; ones no longer in FILE are removed; a version change keeps
    the entry and its annotations (support, end of support, justification, comments)
    and updates the assets that list it. The file's name and sha256 are recorded
    under `source`. An invalid FILE changes nothing. PROJECT defaults to the current
    folder, or the one project under ./projects/. FILE must be inside the project (its
    path is recorded); --copy copies an outside file into artifacts/sbom/ first.

    \b
    Examples:
      cyberfile sbom import projects/pump/artifacts/sbom/firmware.cdx.json projects/pump
      cyberfile sbom import ../build/firmware.spdx.json projects/pump --copy
      cyberfile sbom import artifacts/sbom/gateway.xml --dry-run   # inside a project folder
      cyberfile sbom import artifacts/sbom/app.spdx.json --name app --asset AST-APP
    """
    from cyberfile.commands import sbom_import as command

    _exit(command.run(file, project, Path.cwd(), dry_run, copy, name, asset, verbose, claim_from))


@sbom.command("export")
@click.argument("project", required=False, type=PATHS)
@click.option("-o", "--output", type=PATHS, help="Folder to write into (default: build/<project>).")
@click.option(
    "--as-of",
    "as_of",
    help="Document date, YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else the newest date "
    "in the project's data).",
)
def sbom_export(project: Path | None, output: Path | None, as_of: str | None) -> None:
    """Write sbom.cdx.json (CycloneDX 1.6), sbom.spdx.json (SPDX 2.3), vex.cdx.json and
    vex.openvex.json.

    The same project and date always give byte-identical files. Support level and end
    of support travel as `cyberfile:support:*` component properties (docs/sbom-vex.md).

    \b
    Example:
      cyberfile sbom export projects/example-infusion-pump -o out/
    """
    from cyberfile.commands import sbom_export as command

    _exit(command.run(project, Path.cwd(), output, as_of))


@cli.group()
def evidence() -> None:
    """Record evidence files with their sha256, or re-record a file changed on purpose."""


@evidence.command("add")
@click.argument("file", type=PATHS)
@click.argument("project", required=False, type=PATHS)
@click.option(
    "--type",
    "type_name",
    metavar="TYPE",
    required=True,
    help="Evidence type: penetration_test, vulnerability_scan, sbom_generation, "
    "threat_model_review, fuzz_test, static_analysis, risk_review, cvd_exercise, training, "
    "other.",
)
@click.option(
    "--covers",
    metavar="ID",
    multiple=True,
    help="Required; repeat for each id: threats, controls, requirements, tests, component "
    "refs, vulnerabilities.",
)
@click.option(
    "--performed",
    metavar="YYYY-MM-DD",
    help="Required: the day the work was done (not later than today). Never taken from "
    "the clock or the file's mtime.",
)
@click.option(
    "--id",
    "ident",
    metavar="ID",
    help="Id of the new item (default: EV-<TYPE>-<YYYYMMDD> of --performed, with -2, -3, "
    "... when taken).",
)
@click.option(
    "--title", help="Title (default: from the file name; pentest-2026.pdf: Pentest 2026)."
)
@click.option("--report-id", "report_id", help="The report's own document number.")
@click.option(
    "--copy",
    is_flag=True,
    help="FILE is outside the project: copy it into artifacts/ first (never overwriting "
    "a different file).",
)
@click.option("--dry-run", is_flag=True, help="Print the item; write nothing.")
def evidence_add(
    file: Path,
    project: Path | None,
    type_name: str,
    covers: tuple[str, ...],
    performed: str | None,
    ident: str | None,
    title: str | None,
    report_id: str | None,
    copy: bool,
    dry_run: bool,
) -> None:
    """Record FILE as an evidence item of PROJECT, with its sha256.

    FILE must be inside the project (its path is recorded relative to the project
    folder); --copy copies an outside file into artifacts/ first. Every --covers id must
    exist in the project. The item is appended to evidence.yaml (or, when evidence is a
    folder, to evidence/<id>.yaml), comments and key order kept, atomically. A project
    with errors is refused. PROJECT defaults to the current folder, or the one project
    under ./projects/. See docs/postmarket.md.

    \b
    Examples:
      cyberfile evidence add projects/pump/artifacts/pentest-2026.pdf projects/pump \\
          --type penetration_test --performed 2026-06-30 --covers THR-001 --covers CTL-MTLS
      cyberfile evidence add ~/Downloads/nsl-report.pdf --copy --type penetration_test \\
          --performed 2026-09-18 --report-id NSL-2026-0419 --covers TST-PENTEST-DEVICE
      cyberfile evidence add artifacts/tm-review.md --type threat_model_review \\
          --performed 2026-11-02 --covers THR-001 --dry-run     # inside a project folder
    """
    from cyberfile.commands import evidence as command

    _exit(
        command.run_add(
            file,
            project,
            Path.cwd(),
            type_name,
            covers,
            ident,
            title,
            performed,
            report_id,
            copy,
            dry_run,
        )
    )


@evidence.command("rehash")
@click.argument("ident", metavar="ID")
@click.argument("project", required=False, type=PATHS)
@click.option("--dry-run", is_flag=True, help="Show old and new sha256; write nothing.")
def evidence_rehash(ident: str, project: Path | None, dry_run: bool) -> None:
    """Record the new sha256 of evidence item ID's file, after an intended change.

    Shows the old and the new digest and writes the new one (comments kept, atomic). An
    unchanged file writes nothing. Work done again (a new test, a new scan) is new
    evidence: record it with `cyberfile evidence add`, which keeps the old record.

    \b
    Examples:
      cyberfile evidence rehash EV-PENTEST-2026 projects/pump
      cyberfile evidence rehash EV-TM-REVIEW-2026 --dry-run   # inside a project folder
    """
    from cyberfile.commands import evidence as command

    _exit(command.run_rehash(ident, project, Path.cwd(), dry_run))


@cli.group()
def feeds() -> None:
    """Download the vulnerability feeds into the local cache that `cyberfile scan` reads."""


@feeds.command("update")
@click.argument("paths", nargs=-1, type=PATHS)
def feeds_update(paths: tuple[Path, ...]) -> None:
    """Download the feeds the projects' cyberfile.yaml `feeds:` settings name into their
    feed cache. The only command that uses the network.

    Per project: the OSV all.zip of each ecosystem (feeds.osv.ecosystems, default: those
    of the components' purl types) from feeds.osv.url (default: the public OSV bucket),
    the CISA KEV catalog from feeds.kev.url (default: CISA), and CVE JSON 5 records only
    when feeds.cve.url is set. The cache is feeds.cache (default: the user cache folder,
    ~/.cache/cyberfile on Linux), shared by projects that name the same one.

    Each feed is streamed to a temporary file over https (http only for 127.0.0.1 and
    localhost), verified (the zip opens, every member checks, it holds records of the
    expected shape; the KEV JSON parses and lists vulnerabilities) and only then replaces
    the previous copy; feeds.json records its URL, fetch time (UTC), size and sha256. A
    feed that cannot be fetched or verified is reported with its URL, its previous copy
    is kept, and the exit code is 2. `cyberfile scan` then reads the cache; scan and
    drift never use the network. See docs/feeds.md.

    \b
    Examples:
      cyberfile feeds update                          # every project under ./projects/
      cyberfile feeds update projects/pump && cyberfile scan projects/pump
      cyberfile feeds update && cyberfile scan && cyberfile drift     # a nightly CI job
    """
    from cyberfile.commands import feeds as command

    _exit(command.run_update(list(paths), Path.cwd()))


@cli.command("impact")
@click.argument("query")
@click.argument("paths", nargs=-1, type=PATHS)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def impact_command(query: str, paths: tuple[Path, ...], fmt: str) -> None:
    """Which devices contain a component, or record a vulnerability, and how it is assessed.

    QUERY is a purl (with or without version: pkg:pypi/django matches every Django), a
    bare package name (django, lodash: any ecosystem), or a vulnerability id or alias
    (CVE-…, GHSA-…, PYSEC-…). Searches every project under ./projects/ unless PATHs are
    given. Reads only what the projects record. Exits 1 when nothing matches (as grep).

    \b
    Examples:
      cyberfile impact pkg:generic/openssl
      cyberfile impact lodash
      cyberfile impact CVE-2024-5535 --format json
    """
    from cyberfile.commands import impact as command

    _exit(command.run(query, list(paths), Path.cwd(), fmt))


@cli.command("review")
@click.argument("idents", nargs=-1, metavar="ID...")
@click.option("--by", "by", required=True, help="Name of the reviewer.")
@click.option("--on", "on", help="Date of the review, YYYY-MM-DD (default: today; not later).")
@click.option("--all-suspect", is_flag=True, help="Also stamp every item whose review is suspect.")
@click.option(
    "--project",
    "project",
    type=PATHS,
    help="Project folder (default: the current folder, or the one project under ./projects/).",
)
def review_command(
    idents: tuple[str, ...], by: str, on: str | None, all_suspect: bool, project: Path | None
) -> None:
    """Stamp items as reviewed: reviewed: {by, on, fingerprint}.

    The fingerprint covers the item and the items it references (a threat's targets
    and controls, ...), so drift reports the review as suspect (CF500) once any of them
    changes. Comments and key order are kept; the write is atomic. A project folder
    may also be given among the arguments.

    \b
    Examples:
      cyberfile review THR-001 THR-002 --by "J. Rivera" --project projects/pump
      cyberfile review --all-suspect --by "Risk review board" --on 2026-11-30
    """
    from cyberfile.commands import review as command

    _exit(command.run(list(idents), by, on, all_suspect, project, Path.cwd()))


@cli.command("diff")
@click.argument("path", required=False, type=PATHS)
@click.option(
    "--base",
    "base",
    metavar="REV",
    help="Git revision to compare from (default: the baseline of the newest earlier "
    "submission in cyberfile.yaml `submissions`).",
)
@click.option(
    "--head",
    "head",
    metavar="REV",
    help="Git revision to compare to (default: the working tree, uncommitted changes included).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "md"]),
    default="text",
    show_default=True,
)
def diff_command(path: Path | None, base: str | None, head: str | None, fmt: str) -> None:
    """What changed in a project between two git revisions, item by item.

    Components added, removed or upgraded and their support; threats, controls,
    requirements, tests, views and data flows added, removed, renamed or changed (with
    the fields); risk ratings before and after; vulnerabilities newly known, newly fixed
    or changed; evidence and test results renewed. Both sides are read from git objects:
    the working tree, index and branches are never touched. A side that fails validation
    is still compared and its errors are listed. Exit 0 with the changes; 2 when a side
    cannot be read (not a git repository, unknown revision, no project there).

    \b
    Examples:
      cyberfile diff projects/pump                     # since the last submission's baseline
      cyberfile diff --base v2.3.0 --head v2.4.0 --format md > changes.md
      cyberfile diff --base HEAD~1 --format json
    """
    from cyberfile.commands import diff as command

    _exit(command.run(path, Path.cwd(), base, head, fmt))


@cli.command("build")
@click.argument("paths", nargs=-1, type=PATHS)
@click.option(
    "-o",
    "--output",
    type=PATHS,
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
@click.option(
    "--allow-errors",
    is_flag=True,
    help="Build even when validate reports errors; every document is then marked DRAFT.",
)
def build_command(
    paths: tuple[Path, ...],
    output: Path,
    as_of: str | None,
    pdf: bool | None,
    site: bool,
    allow_errors: bool,
) -> None:
    """Build the documentation package: documents, matrices, SBOM/VEX, site and PDFs.

    Writes build/<project>/ (documents/*.md, pdf/*.pdf, traceability.csv and .xlsx,
    sbom.cdx.json, sbom.spdx.json, vex.cdx.json, vex.openvex.json, site/,
    manifest.json). The output is replaced only when the whole build succeeded; the same
    inputs and date give byte-identical files. A project that validate reports errors for
    is not built (exit 1, the errors listed) unless --allow-errors, which marks every
    document DRAFT.

    \b
    Examples:
      cyberfile build projects/example-infusion-pump
      cyberfile build --no-pdf -o out/ --as-of 2027-03-01
    """
    from cyberfile.commands import build as command

    _exit(command.run(list(paths), Path.cwd(), output, as_of, pdf, site, allow_errors))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv`; return the exit code (tests call this)."""
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="cyberfile",
            standalone_mode=False,
        )
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(ExitCode.MISUSE)
    except _Failed as failed:
        click.echo(f"{failed.command}: {failed.error}", err=True)
        return int(failed.error.exit_code)
    except CyberfileError as exc:
        click.echo(f"cyberfile: {exc}", err=True)
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return int(ExitCode.INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        return int(ExitCode.MISUSE)
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitCode.OK)
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
    return int(ExitCode.OK)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
