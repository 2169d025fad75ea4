"""Routes the proxy answers itself: the manifest, the spec, health and the logo."""

from __future__ import annotations

from mitmproxy import http

from pluginlab_tui.access.grant import is_loopback
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
            if served.manifest_json is None:
                response = error_response(
                    404,
                    "no_manifest",
                    "GPT Actions have no manifest: import the spec in the GPT editor instead",
                    spec=self.runtime.config.proxy.public_url + served.spec_route,
                )
            else:
                response = file_response(served.manifest_json, "application/json")
        elif path in (served.spec_route, "/openapi.yaml", "/openapi.json"):
            response = (
                file_response(served.spec_json, "application/json")
                if path.endswith(".json")
                else file_response(served.spec_yaml, "application/yaml")
            )
        elif path == HEALTH_ROUTE:
            response = json_response(200, self.health(flow))
        elif path == LOGO_ROUTE:
            response = self._logo()
        if response is not None:
            exchange.answered_by = "proxy"
            flow.response = response

    def health(self, flow: http.HTTPFlow) -> dict[str, object]:
        """The proxy's state; a loopback caller also learns where its store is (for replay)."""
        found: dict[str, object] = {"status": "ok", "version": self.runtime.service.current.number}
        found.update(self.runtime.writer.health())
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
