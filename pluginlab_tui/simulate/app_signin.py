"""Signing in to an MCP server the way ChatGPT does, with the official SDK's OAuth client.

    auth = AppSignIn(user="alice").provider(url, http)   # the httpx2 auth of the client

`provider` is an `mcp.client.auth.OAuthClientProvider`: on the server's 401 it discovers the
protected-resource metadata (RFC 9728) and the authorization server's (RFC 8414), registers
(RFC 7591) as a public client (`none`: PKCE proves the rest) with ChatGPT's redirect URI, sends
the user to authorize with PKCE S256, `state` and `resource` (RFC 8707), checks `iss` (RFC 9207),
redeems the code and retries the request with the token. The browser is `Browser`: it follows
the authorization URL on the simulator's own client (so the proxy's replay grant goes with it),
answers the development sign-in page as simulate/signin.py does for plugins (or takes the
redirect auto_approve makes at once; another server's sign-in page stops the run), and reads
the code off the redirect to ChatGPT, which it never follows. Tokens and the registration stay
in memory (`Memory`) for one run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx2
from mcp.client.auth import OAuthClientProvider
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

from pluginlab_tui.simulate.client import SimulationError
from pluginlab_tui.simulate.signin import FORM, consent_form, redirected
from pluginlab_tui.wire import AUTHORIZE_ROUTE, REGISTER_ROUTE, REVOKE_ROUTE, TOKEN_ROUTE

#: Where ChatGPT has the authorization server send the user back (apps-facts.md 6.10): the
#: stable URI, for a server that supports RFC 9207 `iss`.
CHATGPT_REDIRECT = "https://chatgpt.com/connector_platform_oauth_redirect"
CLIENT_NAME = "ChatGPT"
#: What tells pluginlab's development sign-in page (access/oauth_endpoints.py) from another
#: server's: its Allow and Deny buttons. Only that page is answered.
CONSENT_MARK = 'name="decision"'


class Memory:
    """The SDK's TokenStorage for one run: the registration and the tokens, in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


@dataclass
class Browser:
    """The SDK's redirect and callback handlers: the user's browser at the authorization URL."""

    http: httpx2.AsyncClient
    user: str
    #: What the last authorization response brought back (code, state, iss).
    back: dict[str, str] = field(default_factory=dict)

    async def redirect(self, url: str) -> None:
        """Follow the authorization URL; sign in as `user` on a sign-in page; keep the answer."""
        params = dict(parse_qsl(urlsplit(url).query))
        answer = await self._send("GET", url)
        if answer.status_code == 200 and "text/html" in answer.headers.get("content-type", ""):
            if CONSENT_MARK not in answer.text:
                raise SimulationError(
                    "OAuth sign-in failed at authorize: the authorization server shows a sign-in"
                    " page the simulator cannot fill in (it answers pluginlab's development"
                    " page only): give an access token (--token)"
                )
            form = urlencode(consent_form(params, self.user)).encode("ascii")
            answer = await self._send("POST", url.split("?", 1)[0], form)
        try:
            self.back = redirected(answer.status_code, answer.headers.get("location"), params)
        except SimulationError as exc:
            raise SimulationError(f"OAuth sign-in failed at authorize: {exc}") from None

    async def callback(self) -> AuthorizationCodeResult:
        return AuthorizationCodeResult(
            code=self.back["code"], state=self.back.get("state"), iss=self.back.get("iss")
        )

    async def _send(self, method: str, url: str, form: bytes | None = None) -> httpx2.Response:
        # auth=None: the sign-in runs inside the OAuth provider's flow, which must not re-enter.
        headers = {"Content-Type": FORM} if form is not None else None
        return await self.http.request(method, url, content=form, headers=headers, auth=None)


@dataclass(frozen=True)
class AppSignIn:
    """Who the simulator signs in as (the sign-in page's user; auto_approve names its own)."""

    user: str = "simulated-user"
    redirect_uri: str = CHATGPT_REDIRECT
    storage: Memory = field(default_factory=Memory)

    def provider(self, url: str, http: httpx2.AsyncClient) -> OAuthClientProvider:
        """The SDK's OAuth client for the MCP server at `url`, signing in through `http`."""
        browser = Browser(http, self.user)
        metadata = OAuthClientMetadata(
            redirect_uris=[self.redirect_uri],  # type: ignore[list-item]
            client_name=CLIENT_NAME,
            token_endpoint_auth_method="none",
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
        )
        return OAuthClientProvider(url, metadata, self.storage, browser.redirect, browser.callback)


def endpoint_routes(provider: OAuthClientProvider | None) -> dict[str, str]:
    """The endpoints the authorization server's metadata names (URL without query), each as the
    proxy's route of the same job, so that wire.oauth_step names the steps of any server."""
    metadata = None if provider is None else provider.context.oauth_metadata
    if metadata is None:
        return {}
    named = {
        metadata.authorization_endpoint: AUTHORIZE_ROUTE,
        metadata.token_endpoint: TOKEN_ROUTE,
        metadata.registration_endpoint: REGISTER_ROUTE,
        metadata.revocation_endpoint: REVOKE_ROUTE,
    }
    return {str(url): route for url, route in named.items() if url is not None}
