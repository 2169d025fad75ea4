"""serve's HTTP/1.1 front: aiohttp's server takes the connections in place of mitmproxy's proxy
server, and drives the same pluginlab addon with mitmproxy's own flow objects.

mitmproxy's proxy core took about 600 us of the loop per exchange here (its sans-io layers, in
Python), more than everything pluginlab does; aiohttp's server (its framing and writer, heads
read by proxy/http1.py) takes a fraction of that. The addon
and its stages are unchanged: each request becomes an `http.HTTPFlow` as mitmproxy's reverse
mode would make it (host, port and Host header the backend's), and the front calls the hooks
mitmproxy would, in its order: `request`; then `responseheaders` and `response` for an answer a
stage made; for a request a stage aimed at the backend (MCP traffic, proxy/relay.py) the front
sends it, calls `responseheaders` on the head, relays an event stream chunk by chunk through
`flow.response.stream`, and calls `response`, or `error` when either side fails. Before any
of that it checks the head as mitmproxy does (its `validate_inbound_headers`, on by default,
and its reverse mode's refusal of CONNECT): a header name that is not a token, a framing field
that is malformed or repeated or sent over HTTP/1.0, get a 400 and an event, never the backend
(which would read the head otherwise than the proxy: a smuggled request). The stock
`mitmdump -s addons/pluginlab.py` path and `serve --engine mitmproxy` keep mitmproxy's server.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable
from typing import Any

import yarl
from aiohttp import web
from aiohttp.web_protocol import MAX_MSG_QUEUE_SIZE, RequestHandler, RequestPayloadError
from mitmproxy import connection, http
from mitmproxy import flow as mflow
from mitmproxy.net.http import url
from mitmproxy.net.http.http1 import assemble_response
from mitmproxy.net.http.validate import validate_headers

from pluginlab_tui import ids
from pluginlab_tui.proxy.addon import PluginLab
from pluginlab_tui.proxy.aiohttp_answer import prepared, whole
from pluginlab_tui.proxy.answers import error_response
from pluginlab_tui.proxy.backend_client import (
    BACKEND_FAILURES,
    BackendClient,
    Unsendable,
    Upstream,
    client_for,
)
from pluginlab_tui.proxy.budget import SHARE, OverBudget
from pluginlab_tui.proxy.exchange import exchange_of
from pluginlab_tui.proxy.forward import (
    BodyTooLarge,
    backend_response,
    failure_text,
    outgoing,
    read_bounded,
)
from pluginlab_tui.proxy.http1 import HeadOverBudget, LenientRequestParser
from pluginlab_tui.proxy.pipeline import describe
from pluginlab_tui.proxy.recorder import (
    ANSWERED_STATUS,
    BODY_LIMIT_ERROR,
    CONNECT_ERROR,
    SMUGGLING_ERROR,
    STOPPED_ERROR,
)
from pluginlab_tui.proxy.relay import CLOSE_BACKEND
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.wire import EVENT_HEADER

log = logging.getLogger(__name__)

#: Bytes read from either side at a time.
_READ = 256 * 1024
#: A request head's bytes in all (its line and each field may take all of it), and its fields:
#: mitmproxy sets no bound; the stages refuse what they must (a 1 MB session id), and record it.
_MAX_HEAD = 4 * 1024 * 1024
_MAX_HEADERS = 10_000
#: Seconds a caller may send nothing while the proxy waits for it (the rest of a body, the next
#: request on a kept-alive connection): then its connection closes, as mitmproxy's tcp_timeout
#: closes it.
CALLER_IDLE_S = 600.0


class _Handler(RequestHandler):
    """aiohttp's connection handler, answering a head it cannot read as the proxy answers
    (JSON, no Server header) and without a traceback in serve's output for each: a caller's
    bad bytes are its own error (mitmproxy answers them 400 too, and records no event, having
    no request). The proxy's own failures (500) are logged as aiohttp logs them. A connection
    past proxy.max_connections, or a head past the budget, is answered 503 and closed; a head
    not complete within proxy.head_timeout_s, 408."""

    _manager: _Server
    #: Fires when a head has taken proxy.head_timeout_s (from the connection, or its first byte).
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        runtime = self._manager.runtime
        limit = runtime.config.proxy.max_connections
        if runtime.connections > limit:
            self._answer_at_once(503, "proxy_busy", _too_many(limit))
            return
        self._time_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        parser = self._parser
        if isinstance(parser, LenientRequestParser) and not parser.reading_head:
            self._stop_head_timer()
        elif self._head_timer is None:
            self._time_head()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._stop_head_timer()
        parser = self._parser
        if isinstance(parser, LenientRequestParser):
            parser.release()
        super().connection_lost(exc)

    def _time_head(self) -> None:
        seconds = self._manager.runtime.config.proxy.head_timeout_s
        self._head_timer = self._loop.call_later(seconds, self._head_late)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        """A head not complete in time (a slow caller holding a connection): 408, closed. A
        connection that sent nothing is closed without a word (a client's spare connection,
        opened ahead, would read a 408 as the answer to the request it sends next). An
        exchange still being answered on the connection is let finish first."""
        self._head_timer = None
        if self._current_request is not None or self._messages:
            self._time_head()
            return
        parser = self._parser
        if isinstance(parser, LenientRequestParser) and not parser.reading_head:
            self.force_close()
            return
        seconds = self._manager.runtime.config.proxy.head_timeout_s
        why = f"no complete request head came within proxy.head_timeout_s ({seconds:g} s)"
        self._answer_at_once(408, "request_timeout", why)

    def _answer_at_once(self, status: int, code: str, why: str) -> None:
        """Refuse the caller before any request was read (so with no event: it is counted)."""
        self._manager.refused(why)
        if self.transport is not None:
            answer = error_response(status, code, why)
            answer.headers["Connection"] = "close"
            self.transport.write(assemble_response(answer))
        self.force_close()

    def head_ended(self) -> None:
        """The exchange of the oldest head this connection read has ended."""
        parser = self._parser
        if isinstance(parser, LenientRequestParser):
            parser.head_ended()

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if isinstance(exc, HeadOverBudget):
            self._manager.refused(exc.message)
            return whole(error_response(503, "proxy_busy", exc.message), close=True)
        if status >= 500:
            return super().handle_error(request, status, exc, message)
        log.debug("refused a request head from %s: %s", request.remote, message)
        if request.writer.output_size > 0:
            raise ConnectionError("an answer is on its way already: the connection is cut")
        text = " ".join((message or "the request could not be read").split())
        return whole(error_response(status, "bad_request", text), close=True)


def _too_many(limit: int) -> str:
    return (
        f"the proxy has proxy.max_connections ({limit:,}) connections open already: "
        "try again when fewer are open"
    )


class _Server(web.Server):
    """aiohttp's low-level server, reading request heads as mitmproxy does (proxy/http1.py),
    counting the connections open, and telling the writer of each caller it refused (no
    request was read: a count of events not stored, with a notice)."""

    def __init__(self, *args: Any, runtime: Runtime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.runtime = runtime

    def __call__(self) -> RequestHandler:
        handler = _Handler(self, loop=self._loop, **self._kwargs)
        handler._parser = LenientRequestParser(
            handler,
            self._loop,
            _READ,
            max_line_size=_MAX_HEAD,
            max_field_size=_MAX_HEAD,
            max_headers=_MAX_HEADERS,
            max_head_bytes=_MAX_HEAD,
            heads=self.runtime.bodies.share(),
            payload_exception=RequestPayloadError,
            auto_decompress=False,
            max_msg_queue_size=MAX_MSG_QUEUE_SIZE,
        )
        return handler

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        self.runtime.connections += 1

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        super().connection_lost(handler, exc)
        self.runtime.connections -= 1

    def refused(self, why: str) -> None:
        """A caller answered before a request was read: counted (a notice says why)."""
        self.runtime.writer.not_stored(1, f"a caller was refused before any request: {why}")


def lighten_mitmproxy() -> None:
    """Two things mitmproxy does on every exchange that serve does without, measured here:
    - the check of every field's type on each message it builds, unless Python runs with -O
      (`if __debug__:` in mitmproxy/http.py): a fifth of the loop's time on an exchange.
      serve's messages are built from typed values (mypy checks that code), so serve turns it
      off as -O would;
    - a system call for the random id of each flow (uuid.uuid4 in mitmproxy/flow.py): taken
      from a pool of the same random bytes instead (pluginlab_tui/ids.py).
    The stock mitmdump path keeps both."""
    http.MessageData.__post_init__ = _unchecked  # type: ignore[method-assign]
    mflow.uuid = ids


def _unchecked(self: http.MessageData) -> None:
    return None


class Front:
    """Listens on HOST:PORT and runs each request through `addon`, one flow per request."""

    def __init__(
        self, addon: PluginLab, runtime: Runtime, backend: str, close_s: float = 1.0
    ) -> None:
        self.addon = addon
        self.close_s = close_s
        lighten_mitmproxy()
        self.runtime = runtime
        self.backend = yarl.URL(backend)
        self.backend_hostport = url.hostport(
            self.backend.scheme, self.backend.raw_host or "", self.backend.port or 80
        )
        self.runner: web.ServerRunner | None = None
        self.site: web.TCPSite | None = None
        self.client: BackendClient | None = None
        #: The backend's side of every flow (the front sends and reads it; no stage does).
        self.server = connection.Server(address=(self.backend.host or "", self.backend.port or 80))
        #: The caller's side, one per connection while it is open.
        self.clients: weakref.WeakKeyDictionary[asyncio.Transport, connection.Client] = (
            weakref.WeakKeyDictionary()
        )
        #: error hooks of exchanges whose caller left, run after their handler was cancelled
        self.ending: set[asyncio.Future[None]] = set()
        #: Set once the proxy closes the connections left: what it cuts then, it cut itself.
        self.stopping = False

    async def start(self, host: str, port: int) -> int:
        """Listen; the bound port."""
        server = _Server(
            self._handle,
            runtime=self.runtime,
            handler_cancellation=True,  # a caller that leaves ends its exchange, as in mitmproxy
            auto_decompress=False,  # bodies reach the stages as sent (they bound the inflating)
            max_line_size=_MAX_HEAD,
            max_field_size=_MAX_HEAD,
            max_headers=_MAX_HEADERS,
            read_bufsize=_READ,
            lingering_time=0,  # a body left unread (over the limit) is not waited for: closed
            keepalive_timeout=CALLER_IDLE_S,
        )
        self.runner = web.ServerRunner(
            server, handle_signals=False, access_log=None, shutdown_timeout=self.close_s
        )
        await self.runner.setup()
        self.site = web.TCPSite(self.runner, host, port, reuse_address=True)
        await self.site.start()
        sockets = self.runner.addresses
        return int(sockets[0][1]) if sockets else port

    async def stop_listening(self) -> None:
        if self.site is not None:
            await self.site.stop()
            self.site = None

    async def close(self) -> None:
        """Close the connections left (idle keep-alive ones, mostly), then the client; the
        error hooks of the exchanges that cut short have run on return."""
        self.stopping = True
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
        if self.ending:
            await asyncio.wait(self.ending, timeout=self.close_s)
        if self.client is not None:
            self.client.close()

    def _client(self, transport: asyncio.Transport | None, now: float) -> connection.Client:
        """The caller's connection, made once per connection as mitmproxy makes it."""
        if transport is None:
            return connection.Client(peername=("", 0), sockname=("", 0), timestamp_start=now)
        client = self.clients.get(transport)
        if client is None:
            peer = transport.get_extra_info("peername")
            sock = transport.get_extra_info("sockname")
            client = connection.Client(
                peername=tuple(peer) if peer else ("", 0),
                sockname=tuple(sock) if sock else ("", 0),
                timestamp_start=now,
            )
            self.clients[transport] = client
        return client

    # -- one exchange ---------------------------------------------------------------------------

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        flow = self._flow(request)
        share = flow.metadata[SHARE] = self.runtime.bodies.share()
        try:
            return await self._exchange(request, flow)
        except asyncio.CancelledError:
            # the caller left (or the proxy stops): mitmproxy's error hook, in a task of its own
            if flow.error is None:
                flow.error = mflow.Error(STOPPED_ERROR if self.stopping else "Client disconnected.")
            ending = asyncio.ensure_future(self.addon.error(flow))
            self.ending.add(ending)
            ending.add_done_callback(self.ending.discard)
            raise
        except Exception as exc:  # the front's own failure: still an answer, and an event
            log.exception("the front failed on an exchange")
            if flow.error is None:
                flow.error = mflow.Error(f"the proxy failed: {describe(exc)}")
            await self.addon.error(flow)
            message = f"The proxy failed on this exchange ({type(exc).__name__})"
            return whole(error_response(500, "proxy_error", message), close=True)
        finally:  # the answer holds its own bytes now; the flow's go with its event
            share.release()
            if isinstance(request.protocol, _Handler):
                request.protocol.head_ended()

    def _flow(self, request: web.BaseRequest) -> http.HTTPFlow:
        now = time.time()
        flow = http.HTTPFlow(self._client(request.transport, now), self.server, live=True)
        version = request.version
        flow.request = http.Request(
            host=self.backend.host or "",
            port=self.backend.port or 80,
            method=request.method.encode("latin-1", "replace"),
            scheme=self.backend.scheme.encode(),
            authority=b"",
            path=request.raw_path.encode("utf-8", "surrogateescape"),
            http_version=f"HTTP/{version.major}.{version.minor}".encode(),
            headers=http.Headers(list(request.raw_headers)),
            content=None,
            trailers=None,
            timestamp_start=now,
            timestamp_end=None,
        )
        # mitmproxy's reverse mode: the Host header names the backend (keep_host_header off)
        flow.request.host_header = self.backend_hostport
        return flow

    async def _exchange(self, request: web.BaseRequest, flow: http.HTTPFlow) -> web.StreamResponse:
        refusal = _refusal(flow.request)
        if refusal is not None:
            return await self._refuse(flow, 400, "bad_request", refusal)
        try:
            body = await self._request_body(request, flow)
        except BodyTooLarge:
            return await self._refuse(flow, 413, "body_too_large", BODY_LIMIT_ERROR)
        except OverBudget as exc:
            return await self._refuse(flow, 503, "proxy_busy", str(exc))
        except TimeoutError:
            why = f"the caller sent nothing more of its body for {CALLER_IDLE_S:g} s"
            return await self._refuse(flow, 408, "request_timeout", why)
        except RequestPayloadError as exc:  # a malformed chunked body, say
            text = " ".join(str(exc).split()).removeprefix("400, message:").strip()
            why = f"the request body could not be read: {text or type(exc).__name__}"
            return await self._refuse(flow, 400, "bad_request", why)
        flow.request.data.content = body
        flow.request.timestamp_end = time.time()
        await self.addon.request(flow)
        if flow.response is None:
            return await self._relay(request, flow)
        flow.response.timestamp_start = time.time()
        await self.addon.responseheaders(flow)
        await self.addon.response(flow)
        assert flow.response is not None
        return whole(flow.response)

    async def _refuse(
        self, flow: http.HTTPFlow, status: int, code: str, why: str
    ) -> web.StreamResponse:
        """mitmproxy's own refusal of a request, before any stage: its error hook (the event),
        and an answer naming that event. The body is left unread: the connection closes."""
        flow.error = mflow.Error(why)
        flow.metadata[ANSWERED_STATUS] = status
        await self.addon.error(flow)
        answer = error_response(status, code, why)
        exchange = exchange_of(flow)
        if exchange is not None:
            answer.headers[EVENT_HEADER] = exchange.event_id
        return whole(answer, close=True)

    async def _request_body(self, request: web.BaseRequest, flow: http.HTTPFlow) -> bytes:
        """The body as sent, refused past proxy.max_body_bytes (by Content-Length first), and
        taken from the front's budget as it arrives (proxy.max_inflight_bytes)."""
        limit = self.runtime.config.proxy.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise BodyTooLarge
        if request.headers.get("Expect", "").lower() == "100-continue":
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if not request.body_exists:
            return b""
        return await read_bounded(
            request.content,
            request.content_length,
            limit,
            idle_s=CALLER_IDLE_S,
            share=flow.metadata[SHARE],
        )

    async def _relay(self, request: web.BaseRequest, flow: http.HTTPFlow) -> web.StreamResponse:
        """Send a request a stage aimed at the backend, as mitmproxy would, and relay the answer."""
        aimed = flow.request
        origin = f"{aimed.scheme}://{url.hostport(aimed.scheme, aimed.host, aimed.port)}"
        self.client = client_for(self.client, origin)
        timeout = self.runtime.config.proxy.timeout_s
        try:  # the head within proxy.timeout_s (the relay's timer can cut a stream once it has one)
            async with asyncio.timeout(timeout):
                upstream = await self.client.request(
                    aimed.method, aimed.path, outgoing(aimed.headers), aimed.raw_content or None
                )
        except TimeoutError:
            why = f"backend did not answer within {timeout:g} s"
            return await self._failed(flow, why, 504, "backend_timeout")
        except Unsendable as exc:
            return await self._failed(flow, str(exc), 400, "bad_request")
        except BACKEND_FAILURES as exc:
            return await self._failed(flow, failure_text(exc))
        try:
            flow.metadata[CLOSE_BACKEND] = upstream.close
            flow.response = backend_response(upstream, None)
            await self.addon.responseheaders(flow)
            stream = flow.response.stream
            if callable(stream):
                return await self._stream(request, flow, upstream, stream)
            try:
                flow.response.data.content = await read_bounded(
                    upstream,
                    upstream.content_length,
                    self.runtime.config.proxy.max_body_bytes,
                    share=flow.metadata[SHARE],
                )
            except BodyTooLarge:
                return await self._failed(
                    flow, "Response body exceeds mitmproxy's body_size_limit."
                )
            except OverBudget as exc:
                return await self._failed(flow, str(exc))
            except BACKEND_FAILURES as exc:
                return await self._failed(flow, failure_text(exc))
            flow.response.timestamp_end = time.time()
            flow.response.headers["content-length"] = str(len(flow.response.raw_content or b""))
            await self.addon.response(flow)
            assert flow.response is not None
            return whole(flow.response)
        finally:
            upstream.release()

    async def _stream(
        self,
        request: web.BaseRequest,
        flow: http.HTTPFlow,
        upstream: Upstream,
        stream: Callable[[bytes], Any],
    ) -> web.StreamResponse:
        assert flow.response is not None
        answer = prepared(flow.response)
        await answer.prepare(request)
        try:
            while True:
                chunk = await upstream.read()
                pieces = _pieces(stream(chunk))
                if chunk and upstream.ended:  # the end came with it: sent in the same write
                    pieces += _pieces(stream(b""))
                    chunk = b""
                if not chunk:
                    break
                for piece in pieces:
                    await answer.write(piece)
        except BACKEND_FAILURES as exc:
            # the backend ended (or the proxy closed it: relay.py's limits) before the end
            flow.error = mflow.Error(failure_text(exc) or "Server disconnected.")
            await self.addon.error(flow)
            if request.transport is not None:  # the caller must see the stream end short
                request.transport.close()
            return answer
        flow.response.timestamp_end = time.time()
        await self.addon.response(flow)
        await answer.write_eof(b"".join(pieces))
        return answer

    async def _failed(
        self, flow: http.HTTPFlow, message: str, status: int = 502, code: str = "backend_failed"
    ) -> web.StreamResponse:
        """No answer from the backend: mitmproxy's error hook, and its 502 (or `status`)."""
        flow.response = None
        flow.error = mflow.Error(message)
        flow.metadata[ANSWERED_STATUS] = status
        await self.addon.error(flow)
        return whole(error_response(status, code, message))


def _refusal(request: http.Request) -> str | None:
    """Why mitmproxy would refuse this request head (in reverse mode), or None."""
    if request.method == "CONNECT":
        return CONNECT_ERROR
    try:
        validate_headers(request)
    except ValueError as exc:
        return SMUGGLING_ERROR.format(exc)
    return None


def _pieces(chunks: Any) -> list[bytes]:
    if isinstance(chunks, bytes):
        return [chunks] if chunks else []
    return [c for c in chunks if c]
