"""Forwarding to the backend (proxy/backend_client.py): the proxy owns timeouts (504) and
failures (502)."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

import yarl
from mitmproxy import http

from pluginlab_tui.proxy.answers import error_response
from pluginlab_tui.proxy.backend_client import (
    BACKEND_FAILURES,
    BackendClient,
    Unreachable,
    Unsendable,
    Upstream,
    client_for,
)
from pluginlab_tui.proxy.budget import SHARE, OverBudget, Share
from pluginlab_tui.proxy.exchange import Exchange, request_stage
from pluginlab_tui.proxy.fields import host_header
from pluginlab_tui.proxy.mock import mock_response
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.urlpath import sendable

if TYPE_CHECKING:
    from pluginlab_tui.proxy.relay import Relay

#: Headers (their raw names) that belong to one connection, never forwarded. Host is one: the
#: backend gets its own (from its URL; MCP SDK servers refuse other hosts on loopback with 421),
#: the caller's goes in X-Forwarded-Host.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"content-length",
    }
)
#: Bytes read from the backend at a time.
_READ = 256 * 1024


class Readable(Protocol):
    """A body being read: aiohttp's StreamReader (a caller's), or the backend's Upstream."""

    async def read(self, n: int = ...) -> bytes: ...


class BodyTooLarge(Exception):
    """The backend's response body is over proxy.max_body_bytes."""


def failure_text(exc: BaseException) -> str:
    """What a failed connection said, on one line (its type when it said nothing)."""
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


def backend_url(backend: str, target: str) -> yarl.URL:
    """The backend's URL for a request target, taken as it is (`encoded=True`): the path the
    proxy made canonical in its first stage, and the query byte for byte, reach the backend
    exactly as they were gated and checked (yarl would otherwise remove dot segments, decode
    `%2e` and re-quote the query). Only what cannot stand on a request line (undecodable
    bytes, controls, space, `#`) travels percent-encoded (urlpath.sendable)."""
    base = yarl.URL(backend)
    path, sep, query = sendable(target).partition("?")
    return yarl.URL.build(
        scheme=base.scheme,
        authority=base.raw_authority,
        path=base.raw_path.rstrip("/") + path,
        query_string=query if sep else "",
        encoded=True,
    )


def backend_target(backend: str, target: str) -> str:
    """The request target to send the backend for a caller's: the path and query of
    `backend_url`, without building the URL."""
    path, _, query = sendable(target).partition("?")
    return _base_path(backend) + path + (f"?{query}" if query else "")


@functools.lru_cache(maxsize=16)
def _base_path(backend: str) -> str:
    return yarl.URL(backend).raw_path.rstrip("/")


def outgoing(
    headers: http.Headers,
    added: Iterable[tuple[str, str]] = (),
    dropped: frozenset[bytes] = HOP_BY_HOP,
) -> list[tuple[bytes, bytes]]:
    """A request's raw header fields as the backend gets them: less those of one connection
    (and any other `dropped`), `added` in place of the fields of the same names. One pass over
    the fields as they came (mitmproxy's pop and set scan them per name, decoding each)."""
    told = [(_raw(name), _raw(value)) for name, value in added]
    left_out = dropped | {name.lower() for name, _ in told}
    return [(k, v) for k, v in headers.fields if k.lower() not in left_out] + told


def _raw(text: str) -> bytes:
    """A field's text as the bytes it stands for (mitmproxy decodes them so)."""
    return text.encode("utf-8", "surrogateescape")


def told(runtime: Runtime, flow: http.HTTPFlow, exchange: Exchange) -> list[tuple[str, str]]:
    """What the backend is told besides the caller's headers: who, from where."""
    request = flow.request
    said = runtime.identity_headers(exchange)
    said += [("X-Forwarded-For", exchange.client_ip), ("X-Forwarded-Proto", request.scheme)]
    host = host_header(request)
    if host:
        said.append(("X-Forwarded-Host", host))
    return said


class Forward:
    """The last request stage: anything not answered yet goes to the backend (or the mock).

    MCP requests are aimed at the backend for mitmproxy to forward (`relay`), so that event
    streams are relayed as they arrive (proxy/relay.py)."""

    def __init__(self, runtime: Runtime, relay: Relay) -> None:
        self.runtime = runtime
        self.relay = relay
        self.client: BackendClient | None = None

    def _client(self, backend: str) -> BackendClient:
        self.client = client_for(self.client, backend)
        return self.client

    async def done(self) -> None:
        if self.client is not None:
            self.client.close()

    @request_stage
    async def request(self, flow: http.HTTPFlow, exchange: Exchange) -> None:
        backend = self.runtime.config.proxy.backend
        contract = exchange.contract  # MCP traffic has none to mock from: it needs the backend
        if contract is not None and (backend is None or self.runtime.config.proxy.mock):
            flow.response = mock_response(exchange, contract)
            exchange.answered_by = "mock"
        elif backend is None:
            exchange.error = "no proxy.backend is set, and there is no spec to answer from"
            exchange.answered_by = "proxy"
            flow.response = error_response(502, "no_backend", exchange.error)
        elif exchange.mcp:
            self.relay.aim(flow, exchange, backend, self._told(flow, exchange))
            return  # mitmproxy forwards it; the relay times the answer
        else:
            flow.response = await self._forward(backend, exchange, flow)
            if exchange.error is not None:  # our own 502/504: not the backend's answer
                exchange.answered_by = "proxy"
        exchange.duration_ms = (time.perf_counter() - exchange.started) * 1000

    async def _forward(
        self, backend: str, exchange: Exchange, flow: http.HTTPFlow
    ) -> http.Response:
        request = flow.request
        headers = outgoing(request.headers, self._told(flow, exchange))
        timeout = self.runtime.config.proxy.timeout_s
        target = backend_target(backend, request.path)
        body = request.raw_content
        share = flow.metadata.get(SHARE)
        try:
            return await asyncio.wait_for(
                self._exchange(backend, request.method, target, headers, body, share), timeout
            )
        except OverBudget as exc:
            exchange.error = str(exc)
            return error_response(503, "proxy_busy", exchange.error)
        except TimeoutError:
            exchange.error = f"backend did not answer within {timeout:g} s"
            return error_response(504, "backend_timeout", exchange.error)
        except BodyTooLarge:
            limit = self.runtime.config.proxy.max_body_bytes
            exchange.error = (
                f"the backend's response body is over proxy.max_body_bytes ({limit:,} bytes)"
            )
            return error_response(502, "backend_body_too_large", exchange.error)
        except Unreachable as exc:
            exchange.error = f"backend unreachable at {backend}: {failure_text(exc)}"
            return error_response(502, "backend_unreachable", exchange.error)
        except Unsendable as exc:
            exchange.error = str(exc)
            return error_response(400, "bad_request", exchange.error)
        except BACKEND_FAILURES as exc:
            exchange.error = f"backend failed: {type(exc).__name__}: {failure_text(exc)}"
            return error_response(502, "backend_failed", exchange.error)

    def _told(self, flow: http.HTTPFlow, exchange: Exchange) -> list[tuple[str, str]]:
        return told(self.runtime, flow, exchange)

    async def _exchange(
        self,
        backend: str,
        method: str,
        target: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes | None,
        share: Share | None,
    ) -> http.Response:
        upstream = await self._client(backend).request(method, target, headers, body)
        try:
            limit = self.runtime.config.proxy.max_body_bytes
            content = await read_bounded(upstream, upstream.content_length, limit, share=share)
        finally:
            upstream.release()
        return backend_response(upstream, content)


def backend_response(upstream: Upstream, content: bytes | None) -> http.Response:
    """The backend's answer as mitmproxy's Response: its head, less what belongs to one
    connection, and `content` with its length (None: the body is not read yet)."""
    fields = [(k, v) for k, v in upstream.raw_headers if k.lower() not in HOP_BY_HOP]
    if content is not None:
        fields.append((b"content-length", str(len(content)).encode()))
    now = time.time()
    return http.Response(
        http_version=b"HTTP/1.1",
        status_code=upstream.status,
        reason=upstream.reason,
        headers=http.Headers(fields),
        content=content,
        trailers=None,
        timestamp_start=now,
        timestamp_end=None if content is None else now,
    )


async def read_bounded(
    content: Readable,
    length: int | None,
    limit: int,
    idle_s: float | None = None,
    share: Share | None = None,
) -> bytes:
    """A body as sent (either side's), refused (BodyTooLarge) past `limit`: by its declared
    Content-Length before reading, else as it arrives; never more is held. With `idle_s`, a
    TimeoutError when the sender sends nothing for that long; with `share`, each piece is taken
    from the front's budget as it arrives (OverBudget past it)."""
    if length is not None and length > limit:
        raise BodyTooLarge
    body = bytearray()
    while True:
        wanted = min(_READ, limit + 1 - len(body))
        if idle_s is None:  # the caller bounds the whole read (the forward's proxy.timeout_s)
            piece = await content.read(wanted)
        else:
            async with asyncio.timeout(idle_s):
                piece = await content.read(wanted)
        if not piece:
            return bytes(body)
        if share is not None:
            share.take(len(piece))
        body += piece
        if len(body) > limit:
            raise BodyTooLarge
