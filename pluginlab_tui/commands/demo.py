"""`pluginlab-tui demo`: the examples, their proxies, simulated ChatGPT traffic, and the TUI.

Each example runs behind its own `pluginlab-tui serve --example NAME` child process (which starts
the example backend), both proxies writing the one store (SQLite in WAL mode, each writer
retrying while the other holds the lock). The demo makes and migrates the store before either
proxy starts, so they start side by side without racing to migrate it. For the todo plugin the
simulator calls every operation in turn, now and then with the example's out-of-contract switch
(X-Todo-Fault); for the board app (`--mcp`: the app alone) the app simulator (simulate/app.py)
plays ChatGPT with the official SDK's client, now and then with X-App-Fault, signing in as
ChatGPT does when the app's proxy asks for OAuth. Violations show up within seconds. The calls
carry the store's simulate grant, so they are recorded as source=simulate. The store is a fresh
temporary folder unless --db names one; its path is printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pluginlab_tui.commands.common import (
    Subparsers,
    count_arg,
    listen_arg,
    refuse_config,
    seconds_arg,
)
from pluginlab_tui.errors import UsageError
from pluginlab_tui.examples import free_port
from pluginlab_tui.launcher import ProxyChild, ProxyStartError
from pluginlab_tui.store.database import open_store

FAULTS = ("wrong_type", "missing_field", "undocumented_status")
#: The board app's fault switch, and its faults by the method they break (examples/app/app.py).
APP_FAULT_HEADER = "X-App-Fault"
APP_FAULTS = {
    "tools/call": ("bad_structured", "undeclared_error"),
    "tools/list": ("unlisted_tool", "catalogue_v2"),
    "resources/read": ("catalogue_v2",),
}
#: Where the board app's proxy takes MCP traffic (examples/app/pluginlab.toml).
APP_ENDPOINT = "/mcp"
#: How the first line names each example and its proxy.
BEHIND = {
    "todo": "example todo plugin behind http://{}",
    "app": "example app behind http://{}" + APP_ENDPOINT,
}
TUI_MODULE = "pluginlab_tui.tui.app"
PLAYER_MODULE = "pluginlab_tui.simulate.app"
#: How `serve` announces itself: the demo prints its own line instead.
SERVE_BANNER = "pluginlab-tui: proxy on "


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="example plugin and app + proxies + simulated ChatGPT traffic (+ the TUI)",
        description=(
            "The product in one command: starts the example todo plugin and the example board "
            "app (an MCP server), a proxy in front of each, both recording into one store, and "
            "a simulated ChatGPT making steady traffic to both (now and then out of contract), "
            "and opens the TUI on it. --mcp: the app alone, driven by the official MCP SDK's "
            "client. --headless prints the exchanges instead. The store is a new temporary "
            "folder unless --db is given."
        ),
    )
    parser.add_argument(
        "--mcp",
        action="store_true",
        help="the example app alone (MCP), driven by the official MCP SDK's client",
    )
    parser.add_argument(
        "--headless", action="store_true", help="no TUI: print one line per exchange"
    )
    parser.add_argument(
        "--seconds", type=seconds_arg, metavar="N", help="stop after N seconds (default: Ctrl-C)"
    )
    parser.add_argument(
        "--db", type=Path, metavar="FILE", help="the event store (default: a temporary folder)"
    )
    parser.add_argument(
        "--listen",
        type=listen_arg,
        metavar="HOST:PORT",
        help="where the (first) proxy listens (127.0.0.1:8787 if free); the app's proxy beside "
        "the todo one takes a free port",
    )
    parser.add_argument(
        "--interval",
        type=seconds_arg,
        default=0.4,
        metavar="S",
        help="seconds between simulated calls (0.4)",
    )
    parser.add_argument(
        "--fault-every",
        type=count_arg(0),
        default=4,
        metavar="N",
        help="every Nth call asks the backend to break the contract (4; 0: never)",
    )
    parser.set_defaults(run=run)


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class DemoProxy:
    """`pluginlab-tui serve --example NAME` in a child process (launcher.py); relays its lines."""

    def __init__(self, example: str, listen: str, db: Path, echo: bool) -> None:
        self.example = example
        self.listen = listen
        self.db = db
        self.echo = echo
        self.url = f"http://{listen}"
        port = listen.rpartition(":")[2]
        self.child = ProxyChild(
            ["--example", example, "--listen", listen, "--db", str(db)],
            listen,
            store=db,
            env={"PLUGINLAB_PROXY__PUBLIC_URL": f"http://localhost:{port}"},
            on_line=self._relay,
            new_session=True,  # Ctrl-C reaches the demo, which stops the proxy itself
        )

    def start(self, timeout: float = 60.0) -> DemoProxy:
        try:
            self.child.start(timeout)
        except ProxyStartError as exc:
            output = "\n".join(exc.tail)
            raise UsageError(f"the demo's {self.example} proxy did not start:\n{output}") from None
        return self

    def _relay(self, line: str) -> None:
        """Headless: the proxy's lines once it serves (its own start-up line left out)."""
        if self.echo and self.child.ready.is_set() and not line.startswith(SERVE_BANNER):
            print(line, flush=True)

    def stop(self) -> None:
        self.child.stop()


class Background:
    """Simulated traffic in a thread of its own, until `stop()`; `error` says why it ended."""

    def __init__(self, url: str, db: Path, interval: float, fault_every: int) -> None:
        self.url = url
        self.db = db
        self.interval = interval
        self.fault_every = fault_every
        self.stop_event = threading.Event()
        self.calls = 0
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="pluginlab-demo", daemon=True)

    def start(self) -> Background:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self._thread.join(30)

    def _run(self) -> None:
        raise NotImplementedError


class Traffic(Background):
    """The simulator on the todo plugin: every operation in turn, with a fault every Nth call."""

    def _run(self) -> None:
        from pluginlab_tui.commands.simulate import grant_secret
        from pluginlab_tui.simulate.client import SimulationError
        from pluginlab_tui.simulate.simulator import Simulator

        faults = itertools.cycle(FAULTS)
        try:
            secret = grant_secret(self.db)
            with Simulator(self.url, grant_secret=secret, timeout_s=30) as simulator:
                simulator.fetch_files()
                simulator.sign_in()
                plan = simulator.plan()
                for count in itertools.count(1):
                    if self.stop_event.is_set() or count > 10_000_000:
                        return
                    operation = plan[(count - 1) % len(plan)]
                    extra = None
                    if self.fault_every > 0 and count % self.fault_every == 0:
                        extra = {"X-Todo-Fault": next(faults)}
                    simulator.call(operation, extra)
                    simulator.session.calls.clear()  # bounded: only the count is kept
                    self.calls += 1
                    self.stop_event.wait(self.interval)
        except (SimulationError, UsageError, OSError) as exc:
            self.error = str(exc)


class AppTraffic(Background):
    """The app simulator on the board app: conversation after conversation (each a session of
    its own, opened with the initialize handshake so that it shows as one), a fault every Nth
    step; signed in as ChatGPT would be should the app's proxy ask (auth.mode oauth)."""

    def _run(self) -> None:
        from pluginlab_tui.commands.simulate import grant_secret
        from pluginlab_tui.simulate.app import MAX_CONVERSATIONS, AppSimulator  # PLAYER_MODULE
        from pluginlab_tui.simulate.client import SimulationError

        try:
            secret = grant_secret(self.db)
        except UsageError as exc:
            self.error = str(exc)
            return
        simulator = AppSimulator(
            self.url + APP_ENDPOINT,
            grant_secret=secret,
            era="handshake",
            conversations=MAX_CONVERSATIONS,
            interval=self.interval,
            stop=self.stop_event,
            fault=app_faults(self.fault_every),
            on_call=self._count,
        )
        try:
            simulator.run()
        except SimulationError as exc:
            self.error = str(exc)

    def _count(self, _call: object) -> None:
        self.calls += 1


def app_faults(every: int) -> Callable[[str, str | None], dict[str, str]]:
    """The fault switch of the board app: every Nth step asks for the next fault of its
    method (APP_FAULTS), in turn; 0: never."""
    turns = {method: itertools.cycle(names) for method, names in APP_FAULTS.items()}
    steps = itertools.count(1)

    def fault(method: str, _subject: str | None) -> dict[str, str]:
        due = every > 0 and next(steps) % every == 0
        return {APP_FAULT_HEADER: next(turns[method])} if due and method in turns else {}

    return fault


def tui_available() -> bool:
    try:
        return importlib.util.find_spec(TUI_MODULE) is not None
    except ImportError:
        return False


def run(args: argparse.Namespace) -> int:
    refuse_config(args, "demo")
    if args.db is not None:
        db = args.db.resolve()
        where = f"store {db}"
    else:
        folder = Path(tempfile.mkdtemp(prefix="pluginlab-demo-"))
        db = folder / "events.db"
        where = f"store {db} (a temporary folder; pass --db to keep it elsewhere)"
    # Made and migrated here, once: a store that cannot be made is said before anything runs,
    # and the proxies then start side by side on a store that is ready.
    open_store(db, create=True).close()
    listen = args.listen or ("127.0.0.1:8787" if _port_free(8787) else f"127.0.0.1:{free_port()}")
    headless = args.headless
    if not headless and not tui_available():
        print("pluginlab-tui: the TUI is not available in this build; running headless")
        headless = True
    examples = (("app", listen),) if args.mcp else (("todo", listen), ("app", _second(listen)))
    shown = ", ".join(BEHIND[name].format(address) for name, address in examples)
    print(f"pluginlab-tui demo: {shown}; {where}")
    # The MCP SDK takes seconds to import: done while the proxies start, not after.
    threading.Thread(target=importlib.import_module, args=(PLAYER_MODULE,), daemon=True).start()
    proxies = [DemoProxy(name, address, db, echo=headless) for name, address in examples]
    traffic: list[Background] = []
    try:
        _start(proxies)
        for proxy in proxies:
            kind = AppTraffic if proxy.example == "app" else Traffic
            traffic.append(kind(proxy.url, db, args.interval, args.fault_every).start())
        if headless:
            _wait(args.seconds, traffic)
        else:
            _tui(db, args.seconds, mcp=args.mcp)
    except KeyboardInterrupt:
        pass
    finally:
        for each in traffic:
            each.stop()
        for proxy in reversed(proxies):
            proxy.stop()
    for each in traffic:
        if each.error:
            print(f"pluginlab-tui: the simulated traffic stopped: {each.error}", file=sys.stderr)
    if headless:
        _summary(db)
    return 0


def _start(proxies: list[DemoProxy]) -> None:
    """Start the proxies side by side; the first failure is raised once all have tried."""
    with ThreadPoolExecutor(len(proxies)) as pool:
        for started in [pool.submit(proxy.start) for proxy in proxies]:
            started.result()


def _second(listen: str) -> str:
    """Where the app's proxy listens beside the todo one: a free port on the same host."""
    host = listen.rpartition(":")[0] or "127.0.0.1"
    return f"{host}:{free_port(host.strip('[]'))}"


def _wait(seconds: float | None, traffic: list[Background]) -> None:
    deadline = None if seconds is None else time.monotonic() + seconds
    while deadline is None or time.monotonic() < deadline:
        if any(each.error for each in traffic):
            return
        time.sleep(0.1 if deadline is None else max(min(0.1, deadline - time.monotonic()), 0))


def _tui(db: Path, seconds: float | None, *, mcp: bool) -> None:
    module = importlib.import_module(TUI_MODULE)
    what = "the example app" if mcp else "the example plugin and app"
    app = module.PluginLabApp(db, note=f"demo: simulated ChatGPT traffic on {what}")
    if seconds is not None:
        timer = threading.Timer(seconds, lambda: app.call_from_thread(app.exit))
        timer.daemon = True
        timer.start()
    app.run()


def _summary(db: Path) -> None:
    from pluginlab_tui.store import queries
    from pluginlab_tui.store.filter import invalid

    if not db.exists():
        return
    conn = open_store(db)
    try:
        total = queries.count(conn)
        broken = queries.count(conn, invalid())
    finally:
        conn.close()
    print(f"pluginlab-tui demo: {total} exchange(s) recorded, {broken} with violations; {db}")
