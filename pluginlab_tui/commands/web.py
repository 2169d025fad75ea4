"""`pluginlab-tui web [--config F | --db F] [--listen H:P]`: the TUI in a browser.

textual-serve starts one app process per browser connection: with --config the proxy is
started once here (as `pluginlab-tui` does) and each browser gets `pluginlab-tui --attach` on
its store; with --db each gets `pluginlab-tui tui --db F` (no proxy, no replay). Every route
asks for the token of the printed URL (web/access.py).
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import socket
import sys
from pathlib import Path

from pluginlab_tui.commands.common import Subparsers, config_path, listen_arg
from pluginlab_tui.config import host_port, is_loopback_host, load_config
from pluginlab_tui.errors import UsageError
from pluginlab_tui.store.database import open_store

DEFAULT_LISTEN = "127.0.0.1:8790"


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "web",
        help="the TUI in a browser, behind a token",
        description=(
            "Serve the TUI to browsers (textual-serve). Each browser connection gets its own"
            " TUI; every page, websocket, download and static file asks for the token of the"
            " printed URL. With --config the proxy is started once and each browser attaches"
            " to its store; with --db the store is browsed without a proxy (no replay)."
        ),
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="pluginlab.toml whose proxy to start (default: ./pluginlab.toml)",
    )
    source.add_argument(
        "--db", type=Path, metavar="FILE", help="browse this event store, no proxy (read-only)"
    )
    parser.add_argument(
        "--listen",
        type=listen_arg,
        default=DEFAULT_LISTEN,
        metavar="HOST:PORT",
        help=f"where the web view listens (default: {DEFAULT_LISTEN}; a warning when not loopback)",
    )
    parser.set_defaults(run=run)


def _app_command(*args: str) -> str:
    """The shell line textual-serve runs for each browser: this package, as it is run now."""
    return shlex.join([sys.executable, "-m", "pluginlab_tui", *args])


def page_url(listen: str, token: str) -> str:
    """The URL to open: on a wildcard address, this machine's name (what a teammate can reach)."""
    from pluginlab_tui.web.access import QUERY

    host, port = host_port(listen)
    if host in ("0.0.0.0", "::", ""):
        host = socket.getfqdn()
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/?{QUERY}={token}"


def run(args: argparse.Namespace) -> int:
    host, port = host_port(args.listen)
    if args.db is not None:
        if getattr(args, "main_config", None) is not None:
            raise UsageError("--db browses a store without a proxy; --config does not apply")
        open_store(args.db).close()  # a missing or unreadable store said here, in one line
        db = args.db.resolve()
        return _serve(_app_command("tui", "--db", str(db)), host, port, f"{db} (read-only)")
    path = config_path(args)
    if path is None:
        raise UsageError(
            "no pluginlab.toml here; point to one with `web --config FILE`, or browse a store"
            " with `web --db FILE`"
        )
    path = path.resolve()
    config = load_config(path)
    from pluginlab_tui.commands.tui import start_proxy

    child, log_path = start_proxy(path, config)
    try:
        command = _app_command("--config", str(path), "--attach")
        note = f"the proxy on {config.proxy.listen} (log: {log_path})"
        return _serve(command, host, port, note)
    finally:
        child.stop(timeout=10.0)


def _serve(command: str, host: str, port: int, what: str) -> int:
    from pluginlab_tui.web.access import Guard, new_token
    from pluginlab_tui.web.server import GuardedServer

    token = new_token()
    server = GuardedServer(
        command, host, port, guard=Guard(token, port), title=f"pluginlab-tui: {what}"
    )
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def ready() -> None:
        if not is_loopback_host(host):
            print(
                f"pluginlab-tui: warning: the web view listens on {host}, reachable from other"
                " machines over plain http: whoever has the URL sees the traffic (and can"
                " replay it)",
                file=sys.stderr,
            )
        print(f"pluginlab-tui web: {what}", flush=True)
        print(f"open {page_url(listen, token)}", flush=True)
        print(
            "(the token in this URL is the only key: share it as you would a password;"
            " Ctrl+C stops)",
            flush=True,
        )

    try:
        asyncio.run(server.run(ready))
    except OSError as exc:
        raise UsageError(f"cannot listen on {listen}: {exc.strerror or exc}") from None
    return 0
