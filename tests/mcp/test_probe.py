"""The proxy's own tools/list, its pure half: when it can be made, the request, the answer read."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp_types import CLIENT_INFO_META_KEY, PROTOCOL_VERSION_META_KEY, Tool
from mcp_types.jsonrpc import ErrorData, JSONRPCError, JSONRPCResponse

from pluginlab_tui.mcp.checks import Context
from pluginlab_tui.mcp.probe import ID_PREFIX, Reader, Unlisted, ask, next_cursor, why_not
from pluginlab_tui.mcp.sse import Frame, write_frame

META = {
    PROTOCOL_VERSION_META_KEY: "2026-07-28",
    CLIENT_INFO_META_KEY: {"name": "c", "version": "1"},
}
STATELESS = Context("client", "2026-07-28", "stateless")
HANDSHAKE = Context("client", "2025-11-25", session_id="s-1", sessions_issued=True)
TOOL = Tool(name="echo", input_schema={"type": "object"}).model_dump(
    mode="json", by_alias=True, exclude_none=True
)


def result(rid: str, tools: Any = None, cursor: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"tools": [TOOL] if tools is None else tools}
    if cursor:
        body["nextCursor"] = cursor
    return JSONRPCResponse(jsonrpc="2.0", id=rid, result=body).model_dump(mode="json")


@pytest.mark.parametrize(
    ("ctx", "params", "why"),
    [
        (HANDSHAKE, None, None),
        (Context("client", "2025-03-26"), None, None),  # no sessions issued: sessionless
        (STATELESS, {"_meta": META}, None),
        (STATELESS, {}, "carries no _meta protocol version"),
        (Context("client", "1999-01-01"), None, "no protocol version the proxy knows"),
        (Context("client", "2025-11-25", sessions_issued=True), None, "has no session"),
        (Context("client", "2025-11-25", session_id="x", session_known=False), None, "unknown"),
        (Context("client", "2024-11-05", session_id="q", transport="sse"), None, "HTTP+SSE"),
    ],
)
def test_the_tools_are_listed_only_where_the_call_says_how(
    ctx: Context, params: dict[str, Any] | None, why: str | None
) -> None:
    found = why_not(ctx, params)
    assert found is None if why is None else (found is not None and why in found)


def test_a_stateless_listing_carries_the_calls_meta_and_its_method_header() -> None:
    call = {"name": "echo", "_meta": {**META, "progressToken": 7}}
    request = ask(STATELESS, call, None)
    body = json.loads(request.body)
    assert body["method"] == "tools/list" and body["id"] == request.id
    assert request.id.startswith(ID_PREFIX)
    assert body["params"] == {"_meta": META}  # the version and the client, not the call's token
    assert request.headers["Mcp-Method"] == "tools/list"
    assert "Mcp-Name" not in request.headers


def test_a_handshake_listing_is_a_plain_tools_list_in_the_session_and_pages_on() -> None:
    first = json.loads(ask(HANDSHAKE, {"name": "echo"}, None).body)
    assert "params" not in first
    paged = ask(HANDSHAKE, None, "c2")
    assert json.loads(paged.body)["params"] == {"cursor": "c2"}
    assert "Mcp-Method" not in paged.headers
    assert ask(HANDSHAKE, None, None).id != paged.id


def test_a_json_answer_is_read_whole() -> None:
    reader = Reader("r1", "2025-11-25", "application/json; charset=utf-8")
    assert reader.feed(json.dumps(result("r1", cursor="c2")).encode()) is None
    found = reader.end()
    assert found["tools"][0]["name"] == "echo" and next_cursor(found) == "c2"
    assert next_cursor({"tools": []}) is None


def test_an_event_stream_is_read_as_it_comes_and_other_messages_are_passed_over() -> None:
    note = {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info"}}
    stream = b"".join(
        write_frame(Frame(json.dumps(m))) for m in (note, result("someone-else"), result("r1"))
    )
    reader = Reader("r1", "2025-11-25", "text/event-stream")
    found = None
    for i in range(len(stream)):  # one byte at a time
        found = found or reader.feed(stream[i : i + 1])
    assert found is not None and found["tools"][0]["name"] == "echo"


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (
            JSONRPCError(
                jsonrpc="2.0", id="r1", error=ErrorData(code=-32000, message="no")
            ).model_dump(mode="json"),
            "JSON-RPC error -32000",
        ),
        (result("r1", tools="none"), "the tools/list result is not valid: tools"),
        (result("other"), "held no answer to the proxy's tools/list"),
        ({"jsonrpc": "2.0", "id": "r1", "result": 5}, "not JSON-RPC"),
    ],
)
def test_an_answer_that_is_no_listing_says_why(answer: dict[str, Any], why: str) -> None:
    reader = Reader("r1", "2025-11-25", "application/json")
    reader.feed(json.dumps(answer).encode())
    with pytest.raises(Unlisted, match=why):
        reader.end()


def test_an_answer_of_another_kind_is_refused_at_once() -> None:
    with pytest.raises(Unlisted, match="text/html"):
        Reader("r1", "2025-11-25", "text/html")
