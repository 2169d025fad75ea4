"""The version in force and the requests in flight, per MCP session; bounded, oldest evicted.

Handshake era (2024-11-05 to 2025-11-25): `initialize` negotiates a version for the session that
its `Mcp-Session-Id` names (or for the sessionless bucket, key None). Stateless era (2026-07-28):
each request carries its version in `params._meta` and the `MCP-Protocol-Version` header.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mcp_types import DEFAULT_NEGOTIATED_VERSION, PROTOCOL_VERSION_META_KEY
from mcp_types.version import (
    HANDSHAKE_PROTOCOL_VERSIONS,
    LATEST_HANDSHAKE_VERSION,
    is_version_at_least,
)

Direction = Literal["client", "server"]
Era = Literal["handshake", "stateless"]
#: Streamable HTTP, or the older HTTP+SSE transport (2024-11-05).
Transport = Literal["streamable-http", "sse"]
RequestId = int | str

SESSION_HEADER = "mcp-session-id"
VERSION_HEADER = "mcp-protocol-version"


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, the name matched case-insensitively."""
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def meta_version(params: Mapping[str, Any] | None) -> Any:
    """The per-request version in `params._meta` (2026-07-28), or None."""
    meta = params.get("_meta") if isinstance(params, Mapping) else None
    return meta.get(PROTOCOL_VERSION_META_KEY) if isinstance(meta, Mapping) else None


def era_of(version_header: str | None, params: Mapping[str, Any] | None) -> Era:
    """Stateless when the request says so in `_meta` or in a non-handshake version header.

    As the SDK's servers route: no header, or a handshake version, is the handshake era.
    """
    if meta_version(params) is not None:
        return "stateless"
    if version_header is not None and version_header not in HANDSHAKE_PROTOCOL_VERSIONS:
        return "stateless"
    return "handshake"


def version_in_force(
    method: str | None,
    params: Mapping[str, Any] | None,
    version_header: str | None,
    negotiated: str | None,
) -> str | None:
    """The version a client message is checked at (None: it names none that is a string).

    Stateless: `params._meta`'s, else the header's. Handshake: an `initialize` at the version
    it asks for; anything else at the negotiated one, else the header's, else 2025-03-26.
    """
    if era_of(version_header, params) == "stateless":
        named = meta_version(params)
        if named is None:
            return version_header
        return named if isinstance(named, str) else None
    if method == "initialize":
        return initialize_version(params)
    return negotiated or version_header or DEFAULT_NEGOTIATED_VERSION


def initialize_version(params: Mapping[str, Any] | None) -> str:
    """The version an `initialize` request is checked at: the one it asks for, if known."""
    asked = params.get("protocolVersion") if isinstance(params, Mapping) else None
    return asked if asked in HANDSHAKE_PROTOCOL_VERSIONS else LATEST_HANDSHAKE_VERSION


@dataclass(frozen=True, slots=True)
class Pending:
    """A request waiting for its answer: what it asked, at which version, when (monotonic s)."""

    method: str
    version: str
    started: float
    direction: Direction
    subject: str | None = None  # the tool or prompt name, or the resource URI, it names


@dataclass(slots=True)
class Session:
    """One session's negotiated version, requests in flight and SSE event ids seen."""

    id: str | None
    version: str | None = None
    pending: OrderedDict[tuple[Direction, RequestId], Pending] = field(default_factory=OrderedDict)
    events: OrderedDict[tuple[str, str], None] = field(default_factory=OrderedDict)


class Sessions:
    """Every session the proxy has seen, at most `max_sessions`; evictions are counted."""

    def __init__(
        self, *, max_sessions: int = 1000, max_pending: int = 1000, max_event_ids: int = 10_000
    ) -> None:
        self.max_sessions = max_sessions
        self.max_pending = max_pending
        self.max_event_ids = max_event_ids
        self._sessions: OrderedDict[str | None, Session] = OrderedDict()
        self.issued = False  # the server has handed out a session id on this endpoint
        self.evicted_sessions = 0
        self.evicted_pending = 0
        self.evicted_event_ids = 0

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, session_id: str | None) -> Session | None:
        """The session, or None if unknown (never seen, ended or evicted)."""
        session = self._sessions.get(session_id)
        if session is not None:
            self._sessions.move_to_end(session_id)
        return session

    def _bucket(self, session_id: str | None) -> Session:
        session = self.get(session_id)
        if session is None:
            session = self._sessions[session_id] = Session(session_id)
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
                self.evicted_sessions += 1
        return session

    def open(self, session_id: str | None, version: str) -> Session:
        """An `initialize` was answered: its session (id from the response header), its version."""
        if session_id is not None:
            self.issued = True
        session = self._bucket(session_id)
        session.version = version
        return session

    def close(self, session_id: str | None) -> bool:
        """A DELETE ended the session; False if it was not known."""
        return self._sessions.pop(session_id, None) is not None

    def version(self, session_id: str | None, version_header: str | None) -> str:
        """The version in force for a handshake-era message of this session.

        The negotiated one when known, else the header's, else the spec's default (2025-03-26).
        """
        session = self._sessions.get(session_id)
        if session is not None and session.version is not None:
            return session.version
        return version_header or DEFAULT_NEGOTIATED_VERSION

    def expect(self, session_id: str | None, request_id: RequestId, pending: Pending) -> bool:
        """Remember a request until its answer; False if that id was already in flight."""
        bucket = self._bucket(session_id).pending
        key = (pending.direction, request_id)
        fresh = key not in bucket
        bucket[key] = pending
        bucket.move_to_end(key)
        while len(bucket) > self.max_pending:
            bucket.popitem(last=False)
            self.evicted_pending += 1
        return fresh

    def answer(
        self, session_id: str | None, asker: Direction, request_id: RequestId
    ) -> Pending | None:
        """The request this answer (sent by the other side to `asker`) belongs to, forgotten now."""
        session = self._sessions.get(session_id)
        if session is None:
            return None
        return session.pending.pop((asker, request_id), None)

    def first_sight(self, session_id: str | None, event_id: str, stream: str = "") -> bool:
        """False when this SSE event id was seen before on the stream (a resumed stream's replay).

        Event ids are unique across a session's streams, so `stream` may be left empty.
        """
        events = self._bucket(session_id).events
        key = (stream, event_id)
        if key in events:
            return False
        events[key] = None
        while len(events) > self.max_event_ids:
            events.popitem(last=False)
            self.evicted_event_ids += 1
        return True


def is_at_least(version: str | None, minimum: str) -> bool:
    """mcp-types' comparison, False for None or an unknown version."""
    return version is not None and is_version_at_least(version, minimum)
