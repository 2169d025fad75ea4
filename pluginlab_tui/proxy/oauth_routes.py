"""The stage of the proxy-owned auth routes: /_pluginlab/oauth/* and the JWKS.

Never gated except by the IP allow-list. It reads the flow into an access/oauth_endpoints.Call,
lets the endpoints fetch what they need first (a client's metadata document), and makes the
Reply the flow's response, its auth_result the event's; any other /_pluginlab/ path that no
earlier stage answered gets a 404 there, so the proxy's own namespace never reaches the backend.
"""

from __future__ import annotations

from mitmproxy import http

from pluginlab_tui.access.oauth_endpoints import Call, OAuthEndpoints, Reply
from pluginlab_tui.access.oauth_errors import OAuthError
from pluginlab_tui.access.params import MAX_BODY_BYTES, body_params
from pluginlab_tui.proxy.answers import json_response
from pluginlab_tui.proxy.bodies import decoded
from pluginlab_tui.proxy.exchange import Exchange, request_stage
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.wire import PROXY_PREFIX


def proxy_path(path: str) -> str | None:
    """The proxy-owned route a request path names, else None.

    The path is the canonical one the first stage made (urlpath.normalise_target: decoded,
    dot segments and doubled slashes resolved, encoded separators refused), which is also the
    path the backend would get: so no spelling of /_pluginlab/... ever reaches the backend.
    """
    route = path.split("?", 1)[0]
    return route if (route + "/").startswith(PROXY_PREFIX) else None


def body_bytes(request: http.Request, limit: int) -> bytes:
    """The body with its content codings undone, up to the smaller of `limit`
    (proxy.max_inflated_bytes) and MAX_BODY_BYTES; OAuthError when it is bigger."""
    if len(request.raw_content or b"") > MAX_BODY_BYTES:
        raise OAuthError("invalid_request", f"the body is over {MAX_BODY_BYTES} bytes")
    body = decoded(request, min(limit, MAX_BODY_BYTES + 1))
    if not body.complete:
        raise OAuthError("invalid_request", f"the decoded body is over {MAX_BODY_BYTES} bytes")
    return body.content


def form_or_json(request: http.Request, limit: int) -> dict[str, str]:
    """A token/revoke body as parameters (params.body_params); OAuthError when it is not one."""
    return body_params(body_bytes(request, limit), request.headers.get("content-type") or "")


def response_of(reply: Reply) -> http.Response:
    if reply.json is not None:
        return json_response(reply.status, reply.json, reply.headers)
    return http.Response.make(reply.status, reply.content, reply.headers)


class OAuthRoutes:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @request_stage
    async def request(self, flow: http.HTTPFlow, exchange: Exchange) -> None:
        path = proxy_path(flow.request.path)
        if path is None:
            return
        exchange.answered_by = "proxy"  # should routing raise, the pipeline answers (fail closed)
        request = flow.request
        limit = self.runtime.config.proxy.max_inflated_bytes
        current = self.runtime.service.current
        manifest = None if current is None else current.files.manifest
        plugin = manifest.get("name_for_human") if isinstance(manifest, dict) else None
        call = Call(
            method=request.method,
            route=path,
            query=request.data.path.partition(b"?")[2],
            content_type=request.headers.get("content-type") or "",
            fields=list(request.headers.fields),
            body=lambda: form_or_json(request, limit),
            plugin=None if plugin is None else str(plugin),
            raw_body=lambda: body_bytes(request, limit),
        )
        endpoints = OAuthEndpoints(self.runtime.config, self.runtime.auth)
        await endpoints.prepare(call)
        reply = endpoints.answer(call)
        if reply.auth_result is not None:
            exchange.auth_mode = self.runtime.config.auth.mode
            exchange.auth_result = reply.auth_result
        exchange.oauth_client_id = reply.client_id
        flow.response = response_of(reply)
