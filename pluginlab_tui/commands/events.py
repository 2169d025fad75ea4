"""`pluginlab-tui events`: recorded exchanges, and `events prune` for retention."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime, timedelta

from pluginlab_tui.commands.common import (
    Subparsers,
    add_db_flag,
    count_arg,
    db_path,
    redactor_from,
)
from pluginlab_tui.errors import UsageError
from pluginlab_tui.store import queries, retention
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import Event, iso
from pluginlab_tui.store.filter import (
    EVERYTHING,
    Filter,
    FilterError,
    compile_filter,
    invalid,
    with_code,
)


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "events",
        help="list recorded exchanges (or prune them)",
        description="List recorded exchanges, newest last.",
    )
    add_db_flag(parser)
    add_selection_flags(parser)
    parser.add_argument(
        "--limit", type=count_arg(0), default=50, metavar="N", help="at most N (default 50)"
    )
    parser.add_argument(
        "--format", choices=("table", "json"), default="table", help="json: one object a line"
    )
    parser.set_defaults(run=run)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    prune = actions.add_parser("prune", help="drop old events", description="Drop old events.")
    add_db_flag(prune)
    group = prune.add_mutually_exclusive_group(required=True)
    group.add_argument("--older-than", metavar="AGE", help="drop events older than AGE (30m, 7d)")
    group.add_argument(
        "--keep", type=count_arg(0), metavar="N", help="keep only the newest N events"
    )
    prune.set_defaults(run=run_prune)


def add_selection_flags(parser: argparse.ArgumentParser) -> None:
    """--filter, --invalid and --code: which exchanges a verb works on."""
    parser.add_argument("--filter", metavar="EXPR", help='filter expression, e.g. "status:4xx"')
    parser.add_argument("--invalid", action="store_true", help="only exchanges with violations")
    parser.add_argument("--code", metavar="CODE", help="only exchanges with this violation code")


def selection(args: argparse.Namespace) -> Filter:
    """The exchanges --filter, --invalid and --code select, all of them together."""
    where = EVERYTHING
    if getattr(args, "filter", None):
        try:
            where = compile_filter(args.filter)
        except FilterError as exc:
            pointer = " " * (exc.position + len("--filter: ")) + "^"
            raise UsageError(
                f"--filter: {exc.message}\n  --filter: {args.filter}\n  {pointer}"
            ) from None
    if getattr(args, "invalid", False):
        where = where & invalid()
    if getattr(args, "code", None):
        where = where & with_code(args.code)
    return where


_AGE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    match = _AGE.match(text.strip())
    if not match:
        raise UsageError(f"--older-than: {text!r} is not an age like 30m, 12h or 7d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def table_row(event: Event) -> str:
    status = "---" if event.status is None else str(event.status)
    ms = "" if event.duration_ms is None else f"{event.duration_ms:8.1f}"
    verdict = "ok" if not event.violations else f"{event.violation_count} viol."
    if event.error:
        verdict += " error"
    op = event.operation_id or "-"
    return (
        f"{event.event_id[:8]}  {event.ts[:23]}  {event.method:<7} {status:>3} {ms:>8} ms"
        f"  {op:<16} {verdict:<12} {event.path}"
    )


def run(args: argparse.Namespace) -> int:
    conn = open_store(db_path(args))
    try:
        events = queries.newest(conn, selection(args), limit=max(args.limit, 0))
    finally:
        conn.close()
    redactor = redactor_from(args)  # a store written before a secret was known keeps it
    events = [redactor.event(e) for e in events]
    out = sys.stdout
    if args.format == "json":
        for event in events:
            out.write(json.dumps(event.to_json(), ensure_ascii=False) + "\n")
    else:
        for event in events:
            out.write(table_row(event) + "\n")
    return 0


def run_prune(args: argparse.Namespace) -> int:
    conn = open_store(db_path(args))
    try:
        if args.keep is not None:
            dropped = retention.keep_newest(conn, args.keep)
        else:
            dropped = retention.drop_older_than(
                conn, iso(datetime.now(UTC) - parse_age(args.older_than))
            )
    finally:
        conn.close()
    print(f"pruned {dropped} event(s)")
    return 0
