"""`pluginlab-tui replay`: re-send recorded exchanges; exit 1 when one breaks the contract."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any

from pluginlab_tui.commands.common import (
    Subparsers,
    add_db_flag,
    config_from,
    count_arg,
    db_path,
    url_arg,
)
from pluginlab_tui.commands.events import add_selection_flags, selection
from pluginlab_tui.errors import UsageError
from pluginlab_tui.replay.document import edit_in_editor
from pluginlab_tui.replay.mcp import is_mcp
from pluginlab_tui.replay.request import (
    TOKEN_ENV,
    Credentials,
    ReplayRequest,
    redacted_credentials,
)
from pluginlab_tui.replay.runner import Replayer, ReplayResult
from pluginlab_tui.store import queries
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import Event


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="re-send recorded exchanges through the proxy or to a target",
        description=(
            "Re-send recorded requests. Through the proxy (the default) each one is validated "
            "and recorded again as source=replay, linked to its original, on behalf of the "
            "original caller. With --target it goes straight to that URL with the credentials "
            f"you give (--token, ${TOKEN_ENV}, or a prompt). An MCP request of a handshake-era "
            "version is sent in a new session (initialize, notifications/initialized, the "
            "request, DELETE); one of 2026-07-28 as recorded, and its JSON-RPC result or error "
            "is what --compare compares. Exit 1 when a replayed exchange breaks the contract "
            "or, with --compare, answers differently from the original."
        ),
    )
    add_db_flag(parser)
    parser.add_argument("ids", nargs="*", metavar="ID", help="event ids (a unique prefix will do)")
    add_selection_flags(parser)
    parser.add_argument(
        "--limit",
        type=count_arg(0),
        default=1000,
        metavar="N",
        help="at most N selected events (1000)",
    )
    parser.add_argument(
        "--target", type=url_arg, metavar="URL", help="send straight to this base URL"
    )
    parser.add_argument(
        "--proxy",
        type=url_arg,
        metavar="URL",
        help="the proxy's URL (default: http://<proxy.listen>)",
    )
    parser.add_argument(
        "--compare", action="store_true", help="exit 1 when an answer differs from the original"
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="PATH",
        help="JSON path left out of the body comparison, e.g. '$.todos[*].created_at' (repeat)",
    )
    parser.add_argument(
        "--ignore-header",
        action="append",
        default=[],
        metavar="NAME",
        help="response header left out of the comparison (date, server... already are)",
    )
    parser.add_argument(
        "--edit", action="store_true", help="edit the request in $EDITOR before sending (one ID)"
    )
    parser.add_argument(
        "--token", metavar="TOKEN", help=f"credentials for --target (default: ${TOKEN_ENV})"
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="json: one object a line"
    )
    parser.set_defaults(run=run)


def chosen_events(args: argparse.Namespace, conn: Any) -> list[Event]:
    if args.ids and (args.filter or args.invalid or args.code):
        raise UsageError("give event IDs or a selection (--filter/--invalid/--code), not both")
    if args.ids:
        events: list[Event] = []
        for event_id in args.ids:
            found = queries.get(conn, event_id)
            if found is None:
                raise UsageError(f"no event {event_id!r} in the store (or the prefix is ambiguous)")
            events.append(found)
        return events
    if not (args.filter or args.invalid or args.code):
        raise UsageError("say what to replay: event IDs, or --filter EXPR")
    events = queries.page(conn, selection(args), limit=max(args.limit, 0))
    return events


def credentials_for(
    args: argparse.Namespace, events: list[Event], config: Any
) -> Credentials | None:
    token = args.token or os.environ.get(TOKEN_ENV)
    if token is None and args.target:
        needs = sorted(
            {name for e in events for name in redacted_credentials(ReplayRequest.from_event(e))}
        )
        if needs:
            if sys.stdin.isatty():
                token = getpass.getpass(f"credentials for {', '.join(needs)} at {args.target}: ")
            else:
                print(
                    f"pluginlab-tui: the store redacted {', '.join(needs)}; sending without"
                    f" (give --token or ${TOKEN_ENV})",
                    file=sys.stderr,
                )
    if not token:
        return None
    return Credentials.for_config(token, config)


def describe(result: ReplayResult) -> str:
    original = result.original
    old = "-" if original is None or original.status is None else str(original.status)
    new = "---" if result.status is None else str(result.status)
    ids = f"{original.event_id[:8] if original else '--------'} -> {(result.event_id or '-')[:8]}"
    if result.error:
        verdict = f"error: {result.error}"
    elif result.violations:
        verdict = f"{len(result.violations)} violation(s)"
    else:
        verdict = "ok" if result.checked_by != "none" else "not checked"
    if result.differs:
        verdict += ", differs"
    rpc = "" if result.call is None else f" {result.call.method}"
    return (
        f"{ids}  {result.request.method:<6} {result.request.target}{rpc}  {new} (was {old})"
        f"  {result.duration_ms:.1f} ms  {verdict}"
    )


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    store = db_path(args)
    conn = open_store(store)
    try:
        events = chosen_events(args, conn)
    finally:
        conn.close()
    if not events:
        print("pluginlab-tui: no event matches; nothing replayed", file=sys.stderr)
        return 0
    if args.edit and len(events) != 1:
        raise UsageError("--edit replays one event: give one ID")
    credentials = credentials_for(args, events, config)
    replayer = Replayer.for_config(
        config,
        target=args.target,
        db=store,
        credentials=credentials,
        proxy_url=args.proxy,
        ignore_paths=args.ignore,
        ignore_headers=args.ignore_header,
    )
    if args.target:
        mcp = sum(1 for e in events if is_mcp(e, config.mcp.covers))
        if mcp:
            print(
                "pluginlab-tui: MCP answers are checked only through the proxy; straight to a "
                "target they are compared, not checked",
                file=sys.stderr,
            )
        contracts = replayer.contracts
        if mcp < len(events) and contracts is not None and contracts.in_service() is None:
            print(
                f"pluginlab-tui: cannot read the spec {config.spec_path}; answers are not checked",
                file=sys.stderr,
            )
    with replayer:
        if args.edit:
            edited = edit_in_editor(ReplayRequest.from_event(events[0]))
            if edited is None:
                print("pluginlab-tui: empty request; nothing sent", file=sys.stderr)
                return 0
            results = [replayer.replay(events[0], edited)]
        elif len(events) == 1:
            results = [replayer.replay(events[0])]
        else:
            results = _batch(replayer, events)
    out = sys.stdout
    for result in results:
        if args.format == "json":
            out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
            continue
        out.write(describe(result) + "\n")
        for violation in result.violations:
            out.write(f"    {violation.code} at {violation.where}: {violation.message}\n")
        if result.diff is not None and result.differs:
            for line in result.diff.lines():
                out.write(f"    {line}\n")
    broke = sum(1 for r in results if r.broke_contract)
    differ = sum(1 for r in results if r.differs)
    if args.format == "text" and len(results) > 1:
        out.write(
            f"{len(results)} replayed, {broke} broke the contract, {differ} answered differently\n"
        )
    return 1 if broke or (args.compare and differ) else 0


def _batch(replayer: Replayer, events: list[Event]) -> list[ReplayResult]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("replaying"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("replay", total=len(events), failed=0)
        failed = 0

        def step(done: int, total: int, result: ReplayResult) -> None:
            nonlocal failed
            failed += 1 if result.error or (result.status or 0) >= 500 else 0
            progress.update(task, completed=done, failed=failed)

        return replayer.replay_many(events, progress=step)
