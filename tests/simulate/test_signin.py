"""Signing in: configured credentials, and the OAuth dance with its refusals."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from pluginlab_tui.simulate.client import Client, SimulationError
from pluginlab_tui.simulate.signin import AuthSetup, sign_in
from tests.simulate.fake_plugin import BASE, OAUTH, FakePlugin, manifest

SECRET = AuthSetup(mode="oauth", client_id="cid", client_secret="s3cret")


def _sign_in(
    plugin: FakePlugin,
    auth: AuthSetup,
    manifest_auth: dict[str, Any] | None,
    profile: str = "plugin",
) -> tuple[Client, tuple[str, str] | None]:
    client = Client(BASE, [], transport=plugin.transport)
    served = manifest(manifest_auth) if manifest_auth is not None else None
    found = sign_in(client, auth, profile=profile, manifest=served, gpt_id="g-test")
    return client, found


def test_no_auth_sends_nothing_and_asks_nothing() -> None:
    plugin = FakePlugin()
    _, found = _sign_in(plugin, AuthSetup(), {"type": "none"})
    assert found is None and plugin.requests == []


def test_configured_credentials_go_in_their_header() -> None:
    plugin = FakePlugin()
    bearer = AuthSetup(mode="service_http", token="t0k")
    assert _sign_in(plugin, bearer, None, "actions")[1] == ("Authorization", "Bearer t0k")
    key = AuthSetup(mode="api_key", token="k", header="X-Api-Key")
    assert _sign_in(plugin, key, None, "actions")[1] == ("X-Api-Key", "k")


def test_the_manifest_decides_the_mode_in_the_plugin_profile() -> None:
    plugin = FakePlugin()
    with pytest.raises(SimulationError, match=r"service_http needs credentials.*service_token"):
        _sign_in(plugin, AuthSetup(mode="none"), {"type": "service_http"})
    # In the actions profile the config does; there is no manifest to ask.
    assert _sign_in(plugin, AuthSetup(mode="none"), {"type": "service_http"}, "actions")[1] is None


def test_the_oauth_dance_ends_with_the_access_token() -> None:
    plugin = FakePlugin()
    client, found = _sign_in(plugin, SECRET, OAUTH)
    assert found == ("Authorization", "Bearer at-1")
    assert [c.step for c in client.calls] == ["oauth:authorize", "oauth:token"]
    authorize, token = plugin.requests
    query = dict(parse_qsl(authorize.url.query.decode("ascii")))
    assert str(authorize.url).startswith(BASE + "/oauth/authorize?")  # moved onto the proxy
    assert (query["client_id"], query["scope"], query["response_type"]) == ("cid", "notes", "code")
    assert query["redirect_uri"].startswith("https://chat.openai.com/aip/plugin-")
    assert json.loads(token.content)["redirect_uri"] == query["redirect_uri"]


def test_the_development_sign_in_page_is_filled_in_as_the_user() -> None:
    plugin = FakePlugin()
    forms: list[dict[str, str]] = []

    def page(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, text="<form>sign in</form>")
        form = dict(parse_qsl(request.content.decode("ascii")))
        forms.append(form)
        return FakePlugin.authorize(httpx.Request("GET", request.url.copy_merge_params(form)))

    plugin.routes[("GET", "/oauth/authorize")] = page
    plugin.routes[("POST", "/oauth/authorize")] = page
    auth = AuthSetup(mode="oauth", client_secret="s3cret", user="bob")
    client, found = _sign_in(plugin, auth, OAUTH)
    assert found == ("Authorization", "Bearer at-1")
    assert [c.step for c in client.calls] == ["oauth:authorize", "oauth:sign-in", "oauth:token"]
    assert forms[0]["user_name"] == "bob" and forms[0]["decision"] == "allow"


def _redirect(location: str) -> httpx.Response:
    return httpx.Response(302, headers={"Location": location})


def _echo_state(extra: str) -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        query = dict(parse_qsl(request.url.query.decode("ascii")))
        return _redirect(f"{query['redirect_uri']}?state={query['state']}&{extra}")

    return answer


@pytest.mark.parametrize(
    ("authorize", "message"),
    [
        (lambda _: httpx.Response(400, text="bad client"), "not a redirect: bad client"),
        (lambda _: _redirect("https://evil.example/cb?code=x"), "not to the redirect_uri"),
        (
            lambda r: _redirect(
                dict(parse_qsl(r.url.query.decode("ascii")))["redirect_uri"] + "?code=c&state=x"
            ),
            "the state came back changed",
        ),
        (_echo_state("error=access_denied"), "no code: access_denied"),
    ],
)
def test_an_authorize_step_that_goes_wrong_is_said(authorize: Any, message: str) -> None:
    plugin = FakePlugin()
    plugin.routes[("GET", "/oauth/authorize")] = authorize
    with pytest.raises(SimulationError, match=f"OAuth sign-in failed: .*{message}"):
        _sign_in(plugin, SECRET, OAUTH)
    assert [r.url.path for r in plugin.requests] == ["/oauth/authorize"]


def test_without_the_client_secret_the_code_is_not_exchanged() -> None:
    plugin = FakePlugin()
    with pytest.raises(SimulationError, match="needs the client secret"):
        _sign_in(plugin, AuthSetup(mode="oauth"), OAUTH)
    assert [r.url.path for r in plugin.requests] == ["/oauth/authorize"]


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (httpx.Response(401, json={"error": "invalid_client"}), "answered 401: .*invalid_client"),
        (httpx.Response(200, json={"token_type": "bearer"}), "has no access_token"),
        (httpx.Response(200, text="ok"), "has no access_token"),
    ],
)
def test_a_token_endpoint_that_gives_no_token_is_said(token: httpx.Response, message: str) -> None:
    plugin = FakePlugin()
    plugin.routes[("POST", "/oauth/token")] = lambda _: token
    with pytest.raises(SimulationError, match=f"OAuth code exchange failed: .*{message}"):
        _sign_in(plugin, SECRET, OAUTH)


def test_a_form_encoded_token_endpoint_gets_a_form() -> None:
    plugin = FakePlugin()
    seen: list[httpx.Request] = []

    def token(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"access_token": "at-2"})

    plugin.routes[("POST", "/oauth/token")] = token
    form_auth = {**OAUTH, "authorization_content_type": "application/x-www-form-urlencoded"}
    assert _sign_in(plugin, SECRET, form_auth)[1] == ("Authorization", "Bearer at-2")
    assert seen[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert dict(parse_qsl(seen[0].content.decode("ascii")))["code"] == "code-1"


def test_the_actions_profile_uses_the_proxy_routes_and_the_gpt_redirect() -> None:
    plugin = FakePlugin()
    plugin.routes[("GET", "/_pluginlab/oauth/authorize")] = FakePlugin.authorize
    plugin.routes[("POST", "/_pluginlab/oauth/token")] = FakePlugin.token
    client, found = _sign_in(plugin, SECRET, None, "actions")
    assert found == ("Authorization", "Bearer at-1")
    query = dict(parse_qsl(plugin.requests[0].url.query.decode("ascii")))
    assert query["redirect_uri"] == "https://chatgpt.com/aip/g-test/oauth/callback"
