"""One event per JSON-RPC message, through `serve --mcp` in front of the example app, with the
official SDK client as the caller, in both protocol eras; the live checks on those events."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from pluginlab_tui.examples import Backend
from pluginlab_tui.store.event import Event
from pluginlab_tui.wire import EVENT_HEADER
from tests.conftest import stored_events, stored_versions
from tests.e2e.test_mcp_mode import Proxy
from tests.harness import wait_for

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def app() -> Iterator[Backend]:
    with Backend("app") as backend:
        yield backend


@pytest.fixture
def proxy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app: Backend) -> Iterator[Proxy]:
    monkeypatch.chdir(tmp_path)
    with Proxy(tmp_path, "--mcp", "/mcp", "--backend", app.url) as proxy:
        yield proxy


def run_session(url: str, mode: str, work: Any, headers: dict[str, str] | None = None) -> Any:
    async def go() -> Any:
        async with httpx2.AsyncClient(headers=headers or {}) as http:
            transport = streamable_http_client(url, http_client=http)
            async with Client(transport, cache=None, mode=mode) as client:
                return await work(client)

    return anyio.run(go)


async def full_session(client: Client) -> None:
    await client.list_tools()
    await client.list_resources()
    await client.list_resource_templates()
    await client.list_prompts()
    await client.read_resource("ui://board/board.html")
    await client.get_prompt("triage", {"column": "doing"})
    await client.call_tool("add_card", {"title": "through the proxy"})
    await client.call_tool("list_cards", {})


def mcp_events(db: Path, *methods: str) -> list[Event] | None:
    """The MCP events once every method named has one (a method named twice: two)."""
    events = [e for e in stored_events(db) if e.protocol == "mcp"]
    seen = [e.rpc_method for e in events]
    return events if all(seen.count(m) >= methods.count(m) for m in methods) else None


def one(events: list[Event], method: str) -> Event:
    found = [e for e in events if e.rpc_method == method]
    assert len(found) == 1, [(e.rpc_method, e.rpc_id) for e in events]
    return found[0]


CLIENT_METHODS = (
    "tools/list",
    "resources/list",
    "resources/templates/list",
    "prompts/list",
    "resources/read",
    "prompts/get",
)


def test_a_stateless_session_is_one_event_per_message_and_keeps_the_contract(
    proxy: Proxy,
) -> None:
    run_session(proxy.url + "/mcp", "auto", full_session)
    events = wait_for(lambda: mcp_events(proxy.db, "tools/call", "tools/call", *CLIENT_METHODS))
    assert events is not None
    assert [(e.rpc_method, e.violations) for e in events if e.violations] == []
    assert all(e.rpc_direction == "client" and e.method == "POST" for e in events)
    assert all(e.protocol_version == "2026-07-28" and e.session_id is None for e in events)
    # one POST, one request: the event is the exchange's, and the answer is in its body
    assert all(e.exchange_id == e.event_id and e.status == 200 for e in events)
    calls = [e for e in events if e.rpc_method == "tools/call"]
    assert [c.tool for c in calls] == ["add_card", "list_cards"]
    assert all(c.is_error is False and c.rpc_error is None for c in calls)
    added = json.loads(calls[0].response_body or "")
    assert added["result"]["structuredContent"]["title"] == "through the proxy"
    assert json.loads(calls[0].request_body or "")["method"] == "tools/call"
    assert one(events, "resources/read").resource_uri == "ui://board/board.html"
    assert one(events, "prompts/get").tool == "triage"
    assert len({e.rpc_id for e in events}) == len(events)


def test_a_handshake_session_is_one_event_per_message_with_its_session(proxy: Proxy) -> None:
    run_session(proxy.url + "/mcp", "legacy", full_session)
    methods = ("initialize", "notifications/initialized", "tools/call", "tools/call")
    events = wait_for(lambda: mcp_events(proxy.db, *methods))
    # the DELETE that ends the session is an exchange without a message
    ended = wait_for(lambda: [e for e in stored_events(proxy.db) if e.method == "DELETE"] or None)
    assert events is not None and ended is not None
    assert [(e.rpc_method, e.violations) for e in events if e.violations] == []
    initialize = one(events, "initialize")
    session = initialize_session(initialize)
    assert session and initialize.session_id is None
    assert initialize.protocol_version == "2025-11-25"
    later = [e for e in events if e.rpc_method not in ("initialize", None)]
    assert all(e.session_id == session for e in later)
    assert all(e.protocol_version == "2025-11-25" for e in later)
    assert one(events, "notifications/initialized").status == 202
    assert one(events, "notifications/initialized").rpc_id is None
    call = [e for e in events if e.rpc_method == "tools/call"][0]
    # the answer came as an SSE frame of the POST's stream: listed with its time
    assert call.frames and call.frames[-1]["event"] == "message"
    assert all(f["size"] > 0 and f["at_ms"] >= 0 for f in call.frames)
    assert call.tool == "add_card" and call.is_error is False
    assert ended[0].protocol == "mcp" and ended[0].rpc_method is None
    assert ended[0].session_id == session and ended[0].status == 200


def initialize_session(event: Event) -> str | None:
    return next((v for k, v in event.response_headers if k.lower() == "mcp-session-id"), None)


def test_the_answer_names_the_event_of_its_request(proxy: Proxy) -> None:
    body = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"},
        },
    }
    with proxy.client() as client:
        answer = client.post("/mcp", json=body, headers=ACCEPT)
    event_id = answer.headers[EVENT_HEADER]
    events = wait_for(lambda: mcp_events(proxy.db, "initialize"))
    assert events is not None
    event = one(events, "initialize")
    assert event.event_id == event_id and event.rpc_id == "7"
    assert event.protocol_version == "2025-06-18" and not event.violations


async def call_tools(client: Client) -> None:
    """tools/list, then two calls; what the SDK client refuses to accept is put up with."""
    await client.list_tools()
    for name, arguments in (("list_cards", {}), ("delete_card", {"card_id": 999})):
        try:
            await client.call_tool(name, arguments)
        except Exception:  # the SDK checks structuredContent itself, and raises
            pass


def codes(event: Event) -> set[str]:
    return {v.code for v in event.violations}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_a_result_that_breaks_its_output_schema_is_flagged(proxy: Proxy, mode: str) -> None:
    run_session(proxy.url + "/mcp", mode, call_tools, {"X-App-Fault": "bad_structured"})
    events = wait_for(lambda: mcp_events(proxy.db, "tools/call", "tools/call"))
    assert events is not None
    listed = [e for e in events if e.rpc_method == "tools/call" and e.tool == "list_cards"]
    assert codes(listed[0]) == {"mcp_invalid_structured_content"}
    assert all(v.location == "response" for v in listed[0].violations)
    assert {v.where for v in listed[0].violations} >= {"/count"}
    assert not one(events, "tools/list").violations


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_a_call_of_a_tool_the_list_left_out_is_flagged(proxy: Proxy, mode: str) -> None:
    run_session(proxy.url + "/mcp", mode, call_tools, {"X-App-Fault": "unlisted_tool"})
    events = wait_for(lambda: mcp_events(proxy.db, "tools/call", "tools/call"))
    assert events is not None
    (deleted,) = [e for e in events if e.tool == "delete_card"]
    assert codes(deleted) == {"mcp_unknown_tool"}
    (listed,) = [e for e in events if e.tool == "list_cards"]
    assert not listed.violations


def test_an_undeclared_error_is_recorded_as_a_fact_not_a_violation(proxy: Proxy) -> None:
    async def call(client: Client) -> None:
        await client.list_tools()
        try:
            await client.call_tool("list_cards", {})
        except Exception:  # the SDK raises the JSON-RPC error
            pass

    run_session(proxy.url + "/mcp", "legacy", call, {"X-App-Fault": "undeclared_error"})
    events = wait_for(lambda: mcp_events(proxy.db, "tools/call"))
    assert events is not None
    call_event = one(events, "tools/call")
    assert call_event.rpc_error == -32099 and not call_event.violations


def test_a_slow_answer_is_flagged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app: Backend
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"PLUGINLAB_PROXY__SLOW_MS": "200"}
    with Proxy(tmp_path, "--mcp", "/mcp", "--backend", app.url, env=env) as proxy:
        run_session(proxy.url + "/mcp", "auto", call_tools, {"X-App-Delay": "0.5"})
        events = wait_for(lambda: mcp_events(proxy.db, "tools/call", "tools/call"))
    assert events is not None
    assert all("slow_response" in codes(e) for e in events if e.rpc_method == "tools/call")


def initialize(client: httpx.Client) -> str:
    """A handshake-era session opened by hand; its id."""
    init = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"},
        },
    }
    answer = client.post("/mcp", json=init, headers=ACCEPT)
    session = answer.headers["mcp-session-id"]
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    client.post("/mcp", json=note, headers={**ACCEPT, **session_headers(session)})
    return session


def session_headers(session: str, version: str = "2025-11-25") -> dict[str, str]:
    return {"Mcp-Session-Id": session, "MCP-Protocol-Version": version}


def test_mutated_messages_are_flagged_with_their_codes(proxy: Proxy) -> None:
    def call(rid: int, **params: Any) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": params}

    with proxy.client() as client:
        session = initialize(client)
        good = {**ACCEPT, **session_headers(session)}
        client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=good)
        sent = {
            "valid": (call(2, name="add_card", arguments={"title": "x"}), good),
            "type changed": (call(3, name="add_card", arguments={"title": 5}), good),
            "field dropped": (call(4, arguments={"title": "x"}), good),
            "wrong version": (
                call(5, name="list_cards", arguments={}),
                {**ACCEPT, **session_headers(session, "2025-06-18")},
            ),
            "unknown session": (
                call(6, name="list_cards", arguments={}),
                {**ACCEPT, **session_headers("not-a-session")},
            ),
            "unknown method": ({"jsonrpc": "2.0", "id": 7, "method": "tools/explode"}, good),
            "not json-rpc": ({"jsonrpc": "1.0", "id": 8, "method": "ping"}, good),
        }
        ids = {}
        for name, (body, headers) in sent.items():
            ids[name] = client.post("/mcp", json=body, headers=headers).headers[EVENT_HEADER]
    events = wait_for(
        lambda: (
            (found := {e.event_id: e for e in stored_events(proxy.db)})
            and all(i in found for i in ids.values())
            and found
        )
    )
    assert events
    found = {name: codes(events[i]) for name, i in ids.items()}
    assert found == {
        "valid": set(),
        "type changed": {"mcp_invalid_arguments"},
        "field dropped": {"mcp_invalid_message"},
        "wrong version": {"mcp_protocol_version"},
        "unknown session": {"mcp_session"},
        "unknown method": {"mcp_unknown_method"},
        "not json-rpc": {"mcp_invalid_message"},
    }
    assert events[ids["type changed"]].violations[0].where == "/title"
    assert events[ids["not json-rpc"]].rpc_method is None


def notices(db: Path, kind: str) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT message FROM notices WHERE kind = ?", (kind,)).fetchall()
    finally:
        conn.close()
    return [str(r[0]) for r in rows]


async def list_and_read(client: Client) -> None:
    await client.list_tools()
    await client.read_resource("ui://board/board.html")


#: How long a test waits for what the writer thread stores (generous: a loaded machine is slow).
SETTLE_S = 60.0


def test_a_changed_catalogue_is_a_new_version_and_the_sessions_that_listed_it_are_told(
    proxy: Proxy,
) -> None:
    run_session(proxy.url + "/mcp", "legacy", list_and_read)
    first = wait_for(lambda: mcp_events(proxy.db, "tools/list", "resources/read"), SETTLE_S)
    assert first is not None
    session = one(first, "tools/list").session_id
    listed_at = one(first, "tools/list").version
    assert session is not None and listed_at is not None
    run_session(proxy.url + "/mcp", "legacy", list_and_read, {"X-App-Fault": "catalogue_v2"})
    tools_told = f"session {session} listed tools at version {listed_at}; the server now answers"
    widget_told = f"session {session} listed the widget ui://board/board.html"

    def settled() -> tuple[list[str], list[Event]] | None:
        """Both notices written and the second session's events stored (notices are written
        before the batch of events that brought them is committed)."""
        told = notices(proxy.db, "catalogue")
        if not (any(tools_told in n for n in told) and any(widget_told in n for n in told)):
            return None
        events = mcp_events(proxy.db, *("tools/list", "resources/read") * 2)
        return None if events is None else (told, events)

    found = wait_for(settled, SETTLE_S)
    assert found is not None, notices(proxy.db, "catalogue")
    told, events = found
    later = [e for e in events if e.rpc_method == "tools/list"][1]
    assert later.version is not None and later.version > listed_at
    assert any(tools_told in n and "until the connector is refreshed" in n for n in told)
    versions = stored_versions(proxy.db, "catalogue")
    assert [v.number for v in versions][-1] >= later.version
    assert all(v.catalogue_text and v.catalogue_hash for v in versions)
    assert any('"board"' in (v.catalogue_text or "") for v in versions)  # v2's new argument
