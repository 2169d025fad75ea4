"""Signing in the way ChatGPT does: the OAuth dance for oauth, configured credentials otherwise.

The OAuth dance: authorize, the development sign-in page (or its auto-approve), then the code
exchanged at the token URL for an access token.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from pluginlab_tui.simulate.client import Client, SimulationError, brief
from pluginlab_tui.wire import AUTHORIZE_ROUTE, TOKEN_ROUTE


@dataclass(frozen=True)
class AuthSetup:
    """What the simulator signs in with, from the config and flags."""

    mode: str = "none"
    authorization_type: str = "bearer"
    token: str | None = None
    header: str = "Authorization"
    client_id: str = "pluginlab-dev-client"
    client_secret: str | None = None
    #: The user to sign in as on the development sign-in page (when not auto-approved).
    user: str = "simulated-user"
    redirect_uri: str | None = None

    def header_value(self) -> str:
        assert self.token is not None
        if self.header.lower() != "authorization":
            return self.token
        return f"{self.authorization_type.capitalize()} {self.token}"


#: The development sign-in page's form (access/oauth_endpoints.py) is posted as this.
FORM = "application/x-www-form-urlencoded"
REDIRECTS = (302, 303, 307)


def consent_form(params: Mapping[str, str], user: str) -> dict[str, str]:
    """The answer to the development sign-in page (shown when auth.oauth.auto_approve is not
    set): the authorization request's own parameters, signed in as `user`, allowed."""
    return {**params, "user_name": user, "decision": "allow"}


def redirected(status: int, location: str | None, params: Mapping[str, str]) -> dict[str, str]:
    """The parameters an authorization response brought back to `params`' redirect_uri (with
    its state and a code); SimulationError saying what went wrong otherwise."""
    if status not in REDIRECTS or not location:
        raise SimulationError(f"authorize answered {status}, not a redirect")
    if not location.startswith(params["redirect_uri"]):
        raise SimulationError(f"redirected to {location!r}, not to the redirect_uri")
    back = dict(parse_qsl(urlsplit(location).query))
    if back.get("state") != params.get("state"):
        raise SimulationError("the state came back changed")
    if "code" not in back:
        raise SimulationError(f"no code: {back.get('error')}: {back.get('error_description', '')}")
    return back


def sign_in(
    client: Client,
    auth: AuthSetup,
    *,
    profile: str,
    manifest: dict[str, Any] | None,
    gpt_id: str,
) -> tuple[str, str] | None:
    """The header (name, value) that authorizes the calls; None when the mode is none.

    In the plugin profile the manifest's auth type decides the mode; in actions, the config.
    """
    manifest_auth = (manifest or {}).get("auth")
    mode = auth.mode
    if isinstance(manifest_auth, dict) and isinstance(manifest_auth.get("type"), str):
        mode = str(manifest_auth["type"]) if profile == "plugin" else mode
    if mode == "none":
        return None
    if mode == "oauth":
        flow = OAuthFlow(client, auth, profile=profile, manifest=manifest, gpt_id=gpt_id)
        token = flow.run(manifest_auth if isinstance(manifest_auth, dict) else {})
        return ("Authorization", f"Bearer {token}")
    if auth.token is None:
        raise SimulationError(
            f"auth mode {mode} needs credentials: --token or $PLUGINLAB_TOKEN"
            + (" (or auth.service_token)" if mode == "service_http" else "")
            + (" (or auth.api_key)" if mode == "api_key" else "")
        )
    return (auth.header, auth.header_value())


@dataclass(frozen=True)
class OAuthFlow:
    """ChatGPT as an OAuth client of the plugin: one authorization code, one access token."""

    client: Client
    auth: AuthSetup
    profile: str
    manifest: dict[str, Any] | None
    gpt_id: str

    def run(self, manifest_auth: dict[str, Any]) -> str:
        """The access token (SimulationError, naming the step, when the dance fails)."""
        auth = self.auth
        if self.profile == "plugin":
            client_url = manifest_auth.get("client_url")
            token_url = manifest_auth.get("authorization_url")
            content_type = manifest_auth.get("authorization_content_type", "application/json")
            scope = str(manifest_auth.get("scope") or "")
        else:
            client_url = token_url = None
            content_type, scope = "application/json", ""
        authorize = self._local(str(client_url or AUTHORIZE_ROUTE))
        token_endpoint = self._local(str(token_url or TOKEN_ROUTE))
        redirect_uri = auth.redirect_uri or self._default_redirect_uri()
        state = secrets.token_urlsafe(16)
        params = {
            "response_type": "code",
            "client_id": auth.client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
        }
        code = self._authorize(authorize, params)
        return self._exchange(token_endpoint, str(content_type), code, redirect_uri)

    def _local(self, url: str) -> str:
        return self.client.local(url, self.manifest)

    def _default_redirect_uri(self) -> str:
        if self.profile == "plugin":
            plugin_id = str(uuid.uuid4())
            return f"https://chat.openai.com/aip/plugin-{plugin_id}/oauth/callback"
        return f"https://chatgpt.com/aip/{self.gpt_id}/oauth/callback"

    def _authorize(self, authorize: str, params: dict[str, str]) -> str:
        """The code the authorize step redirects back with."""
        send = self.client.send
        call, answer = send("oauth:authorize", "GET", authorize + "?" + urlencode(params))
        if answer is not None and answer.status_code == 200:
            call, answer = send(
                "oauth:sign-in",
                "POST",
                authorize.split("?", 1)[0],
                headers={"Content-Type": FORM},
                content=urlencode(consent_form(params, self.auth.user)).encode("ascii"),
            )
        if answer is None:
            raise SimulationError(f"OAuth sign-in failed: {call.error}")
        try:
            back = redirected(answer.status_code, answer.headers.get("location"), params)
        except SimulationError as exc:
            call.error = call.error or str(exc)
            raise SimulationError(f"OAuth sign-in failed: {exc}: {brief(answer)}") from None
        return back["code"]

    def _exchange(
        self, token_endpoint: str, content_type: str, code: str, redirect_uri: str
    ) -> str:
        """The access token the token endpoint gives for the code."""
        auth = self.auth
        if auth.client_secret is None:
            raise SimulationError(
                "OAuth: the token endpoint needs the client secret: set auth.oauth.client_secret"
                " (or PLUGINLAB_AUTH__OAUTH__CLIENT_SECRET), or pass --client-secret"
            )
        body = {
            "grant_type": "authorization_code",
            "client_id": auth.client_id,
            "client_secret": auth.client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
        }
        if content_type.startswith(FORM):
            content = urlencode(body).encode("ascii")
            kind = FORM
        else:
            content = json.dumps(body).encode("utf-8")
            kind = "application/json"
        call, answer = self.client.send(
            "oauth:token", "POST", token_endpoint, headers={"Content-Type": kind}, content=content
        )
        if answer is None or answer.status_code != 200:
            call.error = call.error or f"the token endpoint answered {call.status}"
            raise SimulationError(f"OAuth code exchange failed: {call.error}: {brief(answer)}")
        try:
            tokens = answer.json()
            access = tokens["access_token"]
        except (ValueError, KeyError, TypeError):
            call.error = "the token answer has no access_token"
            raise SimulationError(f"OAuth code exchange failed: {call.error}") from None
        return str(access)
