"""The MCP messages stages through the real proxy, in front of a scripted server: a GET stream's
messages are recorded as they arrive and the stream when it ends, with its frames; a server's
request is one event with the client's answer (a later POST, which names that event); one that
is never answered is recorded after proxy.timeout_s; a batch is one event per message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pluginlab_tui.store.event import Event
from pluginlab_tui.wire import EVENT_HEADER
from tests.conftest import stored_events
from tests.e2e.test_mcp_mode import Proxy
from tests.harness import wait_for
from tests.sse_servers import Gated
from tests.sse_servers import scripted as scripted_app

SESSION = {"Mcp-Session-Id": "s-1", "MCP-Protocol-Version": "2025-03-26"}
ACCEPT = {"Accept": "application/json, text/event-stream", **SESSION}


@pytest.fixture
def scripted() -> Iterator[Gated]:
    with Gated(scripted_app) as server:
        yield server


def _by_method(db: Path) -> dict[str | None, list[Event]]:
    found: dict[str | None, list[Event]] = {}
    for event in stored_events(db):
        found.setdefault(event.rpc_method, []).append(event)
    return found


def test_a_get_streams_messages_are_events_as_they_arrive_and_the_stream_one_when_it_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scripted: Gated
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"PLUGINLAB_PROXY__TIMEOUT_S": "2"}
    with Proxy(tmp_path, "--mcp", "/mcp", "--backend", scripted.url, env=env) as proxy:
        with proxy.client() as client:
            with client.stream("GET", "/mcp", headers={**SESSION, "Accept": "text/event-stream"}):
                # the stream is still open: its notification is recorded already
                early = wait_for(
                    lambda: _by_method(proxy.db).get("notifications/tools/list_changed")
                )
                answer = client.post(
                    "/mcp",
                    json={"jsonrpc": "2.0", "id": "srv-1", "result": {"roots": []}},
                    headers=ACCEPT,
                )
                # srv-2 is never answered: recorded once proxy.timeout_s is over
                unanswered = wait_for(lambda: _by_method(proxy.db).get("ping"))
                scripted.go.set()
        stream = wait_for(
            lambda: [e for e in _by_method(proxy.db).get(None, []) if e.method == "GET"] or None
        )
        events = _by_method(proxy.db)
    assert early is not None and stream is not None and unanswered is not None
    (note,) = early
    assert note.rpc_direction == "server" and note.method == "GET"
    assert note.protocol == "mcp" and note.session_id == "s-1"
    (roots,) = events["roots/list"]
    assert answer.status_code == 202 and answer.headers[EVENT_HEADER] == roots.event_id
    assert roots.rpc_direction == "server" and roots.rpc_id == '"srv-1"'
    assert json.loads(roots.request_body or "")["method"] == "roots/list"
    assert json.loads(roots.response_body or "")["result"] == {"roots": []}
    assert roots.status == 202 and roots.error is None and not roots.violations
    (ping,) = unanswered
    assert ping.error is not None and "proxy.timeout_s" in ping.error
    (get,) = stream
    assert get.rpc_method is None and get.session_id == "s-1"
    assert [f["id"] for f in get.frames] == ["1", "2", "3"]
    # every message of the stream names the stream's exchange
    assert {note.exchange_id, roots.exchange_id, ping.exchange_id} == {get.event_id}
    # the answering POST is folded into the server's request: no event of its own
    assert not [e for e in stored_events(proxy.db) if e.method == "POST" and e.rpc_method is None]


def test_a_batch_is_one_event_per_message_sharing_the_exchange(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scripted: Gated
) -> None:
    monkeypatch.chdir(tmp_path)
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
    ]
    with Proxy(tmp_path, "--mcp", "/mcp", "--backend", scripted.url) as proxy:
        with proxy.client() as client:
            answer = client.post("/mcp", json=batch, headers=ACCEPT)
        events = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) >= 3 and e)
    assert events
    assert sorted(str(e.rpc_method) for e in events) == [
        "notifications/initialized",
        "ping",
        "tools/list",
    ]
    assert answer.headers[EVENT_HEADER].split(",") == [e.event_id for e in events]
    assert len({e.exchange_id for e in events}) == 1
    assert all(e.protocol_version == "2025-03-26" for e in events)
    ping = next(e for e in events if e.rpc_method == "ping")
    assert ping.exchange_id == ping.event_id and ping.rpc_id == "1"


def test_a_resumed_stream_is_relayed_whole_and_its_replayed_frames_not_recorded_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scripted: Gated
) -> None:
    monkeypatch.chdir(tmp_path)
    stream_headers = {**SESSION, "Accept": "text/event-stream"}
    with Proxy(tmp_path, "--mcp", "/mcp", "--backend", scripted.url) as proxy:
        with proxy.client() as client:
            with client.stream("GET", "/mcp", headers=stream_headers):
                wait_for(lambda: _by_method(proxy.db).get("notifications/tools/list_changed"))
            resumed = client.get("/mcp", headers={**stream_headers, "Last-Event-ID": "0"})
        events = wait_for(
            lambda: (
                (found := _by_method(proxy.db)).get("notifications/resources/list_changed")
                and len([e for e in found.get(None, []) if e.method == "GET"]) == 2
                and found
            )
        )
    assert events
    # the caller got the replay whole; the store has each message once
    assert resumed.text.count("notifications/tools/list_changed") == 1
    assert len(events["notifications/tools/list_changed"]) == 1
    assert len(events["notifications/resources/list_changed"]) == 1
    second = [e for e in events[None] if e.method == "GET"][-1]
    assert [f["id"] for f in second.frames] == ["1", "4"]


def test_in_strict_mode_each_result_of_a_batch_answer_that_breaks_the_contract_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scripted: Gated
) -> None:
    """The scripted server answers every request `{}`: a fine ping result, no tools/list one."""
    monkeypatch.chdir(tmp_path)
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    plain = {"Accept": ACCEPT["Accept"]}  # no session: the default version, 2025-03-26
    with Proxy(tmp_path, "--strict", "--mcp", "/mcp", "--backend", scripted.url) as proxy:
        with proxy.client() as client:
            answer = client.post("/mcp", json=batch, headers=plain)
        events = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) >= 2 and e)
    pong, listing = answer.json()
    assert pong == {"jsonrpc": "2.0", "id": 1, "result": {}}
    assert listing["id"] == 2 and listing["error"]["code"] == -32603
    assert "mcp_invalid_message" in listing["error"]["message"]
    assert events
    (listed,) = [e for e in events if e.rpc_method == "tools/list"]
    assert {v.code for v in listed.violations} == {"mcp_invalid_message"}
    assert "-32603" in (listed.response_body or "")  # what the caller got
