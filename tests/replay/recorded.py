"""A recorded exchange to replay: POST /todos/alice with a redacted Authorization."""

from __future__ import annotations

import json
from typing import Any

from pluginlab_tui.store.event import Event


def recorded_event(**values: object) -> Event:
    base: dict[str, object] = {
        "event_id": "e1",
        "ts": "2026-11-25T09:00:00.000Z",
        "method": "POST",
        "url": "http://127.0.0.1:8787/todos/alice?x=1",
        "path": "/todos/alice",
        "query": "x=1",
        "status": 201,
        "request_headers": [
            ("Host", "127.0.0.1:8787"),
            ("Content-Type", "application/json"),
            ("Authorization", "[redacted]"),
            ("Content-Length", "17"),
        ],
        "request_body": '{"title": "milk"}',
        "response_headers": [
            ("Content-Type", "application/json"),
            ("Date", "Wed, 25 Nov 2026 09:00:00 GMT"),
            ("X-PluginLab-Event-Id", "e1"),
        ],
        "response_body": '{"id": 1, "title": "milk", "tags": ["a"]}',
    }
    base.update(values)
    return Event(**base)  # type: ignore[arg-type]


def _sse(message: dict[str, object]) -> str:
    return f"event: message\ndata: {json.dumps(message)}\n\n"


#: The example app's answer to list_cards as it was recorded (its two starting cards).
BOARD: dict[str, Any] = {
    "cards": [
        {"id": 1, "title": "Write the widget", "column": "doing"},
        {"id": 2, "title": "Ship to ChatGPT", "column": "todo"},
    ],
    "count": 2,
}


def recorded_call(
    name: str = "list_cards",
    arguments: dict[str, object] | None = None,
    *,
    version: str = "2025-06-18",
    result: dict[str, object] | None = None,
    batch: bool = False,
    **values: object,
) -> Event:
    """A tools/call of the example app's tool `name` as the proxy records it (one event per
    MCP message): a handshake-era call in its session, answered on SSE; the stateless era
    (2026-07-28) with `_meta`, the Mcp-Method and Mcp-Name headers and a JSON answer. With
    `batch` the request body is a batch whose second message is the call."""
    stateless = version == "2026-07-28"
    params: dict[str, object] = {"name": name, "arguments": arguments or {}}
    headers = [
        ("Host", "127.0.0.1:8787"),
        ("Content-Type", "application/json"),
        ("Accept", "application/json, text/event-stream"),
        ("MCP-Protocol-Version", version),
    ]
    if stateless:
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": version,
            "io.modelcontextprotocol/clientInfo": {"name": "mcp", "version": "0.1.0"},
            "io.modelcontextprotocol/clientCapabilities": {},
        }
        headers += [("Mcp-Method", "tools/call"), ("Mcp-Name", name)]
    else:
        headers.append(("Mcp-Session-Id", "recorded-session-that-ended"))
    message = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params}
    body: object = message
    if batch:
        body = [{"jsonrpc": "2.0", "id": 6, "method": "ping"}, message]
    answer = {"jsonrpc": "2.0", "id": 7, "result": result or {"structuredContent": BOARD}}
    base: dict[str, object] = {
        "event_id": "call-1",
        "ts": "2026-11-25T09:00:00.000Z",
        "method": "POST",
        "url": "http://127.0.0.1:8787/mcp",
        "path": "/mcp",
        "status": 200,
        "protocol": "mcp",
        "rpc_method": "tools/call",
        "rpc_id": "7",
        "rpc_direction": "client",
        "tool": name,
        "session_id": None if stateless else "recorded-session-that-ended",
        "protocol_version": version,
        "exchange_id": "call-1",
        "request_headers": headers,
        "request_body": json.dumps(body),
        "response_headers": [
            ("Content-Type", "application/json" if stateless else "text/event-stream")
        ],
        "response_body": json.dumps(answer) if stateless else _sse(answer),
    }
    base.update(values)
    return Event(**base)  # type: ignore[arg-type]
