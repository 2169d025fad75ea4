from __future__ import annotations

import base64

import pytest

from pluginlab_tui.access.credentials import (
    MAX_CREDENTIAL_BYTES,
    as_bytes,
    basic_candidates,
    header_values,
    matches_hash,
    new_secret,
    one_value,
    parse_authorization,
    parse_client_basic,
    same_secret,
    secret_hash,
    usable,
)

SECRET = "tok-café"
#: What callers may send in place of SECRET: none of it is SECRET, none of it may raise.
HOSTILE: list[str | bytes] = [
    b"\xff",
    SECRET.encode() + b"\xff",
    SECRET.encode("latin-1"),  # the same text in another charset is other bytes
    SECRET.encode("latin-1").decode("utf-8", "surrogateescape"),  # as mitmproxy hands it
    SECRET + "\x00",
    "\x00" + SECRET,
    SECRET + "\ud800",  # a lone surrogate, as JSON "\ud800" gives it
    "\udcff",
    b"\xed\xa0\x80",  # a surrogate spelled in bytes
    SECRET + "x" * MAX_CREDENTIAL_BYTES,
    SECRET + "\x7f",
    "",
]


def test_secrets_are_long_random_and_kept_as_hashes() -> None:
    a, b = new_secret("plk_"), new_secret("plk_")
    assert a != b and a.startswith("plk_") and len(a) >= 46
    assert secret_hash(a) != a and len(secret_hash(a)) == 64
    assert matches_hash(a, secret_hash(a)) and not matches_hash(b, secret_hash(a))
    assert same_secret("x", "x") and not same_secret("x", "y")


def test_bearer_is_read_and_malformed_headers_say_why() -> None:
    assert parse_authorization(None, "bearer") is None
    assert parse_authorization("  ", "bearer") is None
    ok = parse_authorization("Bearer abc", "bearer")
    assert ok is not None and ok.candidates == (b"abc",)
    assert parse_authorization("bearer abc", "bearer") == ok  # scheme is case-insensitive
    for bad, why in [
        ("Bearer", "empty"),
        ("Bearer a b", "malformed"),
        ("Token abc", "must be Bearer"),
        ("Basic abc", "expected Authorization: Bearer"),
    ]:
        found = parse_authorization(bad, "bearer")
        assert found is not None and found.candidates == () and why in (found.problem or "")


def test_basic_values_stand_for_raw_decoded_and_either_side() -> None:
    encoded = base64.b64encode(b"alice:s3cret").decode()
    assert basic_candidates(encoded.encode()) == (
        encoded.encode(),
        b"alice:s3cret",
        b"alice",
        b"s3cret",
    )
    assert basic_candidates(b"not base64!") == (b"not base64!",)
    found = parse_authorization(f"Basic {encoded}", "basic")
    assert found is not None and b"s3cret" in found.candidates


def test_client_basic_is_url_decoded() -> None:
    value = base64.b64encode(b"my%20client:p%3Ass").decode()
    assert parse_client_basic(f"Basic {value}") == (b"my client", b"p:ss")
    assert parse_client_basic("Bearer x") is None
    assert parse_client_basic("Basic !!!") is None
    assert parse_client_basic("Basic " + base64.b64encode(b"nocolon").decode()) is None


@pytest.mark.parametrize("given", HOSTILE, ids=repr)
def test_hostile_values_match_no_secret_and_never_raise(given: str | bytes) -> None:
    assert not same_secret(given, SECRET)
    assert not matches_hash(given, secret_hash(SECRET))
    assert isinstance(secret_hash(given), str)
    assert parse_client_basic(b"Basic " + base64.b64encode(as_bytes(given) + b":x")) is not None
    for scheme in ("bearer", "basic"):
        found = parse_authorization(b"Bearer " + as_bytes(given), scheme)
        assert found is None or SECRET.encode() not in found.candidates


def test_secrets_are_compared_as_the_bytes_sent() -> None:
    assert same_secret(SECRET.encode(), SECRET) and same_secret(SECRET, SECRET.encode())
    assert matches_hash(SECRET.encode(), secret_hash(SECRET))
    raw = SECRET.encode()  # mitmproxy's str of the raw header is the same secret
    assert same_secret(raw.decode("utf-8", "surrogateescape"), SECRET)
    assert as_bytes("a\udcff") == b"a\xff" and as_bytes("\ud800") == b"\xed\xa0\x80"
    assert usable(SECRET.encode()) and usable(b"x" * MAX_CREDENTIAL_BYTES)
    for bad in (b"", b"\xff", b"a\x00", b"a\tb", b"x" * (MAX_CREDENTIAL_BYTES + 1)):
        assert not usable(bad)


def test_unusable_credentials_are_malformed_not_candidates() -> None:
    for value in (b"\xff", b"tok\x00", b"\xed\xa0\x80", b"x" * (MAX_CREDENTIAL_BYTES + 1)):
        found = parse_authorization(b"Bearer " + value, "bearer")
        assert found is not None and found.candidates == () and "UTF-8" in (found.problem or "")
    assert parse_authorization(b"\xffearer tok", "bearer") == parse_authorization(
        b"Token tok", "bearer"
    )
    assert parse_authorization("Bearer \udcff", "bearer") == parse_authorization(
        b"Bearer \xff", "bearer"
    )


def test_credential_headers_are_read_raw_and_once() -> None:
    fields = [(b"Authorization", b"Bearer a"), (b"X-Other", b"\xff"), (b"authorization", b"b")]
    assert header_values(fields, "AUTHORIZATION") == [b"Bearer a", b"b"]
    assert one_value([], "X-Key") == (None, None)
    assert one_value([b"k"], "X-Key") == (b"k", None)
    value, problem = one_value([b"k", b"k"], "X-Key")
    assert value is None and "2 times" in (problem or "")
    value, problem = one_value([b"k" * (MAX_CREDENTIAL_BYTES + 1)], "X-Key")
    assert value is None and "bytes" in (problem or "")
