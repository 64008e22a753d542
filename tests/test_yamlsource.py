"""The YAML reader: YAML 1.2 values, positions, and refusal of hostile or excluded input."""

from __future__ import annotations

import io
import math
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from cyberfile.load.yamlsource import YamlProblem, parse_document, read_document

P = Path("t.yaml")


def problem(text: str) -> YamlProblem:
    with pytest.raises(YamlProblem) as info:
        parse_document(text, P)
    return info.value


def test_yaml_1_2_scalars() -> None:
    doc = parse_document(
        "a: on\nb: yes\nc: no\nd: true\ne: 2026-09-01\nf: 0o17\ng: 0x1F\nh: 1.5\n"
        "i: ~\nj: '7'\nk: .inf\nl: 010\nm: 1_000\n",
        P,
    )
    assert doc.data == {
        "a": "on",
        "b": "yes",
        "c": "no",
        "d": True,
        "e": "2026-09-01",
        "f": 15,
        "g": 31,
        "h": 1.5,
        "i": None,
        "j": "7",
        "k": math.inf,
        "l": 10,
        "m": "1_000",
    }


def test_positions_of_values_and_keys() -> None:
    doc = parse_document("threats:\n  - id: THR-001\n    controls: [CTL-A, CTL-B]\n", P)
    assert doc.source.values[("threats", 0, "controls", 1)][1:] == (3, 23)
    assert doc.source.keys[("threats", 0, "controls")][1:] == (3, 5)
    assert doc.source.value(("threats", 0, "missing", 3))[1:] == (2, 5)


def test_numbers_keep_their_written_text() -> None:
    doc = parse_document("version: 2.10\n", P)
    assert doc.data["version"] == 2.1
    assert doc.source.numbers[("version",)] == "2.10"


@pytest.mark.parametrize(
    ("text", "code", "line", "words"),
    [
        ("a: 1\nb: 2\na: 3\n", "CF103", 3, "duplicate key 'a' (first at line 1)"),
        ("a: &x 1\nb: *x\n", "CF102", 1, "anchors"),
        ("a: !!python/object/apply:os.system ['echo hi']\n", "CF102", 1, "tags"),
        ("a: !custom 1\n", "CF102", 1, "tags"),
        ("", "CF104", 1, "empty"),
        ("# only a comment\n", "CF104", 1, "empty"),
        ("- a\n- b\n", "CF104", 1, "found a list"),
        ("just text\n", "CF104", 1, "single value"),
        ("a: 1\n---\nb: 2\n", "CF104", 2, "second YAML document"),
        ("a:\n\tb: 1\n", "CF100", 2, "invalid YAML"),
        ("a: [1, 2\nb: 3\n", "CF100", 2, "invalid YAML"),
        ("a: 1\nb: \x00\x01\x02\n", "CF100", 2, "control character"),
        ("? [x, y]\n: 1\n", "CF100", 1, "mapping key must be a plain name"),
    ],
)
def test_refusals_have_a_code_and_line(text: str, code: str, line: int, words: str) -> None:
    found = problem(text)
    assert found.code == code
    assert found.position.line == line
    assert words in found.message


def test_tab_indentation_gets_a_tab_hint() -> None:
    found = problem("threats:\n\t- id: THR-001\n")
    assert found.hint is not None and "tabs" in found.hint


def test_alias_bomb_fails_fast() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20)
    )
    start = time.perf_counter()
    found = problem(bomb)
    assert found.code == "CF102"
    assert time.perf_counter() - start < 5  # generous: guards against expansion, not speed


@pytest.mark.parametrize("style", ["flow", "block"])
def test_ten_thousand_deep_nesting_fails_cleanly(style: str) -> None:
    depth = 10_000
    if style == "flow":
        text = "a: " + "[" * depth + "]" * depth + "\n"
    else:
        text = "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v\n"
    found = problem(text)
    assert found.code in ("CF100", "CF102")
    assert found.position.line >= 1


def test_binary_garbage_and_invalid_utf8(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.yaml"
    garbage.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(YamlProblem) as info:
        read_document(garbage)
    found = info.value
    assert found.code in ("CF100", "CF101")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(b"a: 1\ntitle: Pumpe f\xfcr Station\n")
    with pytest.raises(YamlProblem) as info:
        read_document(latin1)
    found = info.value
    assert (found.code, found.position.line, found.position.column) == ("CF101", 2, 15)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert read_document(path).data == {"a": 1}


# Property: for any JSON-like document, the reader gives back what a YAML writer wrote,
# and every value has a position.
keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    # printable text; YAML parsers disagree on exotic line breaks such as U+0085
    # libyaml (YAML 1.1 syntax) reads a few plain scalars a 1.2 writer emits differently:
    # text starting with an indicator, like `:0` or `?0` in flow style (docs/format.md)
    st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=20).filter(
        lambda s: not s.startswith((":", "?", "-"))
    ),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)
    ),
    max_leaves=20,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(_paths(value, (*prefix, index)))
    return out


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, values, min_size=1, max_size=5))
@pytest.mark.slow
def test_round_trip_of_written_yaml(data: dict[str, Any]) -> None:
    for flow in (False, True):
        writer = YAML(typ="safe", pure=True)  # a YAML 1.2 writer
        writer.default_flow_style = flow
        stream = io.StringIO()
        writer.dump(data, stream)
        doc = parse_document(stream.getvalue(), P)
        assert doc.data == data
        for path in _paths(data):
            assert path in doc.source.values
