"""The token guard in front of a real aiohttp server: every route asks for the token."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp import WSServerHandshakeError, web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given
from hypothesis import strategies as st

from pluginlab_tui.web.access import QUERY, AccessLog, Guard, log, new_token

#: Fixed, so that every xdist worker collects the same tests (new_token is tested below).
TOKEN = "Zt2n1yq8W0a3kVx7cQe5Rb9mLp4sHd6uJf0gTi2oYw8"
PORT = 8790


async def _page(request: web.Request) -> web.Response:
    return web.Response(text="the page")


async def _socket(request: web.Request) -> web.WebSocketResponse:
    socket = web.WebSocketResponse()
    await socket.prepare(request)
    await socket.send_str("hello")
    await socket.close()
    return socket


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    guard = Guard(TOKEN, PORT)
    app = web.Application(middlewares=[guard.middleware])
    app.add_routes([web.get("/", _page), web.get("/ws", _socket), web.get("/static/x.js", _page)])
    server = TestServer(app)
    await server.start_server(access_log_class=AccessLog, access_log=log)  # as web/server.py
    async with TestClient(server) as test_client:
        yield test_client


@pytest.mark.parametrize("path", ["/", "/ws", "/static/x.js", "/download/key", "/nowhere"])
@pytest.mark.parametrize(
    "query",
    [
        "",
        f"?{QUERY}=",
        f"?{QUERY}=wrong",
        f"?{QUERY}={TOKEN[:-1]}",
        f"?{QUERY}={TOKEN}x",
        f"?{QUERY}={TOKEN.upper()}",
        f"?Token={TOKEN}",
    ],
    ids=["none", "empty", "wrong", "short", "longer", "upper", "other-name"],
)
async def test_a_missing_or_wrong_token_is_403_and_nothing_else(
    client: TestClient[web.Request, web.Application], path: str, query: str
) -> None:
    answer = await client.get(path + query)
    assert answer.status == 403
    assert await answer.text() == "forbidden\n"
    assert "Set-Cookie" not in answer.headers


async def test_the_token_in_the_query_opens_the_page_and_sets_the_cookie(
    client: TestClient[web.Request, web.Application],
) -> None:
    answer = await client.get(f"/?{QUERY}={TOKEN}")
    assert answer.status == 200 and await answer.text() == "the page"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith(f"pluginlab_web_{PORT}={TOKEN};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    # the page's own requests carry only the cookie
    assert (await client.get("/static/x.js")).status == 200
    async with client.ws_connect("/ws") as socket:
        assert await socket.receive_str() == "hello"


async def test_a_wrong_query_is_refused_even_with_the_cookie(
    client: TestClient[web.Request, web.Application],
) -> None:
    assert (await client.get(f"/?{QUERY}={TOKEN}")).status == 200
    assert (await client.get(f"/?{QUERY}=wrong")).status == 403


async def test_a_cookie_of_another_web_view_is_not_this_ones(
    client: TestClient[web.Request, web.Application],
) -> None:
    answer = await client.get("/", headers={"Cookie": f"pluginlab_web_{PORT + 1}={TOKEN}"})
    assert answer.status == 403


async def test_another_sites_page_cannot_open_the_websocket(
    client: TestClient[web.Request, web.Application],
) -> None:
    with pytest.raises(WSServerHandshakeError) as refused:
        await client.ws_connect(f"/ws?{QUERY}={TOKEN}", headers={"Origin": "https://evil.example"})
    assert refused.value.status == 403
    own = f"http://{client.server.host}:{client.server.port}"
    async with client.ws_connect(f"/ws?{QUERY}={TOKEN}", headers={"Origin": own}) as socket:
        assert await socket.receive_str() == "hello"


async def test_the_access_log_never_holds_the_token(
    client: TestClient[web.Request, web.Application], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="pluginlab_tui.web"):
        await client.get(f"/?{QUERY}={TOKEN}")
        await client.get("/static/x.js")
        await client.get(f"/?{QUERY}=wrong-{TOKEN[:8]}")
    lines = [record.getMessage() for record in caplog.records]
    assert any(line.endswith("GET / 200") for line in lines)
    assert any(line.endswith("GET / 403") for line in lines)
    assert not any(TOKEN in line or TOKEN[:8] in line for line in lines)


@given(st.text())
def test_nothing_but_the_token_is_admitted(given_text: str) -> None:
    guard = Guard(TOKEN, PORT)
    assert guard.admits(given_text) == (given_text == TOKEN)
    assert guard.admits(TOKEN) and not guard.admits(None)


def test_each_token_is_new_and_long() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50 and all(len(t) >= 43 for t in tokens)
