"""Replaying an MCP message: its era, the session around it, and its answer in JSON or SSE."""

from __future__ import annotations

import json

from pluginlab_tui.config import Config
from pluginlab_tui.replay.mcp import (
    INITIALIZE_ID,
    answer_in,
    answer_part,
    call_of,
    closing,
    in_session,
    initialized,
    is_mcp,
    opening,
)
from pluginlab_tui.replay.request import ReplayRequest
from tests.replay.recorded import recorded_call, recorded_event


def _request(message: object, *headers: tuple[str, str]) -> ReplayRequest:
    return ReplayRequest("POST", "/mcp", "", list(headers), json.dumps(message).encode())


def test_the_era_and_version_of_a_recorded_message() -> None:
    handshake = recorded_call(version="2025-06-18")
    call = call_of(ReplayRequest.from_event(handshake), handshake)
    assert call is not None and (call.method, call.id) == ("tools/call", 7)
    assert (call.era, call.version, call.needs_session) == ("handshake", "2025-06-18", True)
    stateless = recorded_call(version="2026-07-28")
    call = call_of(ReplayRequest.from_event(stateless), stateless)
    assert call is not None and (call.era, call.needs_session) == ("stateless", False)
    # without the recorded field, the version header says; without that, 2025-03-26
    request = _request({"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert call_of(request) is not None and call_of(request).version == "2025-03-26"  # type: ignore[union-attr]
    asked = _request(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, ("MCP-Protocol-Version", "2025-11-25")
    )
    assert call_of(asked).version == "2025-11-25"  # type: ignore[union-attr]
    init = _request({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}})
    assert not call_of(init).needs_session  # type: ignore[union-attr]
    note = call_of(_request({"jsonrpc": "2.0", "method": "notifications/cancelled"}))
    assert note is not None and note.id is None and note.needs_session


def test_what_is_no_client_message_is_not_an_mcp_call() -> None:
    assert call_of(_request({"jsonrpc": "2.0", "id": 1, "result": {}})) is None
    assert call_of(_request([{"jsonrpc": "2.0", "id": 1, "method": "ping"}])) is None
    assert call_of(ReplayRequest("POST", "/mcp", "", [], b"not json")) is None
    assert call_of(ReplayRequest("GET", "/mcp")) is None
    covers = Config.model_validate({"mcp": {"endpoint": "/mcp"}}).mcp.covers
    assert is_mcp(recorded_call()) and is_mcp(recorded_event(path="/mcp/x"), covers)
    assert not is_mcp(recorded_event(), covers)


def test_the_session_requests_keep_the_callers_headers_but_not_the_old_session() -> None:
    request = ReplayRequest.from_event(
        recorded_call(request_headers=[("Mcp-Session-Id", "old"), ("X-App-Fault", "bad"),
                                       ("MCP-Protocol-Version", "2025-06-18"),
                                       ("Content-Type", "application/json")])
    )  # fmt: skip
    opened = opening(request, "2025-06-18")
    sent = json.loads(opened.body or b"")
    assert sent["method"] == "initialize" and sent["id"] == INITIALIZE_ID
    assert sent["params"]["protocolVersion"] == "2025-06-18"
    assert opened.header("mcp-session-id") is None and opened.header("x-app-fault") == "bad"
    assert opened.header("accept") == "application/json, text/event-stream"
    done = initialized(request, "new", "2025-06-18")
    assert json.loads(done.body or b"") == {"jsonrpc": "2.0", "method": "notifications/initialized"}
    assert done.header("mcp-session-id") == "new"
    call = in_session(request, "new", "2025-06-18")
    assert [v for k, v in call.headers if k.lower() == "mcp-session-id"] == ["new"]
    assert call.body == request.body and call.header("x-app-fault") == "bad"
    ended = closing(request, "new", "2025-06-18")
    assert (ended.method, ended.body, ended.header("mcp-session-id")) == ("DELETE", None, "new")
    sessionless = in_session(request, None, "2025-06-18")
    assert sessionless.header("mcp-session-id") is None


def test_the_answer_is_found_by_id_in_an_sse_stream_or_a_json_body() -> None:
    answer = {"jsonrpc": "2.0", "id": 7, "result": {"isError": False}}
    stream = (
        "id: 1\ndata:\n\n"  # the priming event
        'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{}}\n\n'
        'data: {"jsonrpc":"2.0","id":"7","result":{}}\n\n'
        f"event: message\r\ndata: {json.dumps(answer)}"  # the stream ends without a blank line
    ).encode()
    assert answer_in(stream, "text/event-stream", 7) == answer
    other = {"jsonrpc": "2.0", "id": "7", "result": {}}
    assert answer_in(stream, "text/event-stream", "7") == other
    batch = json.dumps([{"jsonrpc": "2.0", "id": 6, "result": {}}, answer]).encode()
    assert answer_in(batch, "application/json", 7) == answer
    assert answer_in(b"", "application/json", 7) is None
    assert answer_in(b"{oops", "application/json", 7) is None
    assert answer_part(answer) == {"result": {"isError": False}}
    assert answer_part(None) is None
