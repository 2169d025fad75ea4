"""The embedded proxy: a mitmproxy Master with only the addons it needs, plus pluginlab."""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

from mitmproxy import options
from mitmproxy.addons import core, next_layer, proxyserver, tlsconfig
from mitmproxy.addons.proxyserver import Proxyserver
from mitmproxy.master import Master

from pluginlab_tui.config import Config, host_port
from pluginlab_tui.errors import UsageError
from pluginlab_tui.proxy.addon import PluginLab
from pluginlab_tui.proxy.collection import FULL_EVERY_S, full_collections_every
from pluginlab_tui.proxy.front import Front
from pluginlab_tui.proxy.runtime import Runtime

#: How long a stopping proxy waits for exchanges in flight before recording them as cut short.
GRACE_S = 5.0
#: How long it then waits for the connections it closes to be done.
CLOSE_S = 1.0


def check_port_free(host: str, port: int) -> None:
    """Raise UsageError when HOST:PORT cannot be listened on."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(f"{host}:{port} is already in use (proxy.listen)") from None
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


class ProxyServer:
    """Runs the proxy inside the current asyncio loop until `shutdown()`."""

    def __init__(self, config: Config, runtime: Runtime | None = None) -> None:
        self.config = config
        self.host, self.port = host_port(config.proxy.listen)
        self.runtime = runtime or Runtime(config)
        self.master: Master | None = None
        self.front: Front | None = None
        self._bound = self.port
        self._stopped = asyncio.Event()
        self.ready = asyncio.Event()

    @property
    def listen_port(self) -> int:
        """The bound port (useful when listen asked for port 0)."""
        if self.front is not None:
            return self._bound
        assert self.master is not None
        server = self.master.addons.get("proxyserver")
        for instance in server.servers:
            for addr in instance.listen_addrs:
                return int(addr[1])
        return self.port

    async def run(self) -> None:
        check_port_free(self.host, self.port)
        if self.config.proxy.engine == "aiohttp":
            await self._run_front()
        else:
            await self._run_mitmproxy()

    async def _run_front(self) -> None:
        """aiohttp's server drives the addon (proxy/front.py) until `shutdown()`."""
        self.addon = PluginLab(self.runtime)
        self.runtime.engine = "aiohttp"
        self.runtime.start()
        backend = self.config.proxy.backend or "http://127.0.0.1:9"
        front = Front(self.addon, self.runtime, backend, close_s=CLOSE_S)
        try:
            self._bound = await front.start(self.host, self.port)
        except OSError as exc:
            await front.close()
            self.runtime.close()
            raise UsageError(
                f"cannot listen on {self.config.proxy.listen}: {exc.strerror or exc}"
            ) from None
        self.front = front
        await self.addon.running()
        self.ready.set()
        await self._stopped.wait()

    async def _run_mitmproxy(self) -> None:
        backend = self.config.proxy.backend or "http://127.0.0.1:9"
        opts = options.Options(
            mode=[f"reverse:{backend}"],
            listen_host=self.host,
            listen_port=self.port,
        )
        self.master = Master(opts)
        self.addon = PluginLab(self.runtime)
        self.master.addons.add(
            core.Core(),
            proxyserver.Proxyserver(),
            next_layer.NextLayer(),
            tlsconfig.TlsConfig(),
            self.addon,
        )
        opts.update(
            connection_strategy="lazy", body_size_limit=str(self.config.proxy.max_body_bytes)
        )
        self.runtime.start()
        ps = self.master.addons.get("proxyserver")
        run = asyncio.ensure_future(self.master.run())
        while not run.done() and not any(s.is_running for s in ps.servers):
            await asyncio.sleep(0.01)
        failed = [s.last_exception for s in ps.servers if s.last_exception is not None]
        if failed or run.done():
            self.master.shutdown()
            await run
            self.runtime.close()
            raise UsageError(
                f"cannot listen on {self.config.proxy.listen}: {failed[0] if failed else 'stopped'}"
            )
        self.ready.set()
        try:
            await run
        finally:
            await ps.servers.update([])

    def shutdown(self) -> None:
        """Stop taking connections, let exchanges in flight finish (a few seconds), then stop."""
        if self.front is not None:
            self._stopping = asyncio.ensure_future(self._stop_front(self.front))
            return
        if self.master is None:
            return
        master = self.master
        ps = master.addons.get("proxyserver")

        async def stop() -> None:
            await ps.servers.update([])
            deadline = time.monotonic() + GRACE_S
            while self.runtime.inflight and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            await close_connections(ps)
            master.shutdown()

        self._stopping = asyncio.ensure_future(stop())

    async def _stop_front(self, front: Front) -> None:
        if self._stopped.is_set():
            return
        await front.stop_listening()
        deadline = time.monotonic() + GRACE_S
        while self.runtime.inflight and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await front.close()
        await self.addon.done()
        self._stopped.set()


async def close_connections(ps: Proxyserver, timeout_s: float = CLOSE_S) -> None:
    """End every client connection still open (idle keep-alive ones, mostly) and wait for each
    to be done, so that none is left for the loop's runner to cancel at exit: a connection task
    cancelled there prints a CancelledError traceback (Python 3.12's asyncio streams)."""
    for handler in list(ps.connections.values()):
        io = handler.transports.get(handler.client)
        if io is not None and io.handler is not None:
            io.handler.cancel("the proxy is stopping")  # mitmproxy closes the socket and returns
    deadline = time.monotonic() + timeout_s
    while ps.connections and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


#: The interpreter's switch interval while the proxy runs (Python's is 5 ms): at most how long
#: the loop waits for the GIL while the writer thread builds events. Measured here
#: (benchmarks/proxy_overhead.py --prism, two runs of each, in turn), serve's throughput against
#: Prism's: 5 ms 0.94x and 0.95x, 2 ms 1.04x and 1.22x, 1 ms 1.05x and 1.09x, 0.5 ms 0.89x and
#: 0.90x (the hand-overs cost more than they save).
SWITCH_INTERVAL_S = 0.002


def serve_forever(config: Config, on_ready: Callable[[ProxyServer], None] | None = None) -> int:
    """Run the proxy until SIGINT or SIGTERM; every pending event is written before return."""

    async def main() -> None:
        server = ProxyServer(config)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, server.shutdown)
        with full_collections_every(FULL_EVERY_S):
            run = asyncio.ensure_future(server.run())
            ready = asyncio.ensure_future(server.ready.wait())
            await asyncio.wait([run, ready], return_when=asyncio.FIRST_COMPLETED)
            if server.ready.is_set() and on_ready is not None:
                on_ready(server)
            ready.cancel()
            await run

    switch = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        event_loop_runner()(main())
    finally:
        sys.setswitchinterval(switch)
    return 0


def event_loop_runner() -> Callable[[Coroutine[Any, Any, None]], None]:
    """uvloop's runner where it is installed (about 1.3x the throughput here), else asyncio's.

    PLUGINLAB_UVLOOP=0 chooses asyncio's loop. mitmproxy 12 installs asyncio's eager task
    factory, which uvloop 0.23 cannot run: it hands the factory an `eager_start` argument that
    Python 3.12 and 3.13 refuse, and an eagerly started task is not made the current one (anyio's
    cancel scopes then fail: httpx in the proxy's own fetches). On uvloop that factory is swapped
    for plain tasks, as mitmproxy runs them where eager tasks are missing (measured here: 1.3x
    the throughput of asyncio's loop with eager tasks). A uvloop that still cannot run
    mitmproxy's tasks falls back to asyncio's loop.
    """
    if os.environ.get("PLUGINLAB_UVLOOP", "1") != "0":
        try:
            import uvloop
        except ImportError:
            pass
        else:

            class Loop(uvloop.Loop):
                def set_task_factory(self, factory: Any) -> None:
                    if factory is asyncio.eager_task_factory:
                        factory = plain_task_factory
                    super().set_task_factory(factory)

            def run(main: Coroutine[Any, Any, None]) -> None:
                asyncio.run(main, loop_factory=Loop)

            if uvloop.run(runs_eager_tasks(), loop_factory=Loop):
                return run
    return asyncio.run


def plain_task_factory(
    loop: asyncio.AbstractEventLoop,
    coro: Coroutine[Any, Any, Any],
    *,
    eager_start: bool | None = None,
    **kwargs: Any,
) -> asyncio.Task[Any]:
    """A plain (not eager) task: uvloop 0.23 does not make an eagerly started task the current
    one, which breaks anyio's cancel scopes (httpx in the proxy's own fetches)."""
    return asyncio.Task(coro, loop=loop, **kwargs)


async def runs_eager_tasks() -> bool:
    """Whether this loop can run tasks under asyncio's eager task factory, as mitmproxy 12 does."""
    loop = asyncio.get_running_loop()
    loop.set_task_factory(asyncio.eager_task_factory)
    probe = asyncio.sleep(0)
    try:
        await loop.create_task(probe)
    except TypeError:
        probe.close()
        return False
    finally:
        loop.set_task_factory(None)
    return True
