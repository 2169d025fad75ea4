"""Pairing MCP messages into events, with the session state and the catalogue they need.

Each message becomes a Record: a client's request waits for its answer (in its POST's answer,
JSON or SSE, else on the session's GET stream); a server's request on a stream waits for the
client's answer (a later POST); a notification, an invalid message and an answer to nothing are
records of their own. A record keeps the frozen checks.Context its message is checked with, so
the checks can run later, elsewhere (the writer thread). The HTTP exchange a message travelled
in is opaque here (`carrier`). Bounded: the sessions (Sessions), and the records waiting, in
number and in the bytes of their messages (a flood of large requests nobody answers is let go,
oldest first).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mcp_types.version import KNOWN_PROTOCOL_VERSIONS

from pluginlab_tui.ids import new_id
from pluginlab_tui.mcp.catalogue import LISTS, Catalogue
from pluginlab_tui.mcp.checks import Context, subject
from pluginlab_tui.mcp.jsonrpc import Message, RequestId, parse_body, parse_text
from pluginlab_tui.mcp.sessions import (
    SESSION_HEADER,
    VERSION_HEADER,
    Direction,
    Pending,
    Sessions,
    Transport,
    era_of,
    header,
    version_in_force,
)

#: Records waiting for an answer, at most; the oldest is let go (recorded as unanswered).
MAX_WAITING = 1000
#: The bytes of the messages waiting, at most (two of proxy.max_inflated_bytes' default).
MAX_WAITING_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Seen[C]:
    """What one message from the server did: records done, requests now waiting, records let go
    (now unanswered)."""

    done: list[Record[C]]
    waiting: list[Record[C]]
    evicted: list[Record[C]]


@dataclass(slots=True)
class Record[C]:
    """One event in the making: a message and, for a request, its answer once it comes."""

    event_id: str
    message: Message
    context: Context
    #: The HTTP exchange the message travelled in (a POST, or the stream a server sent it on).
    carrier: C
    #: When the message was seen (monotonic seconds), and as the event's time.
    started: float
    ts: str
    #: The message's own text, when it travelled alone (an SSE frame's data).
    text: str | None = None
    pending: Pending | None = None
    answer: Message | None = None
    answer_context: Context | None = None
    #: The HTTP exchange the answer travelled in, when not the carrier (a client's POST, or
    #: the event stream that answered a client's request).
    answer_carrier: C | None = None
    #: The answer's own text, when it travelled alone in another exchange (an SSE frame's data).
    answer_text: str | None = None
    #: Why no answer is recorded (the exchange ended, the wait was over), or None.
    unanswered: str | None = None
    #: The catalogue after its answer (a list result, a widget read), when it taught one.
    taught: Catalogue | None = None
    #: The bytes its message came in (its share of a batch), counted while it waits.
    size: int = 0
    #: What the proxy did around the message, for the notices (its own tools/list, say).
    notes: list[str] = field(default_factory=list)

    @property
    def direction(self) -> Direction:
        return self.context.direction

    @property
    def waits(self) -> bool:
        """A request still waiting for its answer."""
        return self.pending is not None and self.answer is None and self.unanswered is None


def _key(session_id: str | None, direction: Direction, rid: RequestId) -> tuple[Any, ...]:
    # 1 and "1" are different ids
    return (session_id, direction, type(rid).__name__, rid)


class Tracker[C]:
    """The proxy's MCP state: sessions, the latest catalogue, the requests waiting."""

    def __init__(
        self,
        sessions: Sessions | None = None,
        *,
        slow_ms: float | None = None,
        max_waiting: int = MAX_WAITING,
        max_waiting_bytes: int = MAX_WAITING_BYTES,
    ) -> None:
        self.sessions = sessions or Sessions()
        self.catalogue: Catalogue | None = None
        self.slow_ms = slow_ms
        self.max_waiting = max_waiting
        self.max_waiting_bytes = max_waiting_bytes
        self._waiting: OrderedDict[tuple[Any, ...], Record[C]] = OrderedDict()
        #: The sizes of the records waiting, summed.
        self.waiting_bytes = 0

    def __len__(self) -> int:
        return len(self._waiting)

    # -- what the client sends ---------------------------------------------------------------

    def client_body(
        self,
        carrier: C,
        headers: Mapping[str, str],
        body: bytes,
        now: float,
        ts: str,
        first_id: str,
        *,
        query_session: str | None = None,
        transport: Transport = "streamable-http",
    ) -> tuple[list[Record[C]], list[Record[C]]]:
        """A POST's body: (its records, the evicted ones now unanswered).

        Its records are its requests (waiting), its notifications, invalid messages and
        unmatched answers (done when the POST is answered), and the server requests it answers
        (their `answer` set). The first new record gets `first_id`. `query_session` is the session
        the transport names when no Mcp-Session-Id does (the HTTP+SSE transport's query), and
        `transport` which one it is.
        """
        session_id = header(headers, SESSION_HEADER) or query_session
        sent_version = header(headers, VERSION_HEADER)
        session = self.sessions.get(session_id)
        negotiated = session.version if session is not None else None
        version = negotiated or sent_version
        messages = parse_body(body, version if version in KNOWN_PROTOCOL_VERSIONS else None)
        records: list[Record[C]] = []
        evicted: list[Record[C]] = []
        ids = iter([first_id])
        known = session_id is None or (session is not None and session.version is not None)
        base = Context(
            "client",
            None,
            headers=dict(headers),
            negotiated=negotiated,
            catalogue=self.catalogue,
            session_id=session_id,
            session_known=known,
            sessions_issued=self.sessions.issued,
            transport=transport,
        )
        share = len(body) // max(len(messages), 1) + 1
        for message in messages:
            if message.kind in ("result", "error") and message.id is not None:
                waiting = self._take(_key(session_id, "server", message.id))
                self.sessions.answer(session_id, "server", message.id)
                if waiting is not None:
                    waiting.answer = message
                    waiting.answer_carrier = carrier
                    waiting.answer_context = self._answer_context(waiting, now, "client")
                    records.append(waiting)
                    continue
            version_now = version_in_force(message.method, message.params, sent_version, negotiated)
            era = era_of(sent_version, message.params)
            ctx = replace(base, version=version_now, era=era)
            record = Record(next(ids, None) or new_id(), message, ctx, carrier, now, ts)
            record.size = share
            if message.kind == "request" and message.id is not None and message.method:
                pending = Pending(
                    message.method, version_now or "", now, "client", subject(message)
                )
                fresh = self.sessions.expect(session_id, message.id, pending)
                if not fresh and session_id is not None:
                    record.context = replace(ctx, duplicate_id=True)
                record.pending = pending
                evicted += self._wait(_key(session_id, "client", message.id), record)
            elif message.kind in ("result", "error"):
                record.context = replace(ctx, request=None)
            records.append(record)
        return records, evicted

    # -- what the server sends ---------------------------------------------------------------

    def server_message(
        self,
        carrier: C,
        message: Message,
        now: float,
        ts: str,
        *,
        session_id: str | None,
        version: str | None,
        answer_session: str | None = None,
        own: Mapping[RequestId, Record[C]] | None = None,
        text: str | None = None,
        size: int | None = None,
    ) -> Seen[C]:
        """A message from the server (a JSON answer, or a frame of a stream, `text` its data).

        `own` are the requests of the POST it answers (looked up first); `session_id` is the
        session of the HTTP exchange, `answer_session` the one its answer header named (an
        initialize's answer opens it); `version` the version in force on that exchange; `size`
        the bytes the message came in (its text's, when not told).
        """
        if message.kind in ("result", "error"):
            record = self._claim(message, session_id, own)
            if record is None:
                ctx = Context(
                    "server",
                    version,
                    session_id=session_id,
                    catalogue=self.catalogue,
                    slow_ms=self.slow_ms,
                )
                return Seen([Record(new_id(), message, ctx, carrier, now, ts, text)], [], [])
            record.answer = message
            record.answer_context = self._answer_context(record, now, "server")
            if carrier is not record.carrier:
                record.answer_carrier, record.answer_text = carrier, text
            self._learn(record, answer_session)
            return Seen([record], [], [])
        ctx = Context("server", version, session_id=session_id, catalogue=self.catalogue)
        record = Record(new_id(), message, ctx, carrier, now, ts, text)
        record.size = size if size is not None else len(text or "")
        if message.kind == "request" and message.id is not None and message.method:
            pending = Pending(message.method, version or "", now, "server", subject(message))
            self.sessions.expect(session_id, message.id, pending)
            record.pending = pending
            return Seen([], [record], self._wait(_key(session_id, "server", message.id), record))
        return Seen([record], [], [])

    def _claim(
        self,
        message: Message,
        session_id: str | None,
        own: Mapping[RequestId, Record[C]] | None,
    ) -> Record[C] | None:
        """The client request this answer belongs to, no longer waiting (an error without an id
        answers the one request of its POST)."""
        rid = message.id
        found: Record[C] | None = None
        if rid is None:
            alone = [r for r in (own or {}).values() if r.waits]
            if message.kind != "error" or len(alone) != 1 or alone[0].message.id is None:
                return None
            found, rid = alone[0], alone[0].message.id
        elif own is not None and (mine := own.get(rid)) is not None and mine.waits:
            found = mine
        key = _key(session_id, "client", rid)
        if found is None:
            found = self._waiting.get(key)
        if found is None:
            return None
        if self._waiting.get(key) is found:
            self._take(key)
            self.sessions.answer(session_id, "client", rid)
        return found

    def _answer_context(self, record: Record[C], now: float, sender: Direction) -> Context:
        asked = record.context
        return Context(
            sender,
            asked.version,
            era=asked.era,
            request=record.pending,
            catalogue=self.catalogue,
            catalogue_note=asked.catalogue_note,
            session_id=asked.session_id,
            duration_ms=(now - record.started) * 1000,
            slow_ms=self.slow_ms if sender == "server" else None,
        )

    def _learn(self, record: Record[C], answer_session: str | None) -> None:
        """What an answer teaches: the session an initialize opened, the latest catalogue."""
        pending, answer = record.pending, record.answer
        if pending is None or answer is None or answer.kind != "result":
            return
        result = answer.result or {}
        if pending.method == "initialize":
            agreed = result.get("protocolVersion")
            if isinstance(agreed, str):
                self.sessions.open(answer_session or record.context.session_id, agreed)
        elif pending.method in LISTS:
            self.catalogue = (self.catalogue or Catalogue()).with_list(
                pending.method, record.message.params, result
            )
            record.taught = self.catalogue
        elif pending.method == "resources/read" and pending.subject is not None:
            self.catalogue = (self.catalogue or Catalogue()).with_read(pending.subject, result)
            record.taught = self.catalogue

    def has_tools(self) -> bool:
        """Whether a tools/list result has been seen (or listed by the proxy itself)."""
        return self.catalogue is not None and self.catalogue.tools is not None

    def learn_tools(
        self, pages: list[tuple[Mapping[str, Any] | None, Mapping[str, Any]]]
    ) -> Catalogue:
        """The tools the proxy listed itself (each page: its params, its result)."""
        catalogue = self.catalogue or Catalogue()
        for params, result in pages:
            catalogue = catalogue.with_list("tools/list", params, result)
        self.catalogue = catalogue
        return catalogue

    # -- waiting -----------------------------------------------------------------------------

    def _wait(self, key: tuple[Any, ...], record: Record[C]) -> list[Record[C]]:
        """Keep a request until its answer; the records let go to stay in bounds."""
        evicted: list[Record[C]] = []
        old = self._take(key)
        if old is not None and old.waits:
            old.unanswered = "another request with the same id came before the answer"
            evicted.append(old)
        self._waiting[key] = record
        self.waiting_bytes += record.size
        while len(self._waiting) > 1 and (
            len(self._waiting) > self.max_waiting or self.waiting_bytes > self.max_waiting_bytes
        ):
            out = self._take(next(iter(self._waiting)))
            assert out is not None
            out.unanswered = (
                f"let go unanswered: over {self.max_waiting} requests"
                f" or {self.max_waiting_bytes:,} bytes waiting"
            )
            evicted.append(out)
        return evicted

    def _take(self, key: tuple[Any, ...]) -> Record[C] | None:
        """A record no longer waiting, out of the table (None if none waited under `key`)."""
        record = self._waiting.pop(key, None)
        if record is not None:
            self.waiting_bytes -= record.size
        return record

    def give_up(self, record: Record[C], why: str) -> bool:
        """A request that will not be answered now; False if it was answered already."""
        if not record.waits or record.pending is None:
            return False
        record.unanswered = why
        rid = record.message.id
        if rid is not None:
            key = _key(record.context.session_id, record.direction, rid)
            if self._waiting.get(key) is record:
                self._take(key)
                self.sessions.answer(record.context.session_id, record.direction, rid)
        return True

    def ended(self, session_id: str | None) -> None:
        """A DELETE ended the session."""
        self.sessions.close(session_id)


def parse_frame(data: str) -> Message | None:
    """The message of an SSE frame's data (None for an empty frame: MCP's priming event)."""
    return parse_text(data) if data.strip() else None
