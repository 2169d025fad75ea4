"""Routes the proxy answers itself: the manifest, the spec, health, the logo, and (auth.mode
oauth in MCP mode) the OAuth discovery documents of access/resource.py."""

from __future__ import annotations

from mitmproxy import http

from pluginlab_tui.access.grant import is_loopback
from pluginlab_tui.contract.service import Served
from pluginlab_tui.proxy.answers import error_response, file_response, json_response
from pluginlab_tui.proxy.exchange import Exchange, request_stage
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.wire import HEALTH_ROUTE, LOGO_ROUTE, MANIFEST_ROUTE


class Routes:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @request_stage
    def request(self, flow: http.HTTPFlow, exchange: Exchange) -> None:
        if flow.request.method not in ("GET", "HEAD"):
            return
        served = exchange.served
        path = flow.request.path.split("?", 1)[0]
        response: http.Response | None = None
        if path == MANIFEST_ROUTE:
            response = self._manifest(served)
        elif path in ("/openapi.yaml", "/openapi.json") or (
            served is not None and path == served.spec_route
        ):
            response = self._spec(served, path)
        elif path == HEALTH_ROUTE:
            response = json_response(200, self.health(flow))
        elif path == LOGO_ROUTE:
            response = self._logo()
        elif (resource := self.runtime.auth.resource) is not None:
            document = resource.document(path)
            if document is not None:
                response = json_response(200, document, {"Cache-Control": "max-age=60"})
        if response is not None:
            exchange.answered_by = "proxy"
            flow.response = response

    def _manifest(self, served: Served | None) -> http.Response:
        public = self.runtime.config.proxy.public_url
        if served is None:
            mcp = self.runtime.config.mcp
            endpoint = mcp.endpoint or mcp.sse_endpoint or ""
            return error_response(
                404,
                "no_manifest",
                "an MCP server has no manifest: add it in ChatGPT as a connector at its MCP URL",
                mcp=public + endpoint,
            )
        if served.manifest_json is None:
            return error_response(
                404,
                "no_manifest",
                "GPT Actions have no manifest: import the spec in the GPT editor instead",
                spec=public + served.spec_route,
            )
        return file_response(served.manifest_json, "application/json")

    @staticmethod
    def _spec(served: Served | None, path: str) -> http.Response:
        if served is None:
            return error_response(404, "no_spec", "no OpenAPI spec is served (MCP mode)")
        if path.endswith(".json"):
            return file_response(served.spec_json, "application/json")
        return file_response(served.spec_yaml, "application/yaml")

    def health(self, flow: http.HTTPFlow) -> dict[str, object]:
        """The proxy's state; a loopback caller also learns where its store is (for replay)."""
        current = self.runtime.service.current
        found: dict[str, object] = {
            "status": "ok",
            "version": None if current is None else current.number,
            "engine": self.runtime.engine,
        }
        found.update(self.runtime.writer.health())
        found["inflight_bytes"] = self.runtime.bodies.held
        if self.runtime.engine == "aiohttp":
            found["connections"] = self.runtime.connections
        if self.runtime.config.mcp.enabled:
            found["mcp"] = self.runtime.mcp_tables()
        peer = flow.client_conn.peername
        if peer and is_loopback(str(peer[0])):
            found["store"] = str(self.runtime.config.store_path)
        return found

    def _logo(self) -> http.Response:
        logo = self.runtime.config.plugin.logo
        if logo is None:
            return error_response(404, "no_logo", "no plugin.logo is configured")
        try:
            content = self.runtime.config.path(logo).read_bytes()
        except OSError as exc:
            return error_response(404, "no_logo", f"cannot read the logo: {exc.strerror}")
        kind = "image/png" if content.startswith(b"\x89PNG") else "application/octet-stream"
        return file_response(content, kind)
