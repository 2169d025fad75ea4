"""OAuth for an MCP endpoint end to end: `serve` in MCP mode with auth.mode oauth in front of the
example app, and the official SDK's OAuth client (mcp.client.auth.OAuthClientProvider) doing
discovery, registration, PKCE, the token and the calls without help from our code."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider, PKCEParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthMetadata,
    OAuthToken,
    ProtectedResourceMetadata,
)

from pluginlab_tui.examples import Backend, free_port
from pluginlab_tui.store.event import Event
from tests.access.helpers import (
    DocumentServer,
    add_user,
    assert_no_secrets,
    echo_backend,
    loopback_tls,
)
from tests.conftest import stored_events
from tests.harness import ProxyProcess, wait_for, write_config

CALLBACK = "http://127.0.0.1:9/callback"  # never called: the test reads the redirect itself
CONNECTOR = "https://chatgpt.com/connector_platform_oauth_redirect"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "e2e", "version": "1"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream"}


class Storage:
    """The SDK's TokenStorage, in memory."""

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


class Browser:
    """The SDK's redirect and callback handlers: follows the authorization URL (auto-approved)
    and hands back what the proxy redirected to."""

    def __init__(self) -> None:
        self.query: dict[str, str] = {}
        self.urls: list[str] = []

    async def redirect(self, url: str) -> None:
        self.urls.append(url)
        async with httpx.AsyncClient(trust_env=False) as http:
            answer = await http.get(url)
        assert answer.status_code == 302, answer.text
        location = answer.headers["Location"]
        assert location.startswith(CALLBACK + "?")
        self.query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    async def callback(self) -> AuthorizationCodeResult:
        return AuthorizationCodeResult(
            code=self.query["code"], state=self.query.get("state"), iss=self.query.get("iss")
        )


def mcp_proxy(
    folder: Path,
    backend: str,
    db: Path,
    host: str = "127.0.0.1",
    extra: dict[str, dict[str, Any]] | None = None,
    env: dict[str, str] | None = None,
) -> ProxyProcess:
    """serve (not started yet) for the MCP endpoint /mcp with auth.mode oauth, public_url on
    `host`, with the `extra` sections' keys added (and `env` added to its environment)."""
    folder.mkdir(exist_ok=True)
    port = free_port()
    sections: dict[str, dict[str, Any]] = {
        "mcp": {"endpoint": "/mcp"},
        "proxy": {
            "listen": f"127.0.0.1:{port}",
            "public_url": f"http://{host}:{port}",
            "backend": backend,
        },
        "auth": {"mode": "oauth"},
        "auth.oauth": {"auto_approve": "alice", "scope": "cards"},
        "store": {"path": str(db), "flush_ms": 20},
    }
    for name, values in (extra or {}).items():
        sections[name] = {**sections.get(name, {}), **values}
    return ProxyProcess(
        write_config(folder, sections), env=None if env is None else {**os.environ, **env}
    )


@pytest.fixture
def proxy(tmp_path: Path, app_backend: Backend) -> Iterator[ProxyProcess]:
    started = mcp_proxy(tmp_path / "p", app_backend.url, tmp_path / "events.db").start()
    add_user(started, "alice", plan="pro")
    yield started
    started.stop()


async def _sdk_session(url: str, storage: Storage, method: str | None) -> dict[str, Any]:
    browser = Browser()
    provider = OAuthClientProvider(
        url,
        OAuthClientMetadata(
            redirect_uris=[CALLBACK],  # type: ignore[list-item]
            client_name="pluginlab e2e",
            token_endpoint_auth_method=method,  # type: ignore[arg-type]
        ),
        storage,
        browser.redirect,
        browser.callback,
    )
    async with (
        httpx2.AsyncClient(auth=provider) as http,
        Client(streamable_http_client(url, http_client=http), cache=None) as client,
    ):
        names = [t.name for t in (await client.list_tools()).tools]
        added = await client.call_tool("add_card", {"title": "signed in"})
    return {"names": names, "added": added, "browser": browser}


def sdk_session(url: str, storage: Storage, method: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = anyio.run(_sdk_session, url, storage, method)
    return found


def events_of(db: Path, count: int) -> list[Event]:
    found = wait_for(lambda: (e := stored_events(db)) and len(e) >= count and e)
    assert found, f"fewer than {count} events were stored"
    return list(found)


def test_the_sdk_s_oauth_client_signs_in_and_calls_tools_through_the_proxy(
    proxy: ProxyProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifiers: list[str] = []
    make = PKCEParameters.generate.__func__  # type: ignore[attr-defined]

    def recording(cls: type[PKCEParameters]) -> PKCEParameters:
        made: PKCEParameters = make(cls)
        verifiers.append(made.code_verifier)
        return made

    monkeypatch.setattr(PKCEParameters, "generate", classmethod(recording))
    storage = Storage()
    result = sdk_session(proxy.url + "/mcp", storage, "client_secret_post")
    assert "add_card" in result["names"]
    assert not result["added"].is_error
    assert result["added"].structured_content["title"] == "signed in"
    browser: Browser = result["browser"]
    (authorize_url,) = browser.urls
    asked = parse_qs(urlsplit(authorize_url).query)
    assert asked["code_challenge_method"] == ["S256"]
    assert asked["resource"] == [proxy.url + "/mcp"] and asked["scope"] == ["cards"]
    assert browser.query["iss"] == proxy.url
    assert storage.client is not None and storage.client.client_secret is not None
    assert storage.tokens is not None and storage.tokens.refresh_token is not None

    events = events_of(proxy.db, 9)
    paths = [(e.method, e.path.split("?")[0], e.status) for e in events]
    assert paths[:6] == [
        ("POST", "/mcp", 401),
        ("GET", "/.well-known/oauth-protected-resource/mcp", 200),
        ("GET", "/.well-known/oauth-authorization-server", 200),
        ("POST", "/_pluginlab/oauth/register", 201),
        ("GET", "/_pluginlab/oauth/authorize", 302),
        ("POST", "/_pluginlab/oauth/token", 200),
    ]
    assert [e.auth_result for e in events[:6]] == ["missing", None, None, "ok", "ok", "ok"]
    calls = [e for e in events[6:] if e.path == "/mcp"]
    assert calls and all(e.status == 200 for e in calls)
    assert all((e.auth_result, e.user_id, e.plan) == ("ok", "alice", "pro") for e in calls)
    assert_no_secrets(
        proxy,
        [
            storage.client.client_secret,
            storage.tokens.access_token,
            storage.tokens.refresh_token,
            browser.query["code"],
            *verifiers,
        ],
    )


def test_the_discovery_documents_and_the_401_are_what_clients_expect(
    proxy: ProxyProcess,
) -> None:
    with proxy.client() as client:
        refused = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        bad = client.post("/mcp", json={}, headers={"Authorization": "Bearer pla_" + "x" * 43})
        prm = client.get("/.well-known/oauth-protected-resource/mcp")
        root = client.get("/.well-known/oauth-protected-resource")
        asm = client.get("/.well-known/oauth-authorization-server")
        suffixed = client.get("/.well-known/oauth-authorization-server/mcp")
        oidc = client.get("/.well-known/openid-configuration")
    metadata = proxy.url + "/.well-known/oauth-protected-resource/mcp"
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == (
        f'Bearer resource_metadata="{metadata}", scope="cards"'
    )
    assert refused.json()["resource_metadata"] == metadata
    assert bad.status_code == 401
    assert 'error="invalid_token"' in bad.headers["WWW-Authenticate"]
    resource = ProtectedResourceMetadata.model_validate_json(prm.content)
    assert root.json() == prm.json()
    assert str(resource.resource) == proxy.url + "/mcp"
    assert [str(u) for u in resource.authorization_servers] == [proxy.url]
    assert resource.bearer_methods_supported == ["header"]
    server = OAuthMetadata.model_validate_json(asm.content)
    assert suffixed.json() == oidc.json() == asm.json()
    assert str(server.issuer) == proxy.url
    assert str(server.registration_endpoint) == proxy.url + "/_pluginlab/oauth/register"
    assert server.code_challenge_methods_supported == ["S256"]
    assert server.authorization_response_iss_parameter_supported is True
    assert server.client_id_metadata_document_supported is True
    assert "none" in (server.token_endpoint_auth_methods_supported or [])


VERIFIER = "e2e-" + "v" * 60


def signed_code(client: httpx.Client, base: str, scope: str | None = None) -> dict[str, str]:
    """Register a public client and sign in with PKCE (auto-approved, asking for `scope` when
    given): its client id and the authorization code."""
    registered = client.post(
        "/_pluginlab/oauth/register",
        json={"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"},
    ).json()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=")
    query = {
        "response_type": "code",
        "client_id": registered["client_id"],
        "redirect_uri": CALLBACK,
        "state": "st",
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
        "resource": base + "/mcp",
        **({} if scope is None else {"scope": scope}),
    }
    location = client.get("/_pluginlab/oauth/authorize?" + urlencode(query)).headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    return {"client_id": registered["client_id"], "code": code}


def redeem(
    client: httpx.Client, base: str, signed: dict[str, str], verifier: str = VERIFIER
) -> httpx.Response:
    """The token endpoint's answer to the code of `signed_code`."""
    return client.post(
        "/_pluginlab/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": signed["code"],
            "redirect_uri": CALLBACK,
            "client_id": signed["client_id"],
            "code_verifier": verifier,
            "resource": base + "/mcp",
        },
    )


def public_tokens(client: httpx.Client, base: str, scope: str | None = None) -> dict[str, Any]:
    """A public client's tokens: signed in (`signed_code`) and the code redeemed."""
    signed = signed_code(client, base, scope)
    tokens = redeem(client, base, signed)
    assert tokens.status_code == 200, tokens.text
    return {"client_id": signed["client_id"], **tokens.json()}


def test_refresh_rotates_and_a_token_of_another_public_url_is_the_wrong_audience(
    tmp_path: Path, app_backend: Backend
) -> None:
    db = tmp_path / "events.db"
    call, accept = INITIALIZE, ACCEPT
    with mcp_proxy(tmp_path / "a", app_backend.url, db) as first, first.client() as client:
        add_user(first, "alice")
        tokens = public_tokens(client, first.url)
        rotated = client.post(
            "/_pluginlab/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "client_id": tokens["client_id"],
            },
        )
        assert rotated.status_code == 200, rotated.text
        assert rotated.json()["refresh_token"] != tokens["refresh_token"]
        reused = client.post(
            "/_pluginlab/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "client_id": tokens["client_id"],
            },
        )
        assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
        # reuse of a spent refresh token revokes its whole family (the rotated tokens too)
        revoked = client.post(
            "/mcp",
            json=call,
            headers={**accept, "Authorization": f"Bearer {rotated.json()['access_token']}"},
        )
        assert revoked.status_code == 401
        fresh = public_tokens(client, first.url)
        ok = client.post(
            "/mcp",
            json=call,
            headers={**accept, "Authorization": f"Bearer {fresh['access_token']}"},
        )
        assert ok.status_code == 200, ok.text
    # the same store behind another public URL (a new tunnel): the token names the old resource
    with mcp_proxy(tmp_path / "b", app_backend.url, db, host="localhost") as moved:
        with moved.client() as client:
            refused = client.post(
                "/mcp",
                json=call,
                headers={**accept, "Authorization": f"Bearer {fresh['access_token']}"},
            )
        assert refused.status_code == 401
        assert refused.json()["error"] == "wrong_audience"
        challenge = refused.headers["WWW-Authenticate"]
        assert 'error="invalid_token"' in challenge
        assert f'resource_metadata="{moved.url.replace("127.0.0.1", "localhost")}' in challenge
        event_id = refused.headers["X-PluginLab-Event-Id"]
        found = wait_for(lambda: [e for e in stored_events(db) if e.event_id == event_id])
        assert found and found[0].auth_result == "wrong_audience"


def test_a_client_id_metadata_document_over_loopback_https_signs_in(
    tmp_path: Path, app_backend: Backend
) -> None:
    """CIMD as ChatGPT does it: the client id is an https URL; the document is served over TLS
    on loopback with a certificate of the test's own CA, which the proxy trusts through
    SSL_CERT_FILE (as it would a company's CA)."""
    verifier = "cimd-" + "v" * 60
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    tls, ca_file = loopback_tls(tmp_path)
    with (
        DocumentServer(tls) as docs,
        mcp_proxy(
            tmp_path / "p",
            app_backend.url,
            tmp_path / "events.db",
            env={"SSL_CERT_FILE": str(ca_file)},
        ) as proxy,
        proxy.client() as client,
    ):
        url = docs.serve(
            "/oauth/client.json",
            {
                "client_id": docs.url + "/oauth/client.json",
                "client_name": "GPT",
                "redirect_uris": [CONNECTOR],
            },
        )
        query = {
            "response_type": "code",
            "client_id": url,
            "redirect_uri": CONNECTOR,
            "state": "st",
            "code_challenge": challenge.decode(),
            "code_challenge_method": "S256",
        }
        granted = client.get("/_pluginlab/oauth/authorize?" + urlencode(query))
        assert granted.status_code == 302, granted.text
        back = parse_qs(urlsplit(granted.headers["Location"]).query)
        assert back["iss"] == [proxy.url] and back["state"] == ["st"]
        elsewhere = client.get(
            "/_pluginlab/oauth/authorize?" + urlencode({**query, "redirect_uri": CALLBACK})
        )
        assert elsewhere.status_code == 400 and "Location" not in elsewhere.headers
        tokens = client.post(
            "/_pluginlab/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": back["code"][0],
                "redirect_uri": CONNECTOR,
                "client_id": url,
                "code_verifier": verifier,
            },
        )
        assert tokens.status_code == 200, tokens.text
        assert url.startswith("https://127.0.0.1:") and docs.hits["/oauth/client.json"] == 1
        events = events_of(proxy.db, 3)
    assert [e.auth_result for e in events[-3:]] == ["ok", "invalid_redirect", "ok"]


def test_the_backend_learns_the_caller_and_never_sees_the_token(tmp_path: Path) -> None:
    with echo_backend() as backend:
        with mcp_proxy(tmp_path / "p", backend, tmp_path / "events.db") as proxy:
            add_user(proxy, "alice", plan="pro")
            with proxy.client() as client:
                tokens = public_tokens(client, proxy.url)
                answer = client.post(
                    "/mcp",
                    json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                    headers={"Authorization": f"Bearer {tokens['access_token']}"},
                )
    assert answer.status_code == 201, answer.text  # the echo backend's answer to a POST
    seen = {k.lower(): v for k, v in answer.json()["headers"]}
    assert (seen["x-pluginlab-user-id"], seen["x-pluginlab-plan"]) == ("alice", "pro")
    assert "authorization" not in seen
