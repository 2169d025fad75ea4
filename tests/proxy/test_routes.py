"""The routes the proxy answers itself, in MCP mode without plugin files."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from mitmproxy import http
from mitmproxy.test import tflow

from pluginlab_tui.config import load_config
from pluginlab_tui.proxy.checks import RequestChecks
from pluginlab_tui.proxy.exchange import exchange_of
from pluginlab_tui.proxy.forward import Forward
from pluginlab_tui.proxy.intake import Intake
from pluginlab_tui.proxy.relay import Relay
from pluginlab_tui.proxy.routes import Routes
from pluginlab_tui.proxy.runtime import Runtime


@pytest.fixture
def no_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    monkeypatch.chdir(tmp_path)  # an empty folder: no ai-plugin.json, no openapi.yaml
    config = load_config(None, {"mcp.endpoint": "/mcp", "store.path": tmp_path / "s.db"})
    runtime = Runtime(config)
    runtime.start()
    yield runtime
    runtime.close()


def routed(runtime: Runtime, method: str, path: str) -> http.HTTPFlow:
    flow = tflow.tflow()
    flow.request.method = method
    flow.request.path = path
    flow.request.content = b""
    Intake(runtime).request(flow)
    Routes(runtime).request(flow)
    return flow


def test_the_manifest_answers_404_with_a_hint_naming_the_mcp_url(no_files: Runtime) -> None:
    flow = routed(no_files, "GET", "/.well-known/ai-plugin.json")
    assert flow.response is not None and flow.response.status_code == 404
    body = flow.response.json()
    assert body["error"] == "no_manifest" and "MCP" in body["message"]
    assert body["mcp"] == "http://localhost:8787/mcp"


@pytest.mark.parametrize("path", ["/openapi.yaml", "/openapi.json"])
def test_the_spec_routes_answer_404(no_files: Runtime, path: str) -> None:
    flow = routed(no_files, "GET", path)
    assert flow.response is not None and flow.response.status_code == 404
    assert flow.response.json()["error"] == "no_spec"


def test_health_answers_with_no_version(no_files: Runtime) -> None:
    flow = routed(no_files, "GET", "/_pluginlab/health")
    assert flow.response is not None and flow.response.status_code == 200
    assert flow.response.json()["status"] == "ok" and flow.response.json()["version"] is None


def test_without_a_backend_mcp_traffic_is_answered_502_unchecked(no_files: Runtime) -> None:
    flow = routed(no_files, "POST", "/mcp")
    assert flow.response is None
    asyncio.run(RequestChecks(no_files).request(flow))
    asyncio.run(Forward(no_files, Relay(no_files)).request(flow))
    exchange = exchange_of(flow)
    assert flow.response is not None and flow.response.status_code == 502
    assert flow.response.json()["error"] == "no_backend"
    assert exchange is not None and exchange.check is None and exchange.answered_by == "proxy"


@pytest.fixture
def mcp_oauth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    monkeypatch.chdir(tmp_path)
    config = load_config(
        None,
        {
            "mcp.endpoint": "/mcp",
            "auth.mode": "oauth",
            "proxy.public_url": "http://127.0.0.1:8787",
            "store.path": tmp_path / "s.db",
        },
    )
    runtime = Runtime(config)
    runtime.start()
    yield runtime
    runtime.close()


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/.well-known/oauth-protected-resource", "resource"),
        ("/.well-known/oauth-protected-resource/mcp", "resource"),
        ("/.well-known/oauth-authorization-server", "issuer"),
        ("/.well-known/oauth-authorization-server/mcp", "issuer"),
        ("/.well-known/openid-configuration", "issuer"),
    ],
)
def test_the_oauth_discovery_documents_are_the_proxy_s_own(
    mcp_oauth: Runtime, path: str, field: str
) -> None:
    flow = routed(mcp_oauth, "GET", path)
    assert flow.response is not None and flow.response.status_code == 200
    assert flow.response.headers["content-type"] == "application/json"
    expected = {"resource": "http://127.0.0.1:8787/mcp", "issuer": "http://127.0.0.1:8787"}
    assert flow.response.json()[field] == expected[field]


def test_without_oauth_the_discovery_paths_go_to_the_backend(no_files: Runtime) -> None:
    for path in (
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-authorization-server",
    ):
        assert routed(no_files, "GET", path).response is None
