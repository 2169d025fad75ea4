"""MCP servers for the tests, built with the official SDK and served by uvicorn on loopback.

`widget_server(patch)` is a small Apps server (one widget tool, its `ui://` template, a plain
tool, a resource template, a prompt) whose answers `patch(method, result)` may rewrite after
the SDK has shaped them, so a test can put on the wire what an SDK server would refuse to send.
`serving(app)` runs any ASGI app in a thread and yields its base URL.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from mcp.server.apps import Apps, ResourceCsp
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import ToolAnnotations
from pydantic import BaseModel

Patch = Callable[[str, dict[str, Any]], dict[str, Any]]
WIDGET = "ui://test/widget.html"
HINTS = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)


class Weather(BaseModel):
    city: str
    celsius: float


def widget_server(patch: Patch | None = None, *, name: str = "test") -> MCPServer:
    apps = Apps()

    @apps.tool(
        resource_uri=WIDGET,
        meta={
            "openai/outputTemplate": WIDGET,
            "openai/toolInvocation/invoking": "Looking outside",
            "openai/toolInvocation/invoked": "Here it is",
        },
        name="get_weather",
        description="The weather in a city.",
        annotations=HINTS,
    )
    async def get_weather(city: str) -> Weather:
        return Weather(city=city, celsius=21.5)

    apps.add_html_resource(
        WIDGET,
        "<!doctype html><title>weather</title><div id=w></div>",
        csp=ResourceCsp(connect_domains=["https://api.example.com"], resource_domains=[]),
    )
    server = MCPServer(name, extensions=[apps])

    @server.tool(name="echo", description="Say it back.", annotations=HINTS)
    async def echo(text: str) -> str:
        return text

    @server.resource("test://notes/{note}", name="note", description="A note")
    async def note(note: str) -> str:
        return f"note {note}"

    @server.prompt(name="greet", description="Say hello")
    def greet(who: str = "you") -> str:
        return f"Say hello to {who}."

    if patch is not None:
        rewrite = patch

        async def patching(
            ctx: ServerRequestContext[Any, Any], call_next: CallNext
        ) -> HandlerResult:
            result = await call_next(ctx)
            return rewrite(ctx.method, result) if isinstance(result, dict) else result

        server.middleware.append(patching)
    return server


#: Seconds the `tools_slow` fault holds a tools/list.
SLOW_LIST_S = 3.0
#: `X-Test-Fault` values of `with_header_faults`: what each does to the server's answer.
HEADER_FAULTS = {
    "no_structured": "a tools/call result without its structuredContent",
    "template_mime": "the widget template read as text/html",
    "template_empty": "the widget template read with no contents",
    "tools_invalid": "a tools/list result whose tools are not a list",
    "tools_error": "a tools/list answered with a JSON-RPC error",
    "tools_slow": f"a tools/list answered after {SLOW_LIST_S:g} s",
}


def with_header_faults(server: MCPServer, seen: list[str] | None = None) -> MCPServer:
    """The server with the HEADER_FAULTS switched on per request by `X-Test-Fault: NAME`
    (what the example app's X-App-Fault cannot do); each method it is sent goes in `seen`."""

    async def faults(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if seen is not None:
            seen.append(ctx.method)
        headers = getattr(ctx.request, "headers", None) or {}
        fault = headers.get("x-test-fault", "")
        if fault == "tools_error" and ctx.method == "tools/list":
            raise MCPError(code=-32000, message="the tools cannot be listed now")
        if fault == "tools_slow" and ctx.method == "tools/list":
            await asyncio.sleep(SLOW_LIST_S)
        result = await call_next(ctx)
        if not isinstance(result, dict):
            return result
        broken: dict[str, Any] = json.loads(json.dumps(result))
        if fault == "no_structured" and ctx.method == "tools/call":
            broken.pop("structuredContent", None)
        elif fault == "template_mime" and ctx.method == "resources/read":
            for item in broken.get("contents", []):
                item["mimeType"] = "text/html"
        elif fault == "template_empty" and ctx.method == "resources/read":
            broken["contents"] = []
        elif fault == "tools_invalid" and ctx.method == "tools/list":
            broken["tools"] = "none"
        return broken

    server.middleware.append(faults)
    return server


def http_app(server: MCPServer, **options: Any) -> Any:
    """Streamable HTTP at /mcp and HTTP+SSE at /sse, as the example app mounts them."""
    app = server.streamable_http_app(streamable_http_path="/mcp", **options)
    sse = server.sse_app(sse_path="/sse", message_path="/messages/")
    app.router.routes.extend(sse.routes)
    return app


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """`app` served by uvicorn in a thread on a free loopback port: yields http://127.0.0.1:PORT."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="auto"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def lax_echo(method: str, result: dict[str, Any]) -> dict[str, Any]:
    """A Patch: the listing says echo needs `lang` too; the tool itself takes anything with a
    text (a server that accepts arguments its inputSchema refuses)."""
    if method == "tools/list":
        for tool in result["tools"]:
            if tool["name"] == "echo":
                tool["inputSchema"]["properties"]["lang"] = {"type": "string"}
                tool["inputSchema"]["required"] = ["text", "lang"]
    return result
