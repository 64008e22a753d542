"""Writing to the terminal: colour only where wanted (never with NO_COLOR), progress bars
only on a terminal, and tables that never break a value in the middle when piped."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

import click

if TYPE_CHECKING:
    from rich.console import Console

ProgressFactory = Callable[[str, int], Callable[[int], None]]
"""start(label, total) -> advance(step): a progress bar for long work."""


def no_color_requested() -> bool:
    """NO_COLOR set to anything non-empty (https://no-color.org)."""
    return bool(os.environ.get("NO_COLOR"))


def use_color(flag: bool | None, fmt: str = "text", stream: TextIO | None = None) -> bool:
    """--color/--no-color when given; else colour for text on a terminal, unless NO_COLOR."""
    if flag is not None:
        return flag
    stream = stream or sys.stdout
    return fmt == "text" and stream.isatty() and not no_color_requested()


def echo(text: str = "", *, err: bool = False, color: bool = False) -> None:
    click.echo(text, err=err, color=color)


def out(text: str, *, color: bool = False) -> None:
    """Print text that already ends with a newline (a rendered report)."""
    click.echo(text, nl=False, color=color)


def console(*, stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    return Console(
        file=stream,
        width=None if terminal else 10_000,
        no_color=not terminal or no_color_requested(),
        highlight=False,
        soft_wrap=not terminal,
    )


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A table on stdout: boxed and folded to the width of a terminal; when piped, plain
    columns separated by two spaces, each value whole on its line (grep- and cut-able)."""
    if not sys.stdout.isatty():
        widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
        echo(title)
        for row in [list(columns), *rows]:
            echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
        return
    from rich.table import Table
    from rich.text import Text

    shown = Table(title=title)
    for column in columns:
        shown.add_column(column, overflow="fold")
    for row in rows:
        shown.add_row(*(Text(v) for v in row))
    console().print(shown)


def progress_factory() -> ProgressFactory | None:
    """A rich progress bar on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None
    from rich.progress import Progress

    progress = Progress(console=console(stderr=True), transient=True)
    progress.start()

    def start(label: str, total: int) -> Callable[[int], None]:
        task = progress.add_task(label, total=total)

        def advance(step: int) -> None:
            progress.advance(task, step)
            if progress.tasks[task].finished:
                progress.stop()

        return advance

    return start
