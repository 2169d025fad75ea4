"""CORS for development in the browser: preflights answered, allowed origins echoed."""

from __future__ import annotations

from mitmproxy import http

from pluginlab_tui.proxy.exchange import Exchange, request_stage
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.wire import EVENT_HEADER, VIOLATIONS_HEADER

ALLOWED_HEADERS = (
    "Authorization, Content-Type, openai-conversation-id, openai-ephemeral-user-id, "
    "openai-subdivision-1-iso-code, openai-gpt-id"
)
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
EXPOSED_HEADERS = f"{EVENT_HEADER}, {VIOLATIONS_HEADER}"


class Cors:
    def __init__(self, runtime: Runtime) -> None:
        self.origins = frozenset(o.rstrip("/") for o in runtime.config.proxy.cors_origins)

    def _allowed(self, flow: http.HTTPFlow) -> str | None:
        origin: str | None = flow.request.headers.get("Origin")
        if origin and (origin.rstrip("/") in self.origins or "*" in self.origins):
            return origin
        return None

    @request_stage
    def request(self, flow: http.HTTPFlow, exchange: Exchange) -> None:
        request = flow.request
        if request.method != "OPTIONS":
            return
        if "Access-Control-Request-Method" not in request.headers:
            return
        exchange.answered_by = "proxy"
        origin = self._allowed(flow)
        if origin is None:
            flow.response = http.Response.make(403, b"", {"Vary": "Origin"})
            return
        flow.response = http.Response.make(
            204,
            b"",
            {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Allow-Credentials": "true",
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            },
        )

    def response(self, flow: http.HTTPFlow) -> None:
        if flow.response is None or flow.request.method == "OPTIONS":
            return
        origin = self._allowed(flow)
        if origin is not None:
            flow.response.headers["Access-Control-Allow-Origin"] = origin
            flow.response.headers["Access-Control-Allow-Credentials"] = "true"
            flow.response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
            flow.response.headers["Vary"] = "Origin"
