"""ChatGPT's sign-in to an MCP server: the app simulator against the example app behind a real
proxy in oauth mode (auto-approved, and through the development sign-in page), each step a call
and an event recorded with source=simulate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import httpx2
import pytest
from mcp.shared.auth import OAuthMetadata

from pluginlab_tui.commands.simulate import grant_secret
from pluginlab_tui.examples import Backend, free_port
from pluginlab_tui.simulate.app import AppSimulator
from pluginlab_tui.simulate.app_signin import (
    CHATGPT_REDIRECT,
    AppSignIn,
    Browser,
    endpoint_routes,
)
from pluginlab_tui.simulate.client import Call, SimulationError
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import Event
from pluginlab_tui.store.oauth_timeline import dance_of
from pluginlab_tui.wire import oauth_step
from tests.access.helpers import DocumentServer, add_user, assert_no_secrets, cli
from tests.conftest import stored_events
from tests.harness import ProxyProcess, wait_for, write_config

#: The dance as the simulator reports it, before the session opens.
DANCE = [
    "oauth:challenge",
    "oauth:resource-metadata",
    "oauth:server-metadata",
    "oauth:register",
    "oauth:authorize",
]


def oauth_proxy(folder: Path, backend: str, **oauth: Any) -> ProxyProcess:
    """serve in MCP mode (/mcp) with auth.mode oauth, public_url the loopback address."""
    folder.mkdir(exist_ok=True)
    port = free_port()
    config = write_config(
        folder,
        {
            "mcp": {"endpoint": "/mcp"},
            "proxy": {
                "listen": f"127.0.0.1:{port}",
                "public_url": f"http://127.0.0.1:{port}",
                "backend": backend,
            },
            "auth": {"mode": "oauth"},
            "auth.oauth": {"scope": "cards", **oauth},
            "store": {"path": str(folder / "events.db"), "flush_ms": 20},
        },
    )
    return ProxyProcess(config).start()


@pytest.fixture
def approving(tmp_path: Path, app_backend: Backend) -> Iterator[ProxyProcess]:
    proxy = oauth_proxy(tmp_path / "auto", app_backend.url, auto_approve="alice")
    yield proxy
    proxy.stop()


@pytest.fixture
def asking(tmp_path: Path, app_backend: Backend) -> Iterator[ProxyProcess]:
    proxy = oauth_proxy(tmp_path / "page", app_backend.url)
    yield proxy
    proxy.stop()


def simulate(proxy: ProxyProcess, user: str = "simulated-user") -> AppSimulator:
    simulator = AppSimulator(
        proxy.url + "/mcp", sign_in=AppSignIn(user=user), grant_secret=grant_secret(proxy.db)
    )
    simulator.run()
    return simulator


def recorded(proxy: ProxyProcess, calls: list[Call]) -> list[Event]:
    ids = {c.event_id for c in calls if c.event_id}
    found = wait_for(
        lambda: (e := stored_events(proxy.db)) and ids <= {x.event_id for x in e} and e
    )
    assert found, "the simulator's events were not all stored"
    return list(found)


def test_auto_approved_it_discovers_registers_signs_in_with_pkce_then_calls_every_tool(
    approving: ProxyProcess,
) -> None:
    add_user(approving, "alice", plan="pro")
    simulator = simulate(approving)
    calls = simulator.calls
    steps = [c.step for c in calls]
    assert steps[: len(DANCE) + 1] == [*DANCE, "oauth:token"], steps
    assert not [c for c in calls if c.broke_contract], [c.line() for c in calls]
    assert {"add_card", "move_card", "delete_card"} <= {c.subject for c in calls}
    authorize = next(c for c in calls if c.step == "oauth:authorize")
    asked = parse_qs(urlsplit(authorize.url).query)
    assert asked["redirect_uri"] == [CHATGPT_REDIRECT]
    assert asked["code_challenge_method"] == ["S256"]
    assert asked["resource"] == [approving.url + "/mcp"] and asked["scope"] == ["cards"]
    events = recorded(approving, calls)
    assert {e.source for e in events} == {"simulate"}
    mcp = [e for e in events if e.path == "/mcp" and e.status == 200]
    assert mcp and {(e.auth_result, e.user_id, e.plan) for e in mcp} == {("ok", "alice", "pro")}
    storage = simulator.sign_in.storage
    assert storage.client is not None and storage.client.token_endpoint_auth_method == "none"
    assert storage.tokens is not None and storage.tokens.refresh_token is not None
    assert_no_secrets(approving, [storage.tokens.access_token, storage.tokens.refresh_token])


def test_on_the_sign_in_page_it_signs_in_as_its_user(asking: ProxyProcess) -> None:
    calls = simulate(asking, user="dave").calls
    steps = [c.step for c in calls]
    assert steps[: len(DANCE) + 2] == [*DANCE, "oauth:consent", "oauth:token"], steps
    page = next(c for c in calls if c.step == "oauth:authorize")
    assert page.status == 200  # the page; the consent's POST is the redirect
    assert next(c for c in calls if c.step == "oauth:consent").status == 302
    assert not [c for c in calls if c.broke_contract], [c.line() for c in calls]
    events = recorded(asking, calls)
    assert {e.user_id for e in events if e.path == "/mcp" and e.status == 200} == {"dave"}


def test_a_refused_sign_in_stops_the_run_and_says_at_which_step(asking: ProxyProcess) -> None:
    code, _, err = cli("users", "add", "mallory", "--config", str(asking.config))
    assert code == 0, err
    assert cli("users", "revoke", "mallory", "--config", str(asking.config))[0] == 0
    simulator = AppSimulator(asking.url + "/mcp", sign_in=AppSignIn(user="mallory"))
    with pytest.raises(
        SimulationError, match="OAuth sign-in failed at authorize: no code: access_denied"
    ):
        simulator.run()
    assert [c.step for c in simulator.calls][-1] == "oauth:consent"
    events = wait_for(lambda: [e for e in stored_events(asking.db) if e.path == "/mcp"] or None)
    assert events and {e.status for e in events} == {401}  # the backend was never called


def test_every_step_carries_the_client_and_its_dance_reads_back_to_a_refused_code(
    approving: ProxyProcess,
) -> None:
    simulator = simulate(approving)
    assert simulator.sign_in.storage.client is not None
    client = simulator.sign_in.storage.client.client_id
    assert client is not None
    with httpx.Client(trust_env=False) as http:  # the code again, as a replaying attacker would
        refused = http.post(
            approving.url + "/_pluginlab/oauth/token",
            data={"grant_type": "authorization_code", "client_id": client, "code": "nope"},
        )
    assert refused.status_code == 400
    events = wait_for(
        lambda: (e := stored_events(approving.db)) and e[-1].path.endswith("/token") and e
    )
    assert events
    by_step = {(e.method, e.path): e.oauth_client_id for e in events if e.path != "/mcp"}
    assert by_step[("GET", "/.well-known/oauth-protected-resource/mcp")] is None
    assert by_step[("POST", "/_pluginlab/oauth/register")] == client
    assert by_step[("GET", "/_pluginlab/oauth/authorize")] == client
    assert {e.oauth_client_id for e in events if e.path == "/mcp" and e.status == 200} == {client}
    conn = open_store(approving.db)
    try:
        dance = dance_of(conn, events[1])  # the discovery: its client is the one that came next
    finally:
        conn.close()
    assert dance is not None and dance.client_id == client
    assert [s.step for s in dance.steps][:6] == [
        "challenge",
        "resource-metadata",
        "server-metadata",
        "register",
        "authorize",
        "token",
    ]
    assert dance.last is not None and dance.last.step == "token"
    assert (dance.last.status, dance.last.auth_result) == (400, "invalid_grant")
    assert events[-1].oauth_client_id == client  # refused, and still the client's


async def test_another_server_s_sign_in_page_is_not_filled_in() -> None:
    with DocumentServer() as server:
        login = server.serve(
            "/login?state=s&redirect_uri=x",
            b"<form method=post><input name=password type=password></form>",
            headers={"Content-Type": "text/html"},
        )
        async with httpx2.AsyncClient(trust_env=False) as http:
            with pytest.raises(SimulationError, match="a sign-in page the simulator cannot fill"):
                await Browser(http, "alice").redirect(login)
        assert server.hits == {
            "/login?state=s&redirect_uri=x": 1
        }  # read once; posting a form would have failed otherwise


async def test_another_server_s_endpoints_are_named_as_the_proxy_s_routes() -> None:
    async with httpx2.AsyncClient(trust_env=False) as http:
        provider = AppSignIn().provider("https://as.example/mcp", http)
    assert endpoint_routes(provider) == {}  # nothing discovered yet
    provider.context.oauth_metadata = OAuthMetadata.model_validate(
        {
            "issuer": "https://as.example",
            "authorization_endpoint": "https://as.example/authorize",
            "token_endpoint": "https://as.example/oauth2/token",
            "registration_endpoint": "https://as.example/register",
        }
    )
    routes = endpoint_routes(provider)
    assert routes == {
        "https://as.example/authorize": "/_pluginlab/oauth/authorize",
        "https://as.example/oauth2/token": "/_pluginlab/oauth/token",
        "https://as.example/register": "/_pluginlab/oauth/register",
    }
    token = routes["https://as.example/oauth2/token"]
    assert oauth_step("POST", token, "refresh_token") == "refresh"
    assert oauth_step("POST", routes["https://as.example/authorize"]) == "consent"
