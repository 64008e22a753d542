"""`cyberfile feeds update` against a real HTTP server on 127.0.0.1 serving real feeds
built from ../shared/data (an OSV all.zip of real PyPI advisories, the real CISA KEV
catalog, real CVE JSON 5 records), and `scan`/`drift` reading the cache it fills without
touching the network. Never the internet."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from cyberfile import dates
from cyberfile.model.manifest import FeedSettings
from cyberfile.model.sbom import Component
from cyberfile.vulndb import fetch
from cyberfile.vulndb.cache import wanted_feeds

from .conftest import Run, edit, pin_pypi_components, shared_data_path, tree_digest

pytestmark = pytest.mark.shared_data(
    "osv-pypa/vulns", "kev/known_exploited_vulnerabilities.json", "cve/vulnrichment-subset.zip"
)

PACKAGES = ("idna", "jinja2", "urllib3")
"""The advisories of these packages make the OSV export the server serves."""
COMPONENTS = {"idna": "3.6", "urllib3": "1.26.5", "jinja2": "3.1.4"}


# --------------------------------------------------------------------------- the server


@dataclass
class Route:
    body: bytes = b""
    truncate: bool = False
    """Announce the whole length, send half, close the connection."""
    status: int = 200
    location: str | None = None


@dataclass
class Server:
    base: str
    routes: dict[str, Route]
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[Server]:
    routes: dict[str, Route] = {}
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            route = routes.get(self.path)
            if route is None:
                self.send_error(404, "Not Found")
                return
            self.send_response(route.status)
            if route.location:
                self.send_header("Location", route.location)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            if route.truncate:
                self.wfile.write(route.body[: len(route.body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(route.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", routes, requests)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


# --------------------------------------------------------------------------- real feeds


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(members.items()):
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def osv_zip() -> bytes:
    """An OSV all.zip (JSON records, as OSV exports them) of real PyPI advisories."""
    vulns = shared_data_path("osv-pypa/vulns")
    members = {}
    for package in PACKAGES:
        for path in sorted((vulns / package).glob("*.yaml")):
            record = yaml.safe_load(path.read_text(encoding="utf-8"))
            members[f"{record['id']}.json"] = json.dumps(record, default=str).encode()
    assert len(members) > 10
    return _zip(members)


@pytest.fixture(scope="module")
def kev_json() -> bytes:
    return shared_data_path("kev/known_exploited_vulnerabilities.json").read_bytes()


@pytest.fixture(scope="module")
def cve_zip_in_zip() -> bytes:
    """A zip holding one zip of real CVE JSON 5 records, as a cvelistV5 release asset."""
    source = shared_data_path("cve/vulnrichment-subset.zip")
    with zipfile.ZipFile(source) as archive:
        names = [n for n in archive.namelist() if n.endswith(".json")][:20]
        inner = _zip({f"cves/{n}": archive.read(n) for n in names})
    return _zip({"cves.zip": inner})


@pytest.fixture
def pump(project: Path, tmp_path: Path, server: Server, osv_zip: bytes, kev_json: bytes) -> Path:
    """A fresh project with three real PyPI pins, whose feeds come from the local server
    into the cache ../feed-cache (a relative path, from its cyberfile.yaml)."""
    pin_pypi_components(project, COMPONENTS)
    with (project / "cyberfile.yaml").open("a", encoding="utf-8") as handle:
        handle.write(
            "feeds:\n"
            "  cache: ../feed-cache\n"
            f"  osv: {{url: '{server.base}/osv'}}\n"
            f"  kev: {{url: '{server.base}/kev.json'}}\n"
        )
    server.routes["/osv/PyPI/all.zip"] = Route(osv_zip)
    server.routes["/kev.json"] = Route(kev_json)
    return project


def cache_of(pump: Path) -> Path:
    return pump.parent / "feed-cache"


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Call it to make any network connection fail the test (`local=True`: any but to
    127.0.0.1, the test's own server)."""
    connect = socket.socket.connect

    def cut(*, local: bool = False) -> None:
        def refuse(self: socket.socket, address: Any, *args: Any) -> Any:
            if local and isinstance(address, tuple) and address[0] == "127.0.0.1":
                return connect(self, address)
            raise AssertionError(f"network used: connect to {address}")

        monkeypatch.setattr(socket.socket, "connect", refuse)
        monkeypatch.setattr(socket.socket, "connect_ex", refuse)

    return cut


def age_cache(cache: Path, days: int) -> str:
    """Pretend every feed was fetched `days` days before today; the day written."""
    index = json.loads((cache / "feeds.json").read_text(encoding="utf-8"))
    day = dates.today() - timedelta(days=days)
    for entry in index["feeds"].values():
        entry["fetched"] = f"{day.isoformat()}T06:00:00Z"
    (cache / "feeds.json").write_text(json.dumps(index), encoding="utf-8")
    return day.isoformat()


# --------------------------------------------------------------------------- tests


def test_update_then_scan_from_the_cache_finds_what_explicit_paths_find(
    cli: Callable[..., Run],
    pump: Path,
    server: Server,
    osv_zip: bytes,
    offline: Callable[..., None],
) -> None:
    run = cli("feeds", "update", str(pump))
    assert run.code == 0, run.err
    assert f"OSV PyPI: updated from {server.base}/osv/PyPI/all.zip" in run.out
    assert f"CISA KEV: updated from {server.base}/kev.json" in run.out
    assert "2 feeds updated" in run.out
    assert sorted(server.requests) == ["/kev.json", "/osv/PyPI/all.zip"]  # ecosystems derived
    cache = cache_of(pump)
    index = json.loads((cache / "feeds.json").read_text(encoding="utf-8"))["feeds"]
    osv = index["osv/PyPI"]
    assert osv["url"] == f"{server.base}/osv/PyPI/all.zip"
    assert osv["sha256"] == hashlib.sha256(osv_zip).hexdigest()
    assert osv["size"] == len(osv_zip) == (cache / osv["file"]).stat().st_size
    fetched = datetime.fromisoformat(osv["fetched"].replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - fetched) < timedelta(minutes=5)
    assert index["kev"]["records"] > 1000
    assert not list(cache.rglob("*.part"))

    offline()  # scan and drift never touch the network
    cached = cli("scan", str(pump), "--dry-run", "--format", "json")
    explicit = cli(
        "scan",
        str(pump),
        "--dry-run",
        "--format",
        "json",
        "--osv",
        str(cache / osv["file"]),
        "--kev",
        str(cache / index["kev"]["file"]),
    )
    assert cached.code == explicit.code == 1, cached.out + cached.err
    from_cache, from_paths = json.loads(cached.out), json.loads(explicit.out)
    assert from_cache["diagnostics"] == from_paths["diagnostics"]
    assert any(
        d["code"] == "CF440" and "CVE-2024-3651" in d["message"] for d in from_cache["diagnostics"]
    )
    facts = from_cache["projects"][0]["scan"]
    assert "from feed cache osv/PyPI/all.zip" in facts["feeds"]
    assert "CISA KEV (" in facts["feeds"] and "from feed cache kev/" in facts["feeds"]
    assert "allow-stale" not in facts["feeds"]

    recorded = cli("scan", str(pump))
    assert recorded.code == 1
    evidence = (pump / "evidence" / "scans.yaml") if (pump / "evidence").is_dir() else None
    text = (evidence or pump / "evidence.yaml").read_text(encoding="utf-8")
    assert "Offline vulnerability scan: OSV (" in text and "feed cache osv/PyPI/all.zip" in text
    assert cli("drift", str(pump)).code == 0


def test_an_interrupted_transfer_leaves_the_previous_cache_byte_identical(
    cli: Callable[..., Run], pump: Path, server: Server, osv_zip: bytes
) -> None:
    assert cli("feeds", "update", str(pump)).code == 0
    before = tree_digest(cache_of(pump))
    server.routes["/osv/PyPI/all.zip"] = Route(osv_zip + b"newer", truncate=True)
    run = cli("feeds", "update", str(pump))
    assert run.code == 2
    url = f"{server.base}/osv/PyPI/all.zip"
    assert f"cyberfile feeds update: OSV PyPI: {url}: the transfer ended after" in run.err
    assert "; the previous copy, fetched " in run.err
    assert "is kept" in run.err
    assert "CISA KEV: updated" in run.out  # the other feed is still updated
    after = tree_digest(cache_of(pump))
    osv_files = {k: v for k, v in before.items() if k.startswith("osv/")}
    assert {k: after[k] for k in osv_files} == osv_files
    index = json.loads((cache_of(pump) / "feeds.json").read_text(encoding="utf-8"))["feeds"]
    assert index["osv/PyPI"]["sha256"] == hashlib.sha256(osv_zip).hexdigest()
    assert not [p for p in cache_of(pump).rglob("*") if p.name.startswith(".download-")]


def test_a_failed_update_of_every_feed_changes_nothing_at_all(
    cli: Callable[..., Run], pump: Path, server: Server, osv_zip: bytes, kev_json: bytes
) -> None:
    assert cli("feeds", "update", str(pump)).code == 0
    before = tree_digest(cache_of(pump))
    server.routes["/osv/PyPI/all.zip"] = Route(osv_zip, truncate=True)
    server.routes["/kev.json"] = Route(kev_json, truncate=True)
    assert cli("feeds", "update", str(pump)).code == 2
    assert tree_digest(cache_of(pump)) == before


@pytest.mark.parametrize(
    ("route", "body", "message"),
    [
        ("/osv/PyPI/all.zip", "corrupt", "corrupt zip"),
        ("/osv/PyPI/all.zip", "not a zip", "not a zip file"),
        ("/osv/PyPI/all.zip", "no records", "holds no OSV .json record"),
        ("/osv/PyPI/all.zip", "not osv", "not an OSV record"),
        ("/kev.json", "truncated json", "not JSON"),
        ("/kev.json", "no vulnerabilities", "no 'vulnerabilities' list"),
    ],
)
def test_a_feed_that_does_not_verify_is_refused_and_the_old_cache_kept(
    cli: Callable[..., Run],
    pump: Path,
    server: Server,
    osv_zip: bytes,
    kev_json: bytes,
    route: str,
    body: str,
    message: str,
) -> None:
    assert cli("feeds", "update", str(pump)).code == 0
    before = tree_digest(cache_of(pump))
    corrupt = bytearray(osv_zip)
    with zipfile.ZipFile(io.BytesIO(osv_zip)) as archive:
        first = archive.infolist()[0]
    start = first.header_offset + 30 + len(first.filename) + 4
    corrupt[start : start + 8] = bytes(8)  # inside the first member's deflated data
    bodies = {
        "corrupt": bytes(corrupt),
        "not a zip": b"<html>maintenance</html>",
        "no records": _zip({"README.txt": b"nothing here"}),
        "not osv": _zip({"x.json": b'{"hello": "world"}'}),
        "truncated json": kev_json[: len(kev_json) // 2],
        "no vulnerabilities": b'{"title": "CISA Catalog"}',
    }
    server.routes[route] = Route(bodies[body])
    run = cli("feeds", "update", str(pump))
    assert run.code == 2
    assert f"{server.base}{route}" in run.err and message in run.err, run.err
    assert "is kept" in run.err
    after = tree_digest(cache_of(pump))
    assert {k: after[k] for k in before if not k.startswith("feeds.json")} == {
        k: v for k, v in before.items() if not k.startswith("feeds.json")
    }
    feed = "osv/PyPI" if route.startswith("/osv") else "kev"
    old = json.loads((cache_of(pump) / "feeds.json").read_text(encoding="utf-8"))["feeds"][feed][
        "sha256"
    ]
    assert old == hashlib.sha256(osv_zip if feed == "osv/PyPI" else kev_json).hexdigest()


def test_a_404_exits_2_naming_the_feed_and_its_url(
    cli: Callable[..., Run], pump: Path, server: Server
) -> None:
    del server.routes["/kev.json"]
    run = cli("feeds", "update", str(pump))
    assert run.code == 2
    assert (
        f"cyberfile feeds update: CISA KEV: {server.base}/kev.json: HTTP 404 Not Found; "
        "the cache is unchanged (it held no copy of this feed)"
    ) in run.err
    assert "OSV PyPI: updated" in run.out
    assert "1 feed updated, 1 failed" in run.out
    assert "Traceback" not in run.out + run.err


def test_a_stale_cache_is_refused_by_scan_unless_allow_stale(
    cli: Callable[..., Run], pump: Path, offline: Callable[..., None]
) -> None:
    assert cli("feeds", "update", str(pump)).code == 0
    day = age_cache(cache_of(pump), 30)
    offline()
    run = cli("scan", str(pump))
    assert run.code == 2
    assert run.err.startswith("cyberfile scan: the cached OSV PyPI feed was fetched " + day)
    assert f"(30 days before {dates.today().isoformat()}), older than max_age 7d" in run.err
    assert "run `cyberfile feeds update`, or pass --allow-stale" in run.err
    assert "Traceback" not in run.err

    # --as-of measures the age from the scan's date: a week after the fetch is not stale
    week_later = (dates.parse_day(day) + timedelta(days=7)).isoformat()
    assert cli("scan", str(pump), "--dry-run", "--as-of", week_later).code == 1

    run = cli("scan", str(pump), "--allow-stale")
    assert run.code == 1, run.err
    assert "cyberfile scan: warning: --allow-stale: the cached OSV PyPI feed" in run.err
    assert "stale feeds read with --allow-stale" in run.out  # the summary's feeds line
    evidence_id = f"EV-SCAN-{dates.today().strftime('%Y%m%d')}"
    report = json.loads(
        (pump / "artifacts" / "scans" / f"{evidence_id}.json").read_text(encoding="utf-8")
    )
    assert "stale feeds read with --allow-stale: the cached OSV PyPI feed" in report["feeds"]
    assert "older than max_age 7d" in report["feeds"]


def test_scan_without_a_cache_says_how_to_get_one(
    cli: Callable[..., Run],
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    offline: Callable[..., None],
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # the default cache folder
    offline()
    run = cli("scan", str(project))
    assert run.code == 2
    assert f"no feed cache at {tmp_path / 'xdg' / 'cyberfile'}" in run.err
    assert "run `cyberfile feeds update` first, or name at least one feed: --osv" in run.err
    assert "Traceback" not in run.err
    run = cli("drift", str(project), "--format", "json")  # no feeds: section, no cache
    assert "CF446" not in run.out


def test_allow_stale_with_explicit_feeds_is_misuse(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    run = cli("scan", str(project), "--osv", str(tmp_path), "--allow-stale")
    assert run.code == 2 and "--allow-stale applies to the feed cache" in run.err


def test_drift_reports_a_configured_cache_that_was_never_filled(
    cli: Callable[..., Run], pump: Path, offline: Callable[..., None]
) -> None:
    offline()
    run = cli("drift", str(pump), "--format", "json")
    found = [d for d in json.loads(run.out)["diagnostics"] if d["code"] == "CF446"]
    assert [d["severity"] for d in found] == ["warning"]  # configured, never fetched
    assert "no feed cache at" in found[0]["message"]
    assert found[0]["file"].endswith("cyberfile.yaml") and found[0]["line"] > 1


def test_drift_reports_a_stale_cache(
    cli: Callable[..., Run], pump: Path, offline: Callable[..., None]
) -> None:
    assert cli("feeds", "update", str(pump)).code == 0
    offline()
    fresh = cli("drift", str(pump), "--format", "json")
    assert "CF446" not in fresh.out
    day = age_cache(cache_of(pump), 10)
    run = cli("drift", str(pump), "--format", "json")
    found = [d for d in json.loads(run.out)["diagnostics"] if d["code"] == "CF446"]
    messages = sorted(d["message"] for d in found)
    assert messages == [
        f"the cached CISA KEV feed was fetched {day} (10 days before "
        f"{dates.today().isoformat()}), older than max_age 7d",
        f"the cached OSV PyPI feed was fetched {day} (10 days before "
        f"{dates.today().isoformat()}), older than max_age 7d",
    ]
    assert run.code == 0  # a warning
    earlier = (dates.parse_day(day) + timedelta(days=3)).isoformat()
    assert "CF446" not in cli("drift", str(pump), "--as-of", earlier, "--format", "json").out


def test_plain_http_is_refused_except_for_the_local_host(
    cli: Callable[..., Run], pump: Path, server: Server, offline: Callable[..., None]
) -> None:
    edit(
        pump / "cyberfile.yaml",
        f"kev: {{url: '{server.base}/kev.json'}}",
        "kev: {url: 'http://example.com/kev.json'}",
    )
    server.routes["/osv/PyPI/all.zip"] = Route(status=302, location="http://example.org/all.zip")
    offline(local=True)  # refused before connecting anywhere but the test's server
    run = cli("feeds", "update", str(pump))
    assert run.code == 2, run.err
    assert (
        "CISA KEV: http://example.com/kev.json: plain http is accepted only for the local host"
        in run.err
    )
    assert "http://example.org/all.zip: plain http is accepted only for the local host" in run.err


def test_a_feed_over_the_size_cap_is_refused(
    cli: Callable[..., Run], pump: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(fetch.MAX_BYTES, "kev", 1000)
    run = cli("feeds", "update", str(pump))
    assert run.code == 2 and "is more than the 1.0 KB accepted" in run.err
    assert not (cache_of(pump) / "kev").exists() or not list((cache_of(pump) / "kev").iterdir())


def test_a_cvelist_release_zip_in_a_zip_is_unpacked_and_scanned(
    cli: Callable[..., Run], pump: Path, server: Server, cve_zip_in_zip: bytes
) -> None:
    server.routes["/cves.zip.zip"] = Route(cve_zip_in_zip)
    edit(
        pump / "cyberfile.yaml",
        "  kev: {",
        f"  cve: {{url: '{server.base}/cves.zip.zip'}}\n  kev: {{",
    )
    run = cli("feeds", "update", str(pump))
    assert run.code == 0, run.err
    assert "CVE records: updated" in run.out and "20 records" in run.out
    cached = cache_of(pump) / "cve" / "cves.zip"
    with zipfile.ZipFile(cached) as archive:
        assert len([n for n in archive.namelist() if n.endswith(".json")]) == 20
    entry = json.loads((cache_of(pump) / "feeds.json").read_text(encoding="utf-8"))["feeds"]["cve"]
    assert entry["sha256"] == hashlib.sha256(cached.read_bytes()).hexdigest()
    scan = cli("scan", str(pump), "--dry-run", "--format", "json")
    assert "CVE JSON 5 (20 records read" in json.loads(scan.out)["projects"][0]["scan"]["feeds"]


def test_projects_sharing_a_cache_must_agree_on_a_feed_url(
    cli: Callable[..., Run], pump: Path, tmp_path: Path, server: Server
) -> None:
    other = tmp_path / "other"
    assert cli("init", str(other)).code == 0
    with (other / "cyberfile.yaml").open("a", encoding="utf-8") as handle:
        handle.write(
            f"feeds: {{cache: {cache_of(pump)}, kev: {{url: '{server.base}/other-kev.json'}}}}\n"
        )
    run = cli("feeds", "update", str(pump), str(other))
    assert run.code == 2
    assert "projects sharing the feed cache" in run.err and "other-kev.json" in run.err
    assert "OSV PyPI: updated" in run.out


def test_the_feeds_a_project_wants() -> None:
    def component(ref: str) -> Component:
        return Component.model_validate({"ref": ref, "name": "x", "version": "1"})

    components = [
        component(ref)
        for ref in (
            "pkg:pypi/idna@3.6",
            "pkg:npm/%40babel/core@7.0.0",
            "pkg:maven/org.example/lib@1.0",
            "pkg:deb/debian/openssl@3.0.11",
            "pkg:generic/openssl@3.0.13",
        )
    ]
    keys = [f.key for f in wanted_feeds(FeedSettings(), components)]
    assert keys == ["osv/Debian", "osv/Maven", "osv/PyPI", "osv/npm", "kev"]  # no CVE by default
    default = wanted_feeds(FeedSettings(), components)[2]
    assert default.url == "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
    settings = FeedSettings.model_validate(
        {"osv": {"ecosystems": ["Debian:12"]}, "cve": {"url": "https://example.org/cves.zip"}}
    )
    wanted = wanted_feeds(settings, components)
    assert [(f.key, f.file) for f in wanted] == [
        ("osv/Debian:12", "osv/Debian_12/all.zip"),
        ("kev", "kev/known_exploited_vulnerabilities.json"),
        ("cve", "cve/cves.zip"),
    ]
    assert wanted[0].url.endswith("/Debian%3A12/all.zip")
    assert [
        f.key
        for f in wanted_feeds(FeedSettings.model_validate({"osv": {"ecosystems": []}}), components)
    ] == ["kev"]
