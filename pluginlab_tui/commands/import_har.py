"""`pluginlab-tui import F.har`: another tool's capture as events (source=import), validated."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pluginlab_tui.access.redaction import Redactor
from pluginlab_tui.commands.common import Subparsers, add_db_flag, config_from, db_path
from pluginlab_tui.errors import UsageError
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.writer import insert_events


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "import",
        help="import a HAR file (devtools, mitmproxy, ...) as events",
        description=(
            "Import the HTTP exchanges of a HAR file as events with source=import, each "
            "validated against the spec in service (the config's plugin files), with secrets "
            "redacted like live traffic. They can then be browsed, exported and replayed. "
            "Entries that cannot be read (wrong shapes, impossible numbers, bodies nested too "
            "deeply) are skipped and counted; a file that is not a HAR is refused (exit 2)."
        ),
    )
    parser.add_argument("file", type=Path, metavar="F.har", help="the HAR file")
    add_db_flag(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pluginlab_tui.contract.service import PluginService
    from pluginlab_tui.interchange.har import HarError, ImportOptions, from_har

    try:
        har = json.loads(Path(args.file).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise UsageError(f"{args.file}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{args.file}: cannot read: {exc}") from None
    except ValueError as exc:
        raise UsageError(f"{args.file}: not JSON: {exc}") from None
    except RecursionError:
        raise UsageError(f"{args.file}: not JSON that can be read: nested too deeply") from None
    config = config_from(args)
    redactor = Redactor.from_config(config)
    redactor.install_in_logging()  # the validator's log lines quote paths
    conn = open_store(db_path(args), create=True)
    try:
        validator = None
        version = None
        try:
            served = PluginService(config, conn).start()
            if served is not None:
                validator, version = served.validator, served.number
        except (UsageError, ValueError) as exc:
            print(f"pluginlab-tui: not validated: {exc}", file=sys.stderr)
        options = ImportOptions(
            body_cap=config.store.body_cap_bytes,
            redactor=redactor,
            validator=validator,
            version=version,
            mcp_paths=config.mcp.covers,
        )
        try:
            imported = from_har(har, options)
        except HarError as exc:
            raise UsageError(f"{args.file}: {exc}") from None
        written = insert_events(conn, imported.events)
    finally:
        conn.close()
    if imported.skipped:
        print(skipped_line(imported.skipped), file=sys.stderr)
    invalid = sum(1 for e in imported.events if e.violations)
    again = len(imported.events) - written
    print(
        f"imported {written} exchange(s) from {args.file}"
        + (f" ({again} already in the store)" if again else "")
        + f"; {invalid} break the contract"
        + ("" if validator is not None else " (not validated)")
    )
    return 0


def skipped_line(reasons: list[str], shown: int = 3) -> str:
    """One line for the entries left out: how many, and the first reasons."""
    more = f"; and {len(reasons) - shown} more" if len(reasons) > shown else ""
    return (
        f"pluginlab-tui: skipped {len(reasons)} entr{'y' if len(reasons) == 1 else 'ies'} "
        f"({'; '.join(reasons[:shown])}{more})"
    )
