"""`pluginlab-tui tui --db F`, and `pluginlab-tui` itself: the proxy as a child plus the TUI."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from pluginlab_tui.commands.common import Subparsers, add_db_flag, config_path, db_path
from pluginlab_tui.config import Config, load_config
from pluginlab_tui.errors import UsageError
from pluginlab_tui.store.database import check_store_path, open_store

#: How long `pluginlab-tui` waits for its proxy to make the store.
START_TIMEOUT_S = 20.0


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "tui",
        help="browse a recorded store without a proxy",
        description="Open the TUI on a recorded event store, without starting a proxy.",
    )
    add_db_flag(parser)
    parser.set_defaults(run=run)


def add_default_flags(parser: argparse.ArgumentParser) -> None:
    """The flags of `pluginlab-tui` without a verb."""
    parser.add_argument(
        "--config",
        dest="main_config",
        type=Path,
        metavar="FILE",
        help="pluginlab.toml to use (default: ./pluginlab.toml)",
    )
    parser.add_argument(
        "--attach",
        action="store_true",
        help="TUI only, on the store of a proxy already running",
    )


def _run_app(db: Path, note: str, config: Config | None = None) -> int:
    from pluginlab_tui.tui.app import PluginLabApp
    from pluginlab_tui.tui.user_config import load_user_config

    app = PluginLabApp(db, user=load_user_config(), note=note, config=config)
    app.run()
    return 0 if app.return_code is None else app.return_code


def run(args: argparse.Namespace) -> int:
    return _run_app(db_path(args), "browsing (no proxy)")


def run_default(args: argparse.Namespace) -> int:
    """`pluginlab-tui [--config F] [--attach]`."""
    path = config_path(args)
    if path is None:
        print(
            "pluginlab-tui: no pluginlab.toml here; try `pluginlab-tui demo`, or point to one"
            " with `pluginlab-tui --config FILE`",
            file=sys.stderr,
        )
        return 2
    config = load_config(path)
    db = config.store_path
    if args.attach:
        check_store_path(db)
        return _run_app(db, f"attached to the proxy on {config.proxy.listen}", config)
    log_path = db.parent / "proxy.log"
    open_store(db, create=True).close()  # what the proxy would make; a bad path said here
    start = log_path.stat().st_size if log_path.exists() else 0
    with log_path.open("ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "pluginlab_tui", "serve", "--config", str(path), "--quiet"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        _wait_for_proxy(child, log_path, start, START_TIMEOUT_S)
        return _run_app(db, f"proxy on {config.proxy.listen} (log: {log_path})", config)
    finally:
        stop_child(child)


def _output(log_path: Path, start: int) -> str:
    with log_path.open("rb") as handle:
        handle.seek(start)
        return handle.read().decode("utf-8", errors="replace")


def _wait_for_proxy(
    child: subprocess.Popen[bytes], log_path: Path, start: int, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise UsageError(f"the proxy stopped at start: {_last_line(_output(log_path, start))}")
        if "proxy on" in _output(log_path, start):
            return
        time.sleep(0.05)
    raise UsageError(f"the proxy did not start within {timeout:.0f} s (see {log_path})")


def _last_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1].removeprefix("pluginlab-tui: ") if lines else "no output"


def stop_child(child: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
