"""`pluginlab-tui users`: development users and keys for the auth modes, and the OAuth client."""

from __future__ import annotations

import argparse
import json
import sys

from pluginlab_tui.access.oauth import make_client_secret, stored_client_secret_hash
from pluginlab_tui.access.users import UserError, add_user, list_users, revoke_user
from pluginlab_tui.commands.common import Subparsers, add_db_flag, config_from
from pluginlab_tui.config import Config
from pluginlab_tui.errors import UsageError
from pluginlab_tui.store.database import open_store


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "users",
        help="development users and keys (user_http, oauth), and the dev OAuth client",
        description=(
            "Users for the auth modes. A key is printed once, when it is made; the store keeps"
            " only its SHA-256."
        ),
    )

    def usage(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(run=usage)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")

    add = actions.add_parser("add", help="add a user and print its key once")
    add.add_argument("name", help="the user's name (sent to the backend as X-PluginLab-User-Id)")
    add.add_argument("--plan", metavar="PLAN", help="the user's plan (one of plans.* in config)")
    add_db_flag(add)
    add.set_defaults(run=run_add)

    listing = actions.add_parser("list", help="list users (names, plans, revoked or not)")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    add_db_flag(listing)
    listing.set_defaults(run=run_list)

    revoke = actions.add_parser("revoke", help="revoke a user's key and OAuth tokens at once")
    revoke.add_argument("name")
    add_db_flag(revoke)
    revoke.set_defaults(run=run_revoke)

    client = actions.add_parser(
        "client",
        help="the development OAuth client: id, and a secret printed once",
        description=(
            "Make the development OAuth client's secret and print it once (the store keeps its"
            " hash). Without --rotate an existing secret is kept (and not shown again)."
        ),
    )
    client.add_argument("--rotate", action="store_true", help="replace the secret with a new one")
    add_db_flag(client)
    client.set_defaults(run=run_client)


def _config(args: argparse.Namespace) -> Config:
    return config_from(args, {"store.path": args.db.resolve() if args.db else None})


def run_add(args: argparse.Namespace) -> int:
    config = _config(args)
    plan = args.plan or None
    if plan is not None and plan not in config.plans:
        known = ", ".join(sorted(config.plans)) or "none"
        print(
            f"pluginlab-tui: warning: plan {plan!r} is not in the config's plans"
            f" (defined: {known})",
            file=sys.stderr,
        )
    conn = open_store(config.store_path, create=True)
    try:
        key = add_user(conn, args.name, plan)
    except UserError as exc:
        raise UsageError(str(exc)) from None
    finally:
        conn.close()
    print(
        f"user {args.name.strip()} added{f' (plan {plan})' if plan else ''}; its key, shown once:"
    )
    print(key)
    return 0


def run_list(args: argparse.Namespace) -> int:
    conn = open_store(_config(args).store_path)
    try:
        users = list_users(conn)
    finally:
        conn.close()
    if args.format == "json":
        for user in users:
            row = {"name": user.name, "plan": user.plan, "created": user.created}
            print(json.dumps({**row, "revoked": user.revoked}))
        return 0
    for user in users:
        status = f"revoked {user.revoked[:19]}" if user.revoked else "active"
        print(f"{user.name:<24} {user.plan or '-':<12} {user.created[:19]}  {status}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    conn = open_store(_config(args).store_path)
    try:
        user = revoke_user(conn, args.name)
    except UserError as exc:
        raise UsageError(str(exc)) from None
    finally:
        conn.close()
    print(f"user {user.name} revoked; its key and OAuth tokens fail from now on")
    return 0


def run_client(args: argparse.Namespace) -> int:
    config = _config(args)
    oauth = config.auth.oauth
    print(f"client_id: {oauth.client_id}")
    if oauth.client_secret is not None:
        print("client_secret: set by auth.oauth.client_secret in the config (not shown)")
        return 0
    conn = open_store(config.store_path, create=True)
    try:
        if stored_client_secret_hash(conn) is not None and not args.rotate:
            print("client_secret: made earlier and shown once then (use --rotate for a new one)")
            return 0
        secret = make_client_secret(conn)
    finally:
        conn.close()
    print(f"client_secret: {secret}")
    print("(a development secret: paste it where ChatGPT asks; the store keeps only its hash)")
    return 0
