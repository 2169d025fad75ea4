"""MCP mode end to end: `serve --mcp` in an empty folder, in front of the real example app, with
the official SDK client connecting through the proxy."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from pluginlab_tui.examples import Backend, free_port
from pluginlab_tui.launcher import ProxyChild
from pluginlab_tui.store.event import Event
from tests.conftest import stored_events, stored_versions
from tests.harness import ProxyProcess, wait_for, write_config


class Proxy:
    """`pluginlab-tui serve ARGS` started in the current folder; `.url`, `.db`, `.lines`."""

    def __init__(self, folder: Path, *args: str, env: dict[str, str] | None = None) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.db = folder / ".pluginlab" / "events.db"
        self.lines: list[str] = []
        self.child = ProxyChild(
            [*args, "--listen", f"127.0.0.1:{port}"],
            f"127.0.0.1:{port}",
            store=self.db,
            env=env,
            on_line=self.lines.append,
        )

    def __enter__(self) -> Proxy:
        self.child.start(30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.child.stop()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, trust_env=False, timeout=30)


@pytest.fixture
def empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def _session(url: str, work: Any, mode: str = "auto") -> Any:
    async with httpx2.AsyncClient() as http:
        transport = streamable_http_client(url, http_client=http)
        async with Client(transport, cache=None, mode=mode) as client:
            return await work(client)


async def _list_and_call(client: Client) -> Any:
    names = [t.name for t in (await client.list_tools()).tools]
    added = await client.call_tool("add_card", {"title": "through the proxy"})
    return names, added


def session_through(url: str, mode: str = "auto") -> tuple[list[str], Any]:
    result: tuple[list[str], Any] = anyio.run(_session, url, _list_and_call, mode)
    return result


def _header(event: Event, name: str) -> str | None:
    return next((v for k, v in event.response_headers if k.lower() == name), None)


def _posts(db: Path, count: int) -> list[Event] | None:
    found = [e for e in stored_events(db) if e.method == "POST" and e.path == "/mcp"]
    return found if len(found) >= count else None


def test_the_sdk_client_lists_and_calls_tools_through_the_proxy_in_an_empty_folder(
    empty_folder: Path, app_backend: Backend
) -> None:
    with Proxy(empty_folder, "--mcp", "/mcp", "--backend", app_backend.url) as proxy:
        names, added = session_through(proxy.url + "/mcp")
        # server/discover, tools/list, tools/call (the client's stateless era): one event each
        events = wait_for(lambda: _posts(proxy.db, 3))
        with proxy.client() as client:
            manifest = client.get("/.well-known/ai-plugin.json")
            spec = client.get("/openapi.yaml")
            health = client.get("/_pluginlab/health")
    assert "add_card" in names
    assert not added.is_error and added.structured_content["title"] == "through the proxy"
    assert sorted(p.name for p in empty_folder.iterdir()) == [".pluginlab"]
    assert events is not None
    bodies = "".join(e.request_body or "" for e in events)
    assert '"tools/list"' in bodies and '"tools/call"' in bodies
    # in the stateless era the app answers each POST with JSON
    assert all(_header(e, "content-type") == "application/json" for e in events)
    assert all(e.status in (200, 202) and not e.violations for e in events)
    assert all(e.operation_id is None for e in events)
    called = next(e for e in events if '"tools/call"' in (e.request_body or ""))
    # checked against the catalogue the tools/list made, a version in the store's sequence
    assert called.version is not None
    assert [v.kind for v in stored_versions(proxy.db)] == ["catalogue"]
    assert "through the proxy" in (called.response_body or "")
    assert manifest.status_code == 404
    assert manifest.json()["error"] == "no_manifest"
    assert manifest.json()["mcp"].endswith("/mcp")
    assert spec.status_code == 404 and spec.json()["error"] == "no_spec"
    assert health.status_code == 200 and health.json()["version"] is None
    assert any("MCP at /mcp" in line for line in proxy.lines)


def test_a_handshake_era_session_passes_with_its_sse_answers(
    empty_folder: Path, app_backend: Backend
) -> None:
    """initialize and a session id: the app answers each POST with an SSE stream that ends
    with the answer, which the proxy relays as it arrives (proxy/relay.py)."""
    with Proxy(empty_folder, "--mcp", "/mcp", "--backend", app_backend.url) as proxy:
        names, added = session_through(proxy.url + "/mcp", mode="legacy")
        # initialize, notifications/initialized, tools/list, tools/call
        events = wait_for(lambda: _posts(proxy.db, 4))
        ended = wait_for(lambda: [e for e in stored_events(proxy.db) if e.method == "DELETE"])
    assert "add_card" in names and not added.is_error
    assert events is not None and not any(e.violations for e in events)
    bodies = [e.request_body or "" for e in events]
    assert '"initialize"' in bodies[0] and '"tools/call"' in bodies[3]
    assert _header(events[0], "content-type") == "text/event-stream"
    assert _header(events[3], "content-type") == "text/event-stream"
    assert events[1].status == 202
    assert ended and ended[0].status == 200


def test_a_body_over_the_limit_on_the_mcp_path_is_an_mcp_event(
    empty_folder: Path, app_backend: Backend
) -> None:
    """mitmproxy refuses the body itself, before any stage: the event is still the MCP path's."""
    env = {"PLUGINLAB_PROXY__MAX_BODY_BYTES": "100000"}
    with Proxy(empty_folder, "--mcp", "/mcp", "--backend", app_backend.url, env=env) as proxy:
        with proxy.client() as client:
            answer = client.post("/mcp", content=b"[" + b"1," * 100_000 + b"1]")
        events = wait_for(lambda: stored_events(proxy.db))
    assert answer.status_code == 413
    assert events and [(e.status, e.protocol, e.rpc_method) for e in events] == [(413, "mcp", None)]


def test_the_backend_is_sent_its_own_host(empty_folder: Path, app_backend: Backend) -> None:
    """The app refuses a foreign Host with 421 (DNS rebinding protection); through the proxy,
    whatever Host the caller used, the app sees its own."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"Accept": "application/json, text/event-stream", "Host": "tunnel.example:443"}
    direct = httpx.post(app_backend.url + "/mcp", json=body, headers=headers, trust_env=False)
    with Proxy(empty_folder, "--mcp", "/mcp", "--backend", app_backend.url) as proxy:
        proxied = httpx.post(proxy.url + "/mcp", json=body, headers=headers, trust_env=False)
    assert direct.status_code == 421
    assert proxied.status_code != 421


def test_the_environment_variable_sets_the_endpoint(
    empty_folder: Path, app_backend: Backend
) -> None:
    env = {"PLUGINLAB_MCP__ENDPOINT": "/mcp"}
    with Proxy(empty_folder, "--backend", app_backend.url, env=env) as proxy:
        names, _ = session_through(proxy.url + "/mcp")
        with proxy.client() as client:
            manifest = client.get("/.well-known/ai-plugin.json")
        events = wait_for(lambda: _posts(proxy.db, 3))
    assert "list_cards" in names
    assert manifest.status_code == 404 and manifest.json()["error"] == "no_manifest"
    assert events is not None and not any(e.violations for e in events)


def test_the_toml_key_sets_the_endpoint_and_auth_still_applies(
    tmp_path: Path, app_backend: Backend
) -> None:
    port = free_port()
    config = write_config(
        tmp_path,
        {
            "mcp": {"endpoint": "/mcp"},
            "proxy": {"listen": f"127.0.0.1:{port}", "backend": app_backend.url},
            "auth": {"mode": "service_http", "service_token": "s3cret-token"},
            "store": {"path": str(tmp_path / "events.db"), "flush_ms": 20},
        },
    )
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    accept = {"Accept": "application/json, text/event-stream"}
    with ProxyProcess(config) as proxy, proxy.client() as client:
        refused = client.post("/mcp", json=ping, headers=accept)
        below = client.post("/mcp/anything", json=ping, headers=accept)
        allowed = client.post(
            "/mcp", json=ping, headers={**accept, "Authorization": "Bearer s3cret-token"}
        )
        events = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) >= 3 and e)
    assert refused.status_code == 401 and below.status_code == 401
    assert allowed.status_code != 401  # reached the app (which wants a session first)
    assert [e.auth_result for e in events] == ["missing", "missing", "ok"]
    assert not any(e.violations for e in events)


@pytest.mark.parametrize("value", ["mcp", ""])
def test_a_bad_endpoint_is_one_line_and_exit_2(empty_folder: Path, value: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pluginlab_tui", "serve", "--mcp", value],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "mcp.endpoint" in lines[0] and "must start with /" in lines[0]


def test_a_bad_endpoint_in_the_environment_names_the_variable(empty_folder: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pluginlab_tui", "serve"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, "PLUGINLAB_MCP__ENDPOINT": "mcp"},
    )
    assert run.returncode == 2
    assert run.stderr.strip().startswith("pluginlab-tui: PLUGINLAB_MCP__ENDPOINT: mcp.endpoint")


@pytest.fixture
def example_app(empty_folder: Path) -> Iterator[Proxy]:
    with Proxy(empty_folder, "--example", "app") as proxy:
        yield proxy


def test_serve_example_app_runs_the_app_behind_the_proxy(example_app: Proxy) -> None:
    names, added = session_through(example_app.url + "/mcp")
    assert "move_card" in names and not added.is_error
    assert wait_for(lambda: _posts(example_app.db, 3)) is not None
