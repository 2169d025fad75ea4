"""An MCP event's bodies read back: the request and its answer found by id, the frames."""

from __future__ import annotations

import json

from pluginlab_tui.mcp.exchange_view import (
    body_values,
    find_answer,
    find_request,
    frame_rows,
    pretty,
    same_id,
)


def _msg(**fields: object) -> dict[str, object]:
    return {"jsonrpc": "2.0", **fields}


def _sse(*messages: dict[str, object]) -> str:
    return "".join(f"event: message\ndata: {json.dumps(m)}\n\n" for m in messages)


def test_a_batch_gives_the_request_of_the_events_id() -> None:
    batch = json.dumps(
        [
            _msg(id="7", method="ping"),
            _msg(id=7, method="tools/call", params={"name": "search", "arguments": {"q": "a"}}),
            _msg(method="notifications/cancelled", params={"requestId": 3}),
        ]
    )
    found = find_request(batch, "7", "tools/call")
    assert found.message is not None and found.message.method == "tools/call"
    assert found.message.params == {"name": "search", "arguments": {"q": "a"}}
    text_id = find_request(batch, '"7"', "ping").message
    assert text_id is not None and text_id.method == "ping"  # the string id "7" is another id
    note = find_request(batch, None, "notifications/cancelled").message
    assert note is not None and note.params == {"requestId": 3}


def test_the_answer_on_an_sse_stream_skips_the_servers_own_request_with_that_id() -> None:
    stream = _sse(
        _msg(method="notifications/progress", params={"progress": 1}),
        _msg(id=1, method="sampling/createMessage", params={}),  # the server's id space
        _msg(id=1, result={"content": [], "isError": True}),
    )
    found = find_answer(stream, "1")
    assert found.message is not None and found.message.kind == "result"
    assert found.message.result == {"content": [], "isError": True}
    assert len(body_values(stream)) == 3


def test_an_error_answer_in_a_json_body() -> None:
    body = json.dumps(_msg(id=2, error={"code": -32602, "message": "Invalid params"}))
    found = find_answer(body, "2")
    assert found.message is not None and found.message.error_code == -32602


def test_what_is_not_there_says_why() -> None:
    assert find_answer("", None).note == "a notification has no answer"
    assert find_answer("", "1").note == "no answer recorded"
    assert find_request(None, "1", "ping").note == "no body recorded"
    # a stream cut before its last frame ended: the answer is not in what was kept
    cut = _sse(_msg(id=1, result={}))[:-1]
    assert find_answer(cut, "1").message is None
    assert find_answer(json.dumps(_msg(id=1, result={})), "2").message is None


def test_an_invalid_message_is_found_by_its_id() -> None:
    body = json.dumps(_msg(id=3, method=5))
    found = find_request(body, "3", None)
    assert found.message is not None and found.message.kind == "invalid"
    assert found.message.value == {"jsonrpc": "2.0", "id": 3, "method": 5}


def test_ids_compare_as_json() -> None:
    assert same_id("7", 7) and same_id('"a"', "a")
    assert not same_id("7", "7") and not same_id("1", True) and not same_id(None, 1)
    assert not same_id("not json", 1)


def test_frames_and_pretty_text() -> None:
    rows = frame_rows(
        [
            {"at_ms": 1234.5, "id": "4", "event": "message", "size": 2048},
            {"at_ms": None, "id": None, "event": None, "size": None},
        ]
    )
    assert rows == [("+1,234.5 ms", "4", "message", "2,048 B"), ("-", "-", "message", "-")]
    assert pretty({"a": "é"}) == '{\n  "a": "é"\n}'
