"""With a real authorization server (`auth.oauth.issuer`): the authorization-server metadata
paths on the MCP host answer the issuer's own document, read from the issuer (ChatGPT has been
seen asking the MCP host for it instead of the issuer); 502 saying why when it cannot be read.
A stage only in that mode (addon.stages), so no other exchange pays for its await."""

from __future__ import annotations

from mitmproxy import http

from pluginlab_tui.access.issuer import IssuerError
from pluginlab_tui.proxy.answers import error_response, json_response
from pluginlab_tui.proxy.exchange import Exchange, request_stage
from pluginlab_tui.proxy.runtime import Runtime


class IssuerMetadata:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @request_stage
    async def request(self, flow: http.HTTPFlow, exchange: Exchange) -> None:
        resource, issuer = self.runtime.auth.resource, self.runtime.auth.issuer
        path = flow.request.path.split("?", 1)[0]
        if flow.request.method not in ("GET", "HEAD") or resource is None or issuer is None:
            return
        if not resource.elsewhere(path):
            return
        exchange.answered_by = "proxy"
        try:
            document = await issuer.metadata()
        except IssuerError as exc:
            flow.response = error_response(
                502,
                "authorization_server_unreadable",
                f"the metadata of the authorization server {resource.issuer} cannot be read: {exc}",
                issuer=resource.issuer,
            )
            return
        flow.response = json_response(200, document, {"Cache-Control": "max-age=60"})
