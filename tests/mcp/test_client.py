"""mcp/client.py: listing real SDK servers over Streamable HTTP and HTTP+SSE, and its refusals."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from pluginlab_tui.errors import UsageError
from pluginlab_tui.examples import Backend
from pluginlab_tui.mcp.client import list_server, widget_uris
from tests.mcp.servers import WIDGET, http_app, serving, widget_server


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with serving(http_app(widget_server())) as url:
        yield url


def test_it_lists_the_example_app_and_reads_its_widget(app_backend: Backend) -> None:
    listing = list_server(app_backend.url + "/mcp")
    assert listing.transport == "streamable-http"
    assert [t["name"] for t in listing.tools] == [
        "list_cards",
        "add_card",
        "move_card",
        "delete_card",
    ]
    board = listing.tools[0]
    assert board["inputSchema"]["type"] == "object" and "outputSchema" in board
    assert board["annotations"]["readOnlyHint"] is True
    assert widget_uris(board) == ["ui://board/board.html"]
    assert [r["uri"] for r in listing.resources] == ["ui://board/board.html"]
    assert [t["uriTemplate"] for t in listing.resource_templates] == ["board://cards/{card_id}"]
    assert [p["name"] for p in listing.prompts] == ["triage"]
    read = listing.reads["ui://board/board.html"]
    assert read.error is None
    assert read.contents[0]["mimeType"] == "text/html;profile=mcp-app"
    assert "<html" in read.contents[0]["text"]
    assert listing.errors == {} and listing.truncated == []


def test_it_falls_back_to_the_older_sse_transport(server_url: str) -> None:
    listing = list_server(server_url + "/sse")
    assert listing.transport == "sse"
    assert {t["name"] for t in listing.tools} == {"get_weather", "echo"}
    assert listing.reads[WIDGET].contents


def test_every_page_of_a_paged_listing_is_read() -> None:
    server = widget_server()
    tools: list[dict[str, Any]] = []

    async def pages(ctx: Any, call_next: Any) -> Any:
        result = await call_next(ctx)
        if ctx.method != "tools/list":
            return result
        tools[:] = result["tools"]
        cursor = (ctx.params or {}).get("cursor")
        index = int(cursor) if cursor else 0
        page = {**result, "tools": tools[index : index + 1]}
        page.pop("nextCursor", None)
        if index + 1 < len(tools):
            page["nextCursor"] = str(index + 1)
        return page

    server.middleware.append(pages)
    with serving(http_app(server)) as url:
        listing = list_server(url + "/mcp")
    assert sorted(t["name"] for t in listing.tools) == ["echo", "get_weather"]


class _Bearer:
    """401 unless the request carries Authorization: Bearer secret."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and Request(scope).headers.get("authorization") != "Bearer secret"
        ):
            await JSONResponse({"error": "unauthorized"}, status_code=401)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def test_a_bearer_token_is_sent_and_its_absence_is_named() -> None:
    with serving(_Bearer(http_app(widget_server()))) as url:
        assert len(list_server(url + "/mcp", token="secret").tools) == 2
        with pytest.raises(UsageError, match=r"HTTP 401 to POST.*--token"):
            list_server(url + "/mcp")


def test_a_list_the_server_refuses_is_kept_not_raised() -> None:
    def refuse(method: str, result: dict[str, Any]) -> dict[str, Any]:
        if method == "prompts/list":
            return {"prompts": "not a list"}
        return result

    with serving(http_app(widget_server(refuse))) as url:
        listing = list_server(url + "/mcp")
    assert listing.prompts == []
    assert "prompts/list" in listing.errors
    assert "not a valid prompts/list result" in listing.errors["prompts/list"]
    assert len(listing.tools) == 2


def test_an_unreadable_template_is_kept_with_its_error() -> None:
    def broken(method: str, result: dict[str, Any]) -> dict[str, Any]:
        if method == "tools/list":
            result["tools"][0]["_meta"]["ui"]["resourceUri"] = "ui://test/gone.html"
        return result

    with serving(http_app(widget_server(broken))) as url:
        listing = list_server(url + "/mcp")
    gone = listing.reads["ui://test/gone.html"]
    assert gone.contents == [] and gone.error is not None and "JSON-RPC error" in gone.error


def test_an_unreachable_server_is_one_clear_line() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(UsageError, match=f"cannot connect to http://127.0.0.1:{port}/mcp"):
        list_server(f"http://127.0.0.1:{port}/mcp", timeout=5)


def test_a_server_that_is_not_mcp_is_named_so() -> None:
    async def plain(scope: Scope, receive: Receive, send: Send) -> None:
        await Response("hello", media_type="text/plain")(scope, receive, send)

    with serving(plain) as url, pytest.raises(UsageError) as caught:
        list_server(url + "/mcp", timeout=5)
    message = str(caught.value)
    assert "does not answer as an MCP server" in message
    assert "Streamable HTTP" in message and "HTTP+SSE" in message


def test_a_server_that_never_answers_is_bounded_by_the_timeout() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(UsageError, match=r"did not answer within 0\.5 s"):
            list_server(f"http://127.0.0.1:{port}/mcp", timeout=0.5)


@pytest.mark.parametrize("url", ["ftp://example.com/mcp", "127.0.0.1:8000/mcp"])
def test_only_http_urls_are_taken(url: str) -> None:
    with pytest.raises(UsageError, match="http:// or https:// URL"):
        list_server(url)
