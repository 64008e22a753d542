"""CVE JSON 5 records: reading, naming, the versions algorithm, the index, compiled files.

Expected results are worked out by hand from the records in
../shared/data/cve/vulnrichment-subset.zip (each test quotes the parts of the record it
relies on), or from the CVE schema's own examples (cve-schema docs/versions.md).
"""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cyberfile.errors import InputError
from cyberfile.model.manifest import Matching
from cyberfile.vulndb.cve import (
    AliasTable,
    ComponentName,
    CveIndex,
    CveReadStats,
    CveRecord,
    FeedError,
    NameFilter,
    count_cve_records,
    iter_cve_records,
    match_record,
    normalise_name,
    parse_cpe,
    parse_cve_record,
    read_compiled_files,
    read_cve_feed,
    settled_by_compiled_files,
)
from cyberfile.vulndb.cve_versions import (
    VersionChange,
    VersionItem,
    bound_key,
    compare_versions,
    natural_key,
    resolve,
    unknown_reason,
)

from .conftest import shared_data_path

SUBSET = "cve/vulnrichment-subset.zip"
needs_subset = pytest.mark.shared_data(SUBSET)

KERNEL = "cpe:2.3:o:linux:linux_kernel:{}:*:*:*:*:*:*:*"
OPENSSL = "cpe:2.3:a:openssl:openssl:{}:*:*:*:*:*:*:*"
CURL = "cpe:2.3:a:haxx:curl:{}:*:*:*:*:*:*:*"


def raw_member(member: str) -> bytes:
    with zipfile.ZipFile(shared_data_path(SUBSET)) as archive:
        return archive.read(member)


def record(member: str) -> CveRecord:
    return parse_cve_record(json.loads(raw_member(member)), member)


def verdict(rec: CveRecord, cpe: str, version: str | None = None) -> str | None:
    match = match_record(rec, ComponentName.parse(cpe), version)
    return None if match is None else match.verdict


# --------------------------------------------------------------------------- natural order

DIGITS = "0123456789"


def reference_runs(text: str) -> list[str]:
    """Split by hand, character by character (independent of the regex in the module)."""
    s = text.strip()
    if len(s) >= 2 and s[0] == "v" and s[1] in DIGITS:
        s = s[1:]
    runs: list[str] = []
    i = 0
    while i < len(s):
        digit = s[i] in DIGITS
        j = i
        while j < len(s) and (s[j] in DIGITS) == digit:
            j += 1
        runs.append(s[i:j])
        i = j
    return runs


def reference_compare(a: str, b: str) -> int:
    """DESIGN.md rule 2, spelled out: digit runs numerically, other runs lexically, a digit
    run before any other run, a missing run first."""
    ra, rb = reference_runs(a), reference_runs(b)
    for x, y in zip(ra, rb, strict=False):
        x_digit, y_digit = x[0] in DIGITS, y[0] in DIGITS
        if x_digit and y_digit:
            if int(x) != int(y):
                return -1 if int(x) < int(y) else 1
        elif x_digit != y_digit:
            return -1 if x_digit else 1
        elif x != y:
            return -1 if x < y else 1
    return (len(ra) > len(rb)) - (len(ra) < len(rb))


versions_text = st.text(alphabet=st.sampled_from(list("0123456789.-_~+:abrvzV *")), max_size=14)


@given(versions_text, versions_text)
def test_natural_order_agrees_with_a_reference_implementation(a: str, b: str) -> None:
    assert compare_versions(a, b) == reference_compare(a, b)
    assert compare_versions(b, a) == -compare_versions(a, b)


@given(st.lists(versions_text, min_size=3, max_size=3))
def test_natural_order_is_transitive(triple: list[str]) -> None:
    a, b, c = sorted(triple, key=natural_key)
    assert compare_versions(a, b) <= 0
    assert compare_versions(b, c) <= 0
    assert compare_versions(a, c) <= 0


@given(st.text(max_size=10), st.text(max_size=10))
def test_natural_order_on_any_text(a: str, b: str) -> None:
    assert compare_versions(a, b) == reference_compare(a, b)


def test_natural_order_examples() -> None:
    ordered = ["0", "1.2", "1.2.0", "1.2.9", "1.2.10", "1.2a", "1.10", "2", "r34p0", "r40p0"]
    scrambled = ["1.10", "r40p0", "1.2.0", "0", "1.2a", "2", "1.2.10", "r34p0", "1.2", "1.2.9"]
    assert sorted(scrambled, key=natural_key) == ordered
    assert compare_versions("v5.10.1", "5.10.1") == 0  # leading v before a digit
    assert compare_versions(" 6.1 ", "6.1") == 0  # whitespace stripped
    assert compare_versions("vendor", "5") == 1  # a v before a letter is kept; digits first
    assert compare_versions("1.1.1w", "1.1.1za") == -1  # OpenSSL letter releases
    assert compare_versions("1.1.1za", "1.1.1zb") == -1
    assert compare_versions("01", "1") == 0
    assert compare_versions("1." + "9" * 5000, "1." + "1" + "0" * 5000) == -1  # no int limit


def test_a_trailing_star_is_unbounded_at_its_position() -> None:
    upper = bound_key("5.10.*")
    assert natural_key("5.10.250") < upper
    assert natural_key("5.10") < upper
    assert natural_key("5.11") > upper
    assert natural_key("5.9.999") < upper
    assert natural_key("9999") < bound_key("*")
    assert natural_key("2.9.9") < bound_key("2.*") < natural_key("3.0")


# --------------------------------------------------------------------------- versions algorithm


def test_changes_follow_the_schema_example() -> None:
    # cve-schema docs/versions.md, "Version Status Changes": 2.0.0 up to the 2.x series,
    # fixed in 2.5.2, broken again in 2.6.0, fixed in 2.6.3. The changes are given out of
    # order: clients must re-sort them. No defaultStatus: unknown outside the range.
    items = [
        VersionItem(
            "2.0.0",
            "affected",
            "semver",
            less_than="2.*",
            changes=(
                VersionChange("2.6.3", "unaffected"),
                VersionChange("2.5.2", "unaffected"),
                VersionChange("2.6.0", "affected"),
            ),
        )
    ]
    expected = {
        "1.9.9": "unknown",
        "2.0.0": "affected",
        "2.5.1": "affected",
        "2.5.2": "unaffected",
        "2.5.9": "unaffected",
        "2.6.0": "affected",
        "2.6.2": "affected",
        "2.6.3": "unaffected",
        "2.99": "unaffected",
        "3.0.0": "unknown",
    }
    for version, status in expected.items():
        assert resolve(items, None, version) == status, version
        assert resolve(items, "unaffected", version) == (
            "unaffected" if status == "unknown" else status
        ), version


def test_first_matching_item_wins_and_single_versions_match_exactly() -> None:
    items = [
        VersionItem("2.4", "affected"),
        VersionItem("2.0", "unaffected", "custom", less_than_or_equal="2.9"),
    ]
    assert resolve(items, "affected", "2.4") == "affected"  # first item, though also in 2
    assert resolve(items, "affected", "2.4.0") == "unaffected"  # 2.4.0 is not 2.4
    assert resolve(items, "affected", "2.9") == "unaffected"  # lessThanOrEqual is inclusive
    assert resolve(items, "affected", "2.9.1") == "affected"  # default
    assert resolve([VersionItem("1.0", "affected", "custom", less_than="2.0")], None, "2.0") == (
        "unknown"
    )  # lessThan is exclusive, defaultStatus absent


@pytest.mark.parametrize(
    ("item", "unknown"),
    [
        (VersionItem("0", "affected", "git", less_than="e6412ba3b650"), "versionType git"),
        (VersionItem("0", "affected", "GIT", less_than="6.8"), "versionType git"),
        (VersionItem("< 2.4", "affected"), "free-text"),
        (VersionItem("1.0, 1.1", "affected"), "free-text"),
        (VersionItem("0", "affected", "custom", less_than=">=3"), "free-text"),
        (VersionItem("1da177e4c3f4", "affected", "custom", less_than="6.1"), "commit id"),
        (
            VersionItem(
                "0",
                "affected",
                "custom",
                less_than="6.1",
                changes=(VersionChange("cf1d16ea2f1086c0765348344b70aa2361436642", "unaffected"),),
            ),
            "commit id",
        ),
        (VersionItem("20240101", "affected"), None),  # hex digits but no letter
        (VersionItem("deadbeef", "affected"), None),  # hex letters but no digit
        (VersionItem("4.19.90-2109.1.0.0108", "affected", "custom", less_than="5.*"), None),
        (VersionItem("r34p0", "affected", "patch", less_than_or_equal="r40p0"), None),
    ],
)
def test_entries_unknown_as_a_whole(item: VersionItem, unknown: str | None) -> None:
    reason = unknown_reason([VersionItem("1.0", "unaffected"), item])
    if unknown is None:
        assert reason is None
    else:
        assert reason is not None and unknown in reason


# --------------------------------------------------------------------------- naming and aliases


def test_cpe_parsing() -> None:
    assert parse_cpe("cpe:2.3:o:linux:linux_kernel:5.10.120:*:*:*:*:*:*:*") == (
        "o",
        "linux",
        "linux_kernel",
        "5.10.120",
    )
    assert parse_cpe("cpe:/o:redhat:enterprise_linux:8::baseos") == (
        "o",
        "redhat",
        "enterprise_linux",
        "8",
    )
    assert parse_cpe("cpe:2.3:a:w1.fi:wpa_supplicant:*:*:*:*:*:*:*:*") == (
        "a",
        "w1_fi",
        "wpa_supplicant",
        None,
    )
    assert parse_cpe("cpe:2.3:a:acme:foo\\:bar:1.0\\:beta:*:*:*:*:*:*:*") == (
        "a",
        "acme",
        "foo_bar",
        "1.0:beta",
    )
    assert parse_cpe("cpe:2.3:a:gnu:glibc:-:*:*:*:*:*:*:*") == ("a", "gnu", "glibc", None)
    assert parse_cpe("cpe:2.3:a:gnu:glibc:2.3*:*:*:*:*:*:*:*") == ("a", "gnu", "glibc", None)
    assert parse_cpe("pkg:generic/linux@6.1") is None


def test_normalisation() -> None:
    assert normalise_name("The GNU C Library") == "the_gnu_c_library"
    assert normalise_name("zephyrproject-rtos") == "zephyrproject_rtos"
    assert normalise_name("  Python Software Foundation!! ") == "python_software_foundation"
    assert normalise_name("w1.fi") == "w1_fi"


def test_builtin_aliases_required_by_the_design() -> None:
    table = AliasTable.builtin()
    kernel = table.names(("linux", "linux_kernel"))
    assert ("linux", "linux") in kernel
    assert ("curl", "curl") in table.names(("haxx", "curl"))
    assert ("the_gnu_c_library", "glibc") in table.names(("gnu", "glibc"))
    python = table.names(("python", "python"))
    assert {("python", "cpython"), ("python_software_foundation", "cpython")} <= python
    assert table.names(("acme", "widget")) == {("acme", "widget")}


def test_aliases_from_the_manifest_extend_the_table() -> None:
    matching = Matching(cpe_aliases=(("acme:widget", "Acme_Inc.:Widget"),))
    table = AliasTable.for_matching(matching)
    assert table.names(("acme", "widget")) == {("acme", "widget"), ("acme_inc", "widget")}
    assert ("linux", "linux") in table.names(("linux", "linux_kernel"))  # built-ins kept
    assert AliasTable.for_matching(Matching()) is AliasTable.builtin()


@needs_subset
def test_the_kernel_alias_names_linux_cna_records() -> None:
    # CVE-2024-27399: the kernel CNA writes vendor "Linux", product "Linux"; no ADP entry.
    rec = record("2024/27xxx/CVE-2024-27399.json")
    component = ComponentName.parse(KERNEL.format("5.10.120"))
    match = match_record(rec, component)
    assert match is not None
    assert {(m.name, m.via) for m in match.entries} == {(("linux", "linux"), "vendor/product")}
    assert match_record(rec, component, aliases=AliasTable()) is None  # without the alias
    assert verdict(rec, "cpe:2.3:o:linux:linux:5.10.120:*:*:*:*:*:*:*") == "affected"


# --------------------------------------------------------------------------- real records


@needs_subset
def test_linux_cna_record_with_stable_streams_and_program_files() -> None:
    # CVE-2024-27399 "Bluetooth: l2cap: fix null-ptr-deref in l2cap_chan_timeout".
    # CNA entry 1: git ranges only -> unknown as a whole. CNA entry 2, defaultStatus
    # affected: 3.4 affected; 0 <= V < 3.4 unaffected; unaffected from 4.19.314 to 4.19.*,
    # 5.4.276..5.4.*, 5.10.217..5.10.*, 5.15.159..5.15.*, 6.1.91..6.1.*, 6.6.31..6.6.*,
    # 6.8.10..6.8.*; 6.9 <= V <= * unaffected. programFiles net/bluetooth/l2cap_core.c.
    rec = record("2024/27xxx/CVE-2024-27399.json")
    assert [e.unknown for e in rec.affected] == [True, False]
    assert rec.affected[0].unknown_reason == "versionType git"
    expected = {
        "5.10.120": "affected",  # below the 5.10 fix: default
        "5.10.216": "affected",
        "5.10.217": "not_affected",  # the fix itself
        "5.10.250": "not_affected",  # later 5.10.x: lessThanOrEqual 5.10.*
        "5.15.100": "affected",
        "5.15.159": "not_affected",
        "6.1.75": "affected",
        "6.1.91": "not_affected",
        "6.1.120": "not_affected",
        "6.7.5": "affected",  # 6.7 has no fixed stream: between 6.6.* and 6.8.10
        "6.9": "not_affected",
        "6.10.3": "not_affected",  # 6.9 <= V <= *
        "3.3": "not_affected",  # before the bug: 0 <= V < 3.4
        "3.4": "affected",
    }
    for version, outcome in expected.items():
        assert verdict(rec, KERNEL.format(version)) == outcome, version
    match = match_record(rec, ComponentName.parse(KERNEL.format("5.10.120")))
    assert match is not None
    assert [m.status for m in match.entries] == ["unknown", "affected"]
    assert match.naming_cna_entry is rec.affected[1]
    assert match.naming_cna_entry.program_files == ("net/bluetooth/l2cap_core.c",)


@needs_subset
def test_versions_with_changes_in_a_real_record() -> None:
    # CVE-2024-1709 (ConnectWise ScreenConnect, KEV): CNA 0 <= V <= 23.9.7 affected with a
    # change at 23.9.8 to unaffected (outside the range, so it never applies), default
    # unaffected; CISA ADP the same range, default unaffected, CPE version "-".
    rec = record("2024/1xxx/CVE-2024-1709.json")
    cpe = "cpe:2.3:a:connectwise:screenconnect:{}:*:*:*:*:*:*:*"
    assert verdict(rec, cpe.format("23.3.1")) == "affected"
    assert verdict(rec, cpe.format("23.9.7")) == "affected"
    assert verdict(rec, cpe.format("23.9.8")) == "not_affected"
    assert verdict(rec, cpe.format("24.1")) == "not_affected"
    assert rec.kev is not None and rec.kev.date_added == date(2024, 2, 22)


@needs_subset
def test_openssl_less_than_ranges() -> None:
    # CVE-2024-4603: CNA and CISA ADP: affected 3.0.0 <= V < 3.0.14, 3.1.0..<3.1.6,
    # 3.2.0..<3.2.2, 3.3.0..<3.3.1; defaultStatus unaffected in both.
    rec = record("2024/4xxx/CVE-2024-4603.json")
    assert verdict(rec, OPENSSL.format("3.0.13")) == "affected"
    assert verdict(rec, OPENSSL.format("3.0.14")) == "not_affected"
    assert verdict(rec, OPENSSL.format("3.1.5")) == "affected"
    assert verdict(rec, OPENSSL.format("3.3.1")) == "not_affected"
    assert verdict(rec, OPENSSL.format("1.1.1w")) == "not_affected"
    assert rec.cwes == ("CWE-606", "CWE-834")  # CNA's, then CISA ADP's
    # CVE-2024-5535: CNA also 1.1.1 <= V < 1.1.1za and 1.0.2 <= V < 1.0.2zk (letters).
    rec = record("2024/5xxx/CVE-2024-5535.json")
    assert verdict(rec, OPENSSL.format("1.1.1w")) == "affected"
    assert verdict(rec, OPENSSL.format("1.1.1za")) == "not_affected"
    assert verdict(rec, OPENSSL.format("1.0.2u")) == "affected"
    assert verdict(rec, OPENSSL.format("3.0.14")) == "affected"  # 3.0.0 <= V < 3.0.15
    assert verdict(rec, OPENSSL.format("3.0.15")) == "not_affected"


@needs_subset
def test_curl_single_version_ranges_and_cvss_from_the_adp() -> None:
    # CVE-2024-8096: the curl CNA ("curl" / "curl", reached through haxx:curl) lists each
    # release from 7.41.0 to 8.9.1 as `version X, lessThanOrEqual X`, default unaffected;
    # CISA ADP: 7.41.0 <= V <= 8.9.1 affected, default unknown. Only the ADP has CVSS.
    rec = record("2024/8xxx/CVE-2024-8096.json")
    assert verdict(rec, CURL.format("8.9.1")) == "affected"
    assert verdict(rec, CURL.format("7.41.0")) == "affected"
    match = match_record(rec, ComponentName.parse(CURL.format("8.10.0")))
    assert match is not None
    assert [(m.entry.container, m.status) for m in match.entries] == [
        ("cna", "unaffected"),
        ("CISA-ADP", "unknown"),
    ]
    assert match.verdict == "not_affected" and not match.version_unknown
    assert rec.cvss is not None
    assert (rec.cvss.version, rec.cvss.source) == ("3.1", "CISA-ADP")
    assert rec.cvss.vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N"
    assert rec.title == "OCSP stapling bypass with GnuTLS"


@needs_subset
def test_an_unknown_default_is_flagged() -> None:
    # CVE-2023-38545 (SOCKS5 heap overflow): the curl CNA's only entry has empty ranges
    # (8.4.0 <= V < 8.4.0 affected, 7.69.0 <= V < 7.69.0 unaffected) and no defaultStatus.
    # Its versions are plain, so it is not unknown as a whole, but for curl 8.0.0 it resolves
    # to the absent default (unknown). No naming entry says unaffected, so the record is
    # undetermined (manual assessment), never a clean not_affected; flagged `version_unknown`.
    rec = record("2023/38xxx/CVE-2023-38545.json")
    match = match_record(rec, ComponentName.parse(CURL.format("8.0.0")))
    assert match is not None
    assert [m.status for m in match.entries] == ["unknown"]
    assert match.verdict == "undetermined"
    assert match.version_unknown
    assert rec.ssvc is not None  # CISA writes "PoC", "No", "Total" here
    assert (rec.ssvc.exploitation, rec.ssvc.automatable, rec.ssvc.technical_impact) == (
        "poc",
        "no",
        "total",
    )
    assert rec.kev is None


@needs_subset
def test_free_text_and_git_versions_are_undetermined() -> None:
    # CVE-2019-1547: the OpenSSL CNA writes "Fixed in OpenSSL 1.1.1d (Affected
    # 1.1.1-1.1.1c)" (spaces) and nobody else names OpenSSL: undetermined for any version,
    # even 1.1.1c which the text calls affected.
    rec = record("2019/1xxx/CVE-2019-1547.json")
    assert verdict(rec, OPENSSL.format("1.1.1c")) == "undetermined"
    assert verdict(rec, OPENSSL.format("3.0.13")) == "undetermined"
    # CVE-2023-5563: the Zephyr CNA ("zephyrproject-rtos" / "Zephyr") gives release numbers
    # with versionType git (3.3 .. 3.4): unknown as a whole; no ADP entry names Zephyr.
    rec = record("2023/5xxx/CVE-2023-5563.json")
    zephyr = "cpe:2.3:o:zephyrproject:zephyr:{}:*:*:*:*:*:*:*"
    assert verdict(rec, zephyr.format("3.4.0")) == "undetermined"
    assert verdict(rec, zephyr.format("3.7.0")) == "undetermined"
    # CVE-2019-1010023: "GNU Libc" / "glibc", version "current (At least as of 2018-02-16)".
    rec = record("2019/1010xxx/CVE-2019-1010023.json")
    assert verdict(rec, "cpe:2.3:a:gnu:glibc:2.39:*:*:*:*:*:*:*") == "undetermined"


@needs_subset
def test_a_record_named_only_by_the_cisa_adp_cpe() -> None:
    # CVE-2023-45853 (MiniZip in zlib): CNA "n/a" / "n/a"; CISA ADP cpes
    # [cpe:2.3:a:zlib:zlib:*:...], 0 <= V < 1.3 affected, defaultStatus unknown.
    rec = record("2023/45xxx/CVE-2023-45853.json")
    zlib_cpe = "cpe:2.3:a:zlib:zlib:{}:*:*:*:*:*:*:*"
    match = match_record(rec, ComponentName.parse(zlib_cpe.format("1.2.13")))
    assert match is not None and match.verdict == "affected"
    assert [(m.entry.container, m.via) for m in match.entries] == [("CISA-ADP", "cpe")]
    later = match_record(rec, ComponentName.parse(zlib_cpe.format("1.3.1")))
    # 1.3.1 is past the affected range, but the entry's default is unknown and no entry says
    # unaffected: undetermined, for manual assessment
    assert later is not None and later.verdict == "undetermined" and later.version_unknown
    # The part must agree for the CPE route; the ADP's vendor/product still name it.
    other_part = match_record(rec, ComponentName.parse("cpe:2.3:o:zlib:zlib:1.2.13:*:*:*:*:*:*:*"))
    assert other_part is not None and [m.via for m in other_part.entries] == ["vendor/product"]
    # CVE-2024-2466: only CISA ADP names libcurl (cpe:2.3:a:curl:libcurl:8.5.0, 8.5.0 <= V
    # <= 8.6.0 affected, default unaffected); haxx:libcurl reaches it through the alias.
    rec = record("2024/2xxx/CVE-2024-2466.json")
    libcurl = "cpe:2.3:a:haxx:libcurl:{}:*:*:*:*:*:*:*"
    assert verdict(rec, libcurl.format("8.6.0")) == "affected"
    assert verdict(rec, libcurl.format("8.7.1")) == "not_affected"


@needs_subset
def test_ssvc_kev_cvss_and_dates_of_a_kev_listed_record() -> None:
    # CVE-2024-1086 (nf_tables use-after-free), in CISA's KEV catalog since 2024-05-30.
    rec = record("2024/1xxx/CVE-2024-1086.json")
    assert rec.id == "CVE-2024-1086" and rec.state == "PUBLISHED"
    assert rec.published == date(2024, 1, 31) and rec.updated == date(2024, 8, 1)
    assert rec.assigner == "Google"
    assert rec.title == "Use-after-free in Linux kernel's netfilter: nf_tables component"
    assert rec.ssvc is not None
    assert (rec.ssvc.exploitation, rec.ssvc.automatable, rec.ssvc.technical_impact) == (
        "active",
        "no",
        "total",
    )
    assert rec.kev is not None and rec.kev.date_added == date(2024, 5, 30)
    assert rec.kev.reference is not None and rec.kev.reference.endswith("CVE-2024-1086")
    assert rec.cvss is not None
    assert (rec.cvss.version, rec.cvss.source) == ("3.1", "cna")
    assert rec.cvss.vector == "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"
    assert rec.cwes == ("CWE-416",)
    # CNA "Linux" / "Kernel" (alias linux:kernel) 3.15 <= V < 6.8, default unaffected; CISA
    # ADP linux:linux_kernel, same range, default unknown.
    assert [(e.container, e.key) for e in rec.affected] == [
        ("cna", ("linux", "kernel")),
        ("CISA-ADP", ("linux", "linux_kernel")),
    ]
    assert verdict(rec, KERNEL.format("6.1.75")) == "affected"
    assert verdict(rec, KERNEL.format("6.8")) == "not_affected"
    assert verdict(rec, KERNEL.format("3.14")) == "not_affected"


@needs_subset
def test_an_entry_without_versions_is_affected_at_its_cpe_version() -> None:
    # Built from CVE-2024-1086's CISA ADP entry without its versions: the CPE
    # cpe:2.3:o:linux:linux_kernel:3.15 then says "affected at 3.15"; default unknown.
    doc: dict[str, Any] = json.loads(raw_member("2024/1xxx/CVE-2024-1086.json"))
    doc["containers"]["cna"]["affected"] = []
    del doc["containers"]["adp"][1]["affected"][0]["versions"]
    rec = parse_cve_record(doc, "edited CVE-2024-1086")
    assert verdict(rec, KERNEL.format("3.15")) == "affected"
    match = match_record(rec, ComponentName.parse(KERNEL.format("3.16")))
    assert match is not None and match.entries[0].status == "unknown"
    # A component without a version cannot be evaluated at all.
    assert verdict(rec, "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*") == "undetermined"


# --------------------------------------------------------------------------- reading


def synthetic(cve_id: str, state: str = "PUBLISHED", vendor: str = "Acme") -> dict[str, Any]:
    cna: dict[str, Any] = {
        "providerMetadata": {"orgId": "00000000-0000-4000-8000-000000000000"},
        "affected": [
            {
                "vendor": vendor,
                "product": "Widget",
                "versions": [
                    {
                        "version": "1.0",
                        "lessThan": "1.4",
                        "versionType": "semver",
                        "status": "affected",
                    }
                ],
                "defaultStatus": "unaffected",
            }
        ],
        "descriptions": [{"lang": "en", "value": "A flaw in\n the widget."}],
    }
    if state != "PUBLISHED":
        cna = {"rejectedReasons": [{"lang": "en", "value": "Duplicate."}]}
    return {
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {"cveId": cve_id, "state": state, "assignerShortName": "acme"},
        "containers": {"cna": cna},
    }


def write(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, encoding="utf-8")


def test_records_not_published_are_skipped_and_counted(tmp_path: Path) -> None:
    write(tmp_path / "2024/1xxx/CVE-2024-1000.json", synthetic("CVE-2024-1000"))
    write(tmp_path / "2024/1xxx/CVE-2024-1001.json", synthetic("CVE-2024-1001", "REJECTED"))
    stats = CveReadStats()
    records = list(iter_cve_records(tmp_path, stats=stats))
    assert [r.id for r in records] == ["CVE-2024-1000"]
    assert stats.files == 2 and stats.published == 1
    assert stats.not_published == {"REJECTED": 1} and stats.skipped == 1
    assert records[0].title == "A flaw in the widget."  # no title: the description, one line
    feed = read_cve_feed(tmp_path)
    assert feed.skipped == 1 and len(feed.records) == 1
    widget = "cpe:2.3:a:acme:widget:{}:*:*:*:*:*:*:*"
    assert verdict(records[0], widget.format("1.3.9")) == "affected"
    assert verdict(records[0], widget.format("1.4")) == "not_affected"


@needs_subset
@pytest.mark.parametrize("layout", ["cves/{}", "{}", "flat"])
def test_folder_layouts(tmp_path: Path, layout: str) -> None:
    members = [
        "2024/1xxx/CVE-2024-1086.json",
        "2024/4xxx/CVE-2024-4603.json",
        "2019/1xxx/CVE-2019-1547.json",
    ]
    for member in members:
        relative = member.rsplit("/", 1)[1] if layout == "flat" else layout.format(member)
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(raw_member(member))
    # cvelistV5 keeps other JSON beside the records; it is not a record and is ignored.
    write(tmp_path / "cves" / "delta.json", {"new": []})
    assert count_cve_records(tmp_path) == 3
    seen: list[int] = []
    ids = sorted(r.id for r in iter_cve_records(tmp_path, progress=seen.append))
    assert ids == ["CVE-2019-1547", "CVE-2024-1086", "CVE-2024-4603"]
    assert seen == [1, 1, 1]


@needs_subset
def test_the_real_zip() -> None:
    path = shared_data_path(SUBSET)
    assert count_cve_records(path) == 4661
    feed = read_cve_feed(path)
    assert len(feed.records) == 4661 and feed.skipped == 0
    assert feed.records[0].origin.endswith("!1999/0xxx/CVE-1999-0043.json")
    kev = [r.id for r in feed.records if r.kev is not None]
    assert "CVE-2024-1086" in kev and len(kev) == 224  # 224 records carry a kev metric


@needs_subset
@pytest.mark.slow
def test_a_name_filter_reads_only_records_that_may_name_the_project() -> None:
    path = shared_data_path(SUBSET)
    only = NameFilter.for_cpes([CURL.format("8.9.1"), "cpe:2.3:a:nobody:nothing:1:*:*:*:*:*:*:*"])
    assert {"haxx", "curl", "nobody"} <= only.vendors  # aliases' vendors included
    stats = CveReadStats()
    filtered = CveIndex.build(iter_cve_records(path, stats=stats, only=only))
    full = CveIndex.build(read_cve_feed(path).records)
    assert stats.filtered + stats.published == 4661 and stats.filtered > 4000
    for version in ("7.88.1", "8.0.0", "8.9.1"):
        got = [(m.record.id, m.verdict) for m in filtered.match(CURL.format(version))]
        assert got == [(m.record.id, m.verdict) for m in full.match(CURL.format(version))]
        assert got


def test_missing_path_corrupt_zip_and_non_json(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="no such file"):
        list(iter_cve_records(tmp_path / "missing"))
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(FeedError, match=r"corrupt\.zip"):
        list(iter_cve_records(corrupt))
    assert count_cve_records(corrupt) == 0
    folder = tmp_path / "feed"
    write(folder / "2024/1xxx/CVE-2024-1000.json", synthetic("CVE-2024-1000"))
    write(folder / "2024/1xxx/CVE-2024-1001.json", "{ not json")
    with pytest.raises(FeedError, match=r"CVE-2024-1001\.json: not JSON"):
        list(iter_cve_records(folder))
    write(folder / "2024/1xxx/CVE-2024-1001.json", {"CVE_data_meta": {"ID": "CVE-2024-1001"}})
    with pytest.raises(FeedError, match=r"CVE-2024-1001\.json: not a CVE JSON 5 record"):
        list(iter_cve_records(folder))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FeedError, match="holds no CVE"):
        list(iter_cve_records(empty))
    assert issubclass(FeedError, InputError)


def test_a_damaged_zip_member_names_the_member(tmp_path: Path) -> None:
    path = tmp_path / "feed.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("2024/1xxx/CVE-2024-1000.json", json.dumps(synthetic("CVE-2024-1000")))
        archive.writestr("2024/1xxx/CVE-2024-1001.json", json.dumps(synthetic("CVE-2024-1001")))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("2024/1xxx/CVE-2024-1001.json")
    start = info.header_offset + 30 + len(info.filename)
    data[start + 5] ^= 0xFF  # flip a byte of the compressed data
    path.write_bytes(bytes(data))
    with pytest.raises(FeedError, match=r"feed\.zip!2024/1xxx/CVE-2024-1001\.json"):
        list(iter_cve_records(path))


@pytest.mark.parametrize(
    "entry",
    [
        {"versions": [{"status": "affected"}]},  # an item without version
        {"versions": {"version": "1.0", "status": "affected"}},  # not a list
        {"versions": [{"version": "1.0", "lessThan": {"x": 1}, "status": "affected"}]},
        {"versions": None, "defaultStatus": None},  # neither: the schema forbids it
        {"versions": [{"version": "1.0", "status": "unknown"}], "defaultStatus": "unknown"},
    ],
)
def test_entries_that_cannot_say_anything_are_unknown_not_absent(entry: dict[str, Any]) -> None:
    doc = synthetic("CVE-2024-1000")
    affected = doc["containers"]["cna"]["affected"][0]
    affected.update(entry)
    for name in ("versions", "defaultStatus"):
        if affected[name] is None:
            del affected[name]
    rec = parse_cve_record(doc, "test")
    assert rec.affected[0].unknown
    assert verdict(rec, "cpe:2.3:a:acme:widget:1.2:*:*:*:*:*:*:*") == "undetermined"


# --------------------------------------------------------------------------- index


@needs_subset
@pytest.mark.slow
def test_the_index_looks_only_at_records_that_name_the_component() -> None:
    records = read_cve_feed(shared_data_path(SUBSET)).records
    index = CveIndex.build(records)
    kernel = ComponentName.parse(KERNEL.format("6.1.75"))
    candidates = index.candidates(kernel)
    names = AliasTable.builtin().names(kernel.key)
    assert candidates
    for rec in candidates:  # every candidate has an entry filed under a kernel name
        keys = {e.key for e in rec.affected} | {c.key for e in rec.affected for c in e.cpe_names}
        assert keys & names
    assert index.candidates(ComponentName.parse("cpe:2.3:a:nobody:nothing:1:*:*:*:*:*:*:*")) == []
    # More records that cannot match change nothing for the kernel.
    extra = [
        parse_cve_record(synthetic(f"CVE-2099-{n}", vendor=f"Vendor{n}"), "synthetic")
        for n in range(1000, 3000)
    ]
    bigger = CveIndex.build([*records, *extra])
    assert [r.id for r in bigger.candidates(kernel)] == [r.id for r in candidates]
    assert (
        index.has_vendor("linux") and index.has_vendor("haxx") and index.has_vendor("Zephyrproject")
    )
    assert index.has_product("haxx", "curl") and index.has_product("python", "python")
    assert not index.has_vendor("busybox") and not index.has_product("linux", "busybox")
    assert bigger.has_vendor("vendor1500")


@needs_subset
@pytest.mark.slow
def test_index_match_agrees_with_match_record() -> None:
    records = read_cve_feed(shared_data_path(SUBSET)).records
    index = CveIndex.build(records)
    for cpe in (KERNEL.format("5.10.120"), KERNEL.format("6.1.75"), OPENSSL.format("3.0.13")):
        component = ComponentName.parse(cpe)
        by_index = [(m.record.id, m.verdict) for m in index.match(cpe)]
        direct = [
            (m.record.id, m.verdict)
            for m in (match_record(r, component) for r in records)
            if m is not None
        ]
        assert by_index == direct
    cpes = [KERNEL.format("5.10.120"), CURL.format("8.9.1"), KERNEL.format("6.1.75")]
    assert [
        [(m.record.id, m.verdict) for m in found]
        for found in index.match_many((cpe, None) for cpe in cpes)
    ] == [[(m.record.id, m.verdict) for m in index.match(cpe)] for cpe in cpes]
    by_id = {m.record.id: m.verdict for m in index.match(KERNEL.format("5.10.120"))}
    assert by_id["CVE-2024-27399"] == "affected"
    assert by_id["CVE-2024-1086"] == "affected"


# --------------------------------------------------------------------------- compiled files


@needs_subset
def test_settled_by_compiled_files(tmp_path: Path) -> None:
    rec = record("2024/27xxx/CVE-2024-27399.json")  # programFiles net/bluetooth/l2cap_core.c
    match = match_record(rec, ComponentName.parse(KERNEL.format("5.10.120")))
    assert match is not None and match.naming_cna_entry is not None
    entry = match.naming_cna_entry
    listing = tmp_path / "linux-compiled-files.txt"
    listing.write_text(
        "# built for the pump\n\n./kernel/fork.c\nnet/ipv4/tcp.c\n", encoding="utf-8"
    )
    compiled = read_compiled_files(listing)
    assert compiled == {"kernel/fork.c", "net/ipv4/tcp.c"}
    assert settled_by_compiled_files(rec, entry, compiled) == ("net/bluetooth/l2cap_core.c",)
    listing.write_text("kernel/fork.c\n./net/bluetooth/l2cap_core.c\n", encoding="utf-8")
    assert settled_by_compiled_files(rec, entry, read_compiled_files(listing)) is None
    # A list written from elsewhere can only prevent a settlement.
    assert (
        settled_by_compiled_files(rec, entry, frozenset({"linux/net/bluetooth/l2cap_core.c"}))
        is None
    )
    assert settled_by_compiled_files(rec, entry, frozenset({"bluetooth/l2cap_core.c"})) is None
    assert settled_by_compiled_files(rec, entry, frozenset()) is None  # nothing to check
    # compile_commands.json: files made relative to their directory.
    commands = tmp_path / "compile_commands.json"
    commands.write_text(
        json.dumps(
            [
                {"directory": "/src/linux", "file": "/src/linux/net/bluetooth/l2cap_core.c"},
                {"directory": "/src/linux", "file": "kernel/fork.c", "command": "cc -c"},
                {"directory": "/build", "file": "/elsewhere/init/main.c"},
            ]
        ),
        encoding="utf-8",
    )
    compiled = read_compiled_files(commands)
    assert compiled == {"net/bluetooth/l2cap_core.c", "kernel/fork.c", "/elsewhere/init/main.c"}
    assert settled_by_compiled_files(rec, entry, compiled) is None
    assert "init/main.c" in read_compiled_files(commands, source_root="/elsewhere")


@needs_subset
def test_what_compiled_files_cannot_settle() -> None:
    compiled = frozenset({"kernel/fork.c"})
    # CVE-2024-27399's CNA entry with other program files (none of them compiled).
    doc: dict[str, Any] = json.loads(raw_member("2024/27xxx/CVE-2024-27399.json"))
    entry = doc["containers"]["cna"]["affected"][1]
    for files, settled in [
        (["net/bluetooth/l2cap_core.c", "include/net/bluetooth/l2cap.h"], None),
        (["net/bluetooth/Kconfig"], None),
        (["net/bluetooth/l2cap_core.c", "Documentation/networking/l2cap.rst"], True),
        (["Documentation/networking/l2cap.rst"], None),  # no translation unit at all
        (["/abs/net/bluetooth/l2cap_core.c"], None),
    ]:
        entry["programFiles"] = files
        rec = parse_cve_record(doc, "edited")
        outcome = settled_by_compiled_files(rec, rec.affected[1], compiled)
        assert (outcome == tuple(files)) if settled else outcome is None, files
    # CVE-2023-5632 (Mosquitto): programFiles is a URL; it cannot be compared with a list.
    rec = record("2023/5xxx/CVE-2023-5632.json")
    assert rec.affected[0].program_files == (
        "https://github.com/eclipse/mosquitto/blob/master/lib/packet_mosq.c",
    )
    assert settled_by_compiled_files(rec, rec.affected[0], compiled) is None
    # ADP entries never settle (rule 5 is about the CNA's programFiles).
    rec = record("2024/1xxx/CVE-2024-1086.json")
    assert settled_by_compiled_files(rec, rec.affected[1], compiled) is None


def test_compiled_file_lists_that_are_empty_or_broken(tmp_path: Path) -> None:
    empty = tmp_path / "list.txt"
    empty.write_text("# nothing yet\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="lists no source files"):
        read_compiled_files(empty)
    broken = tmp_path / "compile_commands.json"
    broken.write_text("[{", encoding="utf-8")
    with pytest.raises(InputError, match="not JSON"):
        read_compiled_files(broken)
    with pytest.raises(InputError, match="cannot read"):
        read_compiled_files(tmp_path / "missing.txt")
