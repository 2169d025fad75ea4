"""`pluginlab-tui simulate`: play ChatGPT's part against a running proxy; exit 1 on a violation."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from pathlib import Path

from pluginlab_tui.commands.common import (
    Subparsers,
    add_db_flag,
    config_from,
    count_arg,
    db_path,
    url_arg,
)
from pluginlab_tui.config import Config
from pluginlab_tui.errors import UsageError
from pluginlab_tui.replay.request import TOKEN_ENV
from pluginlab_tui.simulate.client import SimulationError, summary
from pluginlab_tui.simulate.signin import AuthSetup
from pluginlab_tui.simulate.simulator import Simulator


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="play ChatGPT's part against a running proxy",
        description=(
            "Fetch the manifest and the spec like ChatGPT, sign in (the OAuth dance in oauth "
            "mode, configured credentials otherwise), then call every operation with arguments "
            "from the spec's examples or generated from its schemas, with ChatGPT's headers. "
            "Exit 1 if anything broke the contract. Through a local proxy its events are "
            "recorded with source=simulate."
        ),
    )
    add_db_flag(parser)
    parser.add_argument(
        "--target",
        type=url_arg,
        metavar="URL",
        help="the plugin's base URL (default: http://<proxy.listen>)",
    )
    parser.add_argument(
        "--token",
        metavar="TOKEN",
        help=f"credentials: service token, user key or API key (default: ${TOKEN_ENV}, config)",
    )
    parser.add_argument(
        "--user", default="simulated-user", metavar="NAME", help="OAuth: sign in as this user"
    )
    parser.add_argument(
        "--client-secret", metavar="SECRET", help="OAuth: the client secret (auth.oauth...)"
    )
    parser.add_argument(
        "--rounds", type=count_arg(1), default=1, metavar="N", help="call every operation N times"
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="json: one object a line"
    )
    parser.set_defaults(run=run)


def auth_setup(
    config: Config, token: str | None, user: str, client_secret: str | None
) -> AuthSetup:
    auth = config.auth
    token = token or os.environ.get(TOKEN_ENV)
    if token is None and auth.mode == "service_http":
        token = auth.service_token
    if token is None and auth.mode == "api_key":
        token = auth.api_key
    header = "Authorization"
    if auth.mode == "api_key":
        header = auth.api_key_header
    return AuthSetup(
        mode=auth.mode,
        authorization_type=auth.authorization_type,
        token=token,
        header=header,
        client_id=auth.oauth.client_id,
        client_secret=client_secret or auth.oauth.client_secret,
        user=auth.oauth.auto_approve or user,
        redirect_uri=auth.oauth.redirect_uris[0] if auth.oauth.redirect_uris else None,
    )


def store_grant_secret(store: Path) -> bytes:
    """The replay secret of the store at `store` (UsageError, one line, when it cannot be read)."""
    from pluginlab_tui.access.grant import store_secret
    from pluginlab_tui.store.database import open_store

    conn = open_store(store)
    try:
        return store_secret(conn)
    except sqlite3.Error as exc:
        raise UsageError(f"cannot read the replay secret of {store}: {exc}") from None
    finally:
        conn.close()


def grant_secret(store: Path) -> bytes | None:
    """The store's replay secret, when the store is there (a local proxy)."""
    return store_grant_secret(store) if store.exists() else None


def secret_for(args: argparse.Namespace, config: Config, simulator: Simulator) -> bytes | None:
    """What the simulator signs with: the store named by --db; without --target, the config's
    store when it is there (the proxy of this config); else the store the proxy's health route
    names. Without one, a line says so and the calls are recorded as source=live."""
    if args.db is not None:
        return store_grant_secret(db_path(args))
    if args.target is None and config.store_path.exists():
        return store_grant_secret(config.store_path)
    store, reason = simulator.proxy_store()
    if store is not None:
        try:
            return store_grant_secret(store)
        except UsageError as exc:
            reason = str(exc)
    if reason is not None:
        print(f"pluginlab-tui: {reason}; calls are recorded as source=live", file=sys.stderr)
    return None


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    target = args.target or f"http://{config.proxy.listen}"
    simulator = Simulator(
        target,
        profile=config.plugin.profile,
        auth=auth_setup(config, args.token, args.user, args.client_secret),
        timeout_s=config.proxy.timeout_s + 5,
    )
    out = sys.stdout
    with simulator:
        simulator.grant_secret = secret_for(args, config, simulator)
        try:
            simulator.run(rounds=args.rounds)
            stopped = None
        except SimulationError as exc:
            stopped = str(exc)
        calls = simulator.session.calls
        if not calls and stopped:
            raise UsageError(stopped)
        if calls and all(c.error and "ConnectError" in c.error for c in calls):
            raise UsageError(f"cannot reach {target} (is `pluginlab-tui serve` running?)")
    for call in calls:
        if args.format == "json":
            out.write(json.dumps(call.to_json(), ensure_ascii=False) + "\n")
        else:
            out.write(call.line() + "\n")
    failed = [c for c in calls if c.broke_contract]
    if args.format == "text":
        if failed:
            out.write("\nwhat broke:\n")
            for call in failed:
                out.write(f"  {call.step} {call.method} {call.url}\n")
                if call.error:
                    out.write(f"    {call.error}\n")
                for v in call.violations:
                    out.write(f"    {v.code} at {v.where}: {v.message}\n")
        out.write(summary(calls) + "\n")
    if stopped:
        print(f"pluginlab-tui: simulation stopped: {stopped}", file=sys.stderr)
    return 1 if failed or stopped else 0
