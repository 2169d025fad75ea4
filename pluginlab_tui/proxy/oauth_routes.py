"""The proxy-owned auth routes: /_pluginlab/oauth/{authorize,token,revoke} and the JWKS.

Never gated except by the IP allow-list. Any other /_pluginlab/ path that no earlier stage
answered gets a 404 here, so the proxy's own namespace never reaches the backend.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from mitmproxy import http

from pluginlab_tui.access.credentials import header_values, one_value, parse_client_basic
from pluginlab_tui.access.oauth import AuthorizeRequest, OAuthError, OAuthProvider
from pluginlab_tui.access.params import FORM, MAX_BODY_BYTES, body_params, form_params
from pluginlab_tui.access.state import AuthState
from pluginlab_tui.access.users import list_users
from pluginlab_tui.proxy.answers import error_response, json_response
from pluginlab_tui.proxy.bodies import decoded
from pluginlab_tui.proxy.exchange import unanswered
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.wire import AUTHORIZE_ROUTE, JWKS_ROUTE, PROXY_PREFIX, REVOKE_ROUTE, TOKEN_ROUTE

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in (development)</title>
<style>body{{font-family:sans-serif;max-width:32em;margin:3em auto}}fieldset{{margin:1em 0}}
</style></head><body>
<h1>Sign in to {plugin}</h1>
<p>Development sign-in by pluginlab-tui. <b>{client}</b> asks for: <code>{scope}</code></p>
<form method="post" action="{action}">
{hidden}
<fieldset><legend>Sign in as</legend>
{choices}
<label>another name: <input name="user_name" autocomplete="off"></label>
</fieldset>
<button name="decision" value="allow" type="submit">Allow</button>
<button name="decision" value="deny" type="submit">Deny</button>
</form></body></html>
"""
_PASSED = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def proxy_path(path: str) -> str | None:
    """The proxy-owned route a request path names, else None.

    The path is the canonical one the first stage made (urlpath.normalise_target: decoded,
    dot segments and doubled slashes resolved, encoded separators refused), which is also the
    path the backend would get: so no spelling of /_pluginlab/... ever reaches the backend.
    """
    route = path.split("?", 1)[0]
    return route if (route + "/").startswith(PROXY_PREFIX) else None


def form_or_json(request: http.Request, limit: int) -> dict[str, str]:
    """A token/revoke body as parameters (params.body_params), its content codings undone up to
    the smaller of `limit` (proxy.max_inflated_bytes) and MAX_BODY_BYTES; OAuthError when it is
    not one."""
    if len(request.raw_content or b"") > MAX_BODY_BYTES:
        raise OAuthError("invalid_request", f"the body is over {MAX_BODY_BYTES} bytes")
    body = decoded(request, min(limit, MAX_BODY_BYTES + 1))
    if not body.complete:
        raise OAuthError("invalid_request", f"the decoded body is over {MAX_BODY_BYTES} bytes")
    return body_params(body.content, request.headers.get("content-type") or "")


def authorize_params(request: http.Request, limit: int) -> dict[str, str]:
    """The /authorize parameters: the query of a GET, the form body of a POST."""
    if request.method == "GET":
        return form_params(request.data.path.partition(b"?")[2])
    kind = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    return form_or_json(request, limit) if kind == FORM else {}


def redirect(uri: str, **params: str) -> http.Response:
    target = uri + ("&" if "?" in uri else "?") + urlencode(params)
    return http.Response.make(302, b"", {"Location": target, **NO_STORE})


def oauth_error(exc: OAuthError, basic: bool = False) -> http.Response:
    headers = dict(NO_STORE)
    if exc.status == 401 and basic:
        headers["WWW-Authenticate"] = 'Basic realm="pluginlab"'
    return json_response(
        exc.status, {"error": exc.error, "error_description": exc.description}, headers
    )


class OAuthRoutes:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @property
    def state(self) -> AuthState:
        return self.runtime.auth

    @property
    def provider(self) -> OAuthProvider:
        return self.state.oauth

    def request(self, flow: http.HTTPFlow) -> None:
        exchange = unanswered(flow)
        if exchange is None:
            return
        path = proxy_path(flow.request.path)
        if path is None:
            return
        exchange.answered_by = "proxy"  # should routing raise, the pipeline answers (fail closed)
        flow.response = self._route(path, flow.request)

    def _route(self, path: str, request: http.Request) -> http.Response:
        method = request.method
        if path == JWKS_ROUTE:
            if method not in ("GET", "HEAD"):
                return error_response(405, "method_not_allowed", "GET the JWKS")
            if self.state.signer is None:
                return error_response(404, "jwt_disabled", "auth.jwt.enabled is false")
            return json_response(200, self.state.signer.jwks(), {"Cache-Control": "max-age=300"})
        routes = {AUTHORIZE_ROUTE: ("GET", "POST"), TOKEN_ROUTE: ("POST",), REVOKE_ROUTE: ("POST",)}
        if path not in routes:
            return error_response(404, "not_found", f"the proxy has no route {path}")
        if self.runtime.config.auth.mode != "oauth":
            return error_response(
                404, "oauth_disabled", "the development OAuth provider runs when auth.mode is oauth"
            )
        if method not in routes[path]:
            return error_response(
                405, "method_not_allowed", f"{path} takes {' or '.join(routes[path])}"
            )
        if path == AUTHORIZE_ROUTE:
            return self._authorize(request)
        basic = "authorization" in request.headers
        try:
            if path == TOKEN_ROUTE:
                return self._token(request)
            return self._revoke(request)
        except OAuthError as exc:
            return oauth_error(exc, basic)

    # -- authorize --------------------------------------------------------------------------

    def _authorize(self, request: http.Request) -> http.Response:
        try:
            params = authorize_params(request, self.runtime.config.proxy.max_inflated_bytes)
            checked = self.provider.check_authorize(params)
        except OAuthError as exc:
            return json_response(
                400, {"error": exc.error, "error_description": exc.description}, NO_STORE
            )
        section = self.runtime.config.auth.oauth
        if request.method == "GET" and section.auto_approve is None:
            return self._page(checked)
        if request.method == "POST":
            if params.get("decision") != "allow":
                return redirect(checked.redirect_uri, error="access_denied", state=checked.state)
            user = (params.get("user_name") or "").strip() or (params.get("user") or "").strip()
        else:
            user = section.auto_approve or ""
        if not user:
            return self._page(checked, problem="choose a user or type a name")
        try:
            code = self.provider.issue_code(checked, user)
        except OAuthError as exc:
            return redirect(
                checked.redirect_uri,
                error=exc.error,
                error_description=exc.description,
                state=checked.state,
            )
        return redirect(checked.redirect_uri, code=code, state=checked.state)

    def _page(self, checked: AuthorizeRequest, problem: str | None = None) -> http.Response:
        values = {
            "response_type": checked.response_type,
            "client_id": checked.client_id,
            "redirect_uri": checked.redirect_uri,
            "scope": checked.scope,
            "state": checked.state,
            "code_challenge": checked.code_challenge or "",
            "code_challenge_method": checked.code_challenge_method or "",
        }
        hidden = "\n".join(
            f'<input type="hidden" name="{k}" value="{html.escape(values[k])}">' for k in _PASSED
        )
        users = [u for u in list_users(self.state.conn) if u.active]
        choices = "\n".join(
            f'<label><input type="radio" name="user" value="{html.escape(u.name)}"> '
            f"{html.escape(u.name)} ({html.escape(u.plan or 'no plan')})</label><br>"
            for u in users
        )
        if problem:
            choices = f"<p><b>{html.escape(problem)}</b></p>\n" + choices
        manifest = self.runtime.service.current.files.manifest
        plugin = manifest.get("name_for_human") if isinstance(manifest, dict) else None
        page = _PAGE.format(
            plugin=html.escape(str(plugin or "the plugin")),
            client=html.escape(checked.client_id),
            scope=html.escape(
                self.runtime.config.auth.oauth.scope if not checked.scope else checked.scope
            ),
            action=AUTHORIZE_ROUTE,
            hidden=hidden,
            choices=choices or "<p>No development users yet (pluginlab-tui users add NAME).</p>",
        )
        return http.Response.make(
            200, page.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8", **NO_STORE}
        )

    # -- token and revoke ---------------------------------------------------------------------

    def _client(self, request: http.Request, body: dict[str, str]) -> str:
        """The authenticated client id: Basic header (if sent) or client_id/client_secret."""
        header, problem = one_value(
            header_values(request.headers.fields, "authorization"), "Authorization"
        )
        if problem is not None:
            raise OAuthError("invalid_client", problem, 401)
        from_header = parse_client_basic(header) if header else None
        if header and from_header is None:
            raise OAuthError("invalid_client", "malformed Basic client credentials", 401)
        client_id: str | bytes | None
        secret: str | bytes | None
        client_id, secret = from_header or (body.get("client_id"), body.get("client_secret"))
        if not client_id or not secret:
            raise OAuthError("invalid_client", "client authentication is required", 401)
        if not self.provider.has_client_secret:
            raise OAuthError(
                "invalid_client",
                "no client secret is set up: run `pluginlab-tui users client`",
                401,
            )
        if not self.provider.client_ok(client_id, secret):
            raise OAuthError("invalid_client", "wrong client_id or client_secret", 401)
        return self.provider.section.client_id  # the same bytes, as configured

    def _token(self, request: http.Request) -> http.Response:
        body = form_or_json(request, self.runtime.config.proxy.max_inflated_bytes)
        client_id = self._client(request, body)
        grant = body.get("grant_type", "")
        if grant == "authorization_code":
            tokens = self.provider.exchange_code(
                client_id, body.get("code"), body.get("redirect_uri"), body.get("code_verifier")
            )
        elif grant == "refresh_token":
            tokens = self.provider.refresh(client_id, body.get("refresh_token"))
        else:
            raise OAuthError(
                "unsupported_grant_type", "grant_type must be authorization_code or refresh_token"
            )
        return json_response(200, tokens.as_json(), NO_STORE)

    def _revoke(self, request: http.Request) -> http.Response:
        body = form_or_json(request, self.runtime.config.proxy.max_inflated_bytes)
        self._client(request, body)
        token = body.get("token")
        if not token:
            raise OAuthError("invalid_request", "token is required")
        self.provider.revoke(token)
        return http.Response.make(200, b"", NO_STORE)
