"""POST bodies to classified JSON-RPC messages; anything else an invalid message."""

from __future__ import annotations

import pytest

from pluginlab_tui.mcp.jsonrpc import (
    MAX_DEPTH,
    allows_batch,
    batch_member,
    parse_body,
    parse_text,
    same_id,
)


def test_each_kind_is_classified_with_its_id_and_method() -> None:
    body = b'{"jsonrpc":"2.0","id":"a1","method":"tools/call","params":{"name":"x"}}'
    (m,) = parse_body(body, "2025-11-25")
    assert (m.kind, m.id, m.method, m.params) == ("request", "a1", "tools/call", {"name": "x"})
    (n,) = parse_body(b'{"jsonrpc":"2.0","method":"notifications/initialized"}', None)
    assert (n.kind, n.id, n.method) == ("notification", None, "notifications/initialized")
    (r,) = parse_body(b'{"jsonrpc":"2.0","id":7,"result":{"tools":[]}}', None)
    assert (r.kind, r.id, r.result) == ("result", 7, {"tools": []})
    (e,) = parse_body(b'{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}', None)
    assert (e.kind, e.id, e.error_code) == ("error", None, -32700)


def test_batches_only_where_the_version_allows_them() -> None:
    batch = b'[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"x"}]'
    assert [m.kind for m in parse_body(batch, "2025-03-26")] == ["request", "notification"]
    assert [m.kind for m in parse_body(batch, None)] == ["request", "notification"]  # the default
    for version in ("2024-11-05", "2025-06-18", "2025-11-25", "2026-07-28"):
        (m,) = parse_body(batch, version)
        assert m.kind == "invalid" and "batch" in (m.problem or "")
    assert allows_batch("2025-03-26") and not allows_batch("2025-06-18")
    (empty,) = parse_body(b"[]", "2025-03-26")
    assert empty.kind == "invalid"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"jsonrpc":"1.0","id":1,"method":"ping"}', "jsonrpc"),
        (b'{"id":1,"method":"ping"}', "jsonrpc"),
        (b'{"jsonrpc":"2.0","id":true,"method":"ping"}', "id"),
        (b'{"jsonrpc":"2.0","id":1.5,"method":"ping"}', "id"),
        (b'{"jsonrpc":"2.0","id":1,"method":7}', "method"),
        (b'{"jsonrpc":"2.0","id":1,"method":"x","params":[1]}', "params"),
        (b'{"jsonrpc":"2.0","id":1,"result":[]}', "result"),
        (b'{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"x"}}', "both"),
        (b'{"jsonrpc":"2.0","id":1,"error":{"message":"x"}}', "code"),
        (b'{"jsonrpc":"2.0","id":1}', "neither"),
        (b'{"jsonrpc":"2.0","id":9007199254740992,"method":"ping"}', "beyond"),
        (b'{"jsonrpc":"2.0","id":1,"method":"a","method":"b"}', "duplicate key"),
        (b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":NaN}}', "NaN"),
        (b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":-Infinity}}', "Infinity"),
        (b"\xc3\x28", "UTF-8"),
        (b"{", "JSON"),
        (b"", "JSON"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "deeper"),
        (b"[" * 200_000, "deeper"),
        (b'{"jsonrpc":"2.0","id":' + b"1" * 5_000 + b',"method":"ping"}', "JSON"),
        (b"42", "object"),
    ],
)
def test_anything_else_is_an_invalid_message_with_a_reason(body: bytes, why: str) -> None:
    messages = parse_body(body, "2025-03-26")
    assert [m.kind for m in messages] == ["invalid"]
    assert why in (messages[0].problem or ""), messages[0].problem


def test_an_invalid_message_keeps_an_id_it_could_read() -> None:
    (m,) = parse_body(b'{"jsonrpc":"2.0","id":3,"method":"x","params":"no"}', None)
    assert (m.kind, m.id) == ("invalid", 3)


def test_sse_data_is_one_message_never_a_batch() -> None:
    assert parse_text('{"jsonrpc":"2.0","method":"x"}').kind == "notification"
    assert parse_text('[{"jsonrpc":"2.0","method":"x"}]').kind == "invalid"
    assert parse_text("not json").kind == "invalid"


def test_a_batch_member_is_found_by_its_id_and_its_type() -> None:
    body = b'[{"jsonrpc":"2.0","id":"7","method":"ping"},{"jsonrpc":"2.0","id":7,"method":"x"}]'
    assert batch_member(body, "7") == b'{"jsonrpc":"2.0","id":7,"method":"x"}'
    assert batch_member(body, '"7"') == b'{"jsonrpc":"2.0","id":"7","method":"ping"}'
    assert batch_member(body, "8") is None
    assert batch_member(b'{"jsonrpc":"2.0","id":7,"method":"x"}', "7") is None  # not a batch
    assert same_id(1, 1) and not same_id(1, "1") and not same_id(True, True)


def test_nesting_is_judged_by_the_structure_not_by_brackets_in_strings() -> None:
    def nested(levels: int, inner: str = "1") -> bytes:
        deep = '{"a":' * levels + inner + "}" * levels
        return f'{{"jsonrpc":"2.0","id":1,"method":"m","params":{deep}}}'.encode()

    # at the limit (with the message's own object), and within it but with 300 brackets in a
    # string: both read; one level more is refused, duplicate keys deep inside too
    for body in (nested(MAX_DEPTH - 2), nested(3, '"' + "[{" * 300 + '"')):
        (m,) = parse_body(body, None)
        assert m.kind == "request", m.problem
    (m,) = parse_body(nested(MAX_DEPTH), None)
    assert "deeper" in (m.problem or "")
    (m,) = parse_body(nested(MAX_DEPTH - 2, '{"k":1,"k":2}'), None)
    assert "duplicate key 'k'" in (m.problem or "")
