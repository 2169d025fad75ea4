"""textual-serve's Server behind the token (access.Guard), with a log that never holds it.

Changes to textual-serve's behaviour, each for the shared view:
- every route (page, websocket, downloads, static files, unknown paths) passes the Guard first;
- the page's URLs (static files, websocket) are built from the address the browser used, so
  the cookie the first visit set goes along to them whatever name the host was reached by;
- the page loads nothing from outside hosts (textual-serve's page asks Google for a font);
- the access log writes method, path and status, never the query or a header.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import signal
from collections.abc import Callable
from typing import Any

from aiohttp import web
from textual_serve.server import Server

from pluginlab_tui.web.access import AccessLog, Guard, log

#: Browser sessions at once (each is an app process of its own); one more is answered 503.
MAX_SESSIONS = 16
#: How long open sessions get to end when the server stops.
SHUTDOWN_TIMEOUT_S = 10.0
#: How long aiohttp waits for requests still open once the sessions are ended.
DRAIN_S = 2.0

_OUTSIDE_FONT = re.compile(r"<link\b[^>]*https://fonts\.googleapis\.com[^>]*>", re.S)


class GuardedServer(Server):
    """Serves `command` (a shell command line: one app process per browser connection)."""

    def __init__(
        self,
        command: str,
        host: str,
        port: int,
        *,
        guard: Guard,
        title: str,
        max_sessions: int = MAX_SESSIONS,
    ) -> None:
        super().__init__(command, host=host, port=port, title=title)
        self.guard = guard
        self.max_sessions = max_sessions
        self._stop: asyncio.Event | None = None
        self._sessions: dict[asyncio.Task[Any], web.Request] = {}

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.guard.middleware)
        return app

    async def handle_index(self, request: web.Request) -> Any:
        # textual-serve builds the page's URLs from public_url, with no await in between: set
        # it to where this browser reached us for the length of the call.
        self.public_url = f"{request.scheme}://{request.host}"
        response = await super().handle_index(request)
        if isinstance(response, web.Response) and response.text is not None:
            response.text = _OUTSIDE_FONT.sub("", response.text)
        return response

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        # one browser's session (its app process lives as long as this task): kept, so that a
        # stop ends each session as a closed browser tab does, before the server goes
        if len(self._sessions) >= self.max_sessions:
            return web.Response(status=503, text=f"at most {self.max_sessions} sessions at once\n")
        task = asyncio.current_task()
        assert task is not None
        self._sessions[task] = request
        try:
            return await super().handle_websocket(request)
        finally:
            self._sessions.pop(task, None)

    async def _end_sessions(self) -> None:
        """End every browser's session as a closed tab would (its connection drops, textual-serve
        tells the app to quit and reads it to the end); wait for them, bounded."""
        sessions = dict(self._sessions)
        for request in sessions.values():
            if request.transport is not None:
                request.transport.close()
        if sessions:
            _, late = await asyncio.wait(sessions, timeout=SHUTDOWN_TIMEOUT_S)
            for task in late:
                task.cancel()

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints its logo and URL here; the command prints its own lines."""

    def stop(self) -> None:
        """End `run` (as SIGINT or SIGTERM does)."""
        if self._stop is not None:
            self._stop.set()

    async def run(self, ready: Callable[[], None]) -> None:
        """Serve until SIGINT or SIGTERM; `ready` is called once the port is bound."""
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        runner = web.AppRunner(
            await self._make_app(),
            access_log_class=AccessLog,
            access_log=log,
            handle_signals=False,
            shutdown_timeout=DRAIN_S,
        )
        await runner.setup()
        stop = self._stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            ready()
            await stop.wait()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            await self._end_sessions()
            await runner.cleanup()
            _close_app_transports()
            await asyncio.sleep(0)


def _close_app_transports() -> None:
    """Close the transports of the app processes textual-serve started and left open.

    textual-serve never closes them (nor waits for a process that is still quitting when its
    browser went): left to the garbage collector after the loop is closed, each prints
    "Event loop is closed" at exit. Closing them here, while the loop runs, ends what is left.
    """
    from asyncio.base_subprocess import BaseSubprocessTransport

    gc.collect()
    for found in gc.get_objects():
        if isinstance(found, BaseSubprocessTransport) and not found.is_closing():
            found.close()
