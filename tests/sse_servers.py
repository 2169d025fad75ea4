"""Loopback servers that answer MCP traffic with event streams, for the stream tests.

- `Gated(app_of)`: the ASGI app `app_of(go)` served on a loopback port (tests/mcp/servers.py's
  `serving`), `go` a threading.Event the app may wait on before it sends more (set on exit, so
  no stream outlives the test). `.url`, `.go`.
- `two_frames(go)`: each answer on /mcp is an SSE stream that sends FRAME_1, then FRAME_2 only
  once `go` is set (a POST's stream then ends; a GET's waits for `go` and ends).
- `scripted(go)`: GET /mcp sends a notification and two server requests, then is held open
  until `go`; with Last-Event-ID it replays; POST answers requests (or a batch) as JSON, else 202.
- `split_endpoint(go)`: GET /sse sends its `endpoint` event (an absolute URL naming the server)
  in three pieces, then a message, then holds the stream open until `go`; GET /sse/elsewhere
  announces a message path on another origin; GET /sse/chatter sends 80 KiB of comments and a
  message before any event ends.
- `legacy_app(server)`: the official SDK's HTTP+SSE transport (`sse_app`, /sse and /messages/)
  for an MCPServer, its `endpoint` event made an absolute URL naming the server itself (as some
  servers send it; the SDK's client refuses it unless it names the URL the client opened).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack
from typing import Any

from mcp.server.mcpserver import MCPServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from tests.mcp.servers import serving

FRAME_1 = b'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\n\n'
FRAME_2 = b'event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n'


class Gated:
    def __init__(self, app_of: Callable[[threading.Event], Any]) -> None:
        self.go = threading.Event()
        self.app = app_of(self.go)
        self.url = ""
        self._stack = ExitStack()

    def __enter__(self) -> Gated:
        self.url = self._stack.enter_context(serving(self.app))
        return self

    def __exit__(self, *exc: object) -> None:
        self.go.set()
        self._stack.close()


async def _until(go: threading.Event) -> None:
    while not go.is_set():
        await asyncio.sleep(0.01)


def frame(message: dict[str, object], event_id: str) -> bytes:
    return f"id: {event_id}\nevent: message\ndata: {json.dumps(message)}\n\n".encode()


def two_frames(go: threading.Event) -> Starlette:
    async def frames(then: bytes | None) -> AsyncIterator[bytes]:
        yield FRAME_1
        await _until(go)
        if then is not None:
            yield then

    async def mcp(request: Request) -> StreamingResponse:
        then = FRAME_2 if request.method == "POST" else None
        return StreamingResponse(frames(then), media_type="text/event-stream")

    return Starlette(routes=[Route("/mcp", mcp, methods=["GET", "POST"])])


def scripted(go: threading.Event) -> Starlette:
    async def stream() -> AsyncIterator[bytes]:
        yield frame({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}, "1")
        yield frame({"jsonrpc": "2.0", "id": "srv-1", "method": "roots/list"}, "2")
        yield frame({"jsonrpc": "2.0", "id": "srv-2", "method": "ping"}, "3")
        await _until(go)

    async def replay() -> AsyncIterator[bytes]:
        # a resumed stream: what was sent after Last-Event-ID 0 (all of it), then one more
        yield frame({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}, "1")
        yield frame({"jsonrpc": "2.0", "method": "notifications/resources/list_changed"}, "4")

    async def mcp(request: Request) -> Response:
        if request.method == "GET" and "last-event-id" in request.headers:
            return StreamingResponse(replay(), media_type="text/event-stream")
        if request.method == "GET":
            return StreamingResponse(stream(), media_type="text/event-stream")
        if request.method == "DELETE":
            return Response(status_code=200)
        value = json.loads(await request.body())
        items = value if isinstance(value, list) else [value]
        answers = [
            {"jsonrpc": "2.0", "id": m["id"], "result": {}}
            for m in items
            if "method" in m and "id" in m
        ]
        if not answers:
            return Response(status_code=202)
        return JSONResponse(answers if isinstance(value, list) else answers[0])

    return Starlette(routes=[Route("/mcp", mcp, methods=["GET", "POST", "DELETE"])])


MESSAGE = b'event: message\r\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\r\n\r\n'


def split_endpoint(go: threading.Event) -> Starlette:
    async def pieces(own: str) -> AsyncIterator[bytes]:
        for piece in (b"event: endp", f"oint\r\ndata: {own}/mess".encode(), b"ages/?session_"):
            yield piece
            await asyncio.sleep(0.05)  # each piece a chunk of its own on the wire
        yield b"id=abc\r\n\r\n" + MESSAGE
        await _until(go)

    async def elsewhere() -> AsyncIterator[bytes]:
        yield b"event: endpoint\r\ndata: http://elsewhere.example/messages/?session_id=x\r\n\r\n"
        await _until(go)

    async def chatter() -> AsyncIterator[bytes]:
        for _ in range(80):
            yield b": " + b"x" * 1021 + b"\n"
        yield MESSAGE
        await _until(go)

    async def sse(request: Request) -> StreamingResponse:
        own = f"http://{request.url.netloc}"
        return StreamingResponse(pieces(own), media_type="text/event-stream")

    async def other(request: Request) -> StreamingResponse:
        return StreamingResponse(elsewhere(), media_type="text/event-stream")

    async def noisy(request: Request) -> StreamingResponse:
        return StreamingResponse(chatter(), media_type="text/event-stream")

    routes = [Route("/sse", sse), Route("/sse/elsewhere", other), Route("/sse/chatter", noisy)]
    return Starlette(routes=routes)


def legacy_app(server: MCPServer) -> Any:
    sdk = server.sse_app(sse_path="/sse", message_path="/messages/")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/sse":
            await sdk(scope, receive, send)
            return
        host, port = scope["server"]
        own = f"data: http://{host}:{port}/messages/".encode()

        async def absolute(message: Message) -> None:
            if message["type"] == "http.response.body":
                body = message.get("body", b"").replace(b"data: /messages/", own, 1)
                message = {**message, "body": body}
            await send(message)

        await sdk(scope, receive, absolute)

    return app
