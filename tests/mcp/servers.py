"""MCP servers for the tests, built with the official SDK and served by uvicorn on loopback.

`widget_server(patch)` is a small Apps server (one widget tool, its `ui://` template, a plain
tool, a resource template, a prompt) whose answers `patch(method, result)` may rewrite after
the SDK has shaped them, so a test can put on the wire what an SDK server would refuse to send.
`serving(app)` runs any ASGI app in a thread and yields its base URL.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from mcp.server.apps import Apps, ResourceCsp
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
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
