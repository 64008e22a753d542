"""`cyberfile feeds update`: download the vulnerability feeds the projects' `feeds:`
settings name into their feed cache, the only command that uses the network.

Each feed is downloaded, verified and installed on its own (`cyberfile.vulndb.fetch`): a
feed that cannot be fetched or verified is reported, with its URL, and its previous copy
is kept; the others are still updated. Projects that share a cache share its feeds."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cyberfile.errors import ExitCode
from cyberfile.load.project import discover, load_for_writing
from cyberfile.report.terminal import console, echo
from cyberfile.vulndb.cache import (
    CachedFeed,
    CacheError,
    WantedFeed,
    cache_dir,
    read_index,
    wanted_feeds,
    write_index,
)
from cyberfile.vulndb.fetch import FetchError, Progress, fetch_feed, human_size

PREFIX = "cyberfile feeds update"


@dataclass
class _Plan:
    """The feeds to fetch into one cache folder, from every project that uses it."""

    cache: Path
    feeds: dict[str, WantedFeed] = field(default_factory=dict)
    wanted_by: dict[str, list[str]] = field(default_factory=dict)
    conflicts: dict[str, str] = field(default_factory=dict)


def _bar(label: str) -> tuple[Progress | None, Callable[[], None]]:
    """A download progress bar on stderr when it is a terminal (else None)."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.progress import Progress as Bar

    bar = Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console(stderr=True),
        transient=True,
    )

    def start(total: int | None) -> Callable[[int], None]:
        bar.start()
        task = bar.add_task(label, total=total)
        return lambda step: bar.advance(task, step)

    return start, bar.stop


def _plans(paths: list[Path], cwd: Path) -> tuple[list[_Plan], bool]:
    """What to fetch where; and whether a project could not be read."""
    roots, general = discover(paths, cwd)
    failed = bool(general) or not roots
    for problem in general:
        echo(f"{PREFIX}: {problem.message}", err=True)
    plans: dict[Path, _Plan] = {}
    for root in roots:
        result, refusal = load_for_writing(root)
        project = result.project
        if refusal or project is None:
            echo(f"{PREFIX}: {root.as_posix()}: {refusal}", err=True)
            failed = True
            continue
        settings = project.manifest.feeds
        cache = cache_dir(settings, root)
        plan = plans.setdefault(cache.resolve(), _Plan(cache))
        for feed in wanted_feeds(settings, project.sbom.components):
            plan.wanted_by.setdefault(feed.key, []).append(root.as_posix())
            known = plan.feeds.setdefault(feed.key, feed)
            if known.url != feed.url:
                plan.conflicts[feed.key] = (
                    f"projects sharing the feed cache {cache} name different URLs for it "
                    f"({known.url} in {plan.wanted_by[feed.key][0]}, {feed.url} in "
                    f"{root.as_posix()}); give one of them another feeds.cache"
                )
    return list(plans.values()), failed


def _kept(previous: CachedFeed | None) -> str:
    if previous is None:
        return "the cache is unchanged (it held no copy of this feed)"
    return f"the previous copy, fetched {previous.fetched_day}, is kept"


def _update(plan: _Plan) -> tuple[int, int]:
    """Fetch every feed of one cache; (updated, failed)."""
    try:
        index = read_index(plan.cache)
    except CacheError as exc:
        echo(f"{PREFIX}: warning: {exc}; it is written anew", err=True)
        index = {}
    updated = failed = 0
    interactive = sys.stderr.isatty()
    for key in sorted(plan.feeds):
        feed = plan.feeds[key]
        if key in plan.conflicts:
            echo(
                f"{PREFIX}: {feed.label}: {plan.conflicts[key]}; {_kept(index.get(key))}", err=True
            )
            failed += 1
            continue
        if not interactive:
            echo(f"{feed.label}: downloading {feed.url}")
        start, stop = _bar(feed.label)
        try:
            entry = fetch_feed(feed, plan.cache, start)
        except FetchError as exc:
            echo(f"{PREFIX}: {feed.label}: {exc}; {_kept(index.get(key))}", err=True)
            failed += 1
            continue
        except OSError as exc:
            echo(
                f"{PREFIX}: {feed.label}: cannot write into the feed cache {plan.cache} "
                f"({exc.strerror or exc}); {_kept(index.get(key))}",
                err=True,
            )
            failed += 1
            continue
        finally:
            stop()
        try:
            index = {**_reread(plan.cache, index), key: entry}
            write_index(plan.cache, index)
        except OSError as exc:
            echo(
                f"{PREFIX}: {feed.label}: cannot write {plan.cache / 'feeds.json'} "
                f"({exc.strerror or exc})",
                err=True,
            )
            failed += 1
            continue
        unit = "entries" if feed.kind == "kev" else "records"
        echo(
            f"{feed.label}: updated from {feed.url} ({human_size(entry.size)}, "
            f"{entry.records} {unit}, sha256 {entry.sha256[:12]}…)"
        )
        updated += 1
    return updated, failed


def _reread(cache: Path, index: dict[str, CachedFeed]) -> dict[str, CachedFeed]:
    """feeds.json as it is now (another update may have written it meanwhile)."""
    try:
        return read_index(cache) or index
    except CacheError:
        return index


def run_update(paths: list[Path], cwd: Path) -> ExitCode:
    plans, failed = _plans(paths, cwd)
    for plan in plans:
        updated, broken = _update(plan)
        failed = failed or broken > 0
        echo(
            f"feed cache {plan.cache}: {updated} feed{'' if updated == 1 else 's'} updated"
            + (f", {broken} failed" if broken else "")
        )
    return ExitCode.UNREADABLE if failed else ExitCode.OK
