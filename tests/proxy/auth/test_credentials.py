from __future__ import annotations

import base64

from pluginlab_tui.proxy.auth.credentials import (
    basic_candidates,
    matches_hash,
    new_secret,
    parse_authorization,
    parse_client_basic,
    same_secret,
    secret_hash,
)


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
    assert ok is not None and ok.candidates == ("abc",)
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
    assert basic_candidates(encoded) == (encoded, "alice:s3cret", "alice", "s3cret")
    assert basic_candidates("not base64!") == ("not base64!",)
    found = parse_authorization(f"Basic {encoded}", "basic")
    assert found is not None and "s3cret" in found.candidates


def test_client_basic_is_url_decoded() -> None:
    value = base64.b64encode(b"my%20client:p%3Ass").decode()
    assert parse_client_basic(f"Basic {value}") == ("my client", "p:ss")
    assert parse_client_basic("Bearer x") is None
    assert parse_client_basic("Basic !!!") is None
    assert parse_client_basic("Basic " + base64.b64encode(b"nocolon").decode()) is None
