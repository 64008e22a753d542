"""The local feed cache: where `cyberfile feeds update` puts the feeds it downloads, the
index it keeps of them (`feeds.json`), and what `scan` and `drift` read from it. Nothing
here touches the network (`cyberfile.vulndb.fetch` does, for `feeds update` only).

Layout of a cache folder (several projects may share one)::

    feeds.json                                the index: per feed url, file, fetched, size, sha256
    osv/<ECOSYSTEM>/all.zip                   OSV export of one ecosystem
    kev/known_exploited_vulnerabilities.json  the CISA KEV catalog
    cve/cves.zip                              CVE JSON 5 records (only when cve.url is set)

`fetched` is the one wall-clock time cyberfile records: it is data about the cache (when
the copy was made), read to decide whether a feed is older than `feeds.max_age` as of the
scan's or drift's date, and never written into a project.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cyberfile.errors import InputError
from cyberfile.model.manifest import FeedSettings
from cyberfile.model.project import MANIFEST_NAME, Project
from cyberfile.model.sbom import Component

INDEX_NAME = "feeds.json"
INDEX_FORMAT = 1
KEV_FILE = "kev/known_exploited_vulnerabilities.json"
CVE_FILE = "cve/cves.zip"

OSV, KEV, CVE = "osv", "kev", "cve"


class CacheError(InputError):
    """The cache cannot be used for a scan (none, incomplete, stale, unreadable index)."""


def default_cache_dir() -> Path:
    """The user cache folder for cyberfile (platformdirs): ~/.cache/cyberfile on Linux,
    ~/Library/Caches/cyberfile on macOS, %LOCALAPPDATA%\\cyberfile\\Cache on Windows."""
    from platformdirs import user_cache_path

    return user_cache_path("cyberfile", appauthor=False)


def cache_dir(settings: FeedSettings, root: Path) -> Path:
    """The cache folder a project names (`feeds.cache`), else the default; `~` expanded,
    a relative path taken from the project's folder."""
    if settings.cache is None:
        return default_cache_dir()
    path = Path(settings.cache).expanduser()
    return path if path.is_absolute() else root / path


def _folder_name(ecosystem: str) -> str:
    """An ecosystem as a folder name on any system (`Debian:12` -> `Debian_12`)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", ecosystem)


@dataclass(frozen=True)
class WantedFeed:
    """One feed a project's `feeds:` settings ask for."""

    key: str
    """Its name in feeds.json: `osv/PyPI`, `kev`, `cve`."""
    kind: str
    url: str
    file: str
    """Where it is kept, relative to the cache folder."""
    ecosystem: str | None = None

    @property
    def label(self) -> str:
        return {OSV: f"OSV {self.ecosystem}", KEV: "CISA KEV", CVE: "CVE records"}[self.kind]


def osv_url(base: str, ecosystem: str) -> str:
    from urllib.parse import quote

    return f"{base.rstrip('/')}/{quote(ecosystem, safe='')}/all.zip"


def derived_ecosystems(components: Iterable[Component]) -> tuple[str, ...]:
    """The OSV ecosystems of the components' purl types (those OSV has an export for)."""
    from cyberfile.vulndb.match import PURL_ECOSYSTEMS

    found: set[str] = set()
    for component in components:
        text = component.purl or (component.ref if component.ref.startswith("pkg:") else None)
        if not text or not text.startswith("pkg:"):
            continue
        kind = text[4:].lstrip("/").split("/", 1)[0].lower()
        ecosystem = PURL_ECOSYSTEMS.get(kind)
        if ecosystem is not None:
            found.add(ecosystem)
    return tuple(sorted(found))


def wanted_feeds(settings: FeedSettings, components: Sequence[Component]) -> list[WantedFeed]:
    """The feeds a project asks for: its OSV ecosystems (given, else derived from its
    components), the KEV catalog, and CVE records when `cve.url` is set."""
    ecosystems = settings.osv.ecosystems
    if ecosystems is None:
        ecosystems = derived_ecosystems(components)
    wanted = [
        WantedFeed(
            f"{OSV}/{ecosystem}",
            OSV,
            osv_url(settings.osv.url, ecosystem),
            f"{OSV}/{_folder_name(ecosystem)}/all.zip",
            ecosystem,
        )
        for ecosystem in dict.fromkeys(ecosystems)
    ]
    wanted.append(WantedFeed(KEV, KEV, settings.kev.url, KEV_FILE))
    if settings.cve.url is not None:
        wanted.append(WantedFeed(CVE, CVE, settings.cve.url, CVE_FILE))
    return wanted


# --------------------------------------------------------------------------- the index


@dataclass(frozen=True)
class CachedFeed:
    """A feed as feeds.json records it."""

    key: str
    kind: str
    url: str
    file: str
    fetched: datetime
    """When the copy was downloaded (UTC)."""
    size: int
    sha256: str
    records: int
    ecosystem: str | None = None

    @property
    def fetched_day(self) -> date:
        return self.fetched.astimezone(UTC).date()

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "kind": self.kind,
            "url": self.url,
            "file": self.file,
            "fetched": self.fetched.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "size": self.size,
            "sha256": self.sha256,
            "records": self.records,
        }
        if self.ecosystem is not None:
            document["ecosystem"] = self.ecosystem
        return document


def _entry(key: str, raw: Any, where: Path) -> CachedFeed:
    problem = f"{where}: entry {key!r} is not a feed record; run `cyberfile feeds update`"
    if not isinstance(raw, dict):
        raise CacheError(problem)
    try:
        fetched = datetime.fromisoformat(str(raw["fetched"]).replace("Z", "+00:00"))
        if fetched.tzinfo is None:
            fetched = fetched.replace(tzinfo=UTC)
        file = str(raw["file"])
        if Path(file).is_absolute() or ".." in Path(file).parts:
            raise ValueError(file)
        return CachedFeed(
            key=key,
            kind=str(raw["kind"]),
            url=str(raw["url"]),
            file=file,
            fetched=fetched,
            size=int(raw["size"]),
            sha256=str(raw["sha256"]),
            records=int(raw.get("records", 0)),
            ecosystem=str(raw["ecosystem"]) if raw.get("ecosystem") is not None else None,
        )
    except (KeyError, TypeError, ValueError):
        raise CacheError(problem) from None


def read_index(cache: Path) -> dict[str, CachedFeed]:
    """The feeds recorded in `cache`/feeds.json; {} when there is none; CacheError when
    it cannot be read."""
    path = cache / INDEX_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise CacheError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise CacheError(f"{path}: not JSON; run `cyberfile feeds update`") from None
    feeds = document.get("feeds") if isinstance(document, dict) else None
    if not isinstance(feeds, dict):
        raise CacheError(f"{path}: not a cyberfile feed index; run `cyberfile feeds update`")
    return {str(key): _entry(str(key), value, path) for key, value in feeds.items()}


def readable_by_all(path: Path) -> None:
    """Give a file made by mkstemp (mode 0600) the mode of a file made normally (0666
    less the umask), so a cache shared by a team or CI stays readable."""
    mask = os.umask(0)
    os.umask(mask)
    path.chmod(0o666 & ~mask)


def write_index(cache: Path, feeds: dict[str, CachedFeed]) -> None:
    """Replace feeds.json atomically."""
    document = {
        "format_version": INDEX_FORMAT,
        "generator": "cyberfile feeds update",
        "feeds": {key: feeds[key].as_json() for key in sorted(feeds)},
    }
    cache.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=cache, prefix=f".{INDEX_NAME}.", suffix=".part")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        readable_by_all(temporary)
        temporary.replace(cache / INDEX_NAME)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- freshness


def _days(delta: timedelta) -> str:
    return f"{delta.days} day{'' if delta.days == 1 else 's'}"


@dataclass(frozen=True)
class FeedState:
    """A wanted feed as the cache holds it, measured against a date."""

    feed: WantedFeed
    cached: CachedFeed | None
    missing: str | None
    """Why the cache cannot supply it (never fetched, from another URL, file gone)."""
    age: timedelta | None
    max_age: timedelta

    @property
    def stale(self) -> bool:
        return self.age is not None and self.age > self.max_age

    def describe(self, as_of: date) -> str:
        """What is wrong with it, for messages (missing or stale)."""
        if self.missing is not None:
            return self.missing
        assert self.cached is not None and self.age is not None
        return (
            f"the cached {self.feed.label} feed was fetched {self.cached.fetched_day} "
            f"({_days(self.age)} before {as_of}), older than max_age "
            f"{self.max_age.days}d"
        )


def feed_state(
    cache: Path,
    feed: WantedFeed,
    index: dict[str, CachedFeed],
    as_of: date,
    max_age: timedelta,
) -> FeedState:
    cached = index.get(feed.key)
    missing = None
    if cached is None:
        missing = f"the feed cache {cache} holds no {feed.label} feed (never fetched)"
    elif cached.url != feed.url:
        missing = (
            f"the cached {feed.label} feed was fetched from {cached.url}, but cyberfile.yaml "
            f"now names {feed.url}"
        )
    else:
        path = cache / cached.file
        try:
            size = path.stat().st_size
        except OSError:
            size = -1
        if size != cached.size:
            missing = (
                f"the cached {feed.label} file {path} is missing or has changed since it "
                "was fetched"
            )
    if missing is not None or cached is None:
        return FeedState(feed, cached, missing, None, max_age)
    return FeedState(feed, cached, None, as_of - cached.fetched_day, max_age)


def project_feed_states(project: Project, as_of: date) -> tuple[Path, list[FeedState]]:
    """The cache a project uses and each feed it wants, as of `as_of`; CacheError when
    feeds.json cannot be read."""
    settings = project.manifest.feeds
    cache = cache_dir(settings, project.root)
    index = read_index(cache)
    wanted = wanted_feeds(settings, project.sbom.components)
    return cache, [feed_state(cache, f, index, as_of, settings.max_age) for f in wanted]


def configures_feeds(project: Project) -> bool:
    """The project writes a `feeds:` section in cyberfile.yaml."""
    return "feeds" in project.manifest.model_fields_set


# --------------------------------------------------------------------------- for scan


@dataclass
class CachedFeeds:
    """The cached files a scan reads, and what it must say about them."""

    cache: Path
    osv: list[Path]
    kev: Path | None
    cve: Path | None
    names: dict[Path, str]
    """How the scan's record names each file (`feed cache osv/PyPI/all.zip`)."""
    stale: list[str]
    """Stale feeds read anyway (--allow-stale), one sentence each (naming no project
    path: the scan's record must not depend on where it was run from)."""


def _project_name(project: Project) -> str:
    return (project.root / MANIFEST_NAME).as_posix()


def select_cached(projects: Sequence[Project], as_of: date, allow_stale: bool) -> CachedFeeds:
    """The cached feeds that the projects' `feeds:` settings ask for. CacheError when the
    projects name different caches, when there is no cache, when a wanted feed is not in
    it, or (unless `allow_stale`) when one is older than its project's max_age."""
    caches = {cache_dir(p.manifest.feeds, p.root).resolve(): p for p in projects}
    if len(caches) > 1:
        names = ", ".join(f"{_project_name(p)} ({c})" for c, p in caches.items())
        raise CacheError(
            f"these projects use different feed caches: {names}; scan them one cache at a "
            "time, or pass --osv/--kev/--cve"
        )
    cache = cache_dir(projects[0].manifest.feeds, projects[0].root)
    index = read_index(cache)
    if not index:
        raise CacheError(
            f"no feed cache at {cache} (no {INDEX_NAME}): run `cyberfile feeds update` "
            "first, or name at least one feed: --osv, --cve or --kev"
        )
    states: dict[str, FeedState] = {}
    missing: list[str] = []
    stale: dict[str, list[str]] = {}
    for project in projects:
        settings = project.manifest.feeds
        for feed in wanted_feeds(settings, project.sbom.components):
            state = feed_state(cache, feed, index, as_of, settings.max_age)
            if state.missing is not None:
                missing.append(f"{state.missing} (wanted by {_project_name(project)})")
            elif state.stale:
                stale.setdefault(state.describe(as_of), []).append(_project_name(project))
            states.setdefault(feed.key, state)
    if missing:
        raise CacheError(
            "; ".join(dict.fromkeys(missing))
            + ": run `cyberfile feeds update`, set feeds.osv.ecosystems in cyberfile.yaml "
            "to the ecosystems to fetch, or pass local feeds with --osv/--kev/--cve"
        )
    if stale and not allow_stale:
        raise CacheError(
            "; ".join(f"{note} ({', '.join(where)})" for note, where in stale.items())
            + ": run `cyberfile feeds update`, or pass --allow-stale to scan with the old "
            "feeds anyway (the scan then records that it did)"
        )
    chosen = CachedFeeds(cache, [], None, None, {}, list(stale))
    for key in sorted(states):
        cached = states[key].cached
        assert cached is not None
        path = cache / cached.file
        chosen.names[path] = f"feed cache {cached.file}"
        if cached.kind == OSV:
            chosen.osv.append(path)
        elif cached.kind == KEV:
            chosen.kev = path
        elif cached.kind == CVE:
            chosen.cve = path
    return chosen
