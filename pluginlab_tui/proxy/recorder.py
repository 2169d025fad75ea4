"""Last stage: stamp the answer with the event id and verdict, and hand the event to the writer.

On the proxy's loop only cheap references are taken; decoding, response validation, redaction
and serialisation happen in the writer thread (PendingEvent.finalize).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from mitmproxy import http

from pluginlab_tui.proxy.bodies import decoded
from pluginlab_tui.proxy.checks import check_response, held_to_contract
from pluginlab_tui.proxy.exchange import Exchange, attach, exchange_of
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.store.body import StoredBody, store_body
from pluginlab_tui.store.event import Event
from pluginlab_tui.validation.violations import Violation

log = logging.getLogger(__name__)

EVENT_HEADER = "X-PluginLab-Event-Id"
VIOLATIONS_HEADER = "X-PluginLab-Violations"
REDACTED = "[redacted]"
#: flow.error.msg when mitmproxy refused a request body over its body_size_limit (with a 413).
BODY_LIMIT_ERROR = "Request body exceeds mitmproxy's body_size_limit."


def redact(fields: list[tuple[str, str]], names: frozenset[str]) -> list[tuple[str, str]]:
    return [(k, REDACTED if k.lower() in names else v) for k, v in fields]


@dataclass
class PendingEvent:
    """An exchange that has ended, waiting for the writer thread to make it an Event."""

    exchange: Exchange
    request: http.Request
    response: http.Response | None
    body_cap: int
    redacted: frozenset[str]
    inflate_limit: int
    body_filter: Callable[[Event], None] | None = None
    #: The status mitmproxy answered with itself when there is no response (413), or None.
    status: int | None = None

    def _kept(self, message: http.Message) -> tuple[list[tuple[str, str]], StoredBody]:
        """A message's headers, redacted, and its body as stored."""
        headers = redact(list(message.headers.items(multi=True)), self.redacted)
        content_type = message.headers.get("content-type")
        body = decoded(message, self.inflate_limit, self.exchange)
        content = None if message.raw_content is None else body.content
        return headers, store_body(
            content, content_type, self.body_cap, complete=body.complete, size=body.decoded_size
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
        path, _, query = request.path.partition("?")
        req_headers, req_body = self._kept(request)
        event = Event(
            event_id=exchange.event_id,
            ts=exchange.ts,
            source=exchange.source,
            replay_of=exchange.replay_of,
            method=request.method,
            url=request.pretty_url,
            path=path,
            query=query,
            operation_id=exchange.operation_id,
            duration_ms=exchange.duration_ms,
            request_headers=req_headers,
            request_body=req_body.text,
            request_binary=req_body.binary,
            request_size=req_body.size,
            request_truncated=req_body.truncated,
            auth_mode=exchange.auth_mode,
            auth_result=exchange.auth_result,
            user_id=exchange.user_id,
            plan=exchange.plan,
            version=exchange.served.number,
            violations=exchange.request_violations + (exchange.response_violations or []),
            error=exchange.error,
            client_ip=exchange.client_ip,
            conversation_id=request.headers.get("openai-conversation-id"),
            status=self.status,
        )
        if response is not None:
            event.status = response.status_code
            event.response_headers, res_body = self._kept(response)
            event.response_body = res_body.text
            event.response_binary = res_body.binary
            event.response_size = res_body.size
            event.response_truncated = res_body.truncated
        if self.body_filter is not None:
            self.body_filter(event)
        return event


class Recorder:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.redacted = frozenset(h.lower() for h in runtime.config.redacted_headers)

    def response(self, flow: http.HTTPFlow) -> None:
        exchange = exchange_of(flow)
        if exchange is None or flow.response is None:
            return
        if exchange.duration_ms is None:
            exchange.duration_ms = (time.perf_counter() - exchange.started) * 1000
        headers = flow.response.headers
        headers[EVENT_HEADER] = exchange.event_id
        headers[VIOLATIONS_HEADER] = str(exchange.known_violations())
        self._record(flow, exchange)

    def done(self) -> None:
        """The proxy stops: exchanges still in flight are recorded as cut short."""
        for flow in list(self.runtime.inflight.values()):
            exchange = exchange_of(flow)
            if exchange is not None and not exchange.recorded:
                exchange.error = exchange.error or "the proxy stopped before the exchange ended"
                self.error(flow)
        self.runtime.close()

    def error(self, flow: http.HTTPFlow) -> None:
        exchange = exchange_of(flow)
        if exchange is None:  # failed before the first stage saw it: still one event
            peer = flow.client_conn.peername
            exchange = Exchange(
                served=self.runtime.service.current, client_ip=str(peer[0]) if peer else ""
            )
            attach(flow, exchange)
        if exchange.duration_ms is None:
            exchange.duration_ms = (time.perf_counter() - exchange.started) * 1000
        status = None
        if flow.error is not None and flow.error.msg == BODY_LIMIT_ERROR:
            limit = self.runtime.config.proxy.max_body_bytes
            exchange.error = f"the request body is over proxy.max_body_bytes ({limit:,} bytes)"
            status = 413
        if exchange.error is None and flow.error is not None:
            exchange.error = flow.error.msg
        self._record(flow, exchange, sent=False, status=status)

    def _record(
        self, flow: http.HTTPFlow, exchange: Exchange, sent: bool = True, status: int | None = None
    ) -> None:
        self.runtime.inflight.pop(id(flow), None)
        if exchange.recorded:
            return
        exchange.recorded = True
        # Bodies decoded for the checks wait in the queue only as far as the store keeps them.
        cap = self.runtime.config.store.body_cap_bytes
        exchange.bodies = [(message, body.kept(cap)) for message, body in exchange.bodies]
        pending = PendingEvent(
            exchange=exchange,
            request=flow.request,
            response=flow.response if sent else None,
            body_cap=self.runtime.config.store.body_cap_bytes,
            redacted=self.redacted,
            inflate_limit=self.runtime.config.proxy.max_inflated_bytes,
            body_filter=self.runtime.body_filter,
            status=status,
        )
        self.runtime.writer.submit(pending)
