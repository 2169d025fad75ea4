"""`pluginlab-tui serve`: the proxy alone, one line per exchange on stdout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pluginlab_tui.commands.common import (
    Subparsers,
    add_config_flag,
    config_from,
    given_config,
    listen_arg,
    url_arg,
)
from pluginlab_tui.config import Config, host_port, is_loopback_host, load_config
from pluginlab_tui.errors import UsageError
from pluginlab_tui.examples import SERVED_EXAMPLES, Backend, example_dir
from pluginlab_tui.store.event import Event


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the proxy alone, printing one line per exchange",
        description="Run the proxy in front of the plugin's backend and record every exchange.",
    )
    add_config_flag(parser)
    parser.add_argument(
        "--listen", type=listen_arg, metavar="HOST:PORT", help="where to listen (proxy.listen)"
    )
    parser.add_argument(
        "--backend", type=url_arg, metavar="URL", help="the backend's base URL (proxy.backend)"
    )
    parser.add_argument("--manifest", type=Path, metavar="FILE", help="ai-plugin.json to serve")
    parser.add_argument("--spec", type=Path, metavar="FILE", help="the OpenAPI spec to serve")
    parser.add_argument("--db", type=Path, metavar="FILE", help="the event store (store.path)")
    parser.add_argument(
        "--mcp",
        metavar="PATH",
        help="MCP mode: requests to PATH (e.g. /mcp) are MCP traffic (mcp.endpoint); without a"
        " [plugin] table no plugin files are needed",
    )
    parser.add_argument(
        "--mcp-sse",
        metavar="PATH",
        help="MCP mode, older HTTP+SSE transport: a GET on PATH (e.g. /sse) opens the event stream"
        " and the message path it announces is MCP traffic too (mcp.sse_endpoint)",
    )
    parser.add_argument(
        "--strict", action="store_true", default=None, help="answer contract violations (422/502)"
    )
    parser.add_argument(
        "--mock", action="store_true", default=None, help="answer from the spec, not the backend"
    )
    parser.add_argument(
        "--example",
        choices=SERVED_EXAMPLES,
        help="serve a bundled example plugin and start its backend beside the proxy",
    )
    parser.add_argument(
        "--engine",
        choices=("aiohttp", "mitmproxy"),
        help="what takes the connections (proxy.engine): aiohttp's server (the default, about"
        " twice the throughput) or mitmproxy's own",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no line per exchange")
    parser.set_defaults(run=run)


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "proxy.listen": args.listen,
        "proxy.backend": args.backend,
        "proxy.strict": args.strict,
        "proxy.mock": args.mock,
        "proxy.engine": args.engine,
        "plugin.manifest": args.manifest.resolve() if args.manifest else None,
        "plugin.spec": args.spec.resolve() if args.spec else None,
        "mcp.endpoint": args.mcp,
        "mcp.sse_endpoint": args.mcp_sse,
        "store.path": args.db.resolve() if args.db else None,
    }


def line(event: Event) -> str:
    """One exchange as a line: time, method, path, status, duration, verdict."""
    status = "---" if event.status is None else str(event.status)
    ms = "-" if event.duration_ms is None else f"{event.duration_ms:.1f} ms"
    verdict = f"  {event.violation_count} violation(s)" if event.violations else ""
    error = f"  ({event.error})" if event.error else ""
    path = event.path + ("?" + event.query if event.query else "")
    return f"{event.ts[11:23]} {event.method:<7} {path} {status} {ms}{verdict}{error}"


def print_lines(events: list[Event]) -> None:
    """The writer's callback in `serve`: a line per exchange, as soon as it is stored."""
    for event in events:
        print(line(event), flush=True)


def warn_if_exposed(config: Config) -> None:
    host, _ = host_port(config.proxy.listen)
    if not is_loopback_host(host):
        print(
            f"pluginlab-tui: warning: listening on {host}, reachable from other machines",
            file=sys.stderr,
        )


def run(args: argparse.Namespace) -> int:
    from pluginlab_tui.proxy.master import serve_forever

    backend: Backend | None = None
    if args.example:
        if given_config(args) is not None:
            raise UsageError("--example serves the example's own config; --config does not apply")
        folder = example_dir(args.example)
        flags = overrides(args)
        flags["store.path"] = flags["store.path"] or (Path.cwd() / ".pluginlab" / "events.db")
        load_config(
            folder / "pluginlab.toml", flags
        )  # a bad flag is refused before anything starts
        if not args.backend:
            backend = Backend(args.example).start()
            flags["proxy.backend"] = backend.url
        config = load_config(folder / "pluginlab.toml", flags)
    else:
        config = config_from(args, overrides(args))
    warn_if_exposed(config)

    def ready(server: Any) -> None:
        where = f"http://{config.proxy.listen}"
        target = config.proxy.backend if not config.proxy.mock and config.proxy.backend else "mock"
        paths = [p for p in (config.mcp.endpoint, config.mcp.sse_endpoint) if p is not None]
        mcp = f"; MCP at {' and '.join(paths)}" if paths else ""
        print(
            f"pluginlab-tui: proxy on {where} -> {target}{mcp}; store {config.store_path}",
            flush=True,
        )
        if not args.quiet:
            server.runtime.writer.on_written = print_lines

    try:
        return serve_forever(config, on_ready=ready)
    finally:
        if backend is not None:
            backend.stop()
