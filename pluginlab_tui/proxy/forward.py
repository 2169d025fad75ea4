"""Forwarding to the backend with httpx: the proxy owns timeouts (504) and failures (502)."""

from __future__ import annotations

import asyncio
import time

import httpx
from mitmproxy import http

from pluginlab_tui.proxy.answers import error_response
from pluginlab_tui.proxy.exchange import Exchange, exchange_of
from pluginlab_tui.proxy.runtime import Runtime

#: Headers that belong to one connection, never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


class Forward:
    """The last request stage: anything not answered yet goes to the backend."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.client = httpx.AsyncClient(
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(self.runtime.config.proxy.timeout_s),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )

    async def done(self) -> None:
        await self.client.aclose()

    async def request(self, flow: http.HTTPFlow) -> None:
        exchange = exchange_of(flow)
        if flow.response is not None or exchange is None:
            return
        backend = self.runtime.config.proxy.backend
        if backend is None or self.runtime.config.proxy.mock:
            flow.response = self.runtime.mock(exchange, flow)
            exchange.answered_by = "mock"
        else:
            flow.response = await self._forward(backend, exchange, flow)
        exchange.duration_ms = (time.perf_counter() - exchange.started) * 1000

    async def _forward(
        self, backend: str, exchange: Exchange, flow: http.HTTPFlow
    ) -> http.Response:
        request = flow.request
        headers = [
            (k, v) for k, v in request.headers.items(multi=True) if k.lower() not in HOP_BY_HOP
        ]
        headers += self.runtime.identity_headers(exchange)
        headers.append(("X-Forwarded-For", exchange.client_ip))
        headers.append(("X-Forwarded-Proto", request.scheme))
        if request.host_header:
            headers.append(("X-Forwarded-Host", request.host_header))
        outgoing = self.client.build_request(
            request.method, backend + request.path, headers=headers, content=request.raw_content
        )
        timeout = self.runtime.config.proxy.timeout_s
        try:
            answer = await asyncio.wait_for(self._exchange(outgoing), timeout)
        except TimeoutError:
            exchange.error = f"backend did not answer within {timeout:g} s"
            return error_response(504, "backend_timeout", exchange.error)
        except httpx.TimeoutException as exc:
            exchange.error = f"backend timed out: {_describe(exc)}"
            return error_response(504, "backend_timeout", exchange.error)
        except httpx.ConnectError as exc:
            exchange.error = f"backend unreachable at {backend}: {_describe(exc)}"
            return error_response(502, "backend_unreachable", exchange.error)
        except (httpx.HTTPError, OSError) as exc:
            exchange.error = f"backend failed: {type(exc).__name__}: {_describe(exc)}"
            return error_response(502, "backend_failed", exchange.error)
        return answer

    async def _exchange(self, outgoing: httpx.Request) -> http.Response:
        upstream = await self.client.send(outgoing, stream=True)
        try:
            content = b"".join([chunk async for chunk in upstream.aiter_raw()])
        finally:
            await upstream.aclose()
        fields = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in upstream.headers.multi_items()
            if k.lower() not in HOP_BY_HOP
        ]
        fields.append((b"content-length", str(len(content)).encode()))
        return http.Response(
            http_version=b"HTTP/1.1",
            status_code=upstream.status_code,
            reason=upstream.reason_phrase.encode("latin-1", "replace"),
            headers=http.Headers(fields),
            content=content,
            trailers=None,
            timestamp_start=time.time(),
            timestamp_end=time.time(),
        )
