"""Scopes per tool end to end: `serve` in MCP mode with auth.mode oauth in front of the example
app, whose list_cards declares `securitySchemes` noauth, with `mcp.tool_scopes` giving
delete_card a scope of its own; the SDK's client as the caller, anonymous or with a token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from pluginlab_tui.examples import Backend
from tests.access.helpers import add_user
from tests.conftest import stored_events
from tests.e2e.test_mcp_oauth import ACCEPT, INITIALIZE, mcp_proxy, public_tokens
from tests.harness import ProxyProcess, wait_for

CHALLENGE = "mcp/www_authenticate"


def scoped_proxy(folder: Path, backend: str, db: Path) -> ProxyProcess:
    """The proxy of test_mcp_oauth, delete_card needing the scope cards:delete."""
    return mcp_proxy(
        folder, backend, db, extra={"mcp.tool_scopes": {"delete_card": ["cards:delete"]}}
    )


@pytest.fixture
def proxy(tmp_path: Path, app_backend: Backend) -> Iterator[ProxyProcess]:
    started = scoped_proxy(tmp_path / "p", app_backend.url, tmp_path / "events.db").start()
    add_user(started, "alice", plan="pro")
    yield started
    started.stop()


async def _session(url: str, token: str | None, calls: list[tuple[str, dict[str, Any]]]) -> Any:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=headers) as http,
        Client(streamable_http_client(url, http_client=http), cache=None) as client,
    ):
        names = [t.name for t in (await client.list_tools()).tools]
        results = [await client.call_tool(name, args) for name, args in calls]
    return names, results


def session(
    url: str, token: str | None, *calls: tuple[str, dict[str, Any]]
) -> tuple[list[str], list[CallToolResult]]:
    found: tuple[list[str], list[CallToolResult]] = anyio.run(_session, url, token, list(calls))
    return found


def challenge_of(result: CallToolResult) -> str:
    assert result.is_error
    assert result.meta is not None
    (challenge,) = result.meta[CHALLENGE]
    assert isinstance(challenge, str)
    return challenge


def test_noauth_tools_are_called_anonymously_and_the_others_answer_the_challenge(
    proxy: ProxyProcess,
) -> None:
    with proxy.client() as client:
        tokens = public_tokens(client, proxy.url)
    assert tokens["scope"] == "cards"
    # signed in: tools/list teaches the proxy that list_cards is noauth
    names, (listed,) = session(proxy.url + "/mcp", tokens["access_token"], ("list_cards", {}))
    assert "list_cards" in names and not listed.is_error

    names, (public, private) = session(
        proxy.url + "/mcp", None, ("list_cards", {}), ("add_card", {"title": "anonymous"})
    )
    assert "add_card" in names  # initialize and tools/list work without a token
    assert not public.is_error and public.structured_content is not None
    challenge = challenge_of(private)
    metadata = proxy.url + "/.well-known/oauth-protected-resource/mcp"
    assert challenge.startswith(f'Bearer resource_metadata="{metadata}", scope="cards"')
    assert 'error="insufficient_scope"' in challenge and "error_description=" in challenge

    _, (deleted,) = session(
        proxy.url + "/mcp", tokens["access_token"], ("delete_card", {"card_id": 1})
    )
    challenge = challenge_of(deleted)
    assert 'scope="cards cards:delete"' in challenge and 'error="insufficient_scope"' in challenge

    # step-up: a token with the tool's scope calls it
    with proxy.client() as client:
        stepped = public_tokens(client, proxy.url, scope="cards cards:delete")
    _, (added,) = session(proxy.url + "/mcp", stepped["access_token"], ("add_card", {"title": "x"}))
    assert added.structured_content is not None
    card = added.structured_content["id"]
    _, (gone,) = session(
        proxy.url + "/mcp", stepped["access_token"], ("delete_card", {"card_id": card})
    )
    assert not gone.is_error and gone.structured_content is not None
    assert gone.structured_content["deleted"] == card

    events = wait_for(
        lambda: (
            (found := [e for e in stored_events(proxy.db) if e.tool in ("add_card", "delete_card")])
            and len(found) == 4
            and found
        )
    )
    assert [(e.tool, e.auth_result, e.user_id, e.is_error) for e in events] == [
        ("add_card", "missing", None, True),
        ("delete_card", "insufficient_scope", "alice", True),
        ("add_card", "ok", "alice", False),
        ("delete_card", "ok", "alice", False),
    ]
    with proxy.client() as client:
        prm = client.get("/.well-known/oauth-protected-resource/mcp").json()
        asm = client.get("/.well-known/oauth-authorization-server").json()
    assert prm["scopes_supported"] == asm["scopes_supported"] == ["cards", "cards:delete"]


def test_what_the_proxy_cannot_read_needs_a_token_and_a_restart_keeps_the_schemes(
    tmp_path: Path, app_backend: Backend
) -> None:
    db = tmp_path / "events.db"
    accept = ACCEPT
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    with scoped_proxy(tmp_path / "a", app_backend.url, db) as first:
        add_user(first, "alice")
        with first.client() as client:
            before = client.post("/mcp", json=call, headers=accept)
            tokens = public_tokens(client, first.url)
        assert before.status_code == 401  # no tools/list seen yet: no tool is known as noauth
        session(first.url + "/mcp", tokens["access_token"])
    with scoped_proxy(tmp_path / "b", app_backend.url, db) as second, second.client() as client:
        # the newest catalogue in the store says list_cards is noauth
        opened = client.post("/mcp", json=INITIALIZE, headers=accept)
        assert opened.status_code == 200, opened.text
        # a duplicate key: the proxy cannot tell which tool is meant, the server is not asked
        twice = (
            b'{"jsonrpc": "2.0", "id": 2, "method": "tools/call",'
            b' "params": {"name": "list_cards", "name": "delete_card", "arguments": {}}}'
        )
        sneaky = client.post(
            "/mcp", content=twice, headers={**accept, "Content-Type": "application/json"}
        )
        assert sneaky.status_code == 401
        assert sneaky.headers["WWW-Authenticate"].startswith("Bearer resource_metadata=")
        # a batch (2025-03-26) holding a tools/call that needs a token: the whole POST is refused
        batch = [
            {"jsonrpc": "2.0", "id": 3, "method": "tools/list"},
            {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "add_card"}},
        ]
        batched = client.post(
            "/mcp", json=batch, headers={**accept, "MCP-Protocol-Version": "2025-03-26"}
        )
        assert batched.status_code == 401, batched.text
        assert batched.json()["error"] == "missing"
        assert 'scope="cards"' in batched.headers["WWW-Authenticate"]
        bad = client.post(
            "/mcp", json=call, headers={**accept, "Authorization": "Bearer pla_" + "x" * 43}
        )
        assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["WWW-Authenticate"]
        event_id = sneaky.headers["X-PluginLab-Event-Id"]
    found = wait_for(lambda: [e for e in stored_events(db) if e.event_id == event_id])
    assert found and found[0].auth_result == "missing" and found[0].status == 401


def test_without_a_noauth_tool_known_a_token_short_of_the_endpoint_s_scope_gets_403(
    tmp_path: Path, app_backend: Backend
) -> None:
    extra = {"auth.oauth": {"scope": "cards profile"}}
    with mcp_proxy(tmp_path / "p", app_backend.url, tmp_path / "e.db", extra=extra) as proxy:
        add_user(proxy, "alice")
        with proxy.client() as client:
            narrow = public_tokens(client, proxy.url, scope="cards")
            answer = client.post(
                "/mcp",
                json=INITIALIZE,
                headers={**ACCEPT, "Authorization": f"Bearer {narrow['access_token']}"},
            )
        assert answer.status_code == 403
        challenge = answer.headers["WWW-Authenticate"]
        assert 'error="insufficient_scope"' in challenge and 'scope="cards profile"' in challenge
        event_id = answer.headers["X-PluginLab-Event-Id"]
        found = wait_for(lambda: [e for e in stored_events(proxy.db) if e.event_id == event_id])
    assert found and found[0].auth_result == "insufficient_scope"
