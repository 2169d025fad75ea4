"""`pluginlab-tui lint`: check a manifest, a spec or a plugin folder against OpenAI's rules, or
(`--mcp URL`) an MCP server as a ChatGPT app.

Exit 0 when no finding is an error, 1 when one is, 2 when the lint could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pluginlab_tui.commands.common import config_path as given_config_path
from pluginlab_tui.commands.common import domain_arg
from pluginlab_tui.config import load_config
from pluginlab_tui.errors import UsageError
from pluginlab_tui.plugin.findings import Finding
from pluginlab_tui.plugin.lint import lint_paths, summarize
from pluginlab_tui.plugin.options import PROFILES

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = argparse._SubParsersAction

STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "lint",
        help="check a plugin's manifest and spec, or an MCP server, against OpenAI's rules",
        description=(
            "Check a manifest (ai-plugin.json), an OpenAPI spec, or a plugin folder against the "
            "rules of ChatGPT plugins or GPT Actions; or, with --mcp URL, an MCP server (a "
            "ChatGPT app) from what it lists. Exit 0 when no error was found, 1 when one was, "
            "2 when the lint could not run."
        ),
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="a manifest, a spec, or a folder holding ai-plugin.json (its spec is found from "
        "api.url's path, else a sibling openapi.yaml/.yml/.json)",
    )
    parser.add_argument(
        "--mcp",
        metavar="URL",
        help="lint the MCP server at URL instead of files: connect as a client (Streamable "
        "HTTP, else HTTP+SSE), list its tools, resources, templates and prompts, read its "
        "widget templates",
    )
    parser.add_argument(
        "--token", metavar="T", help="with --mcp: send Authorization: Bearer T to the server"
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="S",
        help="with --mcp: give up on the server after S seconds (default 10)",
    )
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default=None,
        help="plugin: ChatGPT plugin rules and limits; actions: GPT Actions (manifest optional, "
        "300/700-character descriptions). Default: plugin.profile from config, else plugin",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: grouped by file; json: a list of {rule, severity, file, line, column, "
        "pointer, message}",
    )
    parser.add_argument(
        "--domain",
        type=domain_arg,
        metavar="HOST",
        help="the plugin's root domain for OpenAI's domain rules (default: proxy.public_url's "
        "host when it is public)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="pluginlab.toml for limits, profile and public_url (default: ./pluginlab.toml if "
        "present)",
    )
    parser.add_argument(
        "--fix",
        action="store_true",
        help="apply the mechanical fixes (operationIds, openapi version strings, servers and "
        "api.url from the config's public_url, placeholders), show the diff, keep a backup "
        "(FILE.bak), then lint the result",
    )
    parser.add_argument(
        "--truncate",
        action="store_true",
        help="with --fix: cut descriptions over the profile's limit (else they are only flagged)",
    )
    parser.set_defaults(run=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    try:
        findings = _lint_mcp(args) if getattr(args, "mcp", None) else _lint_files(args)
    except UsageError as exc:
        print(f"pluginlab-tui: {exc}", file=sys.stderr)
        return 2
    out = sys.stdout
    if getattr(args, "format", "text") == "json":
        json.dump([f.to_dict() for f in findings], out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        write_text(findings, out, color=_use_color(out))
    return 1 if any(f.severity == "error" for f in findings) else 0


def _lint_files(args: argparse.Namespace) -> list[Finding]:
    if not getattr(args, "paths", None):
        raise UsageError(
            "give a PATH to lint (a manifest, a spec or a plugin folder), or --mcp URL"
        )
    for flag in ("token", "timeout"):
        if getattr(args, flag, None) is not None:
            raise UsageError(f"--{flag} works with --mcp")
    if getattr(args, "fix", False):
        from pluginlab_tui.plugin.fixes import fix_paths

        config_path = given_config_path(args)
        fix_paths(
            [Path(p) for p in args.paths],
            load_config(config_path),
            explicit_url=config_path is not None or "PLUGINLAB_PROXY__PUBLIC_URL" in os.environ,
            profile=getattr(args, "profile", None),
            truncate=getattr(args, "truncate", False),
            out=sys.stderr if getattr(args, "format", "text") == "json" else sys.stdout,
        )
    elif getattr(args, "truncate", False):
        raise UsageError("--truncate works with --fix")
    return _lint(args)


def _lint_mcp(args: argparse.Namespace) -> list[Finding]:
    from pluginlab_tui.mcp.client import DEFAULT_TIMEOUT_S
    from pluginlab_tui.mcp.lint import lint_server

    if getattr(args, "paths", None):
        raise UsageError("--mcp lints a server: give no PATH with it")
    for flag in ("fix", "truncate", "profile", "domain", "config"):
        if getattr(args, flag, None):
            raise UsageError(f"--{flag} does not apply to --mcp")
    timeout = getattr(args, "timeout", None) or DEFAULT_TIMEOUT_S
    return lint_server(args.mcp, token=getattr(args, "token", None), timeout=timeout)


def _lint(args: argparse.Namespace) -> list[Finding]:
    config_path = given_config_path(args)
    config = load_config(config_path)
    public_url: str | None = None
    if config_path is not None or "PLUGINLAB_PROXY__PUBLIC_URL" in os.environ:
        public_url = config.proxy.public_url
    profile = getattr(args, "profile", None) or config.plugin.profile
    paths = [Path(p) for p in args.paths]
    return lint_paths(
        paths,
        profile=profile,
        domain=getattr(args, "domain", None),
        public_url=public_url,
        limits=config.plugin.limits,
    )


def _use_color(out: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


def write_text(findings: Sequence[Finding], out: TextIO, *, color: bool = False) -> None:
    """Findings grouped by file: `file:line:col severity rule message`, then the counts."""
    console = None
    if color:
        from rich.console import Console

        console = Console(file=out, force_terminal=True, highlight=False, soft_wrap=True)
    files: dict[str, list[Finding]] = {}
    for finding in findings:
        files.setdefault(finding.file, []).append(finding)
    for name, group in files.items():
        counts = summarize(group)
        header = f"{name}  ({_counts(counts)})"
        if console is not None:
            from rich.markup import escape

            console.print(f"[bold underline]{escape(header)}[/]")
        else:
            out.write(header + "\n")
        for finding in group:
            place = name
            if finding.line is not None:
                place += f":{finding.line}:{finding.column or 1}"
            if console is not None:
                from rich.markup import escape

                style = STYLES[finding.severity]
                console.print(
                    f"  {escape(place)} [{style}]{finding.severity}[/] [dim]{finding.rule}[/] "
                    f"{escape(finding.message)}"
                )
            else:
                out.write(f"  {place} {finding.severity} {finding.rule} {finding.message}\n")
        out.write("\n")
    total = summarize(findings)
    verdict = "lint failed" if total["error"] else "lint clean"
    line = f"{verdict}: {_counts(total)} in {len(files)} file{'s' if len(files) != 1 else ''}"
    if not findings:
        line = "lint clean: no findings"
    if console is not None:
        console.print(f"[{'bold red' if total['error'] else 'bold green'}]{line}[/]")
    else:
        out.write(line + "\n")


def _counts(counts: dict[str, int]) -> str:
    parts = []
    for severity in ("error", "warning", "info"):
        n = counts.get(severity, 0)
        parts.append(f"{n} {severity}{'s' if n != 1 and severity != 'info' else ''}")
    return ", ".join(parts)
