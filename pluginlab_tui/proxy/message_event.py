"""One JSON-RPC message's event to be: the HTTP parts it travelled in, taken on the proxy's loop,
checked (mcp/checks.py) and built into an Event in the writer thread."""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from pluginlab_tui.access.redaction import Redactor
from pluginlab_tui.mcp.checks import Verdict, check
from pluginlab_tui.mcp.track import Record
from pluginlab_tui.mcp.versions import CatalogueVersions
from pluginlab_tui.proxy.pipeline import describe
from pluginlab_tui.store.event import ITEM_BYTES, Event, Frame
from pluginlab_tui.store.parts import Auth, Message, Rpc, event_from_parts
from pluginlab_tui.validation.violations import Violation

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Part:
    """One HTTP message's headers and body (decoded; at most what the store keeps)."""

    headers: list[tuple[str, str]]
    content: bytes | None
    complete: bool = True
    size: int | None = None

    def kept(self, cap: int) -> Message:
        return Message.kept(self.headers, self.content, cap, complete=self.complete, size=self.size)


@dataclass(slots=True)
class Http:
    """What the event says of the HTTP exchange(s) the message travelled in."""

    event_id: str
    ts: str
    method: str
    url: str
    path: str
    query: str
    request: Part | None
    response: Part | None
    status: int | None
    duration_ms: float | None
    auth: Auth
    source: str
    replay_of: str | None
    client_ip: str
    error: str | None
    exchange_id: str
    frames: tuple[Frame, ...] = ()
    faults: list[Violation] = field(default_factory=list)


@dataclass(slots=True)
class PendingMessage:
    """A message (with its answer) whose event the writer thread builds."""

    record: Record[Any]
    http: Http
    body_cap: int
    redactor: Redactor
    #: Numbers the catalogues (in the writer thread); None: no versions are kept.
    versions: CatalogueVersions | None = None
    #: The catalogue version the message was checked against (set in the writer thread).
    version: int | None = None
    #: The checks that could not run, and why (known once finalized).
    skipped: list[str] = field(default_factory=list)

    @property
    def nbytes(self) -> int:
        """Roughly what the pending event holds while it waits for the writer (store/writer.py's
        byte budget): the message (its bytes as it came), the HTTP bodies (cut at what the store
        keeps already), plus ITEM_BYTES."""
        parts = (self.http.request, self.http.response)
        bodies = sum(len(p.content) for p in parts if p is not None and p.content)
        return ITEM_BYTES + self.record.size + bodies

    def verdicts(self) -> tuple[Verdict, Verdict | None]:
        record = self.record
        asked = check(record.message, record.context)
        answered = None
        if record.answer is not None and record.answer_context is not None:
            answered = check(record.answer, record.answer_context)
        return asked, answered

    def finalize(self) -> Event:
        try:
            asked, answered = self.verdicts()
        except Exception as exc:  # the checks must never lose an event
            log.exception("MCP check failed")
            failed = Violation("proxy_error", "request", "proxy", f"not checked: {describe(exc)}")
            asked, answered = Verdict([failed]), None
        self.skipped = asked.skipped + (answered.skipped if answered else [])
        return self.redactor.event(self._event(asked, answered))

    def finalize_with(self, conn: sqlite3.Connection) -> Event:
        """finalize, with the catalogue's version registered and the notices due written."""
        versions = self.versions
        if versions is None:
            return self.finalize()
        try:
            self._number(conn, versions)
        except Exception:  # a version not registered never loses the event
            log.exception("the catalogue version could not be registered")
        event = self.finalize()
        for note in self.record.notes:
            try:
                versions.tell(conn, "mcp", note)
            except Exception:
                log.exception("a notice could not be written")
        for why in self.skipped:
            try:
                versions.tell(conn, "mcp", f"an MCP check was skipped: {why}")
            except Exception:
                log.exception("a notice could not be written")
        return event

    def _number(self, conn: sqlite3.Connection, versions: CatalogueVersions) -> None:
        record = self.record
        checked = (record.answer_context or record.context).catalogue
        catalogue = record.taught or checked
        if catalogue is None or not (catalogue.lists or catalogue.widgets):
            return
        self.version = versions.number(conn, catalogue)
        pending = record.pending
        if record.taught is not None and pending is not None:
            part = pending.method if pending.method != "resources/read" else None
            if part is None and pending.subject is not None:
                part = f"widget:{pending.subject}"
            if part is not None:
                versions.listed(record.context.session_id, part, catalogue, self.version)

    def fallback(self, why: str) -> Event:
        event = self._event(Verdict([]), None, error=f"the event could not be built: {why}")
        return self.redactor.event(event)

    def _event(self, asked: Verdict, answered: Verdict | None, error: str | None = None) -> Event:
        record, http = self.record, self.http
        message = record.message
        violations = asked.violations + (answered.violations if answered else []) + http.faults
        told = answered or asked
        sent = message.kind in ("request", "notification")
        rpc = Rpc(
            method=message.method if sent else None,
            id=None if message.id is None else json.dumps(message.id),
            direction=record.direction if sent else None,
            tool=asked.tool or (answered.tool if answered else None),
            resource_uri=asked.resource_uri or (answered.resource_uri if answered else None),
            session_id=record.context.session_id,
            protocol_version=record.context.version,
            error=told.rpc_error,
            is_error=told.is_error,
            exchange_id=http.exchange_id,
            frames=http.frames,
        )
        return event_from_parts(
            event_id=record.event_id,
            ts=http.ts,
            method=http.method,
            url=http.url,
            path=http.path,
            query=http.query,
            request=None if http.request is None else http.request.kept(self.body_cap),
            response=None if http.response is None else http.response.kept(self.body_cap),
            status=http.status,
            duration_ms=http.duration_ms,
            source=http.source,
            replay_of=http.replay_of,
            auth=http.auth,
            version=self.version,
            violations=violations,
            error=error or record.unanswered or http.error,
            client_ip=http.client_ip,
            rpc=rpc,
            skipped=asked.skipped + (answered.skipped if answered else []),
        )
