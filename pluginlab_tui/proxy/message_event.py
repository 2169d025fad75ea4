"""One JSON-RPC message's event to be: the HTTP parts it travelled in, taken on the proxy's loop,
checked (mcp/checks.py) and built into an Event in the writer thread."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from pluginlab_tui.access.redaction import Redactor
from pluginlab_tui.mcp.checks import Verdict, check
from pluginlab_tui.mcp.track import Record
from pluginlab_tui.proxy.pipeline import describe
from pluginlab_tui.store.event import Event, Frame
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
    #: The catalogue version the message was checked against, if any.
    version: int | None = None

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
        return self.redactor.event(self._event(asked, answered))

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
        )
