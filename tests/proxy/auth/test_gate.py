"""The gate on flows made in the test (the e2e tests run it inside the real proxy)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mitmproxy import http
from mitmproxy.test import tflow, tutils

from pluginlab_tui.config import load_config
from pluginlab_tui.proxy.auth.gate import AuthGate, IpGate
from pluginlab_tui.proxy.exchange import exchange_of
from pluginlab_tui.proxy.intake import Intake
from pluginlab_tui.proxy.runtime import Runtime
from tests.harness import TODO


@pytest.fixture
def make_runtime(tmp_path: Path) -> Iterator[Any]:
    made: list[Runtime] = []

    def make(**overrides: Any) -> Runtime:
        config = load_config(
            None,
            {
                "plugin.manifest": TODO / "ai-plugin.json",
                "plugin.spec": TODO / "openapi.yaml",
                "store.path": tmp_path / f"s{len(made)}.db",
                **overrides,
            },
        )
        runtime = Runtime(config)
        runtime.service.start()
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.conn.close()


def flow(method: str, path: str, headers: dict[str, str] | None = None) -> http.HTTPFlow:
    request = tutils.treq(
        method=method.encode(),
        path=path.encode(),
        headers=[(k.encode(), v.encode()) for k, v in (headers or {}).items()],
        content=b"",
    )
    return tflow.tflow(req=request)


def run(runtime: Runtime, f: http.HTTPFlow) -> http.HTTPFlow:
    for stage in (Intake(runtime), IpGate(runtime), AuthGate(runtime)):
        if f.response is None:
            stage.request(f)
    return f


def test_service_token(make_runtime: Any) -> None:
    runtime = make_runtime(**{"auth.mode": "service_http", "auth.service_token": "tok"})
    ok = run(runtime, flow("GET", "/todos/a", {"Authorization": "Bearer tok"}))
    assert ok.response is None
    exchange = exchange_of(ok)
    assert exchange is not None and (exchange.auth_mode, exchange.auth_result) == (
        "service_http",
        "ok",
    )
    refused = run(runtime, flow("GET", "/todos/a", {"Authorization": "Bearer nope"}))
    assert refused.response is not None and refused.response.status_code == 401
    assert b"nope" not in (refused.response.content or b"")
    owned = run(runtime, flow("GET", "/_pluginlab/oauth/token"))
    assert owned.response is None  # proxy-owned: left to the routes stages


def test_plain_options_requests_are_gated(make_runtime: Any) -> None:
    runtime = make_runtime(**{"auth.mode": "api_key", "auth.api_key": "k"})
    refused = run(runtime, flow("OPTIONS", "/todos/a"))
    assert refused.response is not None and refused.response.status_code == 401


def test_allow_list_runs_before_everything(make_runtime: Any) -> None:
    runtime = make_runtime(**{"auth.allow_ips": ["10.0.0.0/8"]})
    denied = run(runtime, flow("GET", "/.well-known/ai-plugin.json"))
    assert denied.response is not None and denied.response.status_code == 403
    exchange = exchange_of(denied)
    assert exchange is not None and exchange.auth_result == "ip_denied"
