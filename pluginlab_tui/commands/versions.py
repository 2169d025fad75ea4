"""`pluginlab-tui versions`: the versions in the store (the plugin's files and the MCP server's
catalogues, in one numbered sequence), and diffs between versions or between saved files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pluginlab_tui.commands.common import Subparsers, add_db_flag, db_path
from pluginlab_tui.contract.changes import catalogue_of, diff_files, diff_versions
from pluginlab_tui.contract.summary import (
    contents_line,
    counts,
    finding_fields,
    fingerprint,
    lint_counts,
    lint_line,
)
from pluginlab_tui.errors import UsageError
from pluginlab_tui.mcp.catalogue_text import catalogue_text
from pluginlab_tui.plugin.diff import Change
from pluginlab_tui.store import versions
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.versions import CATALOGUE, VersionRecord

#: The parts `show --file` prints, by kind of version.
PARTS: dict[str, tuple[str, ...]] = {
    "plugin": ("manifest", "spec", "lint"),
    CATALOGUE: ("catalogue", "lint"),
}


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "versions",
        help="plugin and MCP catalogue versions: list, show, diff",
        description="The versions the proxy served, in one numbered sequence: the plugin's files"
        " (manifest and spec pairs) and the MCP server's catalogues (what tools/list,"
        " resources/list, resources/templates/list and prompts/list returned).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list", help="every version: kind, number, time, hash, lint counts, contents"
    )
    add_db_flag(listing)
    listing.add_argument(
        "--format", choices=("text", "json"), default="text", help="json: one object a line"
    )
    listing.set_defaults(run=run_list)
    show = actions.add_parser(
        "show",
        help="one version: its files, or its catalogue (tools with schemas and annotations,"
        " resources, templates, prompts), and its lint findings",
    )
    add_db_flag(show)
    show.add_argument("number", type=int, metavar="N")
    show.add_argument(
        "--file",
        choices=("manifest", "spec", "catalogue", "lint"),
        help="print only this part (catalogue: the saved JSON, which `versions diff` reads)",
    )
    show.set_defaults(run=run_show)
    diff = actions.add_parser(
        "diff",
        help="compare two versions (numbers) or two saved files; exit 1 when breaking",
        description="Compare versions A and B of the store (both the plugin's files, or both"
        " catalogues), or two files: two OpenAPI specs, or two saved tools/list results (the"
        " result or its JSON-RPC response), told apart by their content. Exit code 1 when a"
        " change is breaking, so CI can use it.",
    )
    add_db_flag(diff)
    diff.add_argument("old", metavar="A")
    diff.add_argument("new", metavar="B")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.set_defaults(run=run_diff)


def _contents(record: VersionRecord) -> str:
    if record.kind == CATALOGUE:
        return contents_line(catalogue_of(record))
    manifest = record.manifest_hash
    return f"manifest {manifest[:10]}" if manifest else "no manifest (actions profile)"


def _list_object(record: VersionRecord) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": record.number,
        "kind": record.kind,
        "ts": record.ts,
        "hash": fingerprint(record),
        "lint": lint_counts(record),
    }
    if record.kind == CATALOGUE:
        data["counts"] = counts(catalogue_of(record))
    else:
        data["manifest_hash"] = record.manifest_hash
    return data


def run_list(args: argparse.Namespace) -> int:
    conn = open_store(db_path(args))
    try:
        records = versions.all_versions(conn)
    finally:
        conn.close()
    if args.format == "json":
        for record in records:
            print(json.dumps(_list_object(record)))
        return 0
    if not records:
        print("no versions recorded yet (start the proxy with `pluginlab-tui serve`)")
        return 0
    print(f"{'#':>4}  {'kind':<9}  {'recorded':<19}  {'hash':<10}  {'lint':<20}  contents")
    for record in records:
        print(
            f"{record.number:>4}  {record.kind:<9}  {record.ts[:19].replace('T', ' ')}"
            f"  {fingerprint(record)[:10]:<10}  {lint_line(record):<20}  {_contents(record)}"
        )
    return 0


def _load(conn_path: Path, number: int) -> VersionRecord:
    conn = open_store(conn_path)
    try:
        record = versions.get(conn, number)
    finally:
        conn.close()
    if record is None:
        raise UsageError(f"there is no version {number} in {conn_path}")
    return record


def _lint_lines(record: VersionRecord) -> str:
    lines = []
    for finding in record.lint_findings:
        f = finding_fields(finding)
        lines.append(f"{f.where or '-'} {f.severity} {f.rule} {f.message}\n")
    return "".join(lines)


def run_show(args: argparse.Namespace) -> int:
    record = _load(db_path(args), args.number)
    parts = PARTS.get(record.kind, PARTS["plugin"])
    if args.file is not None and args.file not in parts:
        what = "an MCP catalogue" if record.kind == CATALOGUE else "the plugin's files"
        raise UsageError(
            f"version {record.number} is {what}: --file takes {' or '.join(parts)} there"
        )
    out = sys.stdout
    whole = args.file is None
    if whole:
        out.write(
            f"# version {record.number} ({record.ts}): {record.kind} {fingerprint(record)[:10]},"
            f" {lint_line(record)}\n"
        )
    if record.kind == CATALOGUE:
        if args.file == "catalogue":
            out.write((record.catalogue_text or "{}").rstrip("\n") + "\n")
        elif whole:
            out.write(catalogue_text(catalogue_of(record)))
    if args.file in (None, "manifest") and "manifest" in parts:
        if whole:
            out.write("# ai-plugin.json\n")
        out.write((record.manifest_text or "(no manifest: actions profile)\n").rstrip("\n") + "\n")
    if args.file in (None, "spec") and "spec" in parts:
        if whole:
            out.write("# spec\n")
        out.write((record.spec_text or "").rstrip("\n") + "\n")
    if args.file in (None, "lint"):
        if whole:
            gap = "\n" if record.kind == CATALOGUE else ""
            out.write(f"{gap}# lint ({len(record.lint_findings)})\n")
        out.write(_lint_lines(record))
    return 0


def changes_between(args: argparse.Namespace) -> list[Change]:
    if args.old.isdigit() and args.new.isdigit():
        path = db_path(args)
        return diff_versions(_load(path, int(args.old)), _load(path, int(args.new)))
    return diff_files(Path(args.old), Path(args.new))


def run_diff(args: argparse.Namespace) -> int:
    changes = changes_between(args)
    breaking = [c for c in changes if c.breaking]
    if args.format == "json":
        print(json.dumps([c.to_dict() for c in changes], indent=2))
    else:
        if not changes:
            print("no changes")
        for change in changes:
            mark = "BREAKING" if change.breaking else "        "
            where = f"{change.operation or '-'} {change.where}".strip()
            print(f"{mark} {change.kind:<22} {where}: {change.message}")
        if changes:
            print(f"\n{len(changes)} change(s), {len(breaking)} breaking")
    return 1 if breaking else 0
