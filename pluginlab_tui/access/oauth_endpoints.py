"""The proxy-owned auth endpoints on plain values: /_pluginlab/oauth/{authorize,token,revoke},
/_pluginlab/oauth/register (MCP mode) and the JWKS, answered as a Reply (status, headers, JSON
or bytes).

For an MCP endpoint every authorization response, success or error, carries `iss` (RFC 9207),
errors found once the redirect URI is known go back to it (RFC 6749 4.1.2.1), and public
clients redeem and revoke with their client_id alone (PKCE proves the rest).

proxy/oauth_routes.py reads the flow into a Call and turns the Reply into the flow's response.
Any other /_pluginlab/ route gets a 404 here, so the proxy's own namespace never reaches the
backend.
"""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from pluginlab_tui.access.credentials import (
    header_values,
    one_value,
    parse_client_basic,
    same_secret,
)
from pluginlab_tui.access.oauth import AuthorizeRequest, OAuthProvider
from pluginlab_tui.access.oauth_errors import OAuthError
from pluginlab_tui.access.params import FORM, form_params
from pluginlab_tui.access.state import AuthState
from pluginlab_tui.access.users import list_users
from pluginlab_tui.config import Config
from pluginlab_tui.wire import (
    AUTHORIZE_ROUTE,
    JWKS_ROUTE,
    REGISTER_ROUTE,
    REVOKE_ROUTE,
    TOKEN_ROUTE,
)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: The longest client_id an event keeps (a metadata document's URL, a registered id).
MAX_CLIENT_ID = 512
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
    "resource",
)


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer: a JSON body (`json`), else the bytes of `content`."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    content: bytes = b""
    #: The auth_result the exchange's event records, when the answer decides one.
    auth_result: str | None = None
    #: The OAuth client the request was for (asked for, or registered), its event's.
    client_id: str | None = None


def _no_body() -> bytes:
    return b""


@dataclass(frozen=True, slots=True)
class Call:
    """A request to a proxy-owned route, as the endpoints need it."""

    method: str
    route: str
    #: The raw query string (the parameters of a GET /authorize).
    query: bytes
    content_type: str
    #: The request's header fields as sent (raw bytes).
    fields: list[tuple[bytes, bytes]]
    #: The form or JSON body as parameters; raises OAuthError when it is not one.
    body: Callable[[], dict[str, str]]
    #: The plugin's name_for_human, for the sign-in page.
    plugin: str | None = None
    #: The decoded body's bytes (a registration's JSON); raises OAuthError when too big.
    raw_body: Callable[[], bytes] = _no_body


def error_reply(status: int, error: str, message: str) -> Reply:
    return Reply(status, json={"error": error, "message": message})


def redirect(uri: str, **params: str) -> Reply:
    target = uri + ("&" if "?" in uri else "?") + urlencode(params)
    return Reply(302, {"Location": target, **NO_STORE})


def oauth_error(exc: OAuthError, basic: bool = False) -> Reply:
    headers = dict(NO_STORE)
    if exc.status == 401 and basic:
        headers["WWW-Authenticate"] = 'Basic realm="pluginlab"'
    return Reply(
        exc.status,
        headers,
        json={"error": exc.error, "error_description": exc.description},
        auth_result=exc.result,
    )


def as_text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def json_object(raw: bytes) -> Any:
    """A registration body as JSON; OAuthError invalid_client_metadata when it is not JSON."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise OAuthError("invalid_client_metadata", "the body is not valid JSON") from None


class OAuthEndpoints:
    def __init__(self, config: Config, state: AuthState) -> None:
        self.config = config
        self.state = state

    @property
    def provider(self) -> OAuthProvider:
        return self.state.oauth

    @property
    def _external(self) -> bool:
        """A real authorization server serves the MCP endpoint: the routes are off."""
        resource = self.provider.resource
        return resource is not None and resource.external

    def answer(self, call: Call) -> Reply:
        """The reply for a proxy-owned route (404 for one the proxy does not have), with the
        OAuth client it was for when one is named."""
        reply = self._answer(call)
        client_id = self._client_of(call, reply)
        return reply if client_id is None else dataclasses.replace(reply, client_id=client_id)

    def _client_of(self, call: Call, reply: Reply) -> str | None:
        """The client a registration made, or the one an authorize, token or revoke request
        names (its Basic credentials, else its client_id), refused or not."""
        found: str | bytes | None = None
        try:
            if call.route == REGISTER_ROUTE and isinstance(reply.json, dict):
                found = reply.json.get("client_id") if reply.status == 201 else None
            elif call.route == AUTHORIZE_ROUTE:
                found = self._authorize_params(call).get("client_id")
            elif call.route in (TOKEN_ROUTE, REVOKE_ROUTE) and call.method == "POST":
                header, _ = one_value(header_values(call.fields, "authorization"), "Authorization")
                basic = parse_client_basic(header) if header else None
                found = basic[0] if basic else call.body().get("client_id")
        except OAuthError:
            return None
        text = as_text(found) if isinstance(found, str | bytes) else ""
        return text[:MAX_CLIENT_ID] or None

    def _answer(self, call: Call) -> Reply:
        method, path = call.method, call.route
        if path == JWKS_ROUTE:
            if method not in ("GET", "HEAD"):
                return error_reply(405, "method_not_allowed", "GET the JWKS")
            if self.state.signer is None:
                return error_reply(404, "jwt_disabled", "auth.jwt.enabled is false")
            return Reply(200, {"Cache-Control": "max-age=300"}, json=self.state.signer.jwks())
        routes = {
            AUTHORIZE_ROUTE: ("GET", "POST"),
            TOKEN_ROUTE: ("POST",),
            REVOKE_ROUTE: ("POST",),
            REGISTER_ROUTE: ("POST",),
        }
        if path not in routes:
            return error_reply(404, "not_found", f"the proxy has no route {path}")
        if self.config.auth.mode != "oauth":
            return error_reply(
                404, "oauth_disabled", "the development OAuth provider runs when auth.mode is oauth"
            )
        if self._external:
            return error_reply(
                404,
                "oauth_external",
                f"the authorization server is {self.config.auth.oauth.issuer} (auth.oauth.issuer):"
                " the proxy issues nothing",
            )
        if path == REGISTER_ROUTE and self.provider.resource is None:
            return error_reply(
                404, "registration_disabled", "clients register in MCP mode ([mcp] endpoint)"
            )
        if method not in routes[path]:
            return error_reply(
                405, "method_not_allowed", f"{path} takes {' or '.join(routes[path])}"
            )
        if path == AUTHORIZE_ROUTE:
            return self._authorize(call)
        basic = bool(header_values(call.fields, "authorization"))
        try:
            if path == TOKEN_ROUTE:
                return self._token(call)
            if path == REGISTER_ROUTE:
                answer = self.provider.registry.register(json_object(call.raw_body()))
                return Reply(201, NO_STORE, json=answer, auth_result="ok")
            return self._revoke(call)
        except OAuthError as exc:
            return oauth_error(exc, basic)

    async def prepare(self, call: Call) -> None:
        """What an answer needs from the network, fetched first: the metadata document of a
        client_id that is a URL (MCP mode)."""
        if call.route != AUTHORIZE_ROUTE or self.provider.resource is None or self._external:
            return
        try:
            client_id = self._authorize_params(call).get("client_id", "")
        except OAuthError:
            return
        await self.provider.documents.load(client_id)

    # -- authorize --------------------------------------------------------------------------

    @staticmethod
    def _authorize_params(call: Call) -> dict[str, str]:
        """The /authorize parameters: the query of a GET, the form body of a POST."""
        if call.method == "GET":
            return form_params(call.query)
        kind = call.content_type.split(";")[0].strip().lower()
        return call.body() if kind == FORM else {}

    def _respond(self, redirect_uri: str, result: str | None, **params: str) -> Reply:
        """An authorization response: to the client's redirect URI, with `iss` for MCP."""
        resource = self.provider.resource
        if resource is not None:
            params["iss"] = resource.issuer
        reply = redirect(redirect_uri, **params)
        return Reply(reply.status, reply.headers, auth_result=result)

    def _authorize(self, call: Call) -> Reply:
        try:
            params = self._authorize_params(call)
            redirect_uri, state = self.provider.authorize_target(params)[1], params.get("state")
        except OAuthError as exc:
            return Reply(
                400,
                NO_STORE,
                json={"error": exc.error, "error_description": exc.description},
                auth_result=exc.result,
            )
        try:
            checked = self.provider.check_authorize(params)
        except OAuthError as exc:
            if self.provider.resource is None or not state:
                return Reply(
                    400, NO_STORE, json={"error": exc.error, "error_description": exc.description}
                )
            return self._respond(
                redirect_uri,
                "invalid",
                error=exc.error,
                error_description=exc.description,
                state=state,
            )
        section = self.config.auth.oauth
        if call.method == "GET" and section.auto_approve is None:
            return self._page(checked, call.plugin)
        if call.method == "POST":
            if params.get("decision") != "allow":
                return self._respond(
                    checked.redirect_uri, None, error="access_denied", state=checked.state
                )
            user = (params.get("user_name") or "").strip() or (params.get("user") or "").strip()
        else:
            user = section.auto_approve or ""
        if not user:
            return self._page(checked, call.plugin, problem="choose a user or type a name")
        try:
            code = self.provider.issue_code(checked, user)
        except OAuthError as exc:
            return self._respond(
                checked.redirect_uri,
                "invalid",
                error=exc.error,
                error_description=exc.description,
                state=checked.state,
            )
        return self._respond(checked.redirect_uri, "ok", code=code, state=checked.state)

    def _page(
        self, checked: AuthorizeRequest, plugin: str | None, problem: str | None = None
    ) -> Reply:
        values = {
            "response_type": checked.response_type,
            "client_id": checked.client_id,
            "redirect_uri": checked.redirect_uri,
            "scope": checked.scope,
            "state": checked.state,
            "code_challenge": checked.code_challenge or "",
            "code_challenge_method": checked.code_challenge_method or "",
            "resource": checked.resource or "",
        }
        hidden = "\n".join(
            f'<input type="hidden" name="{k}" value="{html.escape(values[k])}">'
            for k in _PASSED
            if k != "resource" or values[k]
        )
        users = [u for u in list_users(self.state.conn) if u.active]
        choices = "\n".join(
            f'<label><input type="radio" name="user" value="{html.escape(u.name)}"> '
            f"{html.escape(u.name)} ({html.escape(u.plan or 'no plan')})</label><br>"
            for u in users
        )
        if problem:
            choices = f"<p><b>{html.escape(problem)}</b></p>\n" + choices
        page = _PAGE.format(
            plugin=html.escape(str(plugin or "the plugin")),
            client=html.escape(checked.client_id),
            scope=html.escape(self.config.auth.oauth.scope if not checked.scope else checked.scope),
            action=AUTHORIZE_ROUTE,
            hidden=hidden,
            choices=choices or "<p>No development users yet (pluginlab-tui users add NAME).</p>",
        )
        return Reply(
            200,
            {"Content-Type": "text/html; charset=utf-8", **NO_STORE},
            content=page.encode("utf-8"),
        )

    # -- token and revoke ---------------------------------------------------------------------

    def _client(self, call: Call, body: dict[str, str]) -> str:
        """The authenticated client id: Basic header (if sent) or client_id/client_secret; or,
        for an MCP endpoint's public client, its client_id alone."""
        header, problem = one_value(header_values(call.fields, "authorization"), "Authorization")
        if problem is not None:
            raise OAuthError("invalid_client", problem, 401)
        from_header = parse_client_basic(header) if header else None
        if header and from_header is None:
            raise OAuthError("invalid_client", "malformed Basic client credentials", 401)
        client_id: str | bytes | None
        secret: str | bytes | None
        client_id, secret = from_header or (body.get("client_id"), body.get("client_secret"))
        configured = bool(client_id) and same_secret(
            client_id or "", self.provider.section.client_id
        )
        if client_id and not configured and self.provider.resource is not None:
            return self._mcp_client(as_text(client_id), secret)
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

    def _mcp_client(self, client_id: str, secret: str | bytes | None) -> str:
        """A registered or metadata-document client: a public one sends no secret, a
        confidential one the secret it was given at registration."""
        provider = self.provider
        if secret is None and provider.public_client(client_id):
            return client_id
        registered = provider.registry.get(client_id)
        if secret is not None and registered is not None and registered.secret_ok(secret):
            return client_id
        if registered is None and not provider.public_client(client_id):
            raise OAuthError("invalid_client", f"unknown client_id {client_id!r}", 401)
        raise OAuthError("invalid_client", "wrong or missing client credentials", 401)

    def _token(self, call: Call) -> Reply:
        body = call.body()
        client_id = self._client(call, body)
        grant = body.get("grant_type", "")
        resource = body.get("resource")
        if grant == "authorization_code":
            tokens = self.provider.exchange_code(
                client_id,
                body.get("code"),
                body.get("redirect_uri"),
                body.get("code_verifier"),
                resource,
            )
        elif grant == "refresh_token":
            tokens = self.provider.refresh(client_id, body.get("refresh_token"), resource)
        else:
            raise OAuthError(
                "unsupported_grant_type", "grant_type must be authorization_code or refresh_token"
            )
        return Reply(200, NO_STORE, json=tokens.as_json(), auth_result="ok")

    def _revoke(self, call: Call) -> Reply:
        body = call.body()
        client_id = self._client(call, body)
        token = body.get("token")
        if not token:
            raise OAuthError("invalid_request", "token is required")
        self.provider.revoke(token, client_id)
        return Reply(200, NO_STORE)
