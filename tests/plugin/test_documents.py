"""Loading never raises, and every value can be found in the text again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pluginlab_tui.plugin.documents import decode_bytes, load_document, read_document

YAML = """\
openapi: 3.1
info:
  title: x
  version: 2023-05-01
paths:
  /a/{id}:
    get:
      responses:
        200:
          description: ok
flag: yes
list:
  - one
  - key: two
"""


def test_yaml_data_is_read_like_yaml_1_2_with_string_keys() -> None:
    doc = load_document(YAML, "s.yaml")
    assert doc.error is None and doc.format == "yaml"
    assert doc.data["openapi"] == 3.1
    assert doc.data["info"]["version"] == "2023-05-01"  # no timestamp
    assert doc.data["flag"] == "yes"  # no YAML 1.1 booleans
    assert "200" in doc.data["paths"]["/a/{id}"]["get"]["responses"]


def test_yaml_positions() -> None:
    doc = load_document(YAML, "s.yaml")
    assert doc.position("") == (1, 1)
    assert doc.position("/openapi") == (1, 1)
    assert doc.position("/paths/~1a~1{id}/get") == (7, 5)
    assert doc.position("/paths/~1a~1{id}/get/responses/200/description") == (10, 11)
    assert doc.position("/list/1/key") == (14, 5)
    assert doc.position("/nope") is None
    assert doc.nearest_position("/paths/~1a~1{id}/post/x") == (6, 3)


def test_json_positions() -> None:
    text = '{\n  "a": [1, {"b": "x\\"y"}],\n  "c/d": {"e~f": null}\n}\n'
    doc = load_document(text, "m.json")
    assert doc.format == "json" and doc.data["a"][1]["b"] == 'x"y'
    assert doc.position("/a") == (2, 3)
    assert doc.position("/a/1") == (2, 12)
    assert doc.position("/a/1/b") == (2, 13)
    assert doc.position("/c~1d/e~0f") == (3, 11)
    assert doc.position("/a/7") is None
    assert doc.position("/a/1/b/c") is None


def test_json_with_a_bom_keeps_its_lines() -> None:
    doc = load_document('\ufeff\n{"a": 1}', "m.json")
    assert doc.data == {"a": 1} and doc.position("/a") == (2, 2)


def test_json_that_is_only_yaml_falls_back() -> None:
    doc = load_document('{"a": 1, b: [2,],}', "m.json")
    assert doc.error is None and doc.format == "yaml" and doc.data == {"a": 1, "b": [2]}


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("", 1),
        ("   \n\n", 1),
        ("<html><body>Forbidden</body></html>", 1),
        ("a: b\nc: [d\n", 3),
        ('{"a": 1,\n "b": ]', 2),
        ("a: 1\n---\nb: 2\n", 2),
        ("\x00\x01\x02", 1),
    ],
)
def test_errors_carry_a_line(text: str, line: int) -> None:
    doc = load_document(text, "x")
    assert doc.error is not None and doc.data is None
    assert doc.error.rule == "parse-error" and doc.error.line == line


def test_deep_nesting_and_aliases_do_not_raise() -> None:
    assert load_document("[" * 100_000, "x").error is not None
    assert load_document('{"a":' * 50_000, "x").error is not None
    bomb = "a: &a [x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    assert load_document(bomb, "x").error is None


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_text(text: str) -> None:
    doc = load_document(text, "x")
    assert doc.error is not None or doc.format in ("json", "yaml")


@settings(max_examples=200, deadline=None)
@given(st.binary())
def test_never_raises_on_bytes(raw: bytes) -> None:
    load_document(decode_bytes(raw), "x")


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=20,
    )
)
def test_every_json_member_is_found(value: object) -> None:
    text = json.dumps({"root": value}, indent=1)
    doc = load_document(text, "x")
    assert doc.data == {"root": value}
    assert doc.position("/root") is not None


def test_read_document_of_a_missing_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    doc = read_document(tmp_path / "nope.yaml")
    assert doc.error is not None and "cannot read" in doc.error.message


def test_decode_bytes() -> None:
    assert decode_bytes("é".encode()) == "é"
    assert decode_bytes("\ufeffa".encode()) == "a"
    assert decode_bytes("a".encode("utf-16")) == "a"
    assert decode_bytes(b"\xff\xfe\xfa") == "ÿþú" or decode_bytes(b"\xe9") == "é"


def test_an_alias_bomb_is_a_parse_error_not_an_expansion() -> None:
    from tests.bombs import alias_bomb

    doc = load_document(alias_bomb(), "bomb.yaml")
    assert doc.data is None and doc.error is not None
    assert doc.error.severity == "error"
    assert "plugin.max_spec_bytes" in doc.error.message and "alias" in doc.error.message


def test_documents_over_the_limit_are_refused(tmp_path: Path) -> None:
    text = json.dumps({"openapi": "3.1.0", "pad": "x" * 5000})
    doc = load_document(text, "big.json", max_bytes=1000)
    assert doc.error is not None and "plugin.max_spec_bytes (1,000 bytes)" in doc.error.message
    assert load_document(text, "big.json").ok
    path = tmp_path / "big.json"
    path.write_text(text)
    read = read_document(path, max_bytes=1000)
    assert read.error is not None and "5,0" in read.error.message
