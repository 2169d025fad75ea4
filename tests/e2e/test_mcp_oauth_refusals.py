"""Every refusal of OAuth for an MCP endpoint, through the real proxy in front of the example app,
with the status and the challenge ChatGPT would see and the event that says why.

One proxy for the module (access tokens live TOKEN_TTL_S, so that expiry can be seen), its
delete_card needing the scope cards:delete (`mcp.tool_scopes`). Wrong audience and refresh reuse
are in test_mcp_oauth (they need a second proxy, or a refresh)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from pluginlab_tui.examples import Backend
from pluginlab_tui.store.event import Event
from tests.access.helpers import add_user
from tests.conftest import stored_events
from tests.e2e.test_mcp_oauth import (
    ACCEPT,
    CALLBACK,
    INITIALIZE,
    mcp_proxy,
    public_tokens,
    redeem,
    signed_code,
)
from tests.harness import ProxyProcess, wait_for

TOKEN_TTL_S = 3


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory, app_backend: Backend) -> Iterator[ProxyProcess]:
    folder = tmp_path_factory.mktemp("refusals")
    started = mcp_proxy(
        folder / "p",
        app_backend.url,
        folder / "events.db",
        extra={
            "auth.oauth": {"token_ttl_s": TOKEN_TTL_S},
            "mcp.tool_scopes": {"delete_card": ["cards:delete"]},
        },
    ).start()
    add_user(started, "alice")
    yield started
    started.stop()


def event_of(proxy: ProxyProcess, answer: httpx.Response) -> Event:
    event_id = answer.headers["X-PluginLab-Event-Id"]
    found = wait_for(lambda: [e for e in stored_events(proxy.db) if e.event_id == event_id])
    assert found, f"no event {event_id} in the store"
    event: Event = found[0]
    return event


def initialize(client: httpx.Client, token: str | None) -> httpx.Response:
    bearer = {} if token is None else {"Authorization": f"Bearer {token}"}
    return client.post("/mcp", json=INITIALIZE, headers={**ACCEPT, **bearer})


def challenge_of(proxy: ProxyProcess, answer: httpx.Response) -> str:
    challenge = answer.headers["WWW-Authenticate"]
    metadata = proxy.url + "/.well-known/oauth-protected-resource/mcp"
    assert challenge.startswith(f'Bearer resource_metadata="{metadata}"'), challenge
    return challenge


def test_no_token_is_401_with_the_resource_metadata_and_no_error(proxy: ProxyProcess) -> None:
    with proxy.client() as client:
        refused = initialize(client, None)
    assert refused.status_code == 401
    challenge = challenge_of(proxy, refused)
    assert "error=" not in challenge and 'scope="cards"' in challenge
    assert event_of(proxy, refused).auth_result == "missing"


def test_a_token_the_proxy_never_issued_is_401_invalid_token(proxy: ProxyProcess) -> None:
    with proxy.client() as client:
        refused = initialize(client, "pla_" + "x" * 43)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in challenge_of(proxy, refused)
    assert event_of(proxy, refused).auth_result == "invalid"


def test_an_expired_token_is_401_invalid_token_saying_so(proxy: ProxyProcess) -> None:
    with proxy.client() as client:
        tokens = public_tokens(client, proxy.url)
        assert initialize(client, tokens["access_token"]).status_code == 200
        deadline = time.monotonic() + TOKEN_TTL_S + 10
        while (answer := initialize(client, tokens["access_token"])).status_code == 200:
            assert time.monotonic() < deadline, "the token outlived its lifetime"
            time.sleep(0.25)
    assert answer.status_code == 401
    challenge = challenge_of(proxy, answer)
    assert 'error="invalid_token"' in challenge and "expired" in challenge
    assert event_of(proxy, answer).auth_result == "expired"


def test_a_code_redeemed_twice_is_invalid_grant(proxy: ProxyProcess) -> None:
    with proxy.client() as client:
        signed = signed_code(client, proxy.url)
        first = redeem(client, proxy.url, signed)
        again = redeem(client, proxy.url, signed)
    assert first.status_code == 200
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    assert again.headers["Cache-Control"] == "no-store"
    assert event_of(proxy, again).auth_result == "invalid_grant"


def test_a_wrong_code_verifier_is_invalid_grant(proxy: ProxyProcess) -> None:
    with proxy.client() as client:
        signed = signed_code(client, proxy.url)
        refused = redeem(client, proxy.url, signed, verifier="not-" + "the-verifier" * 5)
        # a code is good for one try (RFC 6749 4.1.2): the right verifier comes too late
        retried = redeem(client, proxy.url, signed)
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
    assert event_of(proxy, refused).auth_result == "invalid_grant"
    assert retried.status_code == 400


def test_an_unregistered_redirect_is_400_and_never_redirected(proxy: ProxyProcess) -> None:
    with proxy.client() as client:
        registered = client.post(
            "/_pluginlab/oauth/register",
            json={"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"},
        ).json()
        query: dict[str, Any] = {
            "response_type": "code",
            "client_id": registered["client_id"],
            "redirect_uri": CALLBACK + "/elsewhere",
            "state": "st",
            "code_challenge": "c" * 43,
            "code_challenge_method": "S256",
        }
        refused = client.get("/_pluginlab/oauth/authorize?" + urlencode(query))
    assert refused.status_code == 400 and "Location" not in refused.headers
    assert event_of(proxy, refused).auth_result == "invalid_redirect"


def test_a_tool_whose_scope_the_token_lacks_answers_the_challenge_chatgpt_acts_on(
    proxy: ProxyProcess,
) -> None:
    """A CallToolResult with isError and _meta["mcp/www_authenticate"]: ChatGPT then asks the
    user to sign in again with the scope; the server is not called."""
    with proxy.client() as client:
        tokens = public_tokens(client, proxy.url, scope="cards")
        opened = initialize(client, tokens["access_token"])
        assert opened.status_code == 200, opened.text
        session = {
            "Authorization": f"Bearer {tokens['access_token']}",
            "Mcp-Session-Id": opened.headers["mcp-session-id"],
            "MCP-Protocol-Version": "2025-06-18",
        }
        client.post(
            "/mcp",
            json={"jsonrpc": "2.0", "method": "notifications/initialized"},
            headers={**ACCEPT, **session},
        )
        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "delete_card", "arguments": {"card_id": "c1"}},
        }
        answer = client.post("/mcp", json=call, headers={**ACCEPT, **session})
    assert answer.status_code == 200
    text = answer.text  # JSON, or the one message of an SSE answer
    payload = text if text.startswith("{") else text.split("data:", 1)[1].strip().split("\n")[0]
    result = json.loads(payload)["result"]
    assert result["isError"] is True
    challenges = result["_meta"]["mcp/www_authenticate"]
    challenge = challenges[0] if isinstance(challenges, list) else challenges
    assert 'error="insufficient_scope"' in challenge and "cards:delete" in challenge
    event = event_of(proxy, answer)
    assert event.auth_result == "insufficient_scope" and event.tool == "delete_card"
