"""Flags and helpers that several verbs share."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pluginlab_tui.access.redaction import Redactor
from pluginlab_tui.config import Config, base_url, check_host, find_config, host_port, load_config
from pluginlab_tui.errors import UsageError

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


def given_config(args: argparse.Namespace) -> Path | None:
    """The file named by --config, before the verb (`pluginlab-tui --config F VERB`) or after
    it (`VERB --config F`). Both naming different files is refused: which store a `users
    revoke` lands on must never be a guess."""
    before: Path | None = getattr(args, "main_config", None)
    after: Path | None = getattr(args, "config", None)
    if before is not None and after is not None and before.resolve() != after.resolve():
        raise UsageError(
            f"--config given twice ({before} before the command, {after} after it); give one"
        )
    return after or before


def config_path(args: argparse.Namespace) -> Path | None:
    """The config file a verb reads: --config (see given_config), else ./pluginlab.toml."""
    return given_config(args) or find_config()


def config_from(args: argparse.Namespace, overrides: dict[str, Any] | None = None) -> Config:
    """The config named by --config (or ./pluginlab.toml, or defaults), with flag overrides."""
    return load_config(config_path(args), overrides)


def refuse_config(args: argparse.Namespace, verb: str) -> None:
    """For verbs that read no pluginlab.toml: a global --config would be silently ignored."""
    if getattr(args, "main_config", None) is not None:
        raise UsageError(f"`{verb}` reads no pluginlab.toml; --config does not apply to it")


# -- argparse types: a bad value is refused before anything runs ------------------------------


def url_arg(text: str) -> str:
    """An absolute http(s) base URL with a valid host (config.base_url)."""
    try:
        return base_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def listen_arg(text: str) -> str:
    """HOST:PORT."""
    try:
        host, _ = host_port(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    try:
        check_host(host)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None
    return text


def domain_arg(text: str) -> str:
    """A domain for the lint's domain rules: a host (with or without a port or a path), or a URL."""
    try:
        if "://" in text:
            base_url(text, query=True)
            return text
        host = text.strip().split("/")[0]
        if ":" in host and not host.startswith("["):
            host = host.rsplit(":", 1)[0]
        elif host.startswith("[") and "]:" in host:
            host = host[: host.index("]") + 1]
        check_host(host)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None
    return text


def count_arg(minimum: int) -> Any:
    """An integer of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r}: must be {minimum} or more")
        return value

    parse.__name__ = "count"
    return parse


def seconds_arg(text: str) -> float:
    """A duration in seconds: finite, 0 or more, at most a day."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 86_400:
        raise argparse.ArgumentTypeError(f"{text!r}: must be between 0 and 86400 seconds")
    return value


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
