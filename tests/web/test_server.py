"""textual-serve's server behind the token, run for real on a loopback port."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from pluginlab_tui.examples import free_port
from pluginlab_tui.web.access import QUERY, Guard, new_token
from pluginlab_tui.web.server import GuardedServer


@dataclass
class Running:
    base: str
    port: int
    token: str
    session: aiohttp.ClientSession


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    token, port = new_token(), free_port()
    server = GuardedServer(
        "true", "127.0.0.1", port, guard=Guard(token, port), title="test", max_sessions=0
    )
    ready = asyncio.Event()
    task = asyncio.ensure_future(server.run(ready.set))
    await asyncio.wait_for(ready.wait(), 30)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield Running(f"http://127.0.0.1:{port}", port, token, session)
    server.stop()
    await asyncio.wait_for(task, 30)


async def _get(running: Running, path: str, **headers: str) -> tuple[int, str]:
    async with running.session.get(running.base + path, headers=headers) as answer:
        return answer.status, await answer.text()


async def test_every_route_of_textual_serve_asks_for_the_token(running: Running) -> None:
    for path in ("/", "/ws", "/static/js/textual.js", "/static/", "/download/key", "/other"):
        assert await _get(running, path) == (403, "forbidden\n"), path


async def test_the_page_loads_nothing_from_outside_and_follows_the_address_used(
    running: Running,
) -> None:
    status, page = await _get(
        running, f"/?{QUERY}={running.token}", Host=f"localhost:{running.port}"
    )
    assert status == 200
    assert "googleapis" not in page
    urls = set(re.findall(r"""(?:https?|wss?)://[^"'\s)]+""", page))
    urls.discard("http://www.w3.org/2000/svg")  # the logo's XML namespace, no fetch
    assert urls and all(f"//localhost:{running.port}/" in url for url in urls), urls
    assert f"ws://localhost:{running.port}/ws" in urls
    # what the page then fetches goes with the cookie the first answer set
    assert (await _get(running, "/static/js/textual.js"))[0] == 200
    assert (await _get(running, "/download/unknown"))[0] == 404  # textual-serve's own answer


async def test_the_log_holds_paths_never_the_token(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="pluginlab_tui.web"):
        await _get(running, f"/?{QUERY}={running.token}")
        await _get(running, f"/static/css/xterm.css?{QUERY}={running.token}")
        await asyncio.sleep(0)  # the line is written once the answer is sent
    lines = [record.getMessage() for record in caplog.records]
    assert any(line.endswith("GET /static/css/xterm.css 200") for line in lines), lines
    assert not any(running.token in line for line in lines)


async def test_sessions_past_the_bound_are_refused_without_an_app_process(
    running: Running,
) -> None:
    # this server takes no session at all: the websocket is answered 503, nothing is started
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await running.session.ws_connect(f"{running.base}/ws?{QUERY}={running.token}")
    assert refused.value.status == 503
