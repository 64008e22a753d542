"""Downloading a feed into the cache: the only network code in cyberfile, used by
`cyberfile feeds update` alone (never imported by scan or drift).

A download streams into a temporary file beside its target, within a timeout and a size
cap; the file is then verified (a zip opens, every member's CRC checks, and it holds a
record of the expected shape; the KEV catalog parses and lists vulnerabilities) and only
then moved over the previous copy with `os.replace`. A failed, corrupt or interrupted
download therefore leaves the previous copy, and its entry in feeds.json, untouched.

URLs must be https; http is accepted only for the local host (127.0.0.1, ::1,
localhost), for mirrors and tests on the same machine. Redirects are held to the same
rule. Proxies are taken from the environment (HTTPS_PROXY, NO_PROXY), except for the
local host.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from cyberfile import __version__
from cyberfile.digest import file_sha256
from cyberfile.errors import InputError
from cyberfile.vulndb.cache import CVE, KEV, OSV, CachedFeed, WantedFeed, readable_by_all
from cyberfile.vulndb.cve import parse_cve_record
from cyberfile.vulndb.kev import load_kev
from cyberfile.vulndb.osv import FeedError, parse_record

LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
TIMEOUT = 60.0
"""Seconds without progress (connecting, or between two reads) before giving up."""
MAX_BYTES = {OSV: 4 << 30, CVE: 4 << 30, KEV: 64 << 20}
"""Size cap per kind of feed: the largest OSV exports and the full cvelistV5 zip are
well under 4 GiB, the KEV catalog about 1.5 MB."""
CHUNK = 1 << 20

Progress = Callable[[int | None], Callable[[int], None]]
"""start(total bytes, or None when unknown) -> advance(bytes)."""


class FetchError(InputError):
    """A feed could not be downloaded or verified; the message says why."""


def check_url(url: str) -> None:
    """https anywhere; http only to the local host; nothing else."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host in LOCAL_HOSTS:
        return
    if parts.scheme == "http":
        raise FetchError(
            f"{url}: plain http is accepted only for the local host "
            "(127.0.0.1, ::1, localhost); use https"
        )
    raise FetchError(f"{url}: not an https URL")


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(url: str) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = [_CheckedRedirects()]
    if (urlsplit(url).hostname or "").lower() in LOCAL_HOSTS:
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


def human_size(count: int) -> str:
    value = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{count} bytes"  # pragma: no cover


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    sha256: str


def download(
    url: str,
    folder: Path,
    limit: int,
    progress: Progress | None = None,
    timeout: float = TIMEOUT,
) -> Downloaded:
    """Stream `url` into a new temporary file in `folder`; FetchError on any failure
    (the temporary file is then removed)."""
    check_url(url)
    folder.mkdir(parents=True, exist_ok=True)
    request = urllib.request.Request(url, headers={"User-Agent": f"cyberfile/{__version__}"})
    descriptor, name = tempfile.mkstemp(dir=folder, prefix=".download-", suffix=".part")
    target = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            try:
                response = _opener(url).open(request, timeout=timeout)
            except urllib.error.HTTPError as exc:
                raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
            except urllib.error.URLError as exc:
                raise FetchError(f"{url}: cannot connect ({exc.reason})") from None
            with response:
                length_text = response.headers.get("Content-Length")
                expected = int(length_text) if length_text and length_text.isdigit() else None
                if expected is not None and expected > limit:
                    raise FetchError(
                        f"{url}: {human_size(expected)} is more than the "
                        f"{human_size(limit)} accepted"
                    )
                advance = progress(expected) if progress else None
                digest = hashlib.sha256()
                received = 0
                while True:
                    block = response.read(CHUNK)
                    if not block:
                        break
                    received += len(block)
                    if received > limit:
                        raise FetchError(f"{url}: more than the {human_size(limit)} accepted")
                    digest.update(block)
                    handle.write(block)
                    if advance:
                        advance(len(block))
            if expected is not None and received != expected:
                raise FetchError(f"{url}: the transfer ended after {received} of {expected} bytes")
            handle.flush()
            os.fsync(handle.fileno())
        return Downloaded(target, received, digest.hexdigest())
    except FetchError:
        target.unlink(missing_ok=True)
        raise
    except (http.client.HTTPException, OSError) as exc:
        target.unlink(missing_ok=True)
        what = type(exc).__name__ if not str(exc) else str(exc)
        raise FetchError(f"{url}: the transfer failed ({what})") from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- verifying

_CVE_NAME = re.compile(r"CVE-[0-9]{4}-[0-9]+\.json")
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError)


def _open_zip(path: Path, what: str) -> zipfile.ZipFile:
    if not zipfile.is_zipfile(path):
        raise FetchError(f"not a zip file (expected {what})")
    try:
        archive = zipfile.ZipFile(path)
        bad = archive.testzip()
    except _ZIP_ERRORS as exc:
        raise FetchError(f"a corrupt zip ({exc})") from None
    if bad is not None:
        archive.close()
        raise FetchError(f"a corrupt zip: member {bad} does not match its CRC")
    return archive


def _json_member(archive: zipfile.ZipFile, name: str) -> object:
    try:
        return json.loads(archive.read(name))
    except (*_ZIP_ERRORS, UnicodeDecodeError) as exc:
        raise FetchError(f"{name} in the zip is not JSON ({exc})") from None


def verify_osv(path: Path) -> int:
    """Records in an OSV all.zip; FetchError unless it is a sound zip holding at least one
    OSV record."""
    with _open_zip(path, "an OSV all.zip export") as archive:
        names = sorted(n for n in archive.namelist() if n.endswith(".json"))
        if not names:
            raise FetchError("the zip holds no OSV .json record")
        try:
            parse_record(_json_member(archive, names[0]), names[0])
        except FeedError as exc:
            raise FetchError(str(exc)) from None
        return len(names)


def _cve_names(archive: zipfile.ZipFile) -> list[str]:
    return sorted(n for n in archive.namelist() if _CVE_NAME.fullmatch(n.rsplit("/", 1)[-1]))


def verify_cve(path: Path, limit: int, *, unpack: bool = True) -> tuple[int, bool]:
    """How many CVE records the zip holds, and whether it was unpacked: a zip holding one
    inner zip and no record (the cvelistV5 release asset) is replaced by its inner zip
    (one level only). FetchError unless a sound zip of CVE JSON 5 records."""
    inner = path.with_name(path.name + ".inner")
    with _open_zip(path, "a zip of CVE JSON 5 records") as archive:
        names = _cve_names(archive)
        zips = [i for i in archive.infolist() if i.filename.endswith(".zip")]
        if names:
            try:
                parse_cve_record(_json_member(archive, names[0]), names[0])
            except FeedError as exc:
                raise FetchError(str(exc)) from None
            return len(names), False
        if not unpack or len(zips) != 1:
            raise FetchError("the zip holds no CVE-*.json record")
        if zips[0].file_size > limit:
            raise FetchError(f"the inner zip {zips[0].filename} is larger than accepted")
        try:
            with archive.open(zips[0]) as source, inner.open("wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
        except _ZIP_ERRORS as exc:
            inner.unlink(missing_ok=True)
            raise FetchError(f"cannot unpack {zips[0].filename} ({exc})") from None
    inner.replace(path)
    return verify_cve(path, limit, unpack=False)[0], True


def verify_kev(path: Path) -> int:
    """Entries in the KEV catalog; FetchError unless it parses and lists some."""
    try:
        catalog = load_kev(path)
    except FeedError as exc:
        raise FetchError(str(exc).replace(f"{path}: ", "")) from None
    if not catalog:
        raise FetchError("the catalog lists no vulnerabilities")
    return len(catalog)


# --------------------------------------------------------------------------- updating


def fetch_feed(feed: WantedFeed, cache: Path, progress: Progress | None = None) -> CachedFeed:
    """Download, verify and install one feed; its new feeds.json entry. FetchError (the
    previous copy untouched) when it cannot be fetched or verified."""
    target = cache / feed.file
    _remove_abandoned(target.parent)
    got = download(feed.url, target.parent, MAX_BYTES[feed.kind], progress)
    path = got.path
    size, sha256 = got.size, got.sha256
    try:
        try:
            if feed.kind == OSV:
                records = verify_osv(path)
            elif feed.kind == CVE:
                records, unpacked = verify_cve(path, MAX_BYTES[CVE])
                if unpacked:
                    size, sha256 = path.stat().st_size, file_sha256(path)
            else:
                records = verify_kev(path)
        except FetchError as exc:
            raise FetchError(f"{feed.url}: {exc}") from None
        fetched = datetime.now(UTC).replace(microsecond=0)
        readable_by_all(path)
        path.replace(target)
    finally:
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".inner").unlink(missing_ok=True)
    return CachedFeed(
        key=feed.key,
        kind=feed.kind,
        url=feed.url,
        file=feed.file,
        fetched=fetched,
        size=size,
        sha256=sha256,
        records=records,
        ecosystem=feed.ecosystem,
    )


def _remove_abandoned(folder: Path) -> None:
    """Temporary files of downloads killed more than a day ago (SIGKILL, power loss)."""
    if not folder.is_dir():
        return
    now = datetime.now(UTC).timestamp()
    for leftover in folder.glob(".download-*.part*"):
        try:
            if now - leftover.stat().st_mtime > 86_400:
                leftover.unlink()
        except OSError:
            continue
