"""`pluginlab-tui export (har|curl)`: the store's exchanges as HAR 1.2 or as curl commands."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

from pluginlab_tui.commands.common import (
    Subparsers,
    add_db_flag,
    config_from,
    db_path,
    redactor_from,
    url_arg,
)
from pluginlab_tui.commands.events import add_selection_flags, selection
from pluginlab_tui.errors import UsageError
from pluginlab_tui.store import queries
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import Event
from pluginlab_tui.store.filter import Filter

_PAGE = 500


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export recorded exchanges as HAR 1.2 or curl commands",
        description=(
            "Export the store (or the exchanges a filter selects) as HAR 1.2, with each "
            "verdict in the entry's _pluginlab field (one entry per HTTP exchange: the MCP "
            "messages it carried listed in _pluginlab.messages), or as a shell script of curl "
            "commands in which redacted credentials read $PLUGINLAB_TOKEN (an MCP request of a "
            "handshake-era version: initialize, notifications/initialized, the request and "
            "DELETE, the session id kept in $MCP_SESSION). Redacted secrets stay redacted."
        ),
    )
    parser.add_argument("format", choices=("har", "curl"), help="har or curl")
    add_db_flag(parser)
    add_selection_flags(parser)
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here (stdout)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing --output")
    parser.add_argument(
        "--base-url",
        type=url_arg,
        metavar="URL",
        help="curl: where the commands send to (default: http://<proxy.listen>)",
    )
    parser.set_defaults(run=run)


def iter_events(conn: sqlite3.Connection, where: Filter) -> Iterator[Event]:
    """Every matching event in id order, read a page at a time."""
    after: int | None = None
    while True:
        batch = queries.page(conn, where, after_id=after, limit=_PAGE)
        yield from batch
        if len(batch) < _PAGE:
            return
        after = batch[-1].id


def run(args: argparse.Namespace) -> int:
    output: Path | None = args.output
    if output is not None and output.exists() and not args.force:
        raise UsageError(f"{output} exists; not overwritten (use --force)")
    where = selection(args)
    conn = open_store(db_path(args))
    try:
        events = list(iter_events(conn, where))
    finally:
        conn.close()
    redactor = redactor_from(args)
    if args.format == "har":
        from pluginlab_tui.interchange.har import to_har

        har = to_har(events, redactor)
        written = len(har["log"]["entries"])
        text = json.dumps(har, ensure_ascii=False, indent=2) + "\n"
    else:
        from pluginlab_tui.interchange.curl import curl_script

        config = config_from(args)
        base = args.base_url or f"http://{config.proxy.listen}"
        scheme = config.auth.authorization_type.capitalize()
        written = len(events)
        text = curl_script(
            events, base, auth_scheme=scheme, redactor=redactor, mcp_paths=config.mcp.covers
        )
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror}") from None
        print(f"pluginlab-tui: {written} exchange(s) written to {output}", file=sys.stderr)
    return 0
