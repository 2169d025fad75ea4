"""`pluginlab-tui spec draft`: an OpenAPI 3.1 draft inferred from recorded traffic.

With --merge SPEC, what traffic shows is added to SPEC (nothing in it is lost) and each addition
is reported. The result goes to stdout, or to -o FILE (an existing FILE only with --force, after
its diff is shown; a backup is kept).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pluginlab_tui.commands.common import Subparsers, add_db_flag, config_from
from pluginlab_tui.commands.events import add_selection_flags, selection
from pluginlab_tui.errors import UsageError
from pluginlab_tui.plugin.documents import read_document
from pluginlab_tui.plugin.draft import api_events, draft_spec
from pluginlab_tui.plugin.lint import lint_texts
from pluginlab_tui.plugin.merge import merge_specs, spec_base_path
from pluginlab_tui.plugin.scaffold import Writer, describe_change, spec_text
from pluginlab_tui.store import queries
from pluginlab_tui.store.database import open_store

MAX_EVENTS = 100_000


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "spec",
        help="work on the OpenAPI spec (spec draft: infer one from recorded traffic)",
        description="Work on the plugin's OpenAPI spec.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    draft = actions.add_parser(
        "draft",
        help="infer an OpenAPI 3.1 spec from recorded exchanges",
        description=(
            "Infer an OpenAPI 3.1 document from recorded exchanges: templated paths, query "
            "parameters, request and response schemas merged across samples, every status "
            "seen, proposed operationIds and summaries. With --merge SPEC, add what traffic "
            "shows to SPEC without losing anything it says."
        ),
    )
    add_db_flag(draft)
    add_selection_flags(draft)
    draft.add_argument(
        "--merge", type=Path, metavar="SPEC", help="add what traffic shows to this spec"
    )
    draft.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here (default: stdout)"
    )
    draft.add_argument(
        "--force",
        action="store_true",
        help="replace an existing -o FILE (its diff is shown and a backup kept)",
    )
    draft.add_argument("--title", help="info.title of the draft")
    draft.set_defaults(run=run_draft)
    parser.set_defaults(run=_usage(parser))


def _usage(parser: argparse.ArgumentParser) -> object:
    def run(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    return run


def run_draft(args: argparse.Namespace) -> int:
    config = config_from(args)
    db = Path(args.db) if args.db is not None else config.store_path
    base_spec = None
    if args.merge is not None:
        if not args.merge.is_file():
            raise UsageError(f"--merge: no such file: {args.merge}")
        doc = read_document(args.merge)
        if doc.error is not None:
            raise UsageError(f"--merge: {doc.error.message}")
        if not isinstance(doc.data, dict) or not isinstance(doc.data.get("paths"), dict):
            raise UsageError(f"--merge: {args.merge} is not an OpenAPI document (no paths)")
        base_spec = doc.data
    if args.output is not None and args.output.exists() and not args.force:
        same = args.merge is not None and args.output.resolve() == args.merge.resolve()
        what = "the merged spec" if same else "the draft"
        raise UsageError(
            f"-o: {args.output} exists; give a new file, or --force to replace it with {what} "
            "(a backup is kept)"
        )
    conn = open_store(db)
    try:
        events = queries.newest(conn, selection(args), limit=MAX_EVENTS)
    finally:
        conn.close()
    used = api_events(events)
    if not used:
        raise UsageError(f"no recorded API exchanges in {db} to draft from")
    err = sys.stderr
    title = args.title
    if title is None and config.manifest_path.is_file():
        manifest = read_document(config.manifest_path).data
        if isinstance(manifest, dict) and isinstance(manifest.get("name_for_human"), str):
            title = manifest["name_for_human"]
    base_path = spec_base_path(base_spec) if base_spec is not None else ""
    drafted = draft_spec(
        used,
        title=title or "Drafted from traffic",
        server_url=config.proxy.public_url,
        base_path=base_path,
    )
    err.write(f"drafted {len(drafted['paths'])} path(s) from {len(used)} exchange(s)\n")
    result = drafted
    if base_spec is not None:
        result, additions = merge_specs(base_spec, drafted)
        if additions:
            err.write(f"{len(additions)} addition(s) to {args.merge}:\n")
            for addition in additions:
                err.write(f"  + {addition}\n")
        else:
            err.write(f"nothing to add: {args.merge} already says all that traffic shows\n")
    text = spec_text(result)
    findings = lint_texts(None, text, spec_name=str(args.output or "draft"), profile="plugin")
    errors = [f for f in findings if f.severity == "error"]
    for finding in errors:
        err.write(f"lint error: {finding.rule} {finding.message}\n")
    if args.output is None:
        if args.merge is not None:
            err.write(describe_change(args.merge, args.merge.read_text("utf-8"), text, spec=True))
        sys.stdout.write(text)
    else:
        if args.merge is not None and not args.output.exists():
            err.write(describe_change(args.merge, args.merge.read_text("utf-8"), text, spec=True))
        writer = Writer(err, force=args.force)
        written = writer.write(args.output, text, spec=True)
        if written.written:
            err.write(
                "each write is a new version: a proxy serving this file with hot reload picks "
                "it up as the next plugin version\n"
            )
    return 1 if errors else 0
