"""The proxy's own tools/list to the backend (mcp/probe.py's network half).

Asked from the messages stage, after the auth gate admitted the caller's tools/call: the
request goes with the caller's headers as the backend would get them (the gate's Authorization,
or none; its session and version headers), the identity headers, and nothing else of the caller's
message. Once per catalogue-less session (sessionless traffic is one), whatever the outcome;
calls that arrive while it runs wait for it. Bounded: mcp/probe.TIMEOUT_S (or proxy.timeout_s
when shorter) for every page, proxy.max_body_bytes per answer, the sessions remembered.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from mitmproxy import http

from pluginlab_tui.mcp import probe
from pluginlab_tui.mcp.checks import Context
from pluginlab_tui.mcp.probe import Page, Params
from pluginlab_tui.proxy.backend_client import BACKEND_FAILURES, BackendClient, client_for
from pluginlab_tui.proxy.exchange import Exchange
from pluginlab_tui.proxy.forward import HOP_BY_HOP, backend_target, outgoing, told
from pluginlab_tui.proxy.pipeline import describe
from pluginlab_tui.proxy.runtime import Runtime

log = logging.getLogger(__name__)

#: Sessions whose listing is remembered, at most (the oldest forgotten).
MAX_SESSIONS = 1000
_READ = 64 * 1024


@dataclass(frozen=True, slots=True)
class Listed:
    """What the proxy's own tools/list came to: its pages, or why there are none."""

    pages: list[Page]
    why_not: str | None = None


class CatalogueProbe:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.client: BackendClient | None = None
        self._tried: OrderedDict[str | None, asyncio.Future[Listed]] = OrderedDict()

    @property
    def timeout_s(self) -> float:
        return min(self.runtime.config.proxy.timeout_s, probe.TIMEOUT_S)

    async def tools(
        self,
        flow: http.HTTPFlow,
        exchange: Exchange,
        ctx: Context,
        params: Params,
    ) -> Listed:
        """The server's tools, listed in the call's session (once per session; stateless
        requests are one: a session header there is the caller's word, not a server's)."""
        key = ctx.session_id if ctx.era == "handshake" else None
        tried = self._tried.get(key)
        if tried is not None:
            try:
                listed = await asyncio.wait_for(asyncio.shield(tried), self.timeout_s + 1)
            except TimeoutError:
                return Listed([], "the proxy's own tools/list for this session is still running")
            if listed.why_not is not None:
                return Listed([], f"{listed.why_not} (tried once for this session)")
            return listed
        why = self._why_not(flow, ctx, params)
        if why is not None:
            return Listed([], why)  # not remembered: nothing was sent
        future: asyncio.Future[Listed] = asyncio.get_running_loop().create_future()
        self._tried[key] = future
        while len(self._tried) > MAX_SESSIONS:
            self._tried.popitem(last=False)
        listed = Listed([], "the proxy's own tools/list was cut short (the caller left)")
        try:
            listed = await self._list(flow, exchange, ctx, params)
        except Exception as exc:  # never the caller's exchange's failure
            log.exception("the proxy's own tools/list failed")
            listed = Listed([], f"the proxy's own tools/list failed: {describe(exc)}")
        finally:  # those waiting for it are told, even when this exchange is cancelled
            future.set_result(listed)
        return listed

    def _why_not(self, flow: http.HTTPFlow, ctx: Context, params: Params) -> str | None:
        if self.runtime.config.proxy.backend is None:
            return "no proxy.backend to list the tools from"
        return probe.why_not(ctx, params)

    async def _list(
        self,
        flow: http.HTTPFlow,
        exchange: Exchange,
        ctx: Context,
        params: Params,
    ) -> Listed:
        pages: list[Page] = []
        cursor: str | None = None
        try:
            async with asyncio.timeout(self.timeout_s):
                for _ in range(probe.MAX_PAGES):
                    ask = probe.ask(ctx, params, cursor)
                    result = await self._page(flow, exchange, ask, ctx.version or "")
                    pages.append(({"cursor": cursor} if cursor else None, result))
                    cursor = probe.next_cursor(result)
                    if cursor is None:
                        return Listed(pages)
        except TimeoutError:
            why = f"the server did not answer the proxy's tools/list within {self.timeout_s:g} s"
            return Listed([], why)
        except probe.Unlisted as exc:
            return Listed([], f"the proxy's own tools/list failed: {exc}")
        except BACKEND_FAILURES as exc:
            return Listed([], f"the proxy's own tools/list failed: {describe(exc)}")
        return Listed(pages)  # the first MAX_PAGES pages

    async def _page(
        self, flow: http.HTTPFlow, exchange: Exchange, ask: probe.Ask, version: str
    ) -> dict[str, Any]:
        backend = self.runtime.config.proxy.backend
        assert backend is not None
        request = flow.request
        added = (*told(self.runtime, flow, exchange), *ask.headers.items())
        dropped = HOP_BY_HOP | {name.encode() for name in probe.REPLACED_HEADERS}
        headers = outgoing(request.headers, added, dropped)
        limit = self.runtime.config.proxy.max_body_bytes
        answer = await self._client(backend).request(
            "POST", backend_target(backend, request.path), headers, ask.body
        )
        try:
            if answer.status != 200:
                raise probe.Unlisted(f"the server answered HTTP {answer.status}")
            reader = probe.Reader(ask.id, version, answer.header(b"content-type"))
            size = 0
            while chunk := await answer.read(_READ):
                size += len(chunk)
                if size > limit:
                    raise probe.Unlisted(f"the answer is over proxy.max_body_bytes ({limit:,})")
                found = reader.feed(chunk)
                if found is not None:
                    return found
            return reader.end()
        finally:
            answer.release()

    def _client(self, backend: str) -> BackendClient:
        self.client = client_for(self.client, backend)
        return self.client

    async def done(self) -> None:
        if self.client is not None:
            self.client.close()
