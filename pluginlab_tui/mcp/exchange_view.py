"""An MCP event's bodies read back: its request and its answer found by id, frames as lines.

A recorded body holds the message(s) as they travelled: one JSON object, a batch (a JSON array),
or an SSE stream's text whose frames' data are messages. Pure: text in, values out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pluginlab_tui.mcp.jsonrpc import Message, classify, decode_text
from pluginlab_tui.mcp.sse import Frame, Parser

#: Kinds that answer a request.
_ANSWERS = ("result", "error")


@dataclass(frozen=True, slots=True)
class Found:
    """What a search of a body found: the message, or why there is none (`note`)."""

    message: Message | None
    note: str = ""


def body_values(text: str) -> list[Any]:
    """The JSON values a body carries: its one value (a batch's items), or each SSE frame's."""
    value, problem = decode_text(text)
    if problem is None:
        return list(value) if isinstance(value, list) else [value]
    values: list[Any] = []
    for frame in sse_frames(text):
        if frame.data.strip():
            item, bad = decode_text(frame.data)
            if bad is None:
                values.extend(item if isinstance(item, list) else [item])
    return values


def sse_frames(text: str) -> list[Frame]:
    """The complete SSE frames of a stream's text (a cut last frame is left out)."""
    parser = Parser()
    return [f for f in parser.feed(text.encode("utf-8")) if isinstance(f, Frame)]


def same_id(rpc_id: str | None, value: Any) -> bool:
    """Whether a message's id is the event's rpc_id (JSON text: 7 and "7" differ)."""
    if rpc_id is None or value is None or isinstance(value, bool):
        return False
    try:
        wanted = json.loads(rpc_id)
    except ValueError:
        return False
    return type(wanted) is type(value) and wanted == value


def find_request(text: str | None, rpc_id: str | None, method: str | None) -> Found:
    """The request (by id) or notification (by method) of an event in the body it was sent in."""
    if not text:
        return Found(None, "no body recorded")
    for value in body_values(text):
        if not isinstance(value, dict):
            continue
        if rpc_id is not None and not same_id(rpc_id, value.get("id")):
            continue
        if rpc_id is None and ("id" in value or value.get("method") != method):
            continue
        message = classify(value)
        if message.kind not in _ANSWERS:
            return Found(message)
    return Found(None, "the message is not in the recorded body")


def find_answer(text: str | None, rpc_id: str | None) -> Found:
    """The result or error answering request `rpc_id` in the body (JSON or SSE) it came in."""
    if rpc_id is None:
        return Found(None, "a notification has no answer")
    if not text:
        return Found(None, "no answer recorded")
    for value in body_values(text):
        if not isinstance(value, dict) or not same_id(rpc_id, value.get("id")):
            continue
        message = classify(value)
        if message.kind in _ANSWERS or message.kind == "invalid":
            return Found(message)
    return Found(None, "no answer with this id in the recorded body")


def pretty(value: Any) -> str:
    """JSON indented by two, non-ASCII kept."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def frame_rows(frames: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """Each recorded frame as (time since the request, SSE id, event, size)."""
    rows: list[tuple[str, str, str, str]] = []
    for frame in frames:
        at = frame.get("at_ms")
        size = frame.get("size")
        rows.append(
            (
                "-" if not isinstance(at, int | float) else f"+{at:,.1f} ms",
                str(frame.get("id") or "-"),
                str(frame.get("event") or "message"),
                "-" if not isinstance(size, int) else f"{size:,} B",
            )
        )
    return rows
