"""Last stage: stamp the answer with the event id and verdict, and hand the event to the writer.

On the proxy's loop only cheap references are taken; decoding, response validation, redaction
and serialisation happen in the writer thread (PendingEvent.finalize).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from mitmproxy import http

from pluginlab_tui.access.redaction import Redactor
from pluginlab_tui.mcp.sessions import SESSION_HEADER
from pluginlab_tui.proxy.bodies import decoded
from pluginlab_tui.proxy.checks import check_response, held_to_contract
from pluginlab_tui.proxy.exchange import Exchange, attach, exchange_of
from pluginlab_tui.proxy.fields import header_pairs, pretty_url
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.store.event import ITEM_BYTES, Event
from pluginlab_tui.store.parts import Message, Rpc, event_from_parts
from pluginlab_tui.validation.violations import Violation
from pluginlab_tui.wire import EVENT_HEADER, VIOLATIONS_HEADER

log = logging.getLogger(__name__)

#: flow.error.msg when mitmproxy refused a request body over its body_size_limit (with a 413).
BODY_LIMIT_ERROR = "Request body exceeds mitmproxy's body_size_limit."
#: The front's refusal of a head mitmproxy's validate_inbound_headers refuses (with mitmproxy's
#: words, less its advice to turn the check off), and of CONNECT (a reverse proxy opens no
#: tunnel). Each was answered 400.
SMUGGLING_ERROR = "Received {} from client, refusing to prevent request smuggling attacks."
CONNECT_ERROR = "an HTTP CONNECT request: the proxy runs in reverse mode and opens no tunnel"
#: The error of an exchange the proxy's stop cut short.
STOPPED_ERROR = "the proxy stopped before the exchange ended"
#: Where the front leaves the status it answered with itself when no stage answered (no
#: flow.response): a refused head, a body over the limit or too slow, a backend that failed.
ANSWERED_STATUS = "pluginlab.answered_status"
#: What flow.error says of a head refused with 400, by the front or by mitmproxy's server.
_REFUSED_HEAD = (
    "from client, refusing to prevent request smuggling attacks.",
    "received an HTTP CONNECT request",
    CONNECT_ERROR,
)


@dataclass
class PendingEvent:
    """An exchange that has ended, waiting for the writer thread to make it an Event."""

    exchange: Exchange
    request: http.Request
    response: http.Response | None
    body_cap: int
    #: Cuts the secrets out of the event (headers, query, bodies, error...) before it is stored.
    redactor: Redactor
    inflate_limit: int
    #: The status mitmproxy answered with itself when there is no response (413, 400), or None.
    status: int | None = None

    @property
    def nbytes(self) -> int:
        """Roughly what the pending event holds while it waits for the writer: the bodies as
        received and those decoded for the checks (cut at body_cap by Recorder._pending), each
        object once, plus ITEM_BYTES."""
        held = {id(b): len(b) for b in (self.request.raw_content, self._response_content) if b}
        held.update((id(body.content), len(body.content)) for _, body in self.exchange.bodies)
        return ITEM_BYTES + sum(held.values())

    @property
    def _response_content(self) -> bytes | None:
        return None if self.response is None else self.response.raw_content

    def _kept(self, message: http.Message) -> Message:
        """A message's headers and its body as stored (redacted later, with the rest)."""
        body = decoded(message, self.inflate_limit, self.exchange)
        content = None if message.raw_content is None else body.content
        return Message.kept(
            header_pairs(message.headers),
            content,
            self.body_cap,
            complete=body.complete,
            size=body.decoded_size,
        )

    def finalize(self) -> Event:
        exchange, request, response = self.exchange, self.request, self.response
        if response is not None and held_to_contract(exchange):
            try:
                check_response(exchange, response, self.inflate_limit)
            except Exception as exc:  # the validator must never lose an event
                log.exception("response check failed")
                exchange.response_violations = [
                    Violation("invalid_response_body", "response", "body", f"not checked: {exc}")
                ]
        event = exchange_event(
            exchange,
            request,
            response,
            url=pretty_url(request),
            request_part=self._kept(request),
            response_part=None if response is None else self._kept(response),
            status=self.status,
        )
        return self.redactor.event(event)

    def fallback(self, why: str) -> Event:
        event = exchange_event(
            self.exchange,
            self.request,
            self.response,
            error=f"the event could not be built: {why}",
        )
        return self.redactor.event(event)


def exchange_event(
    exchange: Exchange,
    request: http.Request,
    response: http.Response | None,
    *,
    url: str | None = None,
    request_part: Message | None = None,
    response_part: Message | None = None,
    status: int | None = None,
    error: str | None = None,
) -> Event:
    """The event of an exchange: what is certain of it, with the messages as kept when given.

    Without them it is the whole of an event whose building failed (`error` then says why).
    `status` is the one mitmproxy answered with itself when there is no response."""
    path, _, query = request.path.partition("?")
    return event_from_parts(
        event_id=exchange.event_id,
        ts=exchange.ts,
        method=request.method,
        url=request.url if url is None else url,
        path=path,
        query=query,
        request=request_part,
        response=response_part,
        source=exchange.source,
        replay_of=exchange.replay_of,
        operation_id=exchange.operation_id,
        status=response.status_code if response is not None else status,
        duration_ms=exchange.duration_ms,
        auth=exchange.auth(),
        version=None if exchange.served is None else exchange.served.number,
        violations=exchange.violations(),
        error=exchange.error or error,
        client_ip=exchange.client_ip,
        rpc=exchange_rpc(exchange, request),
    )


def exchange_rpc(exchange: Exchange, request: http.Request) -> Rpc | None:
    """An MCP exchange's own facts (no JSON-RPC message: rpc_method null); None for HTTP."""
    if exchange.rpc is not None:
        return exchange.rpc
    if not exchange.mcp:
        return None
    session = request.headers.get(SESSION_HEADER)
    return Rpc(session_id=session, exchange_id=exchange.event_id)


class Recorder:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def response(self, flow: http.HTTPFlow) -> None:
        exchange = exchange_of(flow)
        if exchange is None or flow.response is None:
            return
        if exchange.duration_ms is None:
            exchange.duration_ms = (time.perf_counter() - exchange.started) * 1000
        headers = flow.response.headers
        headers[EVENT_HEADER] = exchange.answer_header
        headers[VIOLATIONS_HEADER] = str(exchange.known_violations())
        await self._hand_over(self._pending(flow, exchange))

    def done(self) -> None:
        """The proxy stops: exchanges still in flight are recorded as cut short."""
        for flow in list(self.runtime.inflight.values()):
            exchange = exchange_of(flow)
            if exchange is not None and not exchange.recorded:
                exchange.error = exchange.error or STOPPED_ERROR
                status = self._fill_error(flow, exchange)
                pending = self._pending(flow, exchange, sent=False, status=status)
                if pending is not None:  # the loop serves no one now: waiting here is fine
                    self.runtime.writer.submit(pending, timeout_s=self._wait_s)
        self.runtime.close()

    async def error(self, flow: http.HTTPFlow) -> None:
        exchange = exchange_of(flow)
        if exchange is None:  # failed before the first stage saw it: still one event
            peer = flow.client_conn.peername
            exchange = Exchange(
                served=self.runtime.service.current, client_ip=str(peer[0]) if peer else ""
            )
            # The path as sent (no stage made it canonical): it only labels the event.
            exchange.mcp = self.runtime.mcp_paths.covers(flow.request.path.split("?", 1)[0])
            attach(flow, exchange)
        status = self._fill_error(flow, exchange)
        pending = self._pending(flow, exchange, sent=exchange.streamed, status=status)
        await self._hand_over(pending)

    @property
    def _wait_s(self) -> float:
        return self.runtime.config.store.queue_wait_ms / 1000

    async def _hand_over(self, pending: PendingEvent | None) -> None:
        """Queue the event; while the queue is full, wait for room without blocking the loop."""
        writer = self.runtime.writer
        deadline = time.monotonic() + self._wait_s
        while pending is not None and not writer.offer(pending):
            if time.monotonic() >= deadline:
                wait = self.runtime.config.store.queue_wait_ms
                writer.not_stored(1, f"{writer.refusal()} for store.queue_wait_ms={wait}")
                return
            await asyncio.sleep(0.005)

    def _fill_error(self, flow: http.HTTPFlow, exchange: Exchange) -> int | None:
        """The error of an exchange that got no response; the status mitmproxy sent, if any."""
        if exchange.duration_ms is None:
            exchange.duration_ms = (time.perf_counter() - exchange.started) * 1000
        status: int | None = flow.metadata.get(ANSWERED_STATUS)
        if flow.error is not None and flow.error.msg == BODY_LIMIT_ERROR:
            limit = self.runtime.config.proxy.max_body_bytes
            exchange.error = f"the request body is over proxy.max_body_bytes ({limit:,} bytes)"
            status = 413
        elif (
            status is None
            and flow.error is not None
            and any(m in flow.error.msg for m in _REFUSED_HEAD)
        ):
            status = 400
        if exchange.error is None and flow.error is not None:
            exchange.error = flow.error.msg
        return status

    def _pending(
        self, flow: http.HTTPFlow, exchange: Exchange, sent: bool = True, status: int | None = None
    ) -> PendingEvent | None:
        """The exchange's event to be, once (None when it is recorded already, or when its
        JSON-RPC messages are its events)."""
        if exchange.messages and not exchange.recorded:
            exchange.recorded = True
            self.runtime.inflight.pop(id(flow), None)
        if exchange.recorded:
            return None
        # Bodies decoded for the checks wait in the queue only as far as the store keeps them.
        cap = self.runtime.config.store.body_cap_bytes
        exchange.bodies = [(message, body.kept(cap)) for message, body in exchange.bodies]
        pending = PendingEvent(
            exchange=exchange,
            request=flow.request,
            response=flow.response if sent else None,
            body_cap=cap,
            redactor=self.runtime.redactor,
            inflate_limit=self.runtime.config.proxy.max_inflated_bytes,
            status=status,
        )
        # Only now: an exchange the recorder failed on is recorded by the pipeline's last resort.
        exchange.recorded = True
        self.runtime.inflight.pop(id(flow), None)
        return pending
