"""`pluginlab-tui tui --db F`, and `pluginlab-tui` itself: the proxy as a child (launcher.py)
plus the TUI."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pluginlab_tui.commands.common import Subparsers, add_db_flag, config_path, db_path
from pluginlab_tui.config import Config, load_config
from pluginlab_tui.errors import UsageError
from pluginlab_tui.launcher import ProxyChild, ProxyStartError
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
    child, log_path = start_proxy(path, config)
    try:
        return _run_app(db, f"proxy on {config.proxy.listen} (log: {log_path})", config)
    finally:
        child.stop(timeout=10.0)


def start_proxy(path: Path, config: Config) -> tuple[ProxyChild, Path]:
    """The proxy of the config at `path` as a child process, ready; (the child, its log)."""
    db = config.store_path
    log_path = db.parent / "proxy.log"
    open_store(db, create=True).close()  # what the proxy would make; a bad path said here
    child = ProxyChild(
        ["--config", str(path), "--quiet"], config.proxy.listen, store=db, log=log_path
    )
    try:
        child.start(START_TIMEOUT_S)
    except ProxyStartError as exc:
        if exc.exit_code is not None:
            last = exc.tail[-1].removeprefix("pluginlab-tui: ") if exc.tail else "no output"
            raise UsageError(f"the proxy stopped at start: {last}") from None
        raise UsageError(
            f"the proxy did not start within {START_TIMEOUT_S:.0f} s (see {log_path})"
        ) from None
    return child, log_path
