"""Offline feeds and matching: OSV range semantics, ecosystems, aliases, KEV."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberfile.model.sbom import Component
from cyberfile.vulndb.kev import load_kev
from cyberfile.vulndb.match import AdvisoryIndex, match_components, target_of
from cyberfile.vulndb.osv import FeedError, iter_records, parse_record
from cyberfile.vulndb.versions import Event, in_range, parse_version

from .conftest import SHARED_DATA


def v(text: str) -> object:
    return parse_version("PyPI", text)


@pytest.mark.parametrize(
    ("version", "events", "expected"),
    [
        ("1.0", [("introduced", "0"), ("fixed", "1.1")], True),
        ("1.1", [("introduced", "0"), ("fixed", "1.1")], False),
        ("1.1", [("fixed", "1.1"), ("introduced", "0")], False),  # unsorted in real data
        ("2.0", [("introduced", "1.0"), ("last_affected", "2.0")], True),
        ("2.0.1", [("introduced", "1.0"), ("last_affected", "2.0")], False),
        ("0.9", [("introduced", "1.0")], False),
        ("5.0", [("introduced", "1.0")], True),
        # two intervals in one range, given out of order
        (
            "3.5",
            [("fixed", "4.0"), ("introduced", "1.0"), ("introduced", "3.0"), ("fixed", "2.0")],
            True,
        ),
        (
            "2.5",
            [("fixed", "4.0"), ("introduced", "1.0"), ("introduced", "3.0"), ("fixed", "2.0")],
            False,
        ),
        ("3.0", [("introduced", "0"), ("limit", "3.0")], False),
        ("2.0rc1", [("introduced", "0"), ("fixed", "2.0")], True),  # PEP 440 pre-release
        ("2.9.0.post0", [("introduced", "2.9.0"), ("fixed", "2.9.1")], True),
    ],
)
def test_range_examples(version: str, events: list[tuple[str, str]], expected: bool) -> None:
    assert in_range(v(version), [Event(k, e) for k, e in events], "PyPI") is expected


def reference_affected(version: int, events: list[tuple[str, int]]) -> bool:
    """The OSV rule stated directly: some introduced <= version with nothing closing the
    interval between it and the version, and no limit at or below the version."""
    if any(kind == "limit" and bound <= version for kind, bound in events):
        return False
    for kind, start in events:
        if kind != "introduced" or start > version:
            continue
        closed = any(
            (k == "fixed" and start <= b <= version)
            or (k == "last_affected" and start <= b < version)
            for k, b in events
        )
        if not closed:
            return True
    return False


event_lists = st.lists(
    st.tuples(
        st.sampled_from(["introduced", "fixed", "last_affected", "limit"]), st.integers(0, 12)
    ),
    max_size=8,
)


@settings(max_examples=500, deadline=None)
@given(st.integers(0, 13), event_lists)
def test_range_evaluation_matches_reference(version: int, events: list[tuple[str, int]]) -> None:
    osv_events = [
        Event(kind, "0" if bound == 0 and kind == "introduced" else f"{bound}.0")
        for kind, bound in events
    ]
    reference_events = [(kind, bound) for kind, bound in events]
    assert in_range(v(f"{version}.0"), osv_events, "PyPI") is reference_affected(
        version, reference_events
    )


def _component(purl: str) -> Component:
    return Component(ref=purl, name="x", purl=purl)


@pytest.mark.parametrize(
    ("purl", "ecosystem", "name"),
    [
        ("pkg:pypi/Django@4.2", "PyPI", "django"),
        ("pkg:pypi/python_dateutil@2.9.0", "PyPI", "python-dateutil"),
        ("pkg:npm/%40angular/core@16.0.0", "npm", "@angular/core"),
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "Maven",
            "org.apache.logging.log4j:log4j-core",
        ),
        ("pkg:golang/github.com/gin-gonic/gin@v1.9.0", "Go", "github.com/gin-gonic/gin"),
    ],
)
def test_purls_map_to_osv_packages(purl: str, ecosystem: str, name: str) -> None:
    target = target_of(_component(purl))
    assert not isinstance(target, str)
    assert (target.ecosystem, target.name) == (ecosystem, name)


def test_unmatchable_components_are_reported() -> None:
    result = match_components(
        [Component(ref="fw", name="fw"), _component("pkg:generic/openssl@3.0.13")],
        AdvisoryIndex(),
    )
    reasons = [reason for _, reason in result.unmatchable]
    assert reasons == [
        "has no purl",
        "has purl type 'generic', which no vulnerability database covers",
    ]


def _record(
    ident: str, aliases: list[str], ecosystem: str, name: str, events: list[dict], **extra: object
) -> dict:
    return {
        "id": ident,
        "aliases": aliases,
        "modified": "2024-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
        **extra,
    }


def test_aliases_join_one_flaw_and_withdrawn_is_ignored(tmp_path: Path) -> None:
    records = [
        _record(
            "PYSEC-2099-1", ["CVE-2099-1"], "PyPI", "demo", [{"introduced": "0"}, {"fixed": "2.0"}]
        ),
        _record(
            "GHSA-aaaa-bbbb-cccc",
            ["CVE-2099-1"],
            "PyPI",
            "Demo",
            [{"introduced": "1.0"}, {"fixed": "2.0"}],
        ),
        _record(
            "PYSEC-2099-2",
            [],
            "PyPI",
            "demo",
            [{"introduced": "0"}],
            withdrawn="2099-01-01T00:00:00Z",
        ),
        _record("PYSEC-2099-3", [], "PyPI", "demo", [{"introduced": "3.0"}]),
    ]
    folder = tmp_path / "osv"
    folder.mkdir()
    for record in records:
        (folder / f"{record['id']}.json").write_text(json.dumps(record), encoding="utf-8")
    index = AdvisoryIndex.build(iter_records(folder))
    assert (index.records, index.withdrawn) == (4, 1)
    result = match_components([_component("pkg:pypi/demo@1.5")], index)
    assert [f.ids for f in result.findings] == [
        ("CVE-2099-1", "GHSA-aaaa-bbbb-cccc", "PYSEC-2099-1")
    ]
    assert result.findings[0].fixed_versions == ("2.0",)
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for record in records:
            zf.writestr(f"{record['id']}.json", json.dumps(record))
    assert AdvisoryIndex.build(iter_records(archive)).records == 4


def test_explicit_versions_list_matches_when_ranges_do_not() -> None:
    record = parse_record(
        {
            "id": "X-1",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"}, "versions": ["1.2.3"]}],
        },
        "test",
    )
    index = AdvisoryIndex.build([record])
    assert match_components([_component("pkg:pypi/demo@1.2.3")], index).findings
    assert not match_components([_component("pkg:pypi/demo@1.2.4")], index).findings


def test_npm_and_maven_orderings() -> None:
    npm = parse_record(
        _record("N-1", [], "npm", "lodash", [{"introduced": "0"}, {"fixed": "4.17.21"}]), "t"
    )
    maven = parse_record(
        _record("M-1", [], "Maven", "org.example:lib", [{"introduced": "2.0"}, {"fixed": "2.10"}]),
        "t",
    )
    index = AdvisoryIndex.build([npm, maven])
    hits = match_components(
        [
            _component("pkg:npm/lodash@4.17.20"),
            _component("pkg:npm/lodash@4.17.21"),
            _component("pkg:maven/org.example/lib@2.9"),
            _component("pkg:maven/org.example/lib@2.10"),
        ],
        index,
    ).findings
    assert [(f.component, f.id) for f in hits] == [
        ("pkg:maven/org.example/lib@2.9", "M-1"),
        ("pkg:npm/lodash@4.17.20", "N-1"),
    ]


def test_feed_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="no such file"):
        list(iter_records(tmp_path / "missing"))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(FeedError, match=r"x\.json: cannot parse"):
        list(iter_records(bad))
    (tmp_path / "kev.json").write_text("[]", encoding="utf-8")
    with pytest.raises(FeedError, match="not a CISA KEV catalog"):
        load_kev(tmp_path / "kev.json")


@pytest.mark.shared_data("kev/known_exploited_vulnerabilities.json")
def test_real_kev_catalog() -> None:
    catalog = load_kev(SHARED_DATA / "kev" / "known_exploited_vulnerabilities.json")
    assert len(catalog) == 1404
    assert "CVE-2021-44228" in catalog
