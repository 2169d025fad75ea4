"""The older HTTP+SSE transport through `serve --mcp-sse /sse`, in front of the official SDK's
SSE server (tests/sse_servers.py: its endpoint event names the server by an absolute URL) with
the SDK's `sse_client` as the caller: the endpoint event the client gets names the proxy, each
POSTed message is one event paired with its answer from the stream, checked live, and the stream
is relayed as it goes (its messages are recorded while it is still open)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import httpx
import mcp_types
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp.shared.exceptions import MCPError

from pluginlab_tui.mcp.exchange_view import find_answer
from pluginlab_tui.mcp.sse import first_event_end
from pluginlab_tui.store.event import Event
from pluginlab_tui.wire import EVENT_HEADER
from tests.conftest import events_since, stored_events
from tests.e2e.test_mcp_mode import Proxy
from tests.harness import wait_for
from tests.mcp.servers import serving, widget_server
from tests.sse_servers import MESSAGE, Gated, legacy_app, split_endpoint


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    with serving(legacy_app(widget_server())) as url:
        yield url


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Proxy]:
    folder = tmp_path_factory.mktemp("legacy")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        proxy = Proxy(folder, "--mcp-sse", "/sse", "--backend", backend)
        proxy.child.env = {"PLUGINLAB_PROXY__PUBLIC_URL": proxy.url}
        with proxy:
            yield proxy


def ids(db: Path) -> set[str]:
    return {e.event_id for e in stored_events(db)}


def by_method(events: list[Event], method: str | None) -> list[Event]:
    return [e for e in events if e.protocol == "mcp" and e.rpc_method == method]


def answer_of(event: Event) -> Any:
    """The result of an event's answer, read back from its recorded body as the TUI reads it."""
    found = find_answer(event.response_body, event.rpc_id).message
    assert found is not None, event.response_body
    return found.value.get("result")


def first_frame(client: httpx.Client, headers: dict[str, str] | None = None) -> bytes:
    """The first event of a stream opened on /sse, as the caller gets it."""
    with client.stream("GET", "/sse", headers=headers or {}) as stream:
        got = b""
        for chunk in stream.iter_raw():
            got += chunk
            if b"\r\n\r\n" in got or b"\n\n" in got:
                return got
    return got


def test_a_legacy_session_is_recorded_message_by_message_and_checked(
    proxy: Proxy, backend: str
) -> None:
    earlier = ids(proxy.db)

    async def work(client: Client) -> dict[str, Any]:
        tools = await client.list_tools()
        echoed = await client.call_tool("echo", {"text": "through the proxy"})
        # the stream is still open: the messages it answered are recorded already
        found = await anyio.to_thread.run_sync(
            lambda: wait_for(lambda: by_method(events_since(proxy.db, earlier), "tools/call"))
        )
        streams_open = by_method(events_since(proxy.db, earlier), None)
        try:
            await client.call_tool("get_weather", {"city": 5})
        except MCPError:
            pass  # refused by the server: the proxy's verdict is what counts here
        return {"tools": tools, "echoed": echoed, "found": found, "streams": streams_open}

    async def session() -> dict[str, Any]:
        async with Client(sse_client(f"{proxy.url}/sse"), mode="legacy", cache=None) as client:
            return await work(client)

    seen = anyio.run(session)
    assert "get_weather" in [t.name for t in seen["tools"].tools]
    assert seen["found"] and not seen["streams"]

    events = wait_for(
        lambda: (
            (found := events_since(proxy.db, earlier))
            and len(by_method(found, "tools/call")) == 2
            and by_method(found, None)
            and found
        )
    )
    assert events
    (stream,) = by_method(events, None)
    assert stream.method == "GET" and stream.path == "/sse" and stream.session_id
    # the endpoint event the client got names the proxy, not the backend
    body = stream.response_body or ""
    assert f"data: {proxy.url}/messages/?session_id={stream.session_id}" in body
    assert backend not in body
    assert stream.frames[0]["event"] == "endpoint"

    messages = [e for e in events if e.rpc_method is not None]
    methods = sorted(str(e.rpc_method) for e in messages)
    assert methods == [
        "initialize",
        "notifications/initialized",
        "tools/call",
        "tools/call",
        "tools/list",
    ]
    for event in messages:
        assert (event.method, event.path, event.status) == ("POST", "/messages/", 202)
        assert event.session_id == stream.session_id and event.rpc_direction == "client"
        assert event.exchange_id == event.event_id
    (initialize,) = by_method(messages, "initialize")
    negotiated = answer_of(initialize)["protocolVersion"]
    assert all(e.protocol_version == negotiated for e in messages)
    (listed,) = by_method(messages, "tools/list")
    tools = answer_of(listed)["tools"]
    assert {t["name"] for t in tools} >= {"echo", "get_weather"}
    assert listed.duration_ms is not None and not listed.violations and listed.error is None
    echo, weather = sorted(by_method(messages, "tools/call"), key=lambda e: str(e.tool))
    assert echo.tool == "echo" and not echo.violations and echo.is_error is False
    assert "through the proxy" in json.dumps(answer_of(echo))
    assert weather.tool == "get_weather"
    assert [(v.code, v.where) for v in weather.violations] == [("mcp_invalid_arguments", "/city")]


def test_without_a_public_url_the_endpoint_is_a_path_on_the_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with Proxy(tmp_path, "--mcp-sse", "/sse", "--backend", backend) as proxy:
        with proxy.client() as client:
            first = first_frame(client)

        async def session() -> list[str]:
            async with Client(sse_client(f"{proxy.url}/sse"), mode="legacy") as client:
                return [t.name for t in (await client.list_tools()).tools]

        listed = anyio.run(session)
    # no proxy.public_url: a path, which the client resolves against the URL it opened
    assert b"event: endpoint" in first and b"data: /messages/?session_id=" in first
    assert "echo" in listed
    assert any("MCP at /sse" in line for line in proxy.lines)


def test_an_endpoint_event_in_pieces_is_pointed_at_the_proxy_and_the_stream_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with (
        Gated(split_endpoint) as backend,
        Proxy(tmp_path, "--mcp-sse", "/sse", "--backend", backend.url) as proxy,
        proxy.client() as client,
    ):
        with client.stream("GET", "/sse") as stream:
            chunks = stream.iter_raw()
            got = b""
            while MESSAGE not in got:
                got += next(chunks)
            # the message came while the server holds its stream open
            assert not backend.go.is_set()
        with client.stream("GET", "/sse/elsewhere") as stream:
            chunks = stream.iter_raw()
            other = b""
            while first_event_end(other) is None:
                other += next(chunks)
        with client.stream("GET", "/sse/chatter") as stream:
            chunks = stream.iter_raw()
            noise = b""
            while MESSAGE not in noise:  # not held back past 64 KiB waiting for an event
                noise += next(chunks)
        backend.go.set()
        events = wait_for(lambda: len(by_method(stored_events(proxy.db), None)) == 3)
        streams = by_method(stored_events(proxy.db), None)
    assert got.startswith(b"event: endpoint\ndata: /messages/?session_id=abc\n\n")
    assert backend.url.encode() not in got
    assert events and streams[0].session_id == "abc"
    assert [f["event"] for f in streams[0].frames] == ["endpoint", "message"]
    # another origin is not the proxy's to relay: passed on as it came, and the event says so
    assert b"data: http://elsewhere.example/messages/?session_id=x" in other
    assert streams[1].error is not None and "not a path on the backend" in streams[1].error
    assert noise.startswith(b": xxx") and len(noise) == 80 * 1024 + len(MESSAGE)


def test_in_strict_mode_a_legacy_post_still_reaches_the_server_and_is_flagged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    monkeypatch.chdir(tmp_path)

    async def session(url: str) -> Any:
        async with Client(sse_client(f"{url}/sse"), mode="legacy") as client:
            await client.list_tools()
            return await client.call_tool("get_weather", {"city": 5})

    with Proxy(tmp_path, "--mcp-sse", "/sse", "--backend", backend, "--strict") as strict:
        # the client reads answers on its stream only: the server's answer, not a hang
        called = anyio.run(session, strict.url)
        found = wait_for(lambda: by_method(stored_events(strict.db), "tools/call"))
    assert called.is_error
    (event,) = found
    assert [v.code for v in event.violations] == ["mcp_invalid_arguments"]
    assert answer_of(event)["isError"] is True


def test_a_post_to_the_announced_path_names_the_event_of_its_message(proxy: Proxy) -> None:
    earlier = ids(proxy.db)
    params = mcp_types.InitializeRequestParams(
        protocol_version="2024-11-05",
        capabilities=mcp_types.ClientCapabilities(),
        client_info=mcp_types.Implementation(name="by-hand", version="1"),
    )
    initialize = mcp_types.InitializeRequest(params=params).model_dump(
        by_alias=True, mode="json", exclude_none=True
    )
    with proxy.client() as client, client.stream("GET", "/sse") as stream:
        chunks = stream.iter_raw()  # kept: a generator let go closes the stream
        first = b""
        while first_event_end(first) is None:
            first += next(chunks)
        (line,) = [x for x in first.decode().splitlines() if x.startswith("data: ")]
        target = line.removeprefix("data: ").removeprefix(proxy.url)
        answer = client.post(target, json={"jsonrpc": "2.0", "id": 7, **initialize})
        event = wait_for(lambda: by_method(events_since(proxy.db, earlier), "initialize"))
    assert answer.status_code == 202
    assert event and answer.headers[EVENT_HEADER] == event[0].event_id
    assert event[0].rpc_id == "7" and answer_of(event[0])["protocolVersion"] == "2024-11-05"
    assert event[0].protocol_version == "2024-11-05" and not event[0].violations
