"""Flags and helpers that several verbs share."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pluginlab_tui.config import Config, find_config, load_config
from pluginlab_tui.errors import UsageError
from pluginlab_tui.redaction import Redactor

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = argparse._SubParsersAction


def add_config_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="pluginlab.toml to use (default: ./pluginlab.toml if present)",
    )


def add_db_flag(parser: argparse.ArgumentParser) -> None:
    add_config_flag(parser)
    parser.add_argument(
        "--db", type=Path, metavar="FILE", help="the event store (default: store.path from config)"
    )


def config_from(args: argparse.Namespace, overrides: dict[str, Any] | None = None) -> Config:
    """The config named by --config (or ./pluginlab.toml, or defaults), with flag overrides."""
    path = getattr(args, "config", None) or find_config()
    return load_config(path, overrides)


def redactor_from(args: argparse.Namespace) -> Redactor:
    """The config's redactor for what a verb writes out; the default one when the config cannot
    be read (a read-only verb given --db still answers)."""
    try:
        return Redactor.from_config(config_from(args))
    except UsageError:
        return Redactor()


def db_path(args: argparse.Namespace) -> Path:
    """The store named by --db, else by the config."""
    if getattr(args, "db", None) is not None:
        return Path(args.db)
    return config_from(args).store_path
