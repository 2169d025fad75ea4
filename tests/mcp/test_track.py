"""Pairing messages into records: by id within a POST, across a session for server requests,
with the session state and the catalogue the answers teach; bounded."""

from __future__ import annotations

import json
from typing import Any

from pluginlab_tui.mcp.checks import check
from pluginlab_tui.mcp.jsonrpc import classify
from pluginlab_tui.mcp.track import Tracker, parse_frame

SESSION = {"mcp-session-id": "s1", "mcp-protocol-version": "2025-11-25"}
TS = "2026-01-01T00:00:00.000Z"


def body(*messages: dict[str, Any]) -> bytes:
    return json.dumps(messages[0] if len(messages) == 1 else list(messages)).encode()


def request(rid: int | str, method: str, **params: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "method": method, "params": params}


def result(rid: int | str, **fields: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "result": fields}


def initialized(tracker: Tracker[str]) -> None:
    init = request(
        0,
        "initialize",
        protocolVersion="2025-11-25",
        capabilities={},
        clientInfo={"name": "t", "version": "1"},
    )
    records, _ = tracker.client_body("post0", {}, body(init), 0.0, TS, "e0")
    answer = result(
        0,
        protocolVersion="2025-11-25",
        capabilities={},
        serverInfo={"name": "s", "version": "1"},
    )
    seen = tracker.server_message(
        "post0",
        classify(answer),
        0.1,
        TS,
        session_id=None,
        version="2025-11-25",
        answer_session="s1",
        own={0: records[0]},
    )
    assert seen.done == records and not check(records[0].message, records[0].context).violations


def test_a_request_and_its_answer_are_one_record_checked_at_the_negotiated_version() -> None:
    tracker: Tracker[str] = Tracker(slow_ms=45_000)
    initialized(tracker)
    records, evicted = tracker.client_body(
        "post1", SESSION, body(request(1, "tools/list")), 1.0, TS, "e1"
    )
    assert [r.event_id for r in records] == ["e1"] and not evicted
    (asked,) = records
    assert asked.waits and asked.context.version == "2025-11-25"
    assert asked.context.session_id == "s1" and asked.context.session_known
    tools = [{"name": "add", "inputSchema": {"type": "object"}}]
    seen = tracker.server_message(
        "post1",
        classify(result(1, tools=tools)),
        1.5,
        TS,
        session_id="s1",
        version="2025-11-25",
        own={1: asked},
    )
    assert seen.done == [asked] and not asked.waits
    assert asked.answer_context is not None and asked.answer_context.duration_ms == 500
    assert tracker.catalogue is not None and tracker.catalogue.tool("add") is not None
    assert not check(asked.answer or classify({}), asked.answer_context).violations
    assert len(tracker) == 0


def test_an_unknown_session_and_a_duplicate_id_are_in_the_context() -> None:
    tracker: Tracker[str] = Tracker()
    initialized(tracker)
    stranger = {**SESSION, "mcp-session-id": "nobody"}
    (unknown,), _ = tracker.client_body("p", stranger, body(request(1, "ping")), 1.0, TS, "e")
    assert not unknown.context.session_known
    assert check(unknown.message, unknown.context).codes == {"mcp_session"}
    tracker.client_body("p2", SESSION, body(request(5, "ping")), 1.0, TS, "e2")
    (again,), evicted = tracker.client_body("p3", SESSION, body(request(5, "ping")), 1, TS, "e3")
    assert again.context.duplicate_id and len(evicted) == 1
    assert evicted[0].unanswered is not None and "same id" in evicted[0].unanswered


def test_a_server_request_on_a_stream_waits_for_the_clients_answer_in_a_later_post() -> None:
    tracker: Tracker[str] = Tracker()
    initialized(tracker)
    ask = classify(request("r1", "roots/list"))
    seen = tracker.server_message("get", ask, 2.0, TS, session_id="s1", version="2025-11-25")
    assert seen.done == [] and len(seen.waiting) == 1
    (waiting,) = seen.waiting
    answer = result("r1", roots=[])
    records, _ = tracker.client_body("post", SESSION, body(answer), 3.0, TS, "unused")
    assert records == [waiting] and waiting.answer_carrier == "post"
    assert waiting.answer_context is not None and waiting.answer_context.direction == "client"
    assert not check(waiting.answer or ask, waiting.answer_context).violations
    # an answer to nothing is a record of its own, and flagged
    (orphan,), _ = tracker.client_body("post2", SESSION, body(result("r9")), 4.0, TS, "e9")
    assert check(orphan.message, orphan.context).codes == {"mcp_invalid_message"}


def test_a_batch_is_one_record_per_message_and_an_error_without_id_answers_the_one_request() -> (
    None
):
    tracker: Tracker[str] = Tracker()
    batch = body(request(1, "ping"), {"jsonrpc": "2.0", "method": "notifications/initialized"})
    old = {"mcp-protocol-version": "2025-03-26"}
    records, _ = tracker.client_body("p", old, batch, 0.0, TS, "first")
    assert [r.message.kind for r in records] == ["request", "notification"]
    assert records[0].event_id == "first" and records[1].event_id != "first"
    (alone,), _ = tracker.client_body("q", {}, body(request(2, "ping")), 0.0, TS, "q")
    error = classify({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "no"}})
    seen = tracker.server_message(
        "q", error, 1.0, TS, session_id=None, version=None, own={2: alone}
    )
    assert seen.done == [alone] and alone.answer is error


def test_waiting_is_bounded_and_what_is_let_go_is_unanswered() -> None:
    tracker: Tracker[str] = Tracker(max_waiting=2)
    evicted = []
    for rid in range(3):
        _, out = tracker.client_body("p", {}, body(request(rid, "ping")), 0.0, TS, f"e{rid}")
        evicted += out
    assert len(tracker) == 2 and len(evicted) == 1
    assert evicted[0].event_id == "e0" and evicted[0].unanswered is not None


def test_a_request_given_up_is_unanswered_once() -> None:
    tracker: Tracker[str] = Tracker()
    (asked,), _ = tracker.client_body("p", {}, body(request(1, "ping")), 0.0, TS, "e")
    assert tracker.give_up(asked, "the stream ended") and asked.unanswered == "the stream ended"
    assert not tracker.give_up(asked, "again") and len(tracker) == 0


def test_an_empty_frame_is_no_message() -> None:
    assert parse_frame("") is None and parse_frame("  ") is None
    message = parse_frame('{"jsonrpc":"2.0","method":"notifications/progress"}')
    assert message is not None and message.kind == "notification"


def test_an_http_sse_post_is_answered_on_the_stream_of_the_session_its_query_names() -> None:
    tracker: Tracker[str] = Tracker()
    init = request(
        0,
        "initialize",
        protocolVersion="2024-11-05",
        capabilities={},
        clientInfo={"name": "t", "version": "1"},
    )
    (asked,), _ = tracker.client_body(
        "post", {}, body(init), 0.0, TS, "e0", query_session="q1", transport="sse"
    )
    assert asked.context.session_id == "q1" and asked.context.transport == "sse"
    answer = result(
        0,
        protocolVersion="2024-11-05",
        capabilities={},
        serverInfo={"name": "s", "version": "1"},
    )
    text = json.dumps(answer)
    seen = tracker.server_message(
        "stream", classify(answer), 0.2, TS, session_id="q1", version=None, text=text
    )
    assert seen.done == [asked]
    # the answer came on another exchange: its carrier and its own text are kept
    assert asked.answer_carrier == "stream" and asked.answer_text == text
    assert tracker.sessions.version("q1", None) == "2024-11-05"
    (listed,), _ = tracker.client_body(
        "post2",
        {},
        body(request(1, "tools/list")),
        0.3,
        TS,
        "e1",
        query_session="q1",
        transport="sse",
    )
    assert listed.context.version == "2024-11-05" and listed.context.session_known
    assert not check(listed.message, listed.context).violations


def test_the_tools_the_proxy_listed_itself_are_the_catalogue_until_a_list_is_seen() -> None:
    tracker: Tracker[str] = Tracker()
    assert not tracker.has_tools()
    tool = {"name": "echo", "inputSchema": {"type": "object"}}
    more = {"name": "more", "inputSchema": {"type": "object"}}
    catalogue = tracker.learn_tools(
        [(None, {"tools": [tool], "nextCursor": "2"}), ({"cursor": "2"}, {"tools": [more]})]
    )
    assert tracker.has_tools() and tracker.catalogue is catalogue
    assert [t["name"] for t in catalogue.tools or ()] == ["echo", "more"]
    (record,), _ = tracker.client_body(
        "post", {}, body(request(1, "tools/call", name="echo")), 0.0, TS, "e1"
    )
    assert record.context.catalogue is catalogue
