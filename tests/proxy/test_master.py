"""The embedded master: the event loop it runs on."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest
from mitmproxy.utils import asyncio_utils

from pluginlab_tui.proxy.master import event_loop_runner


def test_the_chosen_loop_runs_tasks_the_way_mitmproxy_starts_them() -> None:
    answers: list[str] = []

    async def answer() -> str:
        return "up"

    async def main() -> None:
        with asyncio_utils.set_eager_task_factory():  # what mitmproxy's Master.run does
            task = asyncio_utils.create_task(answer(), name="probe", keep_ref=True)
            answers.append(await task)

    event_loop_runner()(main())
    assert answers == ["up"]


def test_pluginlab_uvloop_0_chooses_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLUGINLAB_UVLOOP", "0")
    assert event_loop_runner() is asyncio.run


def test_where_uvloop_is_installed_it_runs_mitmproxy_s_tasks_and_httpx_in_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """mitmproxy's eager task factory is swapped for plain tasks on uvloop (uvloop 0.23 passes
    it `eager_start`, and does not make an eager task the current one): the loop is still
    uvloop's, and an httpx call in a task mitmproxy's way starts (anyio's cancel scopes) works."""
    uvloop = pytest.importorskip("uvloop")
    monkeypatch.delenv("PLUGINLAB_UVLOOP", raising=False)
    seen: list[object] = []

    def app(environ: object, start: Callable[..., object]) -> list[bytes]:
        start("204 No Content", [])
        return []

    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    async def fetch() -> int:
        async with httpx.AsyncClient(trust_env=False) as client:
            return (await client.get(f"http://127.0.0.1:{server.server_port}/")).status_code

    async def main() -> None:
        seen.append(isinstance(asyncio.get_running_loop(), uvloop.Loop))
        with asyncio_utils.set_eager_task_factory():
            seen.append(await asyncio_utils.create_task(fetch(), name="fetch", keep_ref=True))

    try:
        event_loop_runner()(main())
    finally:
        server.shutdown()
    assert seen == [True, 204]


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass
