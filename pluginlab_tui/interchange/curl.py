"""Copy as curl: a recorded request as a runnable command.

The store keeps no secret, so a redacted credential becomes the `$PLUGINLAB_TOKEN` placeholder,
in double quotes so that the shell fills it in: `export PLUGINLAB_TOKEN=...` and run.

    curl_command(event, "http://127.0.0.1:8787")
    curl_script(events, base_url)    # `export curl`: a shell script, one command per event
"""

from __future__ import annotations

import base64
import shlex
from collections.abc import Iterable
from dataclasses import replace

from pluginlab_tui.access.redaction import Redactor
from pluginlab_tui.replay.request import ReplayRequest
from pluginlab_tui.store.event import Event
from pluginlab_tui.wire import GRANT_HEADER, REDACTED

PLACEHOLDER = "$PLUGINLAB_TOKEN"
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


def _double_quoted(text: str) -> str:
    """A double-quoted shell word in which only $PLUGINLAB_TOKEN is expanded."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
    escaped = escaped.replace("$", "\\$").replace("\\" + PLACEHOLDER, PLACEHOLDER)
    return f'"{escaped}"'


def _header_arg(name: str, value: str, scheme: str | None) -> str:
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
    joiner = " \\\n  " if multiline else " "
    return prefix + joiner.join(parts)


def curl_script(
    events: Iterable[Event],
    base_url: str,
    *,
    auth_scheme: str | None = "Bearer",
    redactor: Redactor | None = None,
) -> str:
    """`export curl`: a shell script with one commented command per event."""
    redactor = redactor or Redactor()
    lines = [
        "#!/bin/sh",
        "# Exported by pluginlab-tui. Redacted credentials read $PLUGINLAB_TOKEN:",
        "#   export PLUGINLAB_TOKEN=...",
        "",
    ]
    for event in events:
        status = "-" if event.status is None else str(event.status)
        lines.append(f"# {event.event_id} {event.ts} {event.method} {event.path} -> {status}")
        lines.append(curl_command(event, base_url, auth_scheme=auth_scheme, redactor=redactor))
        lines.append("")
    return "\n".join(lines)
