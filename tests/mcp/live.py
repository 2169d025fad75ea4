"""A real MCP session for the tests: an official-SDK server on a loopback port, the official
client talking to it through a transport that keeps every HTTP request and response body, and
a small replay of the captured traffic through the core (jsonrpc, sse, sessions, checks)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from pydantic import BaseModel

from pluginlab_tui.mcp import checks
from pluginlab_tui.mcp.catalogue import LISTS, Catalogue
from pluginlab_tui.mcp.jsonrpc import Message, parse_body, parse_text
from pluginlab_tui.mcp.sessions import (
    SESSION_HEADER,
    VERSION_HEADER,
    Direction,
    Pending,
    Sessions,
    era_of,
    header,
    version_in_force,
)
from pluginlab_tui.mcp.sse import Frame, Parser


class Weather(BaseModel):
    city: str
    celsius: float


def make_server() -> MCPServer:
    server = MCPServer("pluginlab-test", instructions="a test server")

    @server.tool(description="Add two integers.")
    def add(a: int, b: int) -> int:
        return a + b

    @server.tool(description="The weather in a city.")
    async def weather(city: str, ctx: Context) -> Weather:
        await ctx.info(f"looking up {city}")
        return Weather(city=city, celsius=21.5)

    @server.resource("res://readme", mime_type="text/plain")
    def readme() -> str:
        return "read me"

    @server.resource("res://items/{item_id}", mime_type="text/plain")
    def item(item_id: str) -> str:
        return f"item {item_id}"

    @server.prompt(description="A greeting.")
    def greet(name: str) -> str:
        return f"Hello, {name}!"

    return server


@contextmanager
def serving(server: MCPServer) -> Iterator[str]:
    """The server's Streamable HTTP endpoint URL, served by uvicorn in a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = server.streamable_http_app(streamable_http_path="/mcp")
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the MCP test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        uv.should_exit = True
        thread.join(10)
        sock.close()


@dataclass
class Exchange:
    """One HTTP exchange as the client saw it, the response body in the chunks it came in."""

    method: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)


class _Tee(httpx2.AsyncByteStream):
    def __init__(self, inner: Any, exchange: Exchange) -> None:
        self.inner = inner
        self.exchange = exchange

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            self.exchange.chunks.append(bytes(chunk))
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


class Recording(httpx2.AsyncBaseTransport):
    """An httpx2 transport that keeps every exchange it carries."""

    def __init__(self) -> None:
        self.inner = httpx2.AsyncHTTPTransport()
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        exchange = Exchange(
            request.method, {k.lower(): v for k, v in request.headers.items()}, body
        )
        self.exchanges.append(exchange)
        response = await self.inner.handle_async_request(request)
        exchange.status = response.status_code
        exchange.response_headers = {k.lower(): v for k, v in response.headers.items()}
        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            stream=_Tee(response.stream, exchange),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


async def drive(url: str, mode: str) -> list[Exchange]:
    """A full session by the official client: every method the test server supports."""
    recording = Recording()
    async with httpx2.AsyncClient(transport=recording, timeout=30) as http:
        transport = streamable_http_client(url, http_client=http)
        async with Client(transport, mode=mode, cache=None) as client:
            if mode == "legacy":
                await client.send_ping()
            await client.list_tools()
            await client.call_tool("add", {"a": 2, "b": 3})
            await client.call_tool("weather", {"city": "Lyon"})
            await client.list_resources()
            await client.list_resource_templates()
            await client.read_resource("res://readme")
            await client.read_resource("res://items/7")
            await client.list_prompts()
            await client.get_prompt("greet", {"name": "Ada"})
    return recording.exchanges


# -- replaying the capture through the core ------------------------------------------------


@dataclass
class Seen:
    """One message in the capture, with the headers of the exchange that carried it."""

    message: Message
    direction: Direction
    exchange: Exchange
    verdict: checks.Verdict | None = None


def frames(exchange: Exchange) -> list[Frame]:
    parser = Parser()
    out: list[Frame] = []
    for chunk in exchange.chunks:
        out.extend(f for f in parser.feed(chunk) if isinstance(f, Frame))
    return out


def messages(exchange: Exchange) -> list[tuple[Direction, Message]]:
    """(direction, message) for the exchange's request body and its response."""
    out: list[tuple[Direction, Message]] = []
    if exchange.body:
        version = exchange.headers.get(VERSION_HEADER)
        out.extend(("client", m) for m in parse_body(exchange.body, version))
    kind = exchange.response_headers.get("content-type", "")
    if kind.startswith("text/event-stream"):
        out.extend(("server", parse_text(f.data)) for f in frames(exchange) if f.data)
    elif kind.startswith("application/json") and exchange.chunks:
        out.extend(("server", m) for m in parse_body(b"".join(exchange.chunks), None))
    return out


class Replay:
    """What the proxy round will do, in miniature: pair, track, check, keep the catalogue."""

    def __init__(self) -> None:
        self.sessions = Sessions()
        self.catalogue = Catalogue()
        self.seen: list[Seen] = []

    def run(self, exchanges: list[Exchange]) -> list[Seen]:
        for exchange in exchanges:
            for direction, message in messages(exchange):
                self.seen.append(self.one(message, direction, exchange))
        return self.seen

    def one(self, message: Message, direction: Direction, exchange: Exchange) -> Seen:
        headers = exchange.headers
        sid = header(headers, SESSION_HEADER)
        sent_version = header(headers, VERSION_HEADER)
        session = self.sessions.get(sid)
        negotiated = session.version if session is not None else None
        era = era_of(sent_version, message.params)
        seen = Seen(message, direction, exchange)
        if message.kind in ("request", "notification"):
            if direction == "client":
                version = version_in_force(message.method, message.params, sent_version, negotiated)
            else:
                version = negotiated or sent_version
            duplicate = False
            if message.kind == "request" and message.id is not None and version is not None:
                pending = Pending(
                    message.method or "", version, 0.0, direction, checks.subject(message)
                )
                duplicate = not self.sessions.expect(sid, message.id, pending)
            ctx = checks.Context(
                direction,
                version,
                era,
                headers,
                negotiated,
                catalogue=self.catalogue,
                session_id=sid,
                session_known=sid is None or session is not None,
                sessions_issued=self.sessions.issued,
                duplicate_id=duplicate,
            )
            seen.verdict = checks.check(message, ctx)
            return seen
        asker = "server" if direction == "client" else "client"
        request = None
        if message.id is not None:
            request = self.sessions.answer(sid, asker, message.id)  # type: ignore[arg-type]
        ctx = checks.Context(
            direction,
            request.version if request else negotiated,
            era,
            headers,
            negotiated,
            request=request,
            catalogue=self.catalogue,
        )
        seen.verdict = checks.check(message, ctx)
        if request is not None and message.kind == "result" and message.result is not None:
            self.learn(request, message.result, exchange)
        return seen

    def learn(self, request: Pending, result: dict[str, Any], exchange: Exchange) -> None:
        if request.method == "initialize":
            version = result.get("protocolVersion")
            if isinstance(version, str):
                self.sessions.open(exchange.response_headers.get(SESSION_HEADER), version)
        elif request.method in LISTS:
            self.catalogue = self.catalogue.with_list(request.method, None, result)
        elif request.method == "resources/read" and request.subject:
            self.catalogue = self.catalogue.with_read(request.subject, result)
