"""MCP exchanges forwarded by mitmproxy itself, so that event streams (SSE) reach the caller
frame by frame.

An addon's own response (the aiohttp forwarder's) is sent whole by mitmproxy, so MCP requests
are not answered here: they are aimed at the backend and mitmproxy forwards them. A
`text/event-stream` answer is streamed (`flow.response.stream`) through a tee that keeps at most
store.body_cap_bytes of it (what the event stores) for the event. Mitmproxy cannot kill a flow
in transit, so the proxy's own limits (proxy.timeout_s for an answer that is not a stream, or
until a stream's head; mcp.stream_idle_s between a stream's chunks) end an exchange by closing
its backend connection. The event is recorded when the exchange ends: normally, idle, or the
caller leaving.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable

import yarl
from mitmproxy import ctx, http

from pluginlab_tui.inflate import Inflated
from pluginlab_tui.proxy.exchange import Exchange, exchange_of
from pluginlab_tui.proxy.forward import HOP_BY_HOP, backend_url, outgoing
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.wire import EVENT_HEADER, VIOLATIONS_HEADER

#: Caller headers the backend never gets: the forwarder's hop-by-hop set, less those mitmproxy
#: sets itself when it sends the request (the framing, and Host from the backend's URL).
_NOT_FORWARDED = HOP_BY_HOP - {b"transfer-encoding", b"host", b"content-length"}


class Tee:
    """The stream callable: passes each chunk on, keeps a bounded copy, notes the time.

    Its listener (the MCP messages stage) sees each chunk first (the empty one that ends the
    stream too) and may give the bytes to send in its place: strict mode's rewritten frames, a
    legacy stream's rewritten `endpoint` event, or b"" to hold the chunk back for now. `settled`
    runs once the bytes sent are kept. Neither may raise."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept = bytearray()
        self.size = 0
        self.last = time.monotonic()
        self.listener: Callable[[bytes], bytes | None] | None = None
        self.settled: Callable[[], None] | None = None

    def __call__(self, chunk: bytes) -> list[bytes]:
        """The bytes to send for one chunk: [] for none (an empty chunk would end a chunked
        answer)."""
        if chunk:
            self.last = time.monotonic()
        if self.listener is not None:
            replaced = self.listener(chunk)
            if replaced is not None:
                chunk = replaced
        if not chunk:
            return []
        self.size += len(chunk)
        room = self.limit - len(self.kept)
        if room > 0:
            self.kept += chunk[:room]
        if self.settled is not None:
            self.settled()
        return [chunk]

    @property
    def complete(self) -> bool:
        return self.size == len(self.kept)


@dataclasses.dataclass(slots=True)
class Relayed:
    """One MCP exchange mitmproxy forwards: the caller's request as it came, the timer."""

    caller: http.RequestData
    #: The backend's URL, for the error of an exchange it did not answer.
    backend: str
    timer: asyncio.TimerHandle | None = None
    tee: Tee | None = None
    #: Why the proxy ended the exchange itself, or None.
    cut: str | None = None


def is_event_stream(response: http.Response) -> bool:
    kind = str(response.headers.get("content-type", ""))
    return kind.split(";", 1)[0].strip().lower() == "text/event-stream"


class Relay:
    """Aims MCP requests at the backend (from Forward) and streams their SSE answers."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.relayed: dict[int, Relayed] = {}

    def aim(
        self, flow: http.HTTPFlow, exchange: Exchange, backend: str, added: list[tuple[str, str]]
    ) -> None:
        """Point the request at the backend with the headers it is told (`added`); mitmproxy
        sends it. The caller's request is restored for the event once it has gone."""
        request = flow.request
        caller = request.data
        # An event stream is read frame by frame as it passes: it must come uncompressed.
        told = [("Accept-Encoding", "identity"), *added]
        fields = outgoing(caller.headers, told, _NOT_FORWARDED)
        request.data = dataclasses.replace(caller, headers=http.Headers(fields))
        url = backend_url(backend, request.path)
        request.scheme = url.scheme
        request.host = url.raw_host or ""
        request.port = url.explicit_port or (443 if url.scheme == "https" else 80)
        request.path = _target(url)
        relayed = Relayed(caller, backend)
        self.relayed[id(flow)] = relayed
        timeout = self.runtime.config.proxy.timeout_s
        self._arm(flow, relayed, timeout, f"backend did not answer within {timeout:g} s")

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        relayed = self.relayed.get(id(flow))
        exchange = exchange_of(flow)
        if relayed is None or exchange is None or flow.response is None:
            return
        flow.request.data = relayed.caller
        if not is_event_stream(flow.response):
            return  # answered whole, within proxy.timeout_s as before
        # the event stores at most store.body_cap_bytes of it: no more is kept of a stream that
        # may run for as long as it sends (its messages are read frame by frame as they pass)
        config = self.runtime.config
        relayed.tee = Tee(min(config.proxy.max_body_bytes, config.store.body_cap_bytes))
        flow.response.stream = relayed.tee
        exchange.streamed = True
        headers = flow.response.headers
        headers[EVENT_HEADER] = exchange.answer_header
        headers[VIOLATIONS_HEADER] = str(exchange.known_violations())
        idle = self.runtime.config.mcp.stream_idle_s
        self._cancel(relayed)
        self._arm(
            flow,
            relayed,
            idle,
            f"the event stream sent nothing for {idle:g} s (mcp.stream_idle_s)",
            relayed.tee,
        )

    def response(self, flow: http.HTTPFlow) -> None:
        self._ended(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self._ended(flow)

    def done(self) -> None:
        for relayed in self.relayed.values():
            self._cancel(relayed)

    def _ended(self, flow: http.HTTPFlow) -> None:
        """The exchange is over: the caller's request and the relayed bytes go in the event."""
        relayed = self.relayed.pop(id(flow), None)
        exchange = exchange_of(flow)
        if relayed is None or exchange is None:
            return
        self._cancel(relayed)
        flow.request.data = relayed.caller
        if relayed.cut is not None:
            exchange.error = exchange.error or relayed.cut
        if flow.response is None:  # no answer came: mitmproxy's own error went to the caller
            exchange.answered_by = "proxy"
            if exchange.error is None and flow.error is not None:
                exchange.error = f"backend unreachable at {relayed.backend}: {flow.error.msg}"
        if exchange.duration_ms is None:
            exchange.duration_ms = (time.perf_counter() - exchange.started) * 1000
        tee, response = relayed.tee, flow.response
        if tee is None or response is None:
            return
        response.raw_content = bytes(tee.kept)
        if not tee.complete and "content-encoding" not in response.headers:
            body = Inflated(bytes(tee.kept), complete=False, size=len(tee.kept))
            exchange.bodies.append((response, body))

    def _arm(
        self,
        flow: http.HTTPFlow,
        relayed: Relayed,
        wait_s: float,
        why: str,
        tee: Tee | None = None,
    ) -> None:
        """End the exchange after `wait_s` (without a chunk of `tee`, when given)."""
        start = time.monotonic()

        def fire() -> None:
            last = start if tee is None else tee.last
            left = last + wait_s - time.monotonic()
            if left > 0:
                relayed.timer = loop.call_later(left, fire)
                return
            relayed.timer = None
            relayed.cut = why
            _close_backend(flow)

        loop = asyncio.get_running_loop()
        relayed.timer = loop.call_later(wait_s, fire)

    @staticmethod
    def _cancel(relayed: Relayed) -> None:
        if relayed.timer is not None:
            relayed.timer.cancel()
            relayed.timer = None


def _target(url: yarl.URL) -> str:
    query = url.raw_query_string
    return url.raw_path + (f"?{query}" if query else "")


#: Where the front (proxy/front.py) leaves the callable that closes a flow's backend connection.
CLOSE_BACKEND = "pluginlab.close_backend"


def _close_backend(flow: http.HTTPFlow) -> None:
    """Close the flow's backend connection: the proxy then ends the exchange with an error."""
    close = flow.metadata.get(CLOSE_BACKEND)
    if close is not None:
        close()
        return
    server = ctx.master.addons.get("proxyserver")
    handler = None if server is None else server.connections.get(flow.client_conn.id)
    io = None if handler is None else handler.transports.get(flow.server_conn)
    if io is not None and isinstance(io.writer, asyncio.StreamWriter):
        io.writer.close()
