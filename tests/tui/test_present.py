"""What the detail tabs show, as text: the JSON-RPC tab of MCP messages, the end of an OAuth
dance."""

from __future__ import annotations

import json

from pluginlab_tui.store.oauth_timeline import Dance
from pluginlab_tui.store.oauth_timeline import Step as DanceStep
from pluginlab_tui.tui.present import RpcView, dance_end, dance_rows, jsonrpc_view
from tests.tui.conftest import (
    MCP_SESSION,
    MCP_VERSION,
    SEARCH_ARGUMENTS,
    SEARCH_RESULT,
    fixed_event,
    mcp_events,
)

#: The fixture's MCP events by their number (1: the GET stream ... 9: the tools/call search).
EVENTS = {int(event.event_id[-2:]): event for event in mcp_events()}


def _view(n: int) -> RpcView:
    view = jsonrpc_view(EVENTS[n])
    assert view is not None
    return view


def test_a_tool_call_answered_on_a_stream() -> None:
    view = _view(9)
    facts = dict(view.facts)
    assert facts["method"] == "tools/call" and facts["id"] == "6" and facts["tool"] == "search"
    assert facts["direction"] == "client → server" and facts["outcome"] == "result"
    assert facts["session"] == MCP_SESSION and facts["protocol version"] == MCP_VERSION
    request, answer = view.parts
    assert request.title == "request params" and request.json
    assert json.loads(request.text) == {"name": "search", "arguments": SEARCH_ARGUMENTS}
    assert answer.title == "result" and json.loads(answer.text) == SEARCH_RESULT
    size = EVENTS[9].frames[0]["size"]
    assert view.frames == [
        ("+12.2 ms", "1", "message", f"{size:,} B"),
        ("+30.5 ms", "2", "message", "240 B"),
    ]


def test_an_error_answer_and_a_failed_tool() -> None:
    error = _view(6)
    assert dict(error.facts)["outcome"] == "error -32602: Invalid params: title"
    assert error.parts[1].title == "error"
    assert json.loads(error.parts[1].text) == {"code": -32602, "message": "Invalid params: title"}
    failed = _view(7)
    assert dict(failed.facts)["outcome"] == "result with isError: the tool failed"
    assert json.loads(failed.parts[1].text)["isError"] is True


def test_a_notification_a_servers_request_and_a_stream_without_a_message() -> None:
    note = _view(3)
    assert dict(note.facts)["id"] == "- (a notification)"
    assert note.parts[0].title == "notification params" and json.loads(note.parts[0].text) == {}
    assert (note.parts[1].text, note.parts[1].json) == ("a notification has no answer", False)
    server = _view(8)
    facts = dict(server.facts)
    assert facts["direction"] == "server → client" and facts["id"] == '"srv-1"'
    assert json.loads(server.parts[1].text) == {"roots": [{"uri": "file:///home/me/todos"}]}
    stream = _view(1)
    assert stream.parts == [] and dict(stream.facts)["method"].startswith("- (no JSON-RPC")
    assert stream.frames == [("+2.5 ms", "s-1", "message", "0 B")]
    resource = dict(_view(5).facts)
    assert resource["resource"] == "ui://widget/todo-board.html" and "tool" not in resource


def test_a_cut_body_says_so_and_http_exchanges_have_no_tab() -> None:
    cut = mcp_events()[-1]
    cut.response_body = (cut.response_body or "")[:60]
    cut.response_truncated = True
    view = jsonrpc_view(cut)
    assert view is not None
    answer = view.parts[1]
    assert answer.text == "no answer with this id in the recorded body (the stored body is cut)"
    assert jsonrpc_view(fixed_event(1)) is None


def test_messages_of_one_exchange_say_so() -> None:
    first, second = mcp_events()[-2:]
    assert dict(_view(9).facts)["HTTP exchange"] == "its own"
    second.exchange_id = first.event_id  # a batch: both came in the first one's exchange
    view = jsonrpc_view(second)
    assert view is not None
    assert dict(view.facts)["HTTP exchange"].endswith(first.event_id)


def _dance(client: str | None, *steps: tuple[str, int | None, str | None]) -> Dance:
    found = [
        DanceStep(f"2026-12-01T09:00:0{n}.000Z", s, st, r, f"e{n}")
        for n, (s, st, r) in enumerate(steps)
    ]
    return Dance(client, found)


def test_the_end_of_a_dance_says_where_it_stopped_and_why() -> None:
    assert dance_end(_dance("c1", ("token", 200, "ok"), ("calls", 200, "ok"))) == (
        "signed in: the calls go through"
    )
    assert dance_end(_dance("c1", ("authorize", 302, "ok"), ("token", 400, "invalid_grant"))) == (
        "stopped at token: 400 (invalid_grant)"
    )
    assert dance_end(
        _dance(None, ("challenge", 401, "missing"), ("resource-metadata", 404, None))
    ) == ("stopped at resource-metadata: 404")
    assert dance_end(_dance(None, ("server-metadata", 200, None))) == (
        "stopped after server-metadata: no client registered or named yet"
    )
    assert dance_end(_dance("c1", ("authorize", 200, None))) == "last step: authorize (200)"
    assert dance_rows(_dance("c1", ("token", 200, "ok")))[0][:4] == (
        "09:00:00.000",
        "token",
        "200",
        "ok",
    )
