"""Content-Type parsing, media matching and body decoding."""

from __future__ import annotations

import pytest

from pluginlab_tui.validation.media import (
    BodyError,
    decode_text,
    kind_of,
    match_media,
    parse_content_type,
    parse_form,
    parse_json,
)


def test_content_type_and_kind() -> None:
    ct = parse_content_type('Application/JSON; Charset="UTF-8"')
    assert ct is not None and (ct.mime, ct.charset, ct.kind) == (
        "application/json",
        "utf-8",
        "json",
    )
    assert parse_content_type("") is None
    assert kind_of("application/problem+json") == "json"
    assert kind_of("application/x-www-form-urlencoded") == "form"
    assert kind_of("text/plain") == "text"
    assert kind_of("image/png") == "other"


def test_match_exact_then_wildcards() -> None:
    declared = ["application/json; charset=utf-8", "text/*", "*/*"]
    assert match_media("application/json", declared) == "application/json; charset=utf-8"
    assert match_media("text/csv", declared) == "text/*"
    assert match_media("image/png", declared) == "*/*"
    assert match_media("image/png", ["application/json"]) is None


def test_decoding_errors_are_body_errors() -> None:
    assert decode_text("Zoë".encode("latin-1"), "iso-8859-1") == "Zoë"
    with pytest.raises(BodyError) as bad:
        decode_text(b"\xff", None)
    assert bad.value.keyword == "encoding"
    with pytest.raises(BodyError) as unknown:
        decode_text(b"x", "klingon")
    assert unknown.value.keyword == "charset"
    for text in ("{", "NaN", "[1,]", "[" * 100_000):
        with pytest.raises(BodyError) as err:
            parse_json(text)
        assert err.value.keyword == "json"


def test_form() -> None:
    assert parse_form("a=1&b=&a=2&c=x%20y") == {"a": ["1", "2"], "b": "", "c": "x y"}
