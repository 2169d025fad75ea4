"""`pluginlab-tui simulate`: play ChatGPT's part against a running proxy; exit 1 on a violation.

Against a plugin (its manifest and spec) by default; against an MCP endpoint (a ChatGPT app:
simulate/app.py) with --mcp PATH or the config's mcp.endpoint."""

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
from pluginlab_tui.config import Config, mcp_endpoint
from pluginlab_tui.errors import UsageError
from pluginlab_tui.replay.request import TOKEN_ENV
from pluginlab_tui.simulate.client import Call, SimulationError, summary
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
            "With --mcp PATH (or mcp.endpoint in the config), play ChatGPT against an MCP "
            "server instead: sign in as ChatGPT when it answers 401 (discovery, registration, "
            "PKCE, the sign-in page as --user), open the session, list tools, resources and "
            "templates, read every widget template, call every tool (--fuzz N: and N invalid "
            "argument sets each). "
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
        "--user",
        default="simulated-user",
        metavar="NAME",
        help="OAuth: sign in as this user on the sign-in page",
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
    parser.add_argument(
        "--mcp",
        type=endpoint_arg,
        metavar="PATH",
        help="simulate ChatGPT against the MCP endpoint at PATH (default: mcp.endpoint)",
    )
    parser.add_argument(
        "--era",
        choices=("auto", "handshake", "stateless"),
        default="auto",
        help="MCP: open the session with initialize (handshake), the 2026-07-28 discovery "
        "(stateless), or whichever the server speaks (auto, the default)",
    )
    parser.add_argument(
        "--fuzz",
        type=count_arg(0),
        default=0,
        metavar="N",
        help="MCP: also send N invalid argument sets per tool; one accepted is a failure",
    )
    parser.set_defaults(run=run)


def endpoint_arg(value: str) -> str:
    try:
        return mcp_endpoint(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    endpoint = args.mcp or config.mcp.endpoint
    if endpoint is not None:
        return run_app(args, config, target, endpoint)
    if args.fuzz:
        raise UsageError("--fuzz works against an MCP endpoint (--mcp PATH or mcp.endpoint)")
    simulator = Simulator(
        target,
        profile=config.plugin.profile,
        auth=auth_setup(config, args.token, args.user, args.client_secret),
        timeout_s=config.proxy.timeout_s + 5,
    )
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
    return report(args.format, calls, stopped)


def run_app(args: argparse.Namespace, config: Config, target: str, endpoint: str) -> int:
    """The app simulator against `target` + `endpoint`: with a token when one is given (or the
    mode's configured one), else signing in as ChatGPT does when the server asks (a 401)."""
    from pluginlab_tui.simulate.app import AppSimulator
    from pluginlab_tui.simulate.app_signin import AppSignIn

    token = auth_setup(config, args.token, args.user, args.client_secret).token
    simulator = AppSimulator(
        target.rstrip("/") + endpoint,
        token=token,
        sign_in=AppSignIn(user=args.user),
        timeout_s=config.proxy.timeout_s + 5,
        era=args.era,
        fuzz=args.fuzz,
        rounds=args.rounds,
    )
    with Simulator(target, timeout_s=config.proxy.timeout_s + 5) as probe:
        simulator.grant_secret = secret_for(args, config, probe)
    try:
        calls = simulator.run()
        stopped = None
    except SimulationError as exc:
        calls, stopped = simulator.calls, str(exc)
    if not calls and stopped:
        raise UsageError(stopped)
    return report(args.format, calls, stopped)


def report(form: str, calls: list[Call], stopped: str | None) -> int:
    """Each call, what broke and the summary; the exit code (1 when anything broke)."""
    out = sys.stdout
    for call in calls:
        if form == "json":
            out.write(json.dumps(call.to_json(), ensure_ascii=False) + "\n")
        else:
            out.write(call.line() + "\n")
    failed = [c for c in calls if c.broke_contract]
    if form == "text":
        if failed:
            out.write("\nwhat broke:\n")
            for call in failed:
                subject = f" {call.subject}" if call.subject else ""
                out.write(f"  {call.step} {call.method} {call.url}{subject}\n")
                if call.error:
                    out.write(f"    {call.error}\n")
                for v in call.violations:
                    out.write(f"    {v.code} at {v.where}: {v.message}\n")
        out.write(summary(calls) + "\n")
    if stopped:
        print(f"pluginlab-tui: simulation stopped: {stopped}", file=sys.stderr)
    return 1 if failed or stopped else 0
