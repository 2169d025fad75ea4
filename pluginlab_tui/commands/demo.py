"""`pluginlab-tui demo`: the example plugin, the proxy, simulated ChatGPT traffic, and the TUI.

The proxy runs as `pluginlab-tui serve --example todo` in a child process (which starts the
example backend); the simulator calls every operation in turn, now and then with the example's
out-of-contract switch (X-Todo-Fault), so violations show up within seconds. The store is a
fresh temporary folder unless --db names one; its path is printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import sys
import tempfile
import threading
import time
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
TUI_MODULE = "pluginlab_tui.tui.app"
#: How `serve` announces itself: the demo prints its own line instead.
SERVE_BANNER = "pluginlab-tui: proxy on "


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="example plugin + proxy + simulated ChatGPT traffic (+ the TUI)",
        description=(
            "The product in one command: starts the example todo plugin, the proxy in front of "
            "it and a simulated ChatGPT making steady traffic (now and then out of contract), "
            "and opens the TUI on it. --headless prints the exchanges instead. The store is a "
            "new temporary folder unless --db is given."
        ),
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
        help="where the proxy listens (127.0.0.1:8787 if free)",
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
    """`pluginlab-tui serve --example todo` in a child process (launcher.py); relays its lines."""

    def __init__(self, listen: str, db: Path, echo: bool) -> None:
        self.listen = listen
        self.db = db
        self.echo = echo
        self.url = f"http://{listen}"
        port = listen.rpartition(":")[2]
        self.child = ProxyChild(
            ["--example", "todo", "--listen", listen, "--db", str(db)],
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
            raise UsageError(f"the demo proxy did not start:\n{output}") from None
        return self

    def _relay(self, line: str) -> None:
        """Headless: the proxy's lines once it serves (its own start-up line left out)."""
        if self.echo and self.child.ready.is_set() and not line.startswith(SERVE_BANNER):
            print(line, flush=True)

    def stop(self) -> None:
        self.child.stop()


class Traffic:
    """The simulator in a thread: every operation in turn, with a fault every Nth call."""

    def __init__(self, url: str, db: Path, interval: float, fault_every: int) -> None:
        self.url = url
        self.db = db
        self.interval = interval
        self.fault_every = fault_every
        self.stop_event = threading.Event()
        self.calls = 0
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="pluginlab-demo", daemon=True)

    def start(self) -> Traffic:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self._thread.join(30)

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


def tui_available() -> bool:
    try:
        return importlib.util.find_spec(TUI_MODULE) is not None
    except ImportError:
        return False


def run(args: argparse.Namespace) -> int:
    refuse_config(args, "demo")
    if args.db is not None:
        db = args.db.resolve()
        open_store(db, create=True).close()  # a store that cannot be made: said before it runs
        where = f"store {db}"
    else:
        folder = Path(tempfile.mkdtemp(prefix="pluginlab-demo-"))
        db = folder / "events.db"
        where = f"store {db} (a temporary folder; pass --db to keep it elsewhere)"
    listen = args.listen or ("127.0.0.1:8787" if _port_free(8787) else f"127.0.0.1:{free_port()}")
    headless = args.headless
    if not headless and not tui_available():
        print("pluginlab-tui: the TUI is not available in this build; running headless")
        headless = True
    print(f"pluginlab-tui demo: example todo plugin behind {'http://' + listen}; {where}")
    proxy = DemoProxy(listen, db, echo=headless).start()
    traffic = Traffic(proxy.url, db, args.interval, args.fault_every).start()
    try:
        if headless:
            _wait(args.seconds, traffic)
        else:
            _tui(db, args.seconds)
    except KeyboardInterrupt:
        pass
    finally:
        traffic.stop()
        proxy.stop()
    if traffic.error:
        print(f"pluginlab-tui: the simulated traffic stopped: {traffic.error}", file=sys.stderr)
    if headless:
        _summary(db)
    return 0


def _wait(seconds: float | None, traffic: Traffic) -> None:
    deadline = None if seconds is None else time.monotonic() + seconds
    while deadline is None or time.monotonic() < deadline:
        if traffic.error:
            return
        time.sleep(0.1 if deadline is None else max(min(0.1, deadline - time.monotonic()), 0))


def _tui(db: Path, seconds: float | None) -> None:
    module = importlib.import_module(TUI_MODULE)
    app = module.PluginLabApp(db, note="demo: simulated ChatGPT traffic on the example plugin")
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
