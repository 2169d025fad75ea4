"""The `pluginlab-tui` command: an argparse front with one module per verb in commands/."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pluginlab_tui import __version__
from pluginlab_tui.errors import UsageError

#: Verbs, each a module in pluginlab_tui.commands with add_parser(subparsers) and run(args).
VERBS = (
    "serve",
    "events",
    "lint",
    "versions",
    "users",
    "replay",
    "export",
    "import_har",
    "simulate",
    "demo",
    "tui",
    "init",
    "spec",
    "prompt",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pluginlab-tui",
        description="A live debugger in the terminal for ChatGPT plugins and GPT Actions.",
    )
    parser.add_argument("--version", action="version", version=f"pluginlab-tui {__version__}")
    importlib.import_module("pluginlab_tui.commands.tui").add_default_flags(parser)
    subparsers = parser.add_subparsers(dest="verb", metavar="COMMAND")
    for verb in VERBS:
        importlib.import_module(f"pluginlab_tui.commands.{verb}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "run", None)
    if run is None:
        # no verb: the proxy as a child process and the TUI on its store (or --attach)
        run = importlib.import_module("pluginlab_tui.commands.tui").run_default
    try:
        code: int = run(args)
    except UsageError as exc:
        print(f"pluginlab-tui: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return code
