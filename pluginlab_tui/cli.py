"""The `pluginlab-tui` command: an argparse front with one module per verb in commands/."""

from __future__ import annotations

import argparse
import importlib
import sqlite3
import sys
from collections.abc import Sequence
from typing import NoReturn

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
    "web",
)


class BadArguments(Exception):
    """A mistake on the command line, as the one line to print (main returns 2)."""


class Parser(argparse.ArgumentParser):
    """argparse with a mistake said in one line (and exit 2), the house rule for bad input."""

    def error(self, message: str) -> NoReturn:
        raise BadArguments(f"{self.prog}: {message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
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
    try:
        args = parser.parse_args(argv)
    except BadArguments as exc:
        print(exc, file=sys.stderr)
        return 2
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
    except (OSError, sqlite3.Error) as exc:  # the last net: the environment, in one line
        print(f"pluginlab-tui: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    return code
