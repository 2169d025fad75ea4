"""A real authorization server in front of the MCP endpoint (`auth.oauth.issuer`): a loopback
issuer process in the test (tests/access/issuer_server.py: metadata, JWKS, introspection), the
proxy checking its tokens, the SDK's client calling the example app through the proxy."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from pluginlab_tui.examples import Backend
from tests.access.helpers import assert_no_secrets
from tests.access.issuer_server import CLIENT_ID, CLIENT_SECRET, IssuerServer, Key
from tests.conftest import stored_events
from tests.e2e.test_mcp_oauth import ACCEPT, INITIALIZE, mcp_proxy
from tests.harness import ProxyProcess, wait_for


@pytest.fixture(scope="module")
def issuer() -> Iterator[IssuerServer]:
    with IssuerServer() as server:
        yield server


@pytest.fixture(scope="module")
def proxy(
    tmp_path_factory: pytest.TempPathFactory, app_backend: Backend, issuer: IssuerServer
) -> Iterator[ProxyProcess]:
    folder = tmp_path_factory.mktemp("issuer")
    oauth = {
        "issuer": issuer.url,
        "introspection_url": issuer.url + "/introspect",
        "introspection_client_id": CLIENT_ID,
    }
    made = mcp_proxy(folder, app_backend.url, folder / "events.db", extra={"auth.oauth": oauth})
    env = {"PLUGINLAB_AUTH__OAUTH__INTROSPECTION_CLIENT_SECRET": CLIENT_SECRET}
    with ProxyProcess(made.config, env=env) as started:
        yield started


async def _tools(url: str, token: str) -> Any:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http,
        Client(streamable_http_client(url, http_client=http), cache=None) as client,
    ):
        names = [t.name for t in (await client.list_tools()).tools]
        added = await client.call_tool("add_card", {"title": "from the issuer"})
    return names, added


def refused(proxy: ProxyProcess, token: str) -> httpx.Response:
    with proxy.client() as client:
        answer = client.post(
            "/mcp", json=INITIALIZE, headers={**ACCEPT, "Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 401, answer.text
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
    return answer


def event_of(proxy: ProxyProcess, answer: httpx.Response) -> Any:
    event_id = answer.headers["X-PluginLab-Event-Id"]
    found = wait_for(lambda: [e for e in stored_events(proxy.db) if e.event_id == event_id])
    assert found
    return found[0]


def test_the_sdk_client_calls_tools_with_the_issuer_s_jwt(
    proxy: ProxyProcess, issuer: IssuerServer
) -> None:
    token = issuer.token(proxy.url + "/mcp")
    names, added = anyio.run(_tools, proxy.url + "/mcp", token)
    assert "add_card" in names and not added.is_error
    calls = wait_for(lambda: [e for e in stored_events(proxy.db) if e.tool == "add_card"])
    assert calls and (calls[0].auth_result, calls[0].user_id) == ("ok", "bob")
    assert_no_secrets(proxy, [token, CLIENT_SECRET])
    assert CLIENT_SECRET not in proxy.output


def test_the_proxy_names_the_issuer_and_issues_nothing(
    proxy: ProxyProcess, issuer: IssuerServer
) -> None:
    anyio.run(_tools, proxy.url + "/mcp", issuer.token(proxy.url + "/mcp"))  # the tools listed
    with proxy.client() as client:
        prm = client.get("/.well-known/oauth-protected-resource/mcp")
        asm = client.get("/.well-known/oauth-authorization-server")
        register = client.post("/_pluginlab/oauth/register", json={"redirect_uris": []})
        token = client.post("/_pluginlab/oauth/token", data={"grant_type": "refresh_token"})
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "add_card"}}
        anonymous = client.post("/mcp", json=call, headers=ACCEPT)
    assert prm.json()["authorization_servers"] == [issuer.url]
    assert prm.json()["resource"] == proxy.url + "/mcp"
    # ChatGPT may ask the MCP host for the authorization server's metadata: it gets the issuer's
    assert (asm.status_code, asm.json()["issuer"]) == (200, issuer.url)
    assert asm.json()["jwks_uri"].startswith(issuer.url)
    assert register.status_code == token.status_code == 404
    assert register.json()["error"] == "oauth_external"
    # list_cards is noauth (as listed): add_card is refused as ChatGPT
    # expects, the challenge naming this proxy's metadata
    assert anonymous.status_code == 200
    result = anonymous.json()["result"]
    assert result["isError"] is True
    (challenge,) = result["_meta"]["mcp/www_authenticate"]
    assert challenge.startswith(
        f'Bearer resource_metadata="{proxy.url}/.well-known/oauth-protected-resource/mcp"'
    )


@pytest.mark.parametrize(
    ("case", "result"),
    [
        ("wrong_audience", "wrong_audience"),
        ("expired", "expired"),
        ("bad_signature", "invalid"),
        ("unknown_kid", "invalid"),
    ],
)
def test_jwts_the_proxy_refuses(
    proxy: ProxyProcess, issuer: IssuerServer, case: str, result: str
) -> None:
    resource = proxy.url + "/mcp"
    tokens = {
        "wrong_audience": lambda: issuer.token("https://elsewhere.example/mcp"),
        "expired": lambda: issuer.token(resource, exp=int(time.time()) - 300),
        "bad_signature": lambda: issuer.token(resource, key=Key("k1")),
        "unknown_kid": lambda: issuer.token(resource, key=Key("nobody")),
    }
    answer = refused(proxy, tokens[case]())
    assert answer.json()["error"] == result
    assert event_of(proxy, answer).auth_result == result


def test_opaque_tokens_are_introspected(proxy: ProxyProcess, issuer: IssuerServer) -> None:
    issuer.opaque["opaque-live"] = {
        "active": True,
        "sub": "carol",
        "scope": "cards",
        "aud": [proxy.url + "/mcp"],
        "iss": issuer.url,
    }
    with proxy.client() as client:
        ok = client.post(
            "/mcp", json=INITIALIZE, headers={**ACCEPT, "Authorization": "Bearer opaque-live"}
        )
    assert ok.status_code == 200, ok.text
    assert event_of(proxy, ok).user_id == "carol"
    dead = refused(proxy, "opaque-dead")
    assert "not active" in dead.json()["message"]
    assert event_of(proxy, dead).auth_result == "invalid"
