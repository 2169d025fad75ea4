"""`pluginlab-tui versions`: the plugin versions in the store, and diffs between specs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from pluginlab_tui.commands.common import Subparsers, add_db_flag, db_path
from pluginlab_tui.errors import UsageError
from pluginlab_tui.plugin.diff import Change, diff_files, diff_specs
from pluginlab_tui.store import versions
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.versions import VersionRecord


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "versions",
        help="plugin versions: list, show, diff",
        description="The plugin's versions (manifest and spec pairs) as the proxy served them.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every version with its lint summary")
    add_db_flag(listing)
    listing.set_defaults(run=run_list)
    show = actions.add_parser("show", help="one version's files and lint findings")
    add_db_flag(show)
    show.add_argument("number", type=int, metavar="N")
    show.add_argument("--file", choices=("manifest", "spec", "lint"), help="print only this part")
    show.set_defaults(run=run_show)
    diff = actions.add_parser(
        "diff",
        help="compare two versions (numbers) or two spec files; exit 1 when breaking",
        description="Compare versions A and B of the store, or two spec files. Exit code 1 when a"
        " change is breaking, so CI can use it.",
    )
    add_db_flag(diff)
    diff.add_argument("old", metavar="A")
    diff.add_argument("new", metavar="B")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.set_defaults(run=run_diff)


def _summary(record: VersionRecord) -> str:
    counts = record.lint_summary
    return f"{counts.get('error', 0)} error(s), {counts.get('warning', 0)} warning(s)"


def run_list(args: argparse.Namespace) -> int:
    conn = open_store(db_path(args))
    try:
        records = versions.all_versions(conn)
    finally:
        conn.close()
    if not records:
        print("no versions recorded yet (start the proxy with `pluginlab-tui serve`)")
    for record in records:
        if record.spec_hash is None:
            files = f"catalogue {(record.catalogue_hash or '-')[:10]:<10}"
        else:
            manifest = (record.manifest_hash or "-")[:10]
            files = f"manifest {manifest:<10}  spec {record.spec_hash[:10]}"
        print(f"{record.number:>4}  {record.ts[:19]}  {files}  {_summary(record)}")
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


def run_show(args: argparse.Namespace) -> int:
    record = _load(db_path(args), args.number)
    out = sys.stdout
    if args.file in (None, "manifest"):
        if args.file is None:
            out.write(f"# version {record.number} ({record.ts}): {_summary(record)}\n")
            out.write("# ai-plugin.json\n")
        out.write((record.manifest_text or "(no manifest: actions profile)\n").rstrip("\n") + "\n")
    if args.file in (None, "spec"):
        if args.file is None:
            out.write("# spec\n")
        out.write((record.spec_text or "(no spec: an MCP catalogue)").rstrip("\n") + "\n")
    if args.file in (None, "lint"):
        if args.file is None:
            out.write("# lint\n")
        for finding in record.lint_findings:
            place = f"{finding.get('file')}:{finding.get('line') or '-'}"
            severity, rule = finding.get("severity"), finding.get("rule")
            out.write(f"{place} {severity} {rule} {finding.get('message')}\n")
    return 0


def _spec_of(record: VersionRecord) -> dict[str, object]:
    data = yaml.safe_load(record.spec_text or "{}")
    return data if isinstance(data, dict) else {}


def changes_between(args: argparse.Namespace) -> list[Change]:
    if args.old.isdigit() and args.new.isdigit():
        path = db_path(args)
        return diff_specs(
            _spec_of(_load(path, int(args.old))), _spec_of(_load(path, int(args.new)))
        )
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
