"""Copy as curl: a recorded request as a runnable command.

The store keeps no secret, so a redacted credential becomes the `$PLUGINLAB_TOKEN` placeholder,
in double quotes so that the shell fills it in: `export PLUGINLAB_TOKEN=...` and run.

    curl_command(event, "http://127.0.0.1:8787")
    curl_commands(event, base_url)   # one command, or an MCP message's session around it
    curl_script(events, base_url)    # `export curl`: a shell script, one command per event
"""

from __future__ import annotations

import base64
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from pluginlab_tui.access.redaction import Redactor
from pluginlab_tui.mcp.sessions import SESSION_HEADER
from pluginlab_tui.replay.mcp import call_of, closing, in_session, initialized, is_mcp, opening
from pluginlab_tui.replay.request import ReplayRequest
from pluginlab_tui.store.event import Event
from pluginlab_tui.wire import GRANT_HEADER, REDACTED

PLACEHOLDER = "$PLUGINLAB_TOKEN"
#: The shell variable an MCP sequence keeps its session id in.
SESSION_VAR = "$MCP_SESSION"
#: Headers curl makes itself, or that would make its output unreadable.
_SKIP = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "upgrade",
        "accept-encoding",
        GRANT_HEADER.lower(),
    }
)


def _double_quoted(text: str, keep: str = PLACEHOLDER) -> str:
    """A double-quoted shell word in which only the variable `keep` is expanded."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
    escaped = escaped.replace("$", "\\$").replace("\\" + keep, keep)
    return f'"{escaped}"'


def _header_arg(name: str, value: str, scheme: str | None) -> str:
    if name.lower() == SESSION_HEADER and value == SESSION_VAR:
        return "-H " + _double_quoted(f"{name}: {value}", SESSION_VAR)
    if value == REDACTED:
        if name.lower() in ("authorization", "proxy-authorization") and scheme:
            value = f"{scheme} {PLACEHOLDER}"
        else:
            value = PLACEHOLDER
        return "-H " + _double_quoted(f"{name}: {value}")
    return "-H " + shlex.quote(f"{name}: {value}")


def curl_command(
    source: Event | ReplayRequest,
    base_url: str,
    *,
    auth_scheme: str | None = "Bearer",
    multiline: bool = True,
    redactor: Redactor | None = None,
    extra: Sequence[str] = (),
) -> str:
    """A curl command that sends the same request to base_url (the proxy or a target).

    An event passes through the redactor first (the minted-token pattern and the default
    header names when none is given), so no secret the store might still hold is written out.
    """
    if isinstance(source, ReplayRequest):
        request = source
    else:
        request = ReplayRequest.from_event((redactor or Redactor()).event(replace(source)))
    url = base_url.rstrip("/") + request.target
    parts = ["curl", "-sS"]
    if request.method == "HEAD":
        parts.append("--head")
    elif request.method != "GET" or request.body:
        parts += ["-X", shlex.quote(request.method)]
    parts.append(shlex.quote(url))
    for name, value in request.headers:
        if name.lower() in _SKIP:
            continue
        parts.append(_header_arg(name, value, auth_scheme))
    prefix = ""
    if request.body:
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and "\x00" not in text:
            parts += ["--data-binary", shlex.quote(text)]
        else:
            encoded = base64.b64encode(request.body).decode("ascii")
            prefix = f"printf %s {shlex.quote(encoded)} | base64 -d | "
            parts += ["--data-binary", "@-"]
    parts += extra
    joiner = " \\\n  " if multiline else " "
    return prefix + joiner.join(parts)


def curl_commands(
    event: Event,
    base_url: str,
    *,
    auth_scheme: str | None = "Bearer",
    redactor: Redactor | None = None,
    mcp_paths: Callable[[str], bool] | None = None,
) -> str:
    """The shell that re-sends the event's request: one curl command, or for an MCP message of
    a handshake-era version the session around it (replay/mcp.py): the `initialize` (its
    Mcp-Session-Id kept in $MCP_SESSION), `notifications/initialized`, the request, and the
    DELETE that ends the session, all at the recorded version."""
    request = ReplayRequest.from_event((redactor or Redactor()).event(replace(event)))
    call = call_of(request, event) if is_mcp(event, mcp_paths) else None
    if call is None or not call.needs_session:
        return curl_command(request, base_url, auth_scheme=auth_scheme)
    version = call.version
    quiet = ["-o", "/dev/null"]
    opened = curl_command(
        opening(request, version), base_url, auth_scheme=auth_scheme, extra=["-D", "-", *quiet]
    )
    capture = 'awk \'tolower($1) == "mcp-session-id:" { sub(/\\r$/, "", $2); print $2 }\''
    steps = [
        initialized(request, SESSION_VAR, version),
        in_session(request, SESSION_VAR, version),
        closing(request, SESSION_VAR, version),
    ]
    lines = [f"{SESSION_VAR[1:]}=$({opened} | {capture})"]
    for index, step in enumerate(steps):
        lines.append(
            curl_command(step, base_url, auth_scheme=auth_scheme, extra=[] if index == 1 else quiet)
        )
    return "\n".join(lines)


def curl_script(
    events: Iterable[Event],
    base_url: str,
    *,
    auth_scheme: str | None = "Bearer",
    redactor: Redactor | None = None,
    mcp_paths: Callable[[str], bool] | None = None,
) -> str:
    """`export curl`: a shell script with one commented command (or MCP sequence) per event."""
    redactor = redactor or Redactor()
    lines = [
        "#!/bin/sh",
        "# Exported by pluginlab-tui. Redacted credentials read $PLUGINLAB_TOKEN:",
        "#   export PLUGINLAB_TOKEN=...",
        "",
    ]
    for event in events:
        status = "-" if event.status is None else str(event.status)
        rpc = " ".join(x for x in (event.rpc_method, event.tool or event.resource_uri) if x)
        lines.append(
            f"# {event.event_id} {event.ts} {event.method} {event.path}"
            + (f" {rpc}" if rpc else "")
            + f" -> {status}"
        )
        lines.append(
            curl_commands(
                event, base_url, auth_scheme=auth_scheme, redactor=redactor, mcp_paths=mcp_paths
            )
        )
        lines.append("")
    return "\n".join(lines)
