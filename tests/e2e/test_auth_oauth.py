"""A client that behaves like ChatGPT does the whole OAuth dance against the dev provider."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from pluginlab_tui.examples import Backend
from tests.access.helpers import (
    add_user,
    assert_no_secrets,
    by_id,
    cli,
    events_when,
    todo_count,
    unique,
)
from tests.conftest import ProxyFactory
from tests.harness import ProxyProcess

CALLBACK = "https://chat.openai.com/aip/plugin-88ae40-1c2d-c19db05b7638/oauth/callback"
GPT_CALLBACK = "https://chatgpt.com/aip/g-0123456789abcdef/oauth/callback"
SECRET = "dev-" + "s" * 30


class Form(HTMLParser):
    """The consent page's form fields."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.users: list[str] = []
        self.action = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = found.get("action", "")
        if tag == "input" and found.get("type") == "hidden":
            self.fields[found["name"]] = found.get("value", "")
        if tag == "input" and found.get("type") == "radio":
            self.users.append(found["value"])


def sign_in(
    client: httpx.Client, client_url: str, user: str, redirect: str = CALLBACK, **extra: str
) -> tuple[str, str]:
    """Send the browser to client_url, pick the user, allow; returns (code, state)."""
    state = unique("state")
    query = {
        "response_type": "code",
        "client_id": "pluginlab-dev-client",
        "redirect_uri": redirect,
        "scope": "todos",
        "state": state,
        **extra,
    }
    page = client.get(urlsplit(client_url).path, params=query)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    form = Form()
    form.feed(page.text)
    assert user in form.users
    approved = client.post(form.action, data={**form.fields, "user": user, "decision": "allow"})
    assert approved.status_code == 302
    location = approved.headers["Location"]
    assert location.startswith(redirect + "?")
    params = parse_qs(urlsplit(location).query)
    assert params["state"] == [state]
    return params["code"][0], state


def token_call(
    client: httpx.Client,
    token_url: str,
    fields: dict[str, str],
    *,
    form: bool,
    basic: bool,
    secret: str = SECRET,
) -> httpx.Response:
    path = urlsplit(token_url).path
    headers: dict[str, str] = {}
    fields = dict(fields)
    if basic:
        raw = f"pluginlab-dev-client:{secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
    else:
        fields |= {"client_id": "pluginlab-dev-client", "client_secret": secret}
    if form:
        return client.post(
            path,
            content=urlencode(fields),
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        )
    return client.post(path, json=fields, headers=headers)


def oauth_proxy(start_proxy: ProxyFactory, **oauth: object) -> ProxyProcess:
    return start_proxy(
        auth={"mode": "oauth", "verification_token": "vtok"},
        auth__oauth={"client_secret": SECRET, **oauth},
    )


def test_the_whole_dance_in_both_content_types_and_client_auth_styles(
    start_proxy: ProxyFactory, todo_backend: Backend
) -> None:
    proxy = oauth_proxy(start_proxy)
    alice_key = add_user(proxy, "alice", plan="pro")
    used: list[str] = [SECRET, alice_key]
    who = unique()
    with proxy.client() as client:
        manifest = client.get("/.well-known/ai-plugin.json").json()
        auth = manifest["auth"]
        public = proxy.url.replace("127.0.0.1", "localhost")
        assert auth == {
            "type": "oauth",
            "client_url": public + "/_pluginlab/oauth/authorize",
            "scope": "todos",
            "authorization_url": public + "/_pluginlab/oauth/token",
            "authorization_content_type": "application/json",
            "verification_tokens": {"openai": "vtok"},
        }
        ids: list[str] = []
        for form in (False, True):
            for basic in (False, True):
                code, _ = sign_in(client, auth["client_url"], "alice")
                fields = {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": CALLBACK,
                }
                answer = token_call(
                    client, auth["authorization_url"], fields, form=form, basic=basic
                )
                assert answer.status_code == 200, answer.text
                tokens = answer.json()
                assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 3600
                assert answer.headers["Cache-Control"] == "no-store"
                used += [code, tokens["access_token"], tokens["refresh_token"]]
                call = client.post(
                    f"/todos/{who}",
                    json={"title": "signed in"},
                    headers={"Authorization": f"Bearer {tokens['access_token']}"},
                )
                assert call.status_code == 201
                ids.append(call.headers["X-PluginLab-Event-Id"])
                # the code is single-use
                again = token_call(
                    client, auth["authorization_url"], fields, form=form, basic=basic
                )
                assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
                # and its reuse revoked what it gave
                revoked = client.get(
                    f"/todos/{who}", headers={"Authorization": f"Bearer {tokens['access_token']}"}
                )
                assert revoked.status_code == 401 and revoked.json()["error"] == "revoked"

        # refresh rotates the refresh token
        code, _ = sign_in(client, auth["client_url"], "alice", redirect=GPT_CALLBACK)
        first = token_call(
            client,
            auth["authorization_url"],
            {"grant_type": "authorization_code", "code": code, "redirect_uri": GPT_CALLBACK},
            form=True,
            basic=True,
        ).json()
        refreshed = token_call(
            client,
            auth["authorization_url"],
            {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
            form=True,
            basic=False,
        )
        assert refreshed.status_code == 200
        second = refreshed.json()
        used += [code, first["access_token"], first["refresh_token"]]
        used += [second["access_token"], second["refresh_token"]]
        assert second["refresh_token"] != first["refresh_token"]
        ok = client.get(
            f"/todos/{who}", headers={"Authorization": f"Bearer {second['access_token']}"}
        )
        assert ok.status_code == 200
        ids.append(ok.headers["X-PluginLab-Event-Id"])
        stale = token_call(
            client,
            auth["authorization_url"],
            {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
            form=False,
            basic=False,
        )
        assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"

        # revocation
        code, _ = sign_in(client, auth["client_url"], "alice")
        tokens = token_call(
            client,
            auth["authorization_url"],
            {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
            form=False,
            basic=False,
        ).json()
        used += [code, tokens["access_token"], tokens["refresh_token"]]
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert client.get(f"/todos/{who}", headers=bearer).status_code == 200
        gone = client.post(
            "/_pluginlab/oauth/revoke",
            data={
                "token": tokens["access_token"],
                "client_id": "pluginlab-dev-client",
                "client_secret": SECRET,
            },
        )
        assert gone.status_code == 200
        after = client.get(f"/todos/{who}", headers=bearer)
        assert after.status_code == 401 and after.json()["error"] == "revoked"
        assert 'error="invalid_token"' in after.headers["WWW-Authenticate"]
        # a revoked user's tokens fail at once
        code, _ = sign_in(client, auth["client_url"], "alice")
        tokens = token_call(
            client,
            auth["authorization_url"],
            {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
            form=True,
            basic=True,
        ).json()
        used += [code, tokens["access_token"], tokens["refresh_token"]]
        assert cli("users", "revoke", "alice", "--config", str(proxy.config))[0] == 0
        late = client.get(
            f"/todos/{who}", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert late.status_code == 401 and late.json()["error"] == "revoked"
    assert todo_count(todo_backend, who) == 4
    events = by_id(events_when(proxy, 30))
    for event_id in ids:
        event = events[event_id]
        assert (event.auth_mode, event.auth_result, event.user_id, event.plan) == (
            "oauth",
            "ok",
            "alice",
            "pro",
        )
        assert event.oauth_client_id == "pluginlab-dev-client"  # the token's client
    assert_no_secrets(proxy, used)


def test_refusals(start_proxy: ProxyFactory, todo_backend: Backend) -> None:
    proxy = oauth_proxy(start_proxy)
    add_user(proxy, "bob")
    authorize = "/_pluginlab/oauth/authorize"
    base = {
        "response_type": "code",
        "client_id": "pluginlab-dev-client",
        "redirect_uri": CALLBACK,
        "scope": "todos",
        "state": "s1",
    }
    with proxy.client() as client:
        wrong_redirect = client.get(
            authorize, params={**base, "redirect_uri": "https://evil.example/cb"}
        )
        assert wrong_redirect.status_code == 400 and "Location" not in wrong_redirect.headers
        assert "not allowed" in wrong_redirect.json()["error_description"]
        no_state = client.get(authorize, params={k: v for k, v in base.items() if k != "state"})
        assert (
            no_state.status_code == 400
            and no_state.json()["error_description"] == "state is required"
        )
        wrong_client = client.get(authorize, params={**base, "client_id": "other"})
        assert wrong_client.status_code == 400
        denied = client.post(authorize, data={**base, "user": "bob", "decision": "deny"})
        assert denied.status_code == 302 and "error=access_denied" in denied.headers["Location"]
        assert "state=s1" in denied.headers["Location"]

        code, _ = sign_in(client, "/_pluginlab/oauth/authorize", "bob")
        fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
        bad_secret = token_call(
            client, "/_pluginlab/oauth/token", fields, form=False, basic=True, secret="nope"
        )
        assert bad_secret.status_code == 401 and bad_secret.json()["error"] == "invalid_client"
        assert bad_secret.headers["WWW-Authenticate"] == 'Basic realm="pluginlab"'
        bad_body = token_call(
            client, "/_pluginlab/oauth/token", fields, form=True, basic=False, secret="nope"
        )
        assert bad_body.status_code == 401 and bad_body.json()["error"] == "invalid_client"
        wrong_uri = token_call(
            client,
            "/_pluginlab/oauth/token",
            {**fields, "redirect_uri": GPT_CALLBACK},
            form=False,
            basic=False,
        )
        assert (
            wrong_uri.status_code == 400 and "redirect_uri" in wrong_uri.json()["error_description"]
        )
        grant = token_call(
            client, "/_pluginlab/oauth/token", {"grant_type": "password"}, form=True, basic=True
        )
        assert grant.json()["error"] == "unsupported_grant_type"
        assert client.get("/_pluginlab/oauth/token").status_code == 405
        malformed = client.get("/todos/x", headers={"Authorization": "Bearer"})
        assert malformed.status_code == 401 and malformed.json()["error"] == "invalid"
        unknown = client.get("/todos/x", headers={"Authorization": "Bearer pla_unknown"})
        assert unknown.status_code == 401 and unknown.json()["error"] == "invalid"
        none = client.get("/todos/x")
        assert none.status_code == 401 and none.json()["error"] == "missing"
        assert none.headers["WWW-Authenticate"] == 'Bearer realm="pluginlab"'
    events_when(proxy, 14)
    assert_no_secrets(proxy, [SECRET, code])


def test_expired_tokens_auto_approve_pkce_and_a_generated_client_secret(
    start_proxy: ProxyFactory, todo_backend: Backend
) -> None:
    proxy = start_proxy(
        auth={"mode": "oauth", "default_plan": "free"},
        auth__oauth={"auto_approve": "carol", "token_ttl_s": 1, "code_ttl_s": 1},
        plans__free={"rate_per_minute": 600},
    )
    code_, out, _ = cli("users", "client", "--config", str(proxy.config))
    assert code_ == 0
    secret = re.search(r"client_secret: (\S+)", out)
    assert secret is not None
    client_secret = secret.group(1)
    assert "shown once" in cli("users", "client", "--config", str(proxy.config))[1]
    verifier = unique("verifier") * 4
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    who = unique()
    with proxy.client() as client:
        approved = client.get(
            "/_pluginlab/oauth/authorize",
            params={
                "response_type": "code",
                "client_id": "pluginlab-dev-client",
                "redirect_uri": CALLBACK,
                "scope": "",
                "state": "abc",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
        assert approved.status_code == 302
        code = parse_qs(urlsplit(approved.headers["Location"]).query)["code"][0]
        fields = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        }
        answer = token_call(
            client, "/_pluginlab/oauth/token", fields, form=True, basic=True, secret=client_secret
        )
        assert answer.status_code == 200, answer.text
        tokens = answer.json()
        assert tokens["scope"] == "todos"
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        ok = client.post(f"/todos/{who}", json={"title": "x"}, headers=bearer)
        assert ok.status_code == 201
        time.sleep(1.3)
        expired = client.post(f"/todos/{who}", json={"title": "x"}, headers=bearer)
        assert expired.status_code == 401 and expired.json()["error"] == "expired"
        assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
        # an expired code is refused too
        late = client.get(
            "/_pluginlab/oauth/authorize",
            params={
                "response_type": "code",
                "client_id": "pluginlab-dev-client",
                "redirect_uri": CALLBACK,
                "state": "x",
            },
        )
        late_code = parse_qs(urlsplit(late.headers["Location"]).query)["code"][0]
        time.sleep(1.3)
        refused = token_call(
            client,
            "/_pluginlab/oauth/token",
            {"grant_type": "authorization_code", "code": late_code, "redirect_uri": CALLBACK},
            form=False,
            basic=False,
            secret=client_secret,
        )
        assert refused.status_code == 400 and "expired" in refused.json()["error_description"]
    assert todo_count(todo_backend, who) == 1
    events = by_id(events_when(proxy, 6))
    ok_event = events[ok.headers["X-PluginLab-Event-Id"]]
    assert (ok_event.user_id, ok_event.plan, ok_event.auth_result) == ("carol", "free", "ok")
    assert events[expired.headers["X-PluginLab-Event-Id"]].auth_result == "expired"
    authorize_event = events[approved.headers["X-PluginLab-Event-Id"]]
    location = dict(authorize_event.response_headers)["Location"]
    assert "code=[redacted]" in location and "state=abc" in location
    assert_no_secrets(
        proxy,
        [client_secret, code, late_code, verifier, tokens["access_token"], tokens["refresh_token"]],
    )
