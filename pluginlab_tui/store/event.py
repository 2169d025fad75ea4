"""The event: one exchange that reached the proxy, whatever became of it."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from pluginlab_tui.store.rows import FLAG, STORED, Row, codec
from pluginlab_tui.validation.violations import Violation
from pluginlab_tui.wire import LIVE

Headers = list[tuple[str, str]]
#: One SSE frame an exchange relayed: {"at_ms": since the request, "id", "event", "size"}.
Frame = dict[str, Any]

#: Frames kept per event; a longer stream keeps its first ones.
MAX_FRAMES = 1000
#: events.protocol: an MCP message (mcp.endpoint) or any other HTTP exchange.
PROTOCOLS = ("http", "mcp")
#: What an event waiting for the writer is counted as holding besides its bodies (its other
#: fields and the headers of an ordinary exchange), in bytes: see `Event.nbytes`.
ITEM_BYTES = 1024


def _headers(text: str) -> Headers:
    return [(name, value) for name, value in json.loads(text)]


def _violations(text: str) -> list[Violation]:
    return [Violation.from_dict(v) for v in json.loads(text)]


def _write_violations(violations: list[Violation]) -> str:
    return json.dumps([v.to_dict() for v in violations]) if violations else "[]"


def _write_frames(frames: list[Frame]) -> str | None:
    return json.dumps(frames) if frames else None


def _write_skipped(skipped: list[str]) -> str | None:
    return json.dumps(skipped) if skipped else None


def _write_flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _write_raw(raw: dict[str, str]) -> str | None:
    return json.dumps(raw, sort_keys=True) if raw else None


#: JSON [[name, value], ...] in order, duplicates kept.
HEADERS = codec(json.dumps, _headers)


class _Clock:
    """`iso` of now, the part up to the second made once a second (swapped whole: threads
    share it)."""

    def __init__(self) -> None:
        self._second: tuple[int, str] = (-1, "")

    def __call__(self) -> str:
        now = time.time()
        second = int(now)
        made = self._second
        if made[0] != second:
            made = (second, time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second)))
            self._second = made
        return f"{made[1]}{int((now - second) * 1000):03d}Z"


iso_now = _Clock()


def iso(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a Z, so that text order is time order."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


@dataclass(slots=True)
class Event(Row):
    """One row of the events table; each field is its column (store/rows.py)."""

    COMPUTED = ("violation_count",)

    #: UUID text, unique.
    event_id: str
    #: ISO-8601 UTC with milliseconds and a Z: lexical order is time order.
    ts: str
    method: str
    url: str
    path: str
    query: str = ""
    source: str = LIVE
    replay_of: str | None = None
    operation_id: str | None = None
    status: int | None = None
    duration_ms: float | None = None
    request_headers: Headers = field(default_factory=list, metadata=HEADERS)
    response_headers: Headers = field(default_factory=list, metadata=HEADERS)
    #: Text, or base64 when *_binary is set.
    request_body: str | None = None
    request_binary: bool = field(default=False, metadata=FLAG)
    response_body: str | None = None
    response_binary: bool = field(default=False, metadata=FLAG)
    request_size: int = 0
    response_size: int = 0
    request_truncated: bool = field(default=False, metadata=FLAG)
    response_truncated: bool = field(default=False, metadata=FLAG)
    auth_mode: str | None = None
    auth_result: str | None = None
    user_id: str | None = None
    plan: str | None = None
    version: int | None = None
    violations: list[Violation] = field(
        default_factory=list, metadata=codec(_write_violations, _violations)
    )
    error: str | None = None
    client_ip: str | None = None
    conversation_id: str | None = None
    #: "mcp" for the MCP endpoint's exchanges, "http" for every other.
    protocol: str = "http"
    #: The JSON-RPC method of the request or notification (null: an MCP exchange without one).
    rpc_method: str | None = None
    #: The JSON-RPC id as JSON text (`7`, `"a"`), so a number and a string stay apart.
    rpc_id: str | None = None
    #: Who sent the request: "client" or "server".
    rpc_direction: str | None = None
    #: The tool of a tools/call (or prompt of prompts/get); the URI of a resources/read.
    tool: str | None = None
    resource_uri: str | None = None
    session_id: str | None = None
    protocol_version: str | None = None
    #: The JSON-RPC error code of an error answer.
    rpc_error: int | None = None
    #: A CallToolResult's isError (null when not a tools/call result).
    is_error: bool | None = field(default=None, metadata=codec(_write_flag, bool))
    #: The HTTP exchange the message travelled in: events sharing it came in one exchange (a
    #: batch, or a server's messages on a stream); the id of that exchange's first event.
    exchange_id: str | None = None
    #: The SSE frames this message (or stream) travelled in, with their times; at most MAX_FRAMES.
    frames: list[Frame] = field(default_factory=list, metadata=codec(_write_frames, json.loads))
    #: The OAuth client the exchange is part of, where known (its dance: store/oauth_timeline.py).
    oauth_client_id: str | None = None
    #: The checks that could not run on this exchange, each with why ("mcp_unknown_tool: no
    #: tools/list seen yet (...)"); empty when every check ran.
    skipped: list[str] = field(default_factory=list, metadata=codec(_write_skipped, json.loads))
    #: The original bytes of fields that did not decode, as base64 by field key (store/lossless.py).
    raw: dict[str, str] = field(default_factory=dict, metadata=codec(_write_raw, json.loads))
    #: Only in rows read back from the store.
    id: int | None = field(default=None, metadata=STORED)
    marked: bool = field(default=False, metadata=codec(read=bool, written=False))
    comment: str | None = field(default=None, metadata=STORED)

    @property
    def violation_count(self) -> int:
        return len(self.violations)

    @property
    def nbytes(self) -> int:
        """Roughly what the event holds, for the writer's byte budget: its bodies (and the
        original bytes of fields that did not decode) plus ITEM_BYTES; lengths only."""
        bodies = len(self.request_body or "") + len(self.response_body or "")
        return ITEM_BYTES + bodies + sum(len(v) for v in self.raw.values())

    def to_json(self) -> dict[str, Any]:
        """The event as the `events --format json` object (DESIGN.md's field list)."""
        data = asdict(self)
        data["request_headers"] = [list(p) for p in self.request_headers]
        data["response_headers"] = [list(p) for p in self.response_headers]
        data["violations"] = [v.to_dict() for v in self.violations]
        data["violation_count"] = len(self.violations)
        del data["id"]
        return data
