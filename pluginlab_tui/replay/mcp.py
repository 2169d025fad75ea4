"""Replaying an MCP message: what it is, the session its version needs, and its answer.

A client message (request or notification) of the handshake era (2024-11-05 to 2025-11-25) is
sent in a session of its own: `initialize` at the recorded version, `notifications/initialized`,
then the message with the new `Mcp-Session-Id` and the negotiated `MCP-Protocol-Version`, then a
DELETE that ends the session. The stateless era (2026-07-28) sends the one request as recorded,
with its `_meta` and its `Mcp-Method`/`Mcp-Name` headers. The answer is read from a JSON body
or an SSE stream by the request's id. The curl export writes the same sequence as shell.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mcp_types import DEFAULT_NEGOTIATED_VERSION

from pluginlab_tui import __version__
from pluginlab_tui.mcp.jsonrpc import RequestId, classify, decode, parse_text, same_id
from pluginlab_tui.mcp.sessions import (
    SESSION_HEADER,
    VERSION_HEADER,
    Era,
    era_of,
    version_in_force,
)
from pluginlab_tui.mcp.sse import Frame, Parser
from pluginlab_tui.replay.request import ReplayRequest
from pluginlab_tui.store.event import Event

#: What a Streamable HTTP client accepts.
ACCEPT = "application/json, text/event-stream"
#: The id of the `initialize` a replay opens its session with.
INITIALIZE_ID = "pluginlab-replay-initialize"
#: Request headers of the recorded session, never carried into the replay's own.
_SESSION_HEADERS = frozenset(
    {SESSION_HEADER, VERSION_HEADER, "mcp-method", "mcp-name", "last-event-id"}
)
_BODY_HEADERS = frozenset({"content-type", "accept", "content-length"})


@dataclass(frozen=True)
class Call:
    """The client message a replay sends, with its era and the version it was recorded at."""

    method: str
    id: RequestId | None
    era: Era
    version: str

    @property
    def needs_session(self) -> bool:
        """A handshake-era message other than `initialize` is sent in a session."""
        return self.era == "handshake" and self.method != "initialize"


def is_mcp(event: Event, covers: Callable[[str], bool] | None = None) -> bool:
    """Whether the event is MCP traffic: recorded as such, or on the configured endpoint."""
    return event.protocol == "mcp" or (covers is not None and covers(event.path))


def call_of(request: ReplayRequest, original: Event | None = None) -> Call | None:
    """The client request or notification the request's body holds (None: none, or a batch)."""
    if request.method != "POST" or not request.body:
        return None
    value, problem = decode(request.body)
    if problem is not None:
        return None
    message = classify(value)
    if message.kind not in ("request", "notification") or message.method is None:
        return None
    header = request.header(VERSION_HEADER)
    recorded = original.protocol_version if original is not None else None
    version = (
        recorded
        or version_in_force(message.method, message.params, header, None)
        or DEFAULT_NEGOTIATED_VERSION
    )
    return Call(message.method, message.id, era_of(header, message.params), version)


def _kept_headers(request: ReplayRequest) -> list[tuple[str, str]]:
    drop = _SESSION_HEADERS | _BODY_HEADERS
    return [(k, v) for k, v in request.headers if k.lower() not in drop]


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _post(
    request: ReplayRequest, body: dict[str, Any], extra: Sequence[tuple[str, str]] = ()
) -> ReplayRequest:
    headers = [
        *_kept_headers(request),
        ("Content-Type", "application/json"),
        ("Accept", ACCEPT),
        *extra,
    ]
    return ReplayRequest("POST", request.path, request.query, headers, _json(body))


def _session(session_id: str | None, version: str) -> list[tuple[str, str]]:
    named = [("Mcp-Session-Id", session_id)] if session_id is not None else []
    return [*named, ("MCP-Protocol-Version", version)]


def opening(request: ReplayRequest, version: str) -> ReplayRequest:
    """The `initialize` that opens the replay's session at `version`."""
    return _post(
        request,
        {
            "jsonrpc": "2.0",
            "id": INITIALIZE_ID,
            "method": "initialize",
            "params": {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "pluginlab-tui replay", "version": __version__},
            },
        },
    )


def initialized(request: ReplayRequest, session_id: str | None, version: str) -> ReplayRequest:
    """The `notifications/initialized` that follows the `initialize` answer."""
    return _post(
        request,
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        _session(session_id, version),
    )


def in_session(request: ReplayRequest, session_id: str | None, version: str) -> ReplayRequest:
    """The recorded request with the replay's session id and version in place of the old ones."""
    kept = [(k, v) for k, v in request.headers if k.lower() not in (SESSION_HEADER, VERSION_HEADER)]
    return ReplayRequest(
        request.method,
        request.path,
        request.query,
        [*kept, *_session(session_id, version)],
        request.body,
    )


def closing(request: ReplayRequest, session_id: str, version: str) -> ReplayRequest:
    """The DELETE that ends the replay's session."""
    headers = [*_kept_headers(request), *_session(session_id, version)]
    return ReplayRequest("DELETE", request.path, request.query, headers, None)


def answer_in(body: bytes | None, content_type: str | None, request_id: RequestId) -> Any:
    """The JSON-RPC result or error answering `request_id`, from a JSON body or an SSE stream.

    None when the body holds no such answer."""
    if not body:
        return None
    if (content_type or "").lower().startswith("text/event-stream"):
        parser = Parser()
        frames = [*parser.feed(body), *parser.feed(b"\n\n")]
        values = [parse_text(f.data).value for f in frames if isinstance(f, Frame) and f.data]
    else:
        value, problem = decode(body)
        if problem is not None:
            return None
        values = value if isinstance(value, list) else [value]
    for value in values:
        message = classify(value)
        if message.kind in ("result", "error") and same_id(message.id, request_id):
            return value
    return None


def answer_part(answer: Any) -> dict[str, Any] | None:
    """What a comparison looks at: the answer's `result` or `error`, without jsonrpc and id."""
    if not isinstance(answer, dict):
        return None
    return {k: answer[k] for k in ("result", "error") if k in answer}
