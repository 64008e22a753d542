"""What `cyberfile scan` prints: a summary table per project, new findings, notices."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cyberfile.commands.scan import ScanOutcome


def print_outcome(outcome: ScanOutcome, console: Console, dry_run: bool) -> None:
    for problem in outcome.problems:
        console.print(Text(f"cyberfile scan: {problem}", style="red"), soft_wrap=True)
    if not outcome.scans:
        return
    summary = Table(title="cyberfile scan" + (" (dry run: nothing written)" if dry_run else ""))
    for column in ("project", "checked", "not matchable", "known", "new", "notices"):
        summary.add_column(column, justify="left" if column == "project" else "right")
    for scan in outcome.scans:
        summary.add_row(
            scan.root.as_posix(),
            str(scan.checked),
            str(len(scan.unmatchable)),
            str(scan.known),
            str(len(scan.new)),
            str(len(scan.notices)),
        )
    console.print(summary)
    for scan in outcome.scans:
        name = scan.root.as_posix()
        if scan.new:
            table = Table(title=f"{name}: new findings (status under_investigation)")
            for column in ("id", "aliases", "components", "KEV", "CVSS", "fixed in"):
                table.add_column(column, overflow="fold")
            for finding in scan.new:
                table.add_row(
                    Text(finding.ids[0]),
                    Text(", ".join(finding.ids[1:])),
                    Text("\n".join(finding.components)),
                    "yes" if finding.known_exploited else "",
                    Text(finding.cvss or ""),
                    Text(", ".join(finding.fixed_versions)),
                )
            console.print(table)
        for vulnerability_id, note in scan.notices:
            console.print(
                Text(f"{name}: {vulnerability_id}: {note}", style="yellow"), soft_wrap=True
            )
        if scan.unmatchable:
            console.print(
                Text(
                    f"{name}: {len(scan.unmatchable)} component(s) could not be matched "
                    "against the feeds (assess them from supplier advisories):",
                    style="dim",
                ),
                soft_wrap=True,
            )
            for ref, reason in scan.unmatchable:
                console.print(Text(f"  {ref}: {reason}", style="dim"), soft_wrap=True)
        for path in scan.written:
            console.print(Text(f"{name}: wrote {path.as_posix()}"), soft_wrap=True)
