"""The contract stages on mitmproxy's test flows: what strict mode answers, what it leaves alone.

The end-to-end proof is in tests/e2e/test_contract_table.py and test_strict.py; these pin the
stage logic with a real Runtime (real store, the example's spec) and no network.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from mitmproxy import http
from mitmproxy.test import tflow

from pluginlab_tui.config import load_config
from pluginlab_tui.proxy.answers import error_response
from pluginlab_tui.proxy.checks import (
    RequestChecks,
    ResponseChecks,
    check_response,
    held_to_contract,
    request_of,
)
from pluginlab_tui.proxy.exchange import Exchange, exchange_of
from pluginlab_tui.proxy.intake import Intake
from pluginlab_tui.proxy.runtime import Runtime
from tests.harness import todo_sections, write_config


def runtime_for(folder: Path, strict: bool) -> Runtime:
    sections = todo_sections(folder, None, proxy={"strict": strict, "slow_ms": 100})
    runtime = Runtime(load_config(write_config(folder, sections)))
    runtime.start()
    return runtime


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[Runtime]:
    runtime = runtime_for(tmp_path, strict=True)
    yield runtime
    runtime.close()


@pytest.fixture
def lenient(tmp_path: Path) -> Iterator[Runtime]:
    runtime = runtime_for(tmp_path, strict=False)
    yield runtime
    runtime.close()


def arrived(runtime: Runtime, method: str, path: str, body: object = None) -> http.HTTPFlow:
    """A flow that went through intake and the request checks."""
    flow = tflow.tflow()
    flow.request.method = method
    flow.request.path = path
    if body is None:
        flow.request.content = b""
    else:
        flow.request.content = json.dumps(body).encode()
        flow.request.headers["content-type"] = "application/json"
    Intake(runtime).request(flow)
    asyncio.run(RequestChecks(runtime).request(flow))
    return flow


def answered(flow: http.HTTPFlow, status: int, body: object, duration_ms: float = 5.0) -> Exchange:
    """The backend's answer, as Forward leaves it."""
    flow.response = http.Response.make(
        status, json.dumps(body).encode(), {"content-type": "application/json"}
    )
    exchange = exchange_of(flow)
    assert exchange is not None
    exchange.duration_ms = duration_ms
    return exchange


def codes(flow: http.HTTPFlow) -> list[tuple[str, str]]:
    assert flow.response is not None
    return [(v["code"], v["where"]) for v in flow.response.json()["violations"]]


def test_request_of_takes_the_decoded_body_and_the_raw_query(lenient: Runtime) -> None:
    flow = tflow.tflow()
    flow.request.path = "/todos/ann?status=open&limit=5"
    flow.request.headers["content-encoding"] = "gzip"
    flow.request.content = b'{"title": "x"}'  # set_content encodes it
    assert flow.request.raw_content != flow.request.content
    request = request_of(flow, 1 << 20)
    assert (request.path, request.query) == ("/todos/ann", "status=open&limit=5")
    assert request.body == b'{"title": "x"}'


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "expected"),
    [
        ("GET", "/nowhere", None, 404, [("unknown_path", "path")]),
        ("PUT", "/todos/ann", {"title": "x"}, 405, [("method_not_allowed", "method")]),
        ("POST", "/todos/ann", {"title": 5}, 422, [("invalid_body", "body/title")]),
        ("GET", "/todos/ann?limit=0", None, 422, [("invalid_parameter", "query.limit")]),
    ],
)
def test_strict_answers_an_invalid_request_itself(
    strict: Runtime,
    method: str,
    path: str,
    body: object,
    status: int,
    expected: list[tuple[str, str]],
) -> None:
    flow = arrived(strict, method, path, body)
    exchange = exchange_of(flow)
    assert exchange is not None and exchange.answered_by == "proxy"
    assert flow.response is not None and flow.response.status_code == status
    assert flow.response.headers["content-type"] == "application/problem+json"
    assert codes(flow) == expected
    assert exchange.response_violations == []
    assert exchange.known_violations() == len(expected)


def test_default_mode_lets_an_invalid_request_through(lenient: Runtime) -> None:
    flow = arrived(lenient, "POST", "/todos/ann", {"title": 5})
    exchange = exchange_of(flow)
    assert flow.response is None and exchange is not None and exchange.answered_by == "backend"
    assert [v.code for v in exchange.request_violations] == ["invalid_body"]


def test_strict_replaces_an_invalid_backend_answer_with_a_502(strict: Runtime) -> None:
    flow = arrived(strict, "GET", "/todos/ann")
    exchange = answered(flow, 200, {"todos": [], "count": "0"})
    ResponseChecks(strict).response(flow)
    assert flow.response is not None and flow.response.status_code == 502
    assert codes(flow) == [("invalid_response_body", "body/count")]
    assert exchange.known_violations() == 1


def test_strict_leaves_a_valid_backend_answer_untouched(strict: Runtime) -> None:
    flow = arrived(strict, "GET", "/todos/ann")
    answered(flow, 200, {"todos": [], "count": 0})
    before = flow.response
    ResponseChecks(strict).response(flow)
    assert flow.response is before and before is not None and before.status_code == 200


def test_the_proxy_s_own_timeout_is_kept_and_checked_for_slowness_only(strict: Runtime) -> None:
    flow = arrived(strict, "GET", "/todos/ann")
    exchange = exchange_of(flow)
    assert exchange is not None
    exchange.error = "backend did not answer within 0.5 s"
    exchange.answered_by = "proxy"
    exchange.duration_ms = 500.0
    flow.response = error_response(504, "backend_timeout", exchange.error)
    assert held_to_contract(exchange)
    ResponseChecks(strict).response(flow)
    assert flow.response is not None and flow.response.status_code == 504  # not replaced
    # 504 is not documented for listTodos, but it is the proxy's word, not the backend's.
    assert [(v.code, v.where) for v in exchange.response_violations or []] == [
        ("slow_response", "duration")
    ]


def test_only_the_backend_s_mock_s_or_a_failed_backend_s_answer_is_checked(
    lenient: Runtime,
) -> None:
    exchange = Exchange(served=lenient.service.current)
    assert held_to_contract(exchange)
    exchange.answered_by = "mock"
    assert held_to_contract(exchange)
    exchange.answered_by = "proxy"  # the manifest, a refusal, a strict answer
    assert not held_to_contract(exchange)
    exchange.error = "backend unreachable"
    assert held_to_contract(exchange)


def test_check_response_keeps_the_first_verdict(lenient: Runtime) -> None:
    flow = arrived(lenient, "GET", "/todos/ann")
    exchange = answered(flow, 418, {"teapot": True})
    assert flow.response is not None
    check_response(exchange, flow.response, 1 << 20)
    assert [v.code for v in exchange.response_violations or []] == ["undocumented_status"]
    flow.response.status_code = 200
    check_response(exchange, flow.response, 1 << 20)  # already checked: not again
    assert [v.code for v in exchange.response_violations or []] == ["undocumented_status"]


def test_a_coded_body_is_checked_off_the_loop_with_the_same_verdict(
    lenient: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large gzip body is inflated in a worker thread; the verdict is the one on the loop."""
    from pluginlab_tui.proxy import checks

    monkeypatch.setattr(checks, "_COSTLY_BYTES", 1)
    flow = tflow.tflow()
    flow.request.method = "POST"
    flow.request.path = "/todos/ann"
    flow.request.headers["content-type"] = "application/json"
    flow.request.headers["content-encoding"] = "gzip"
    flow.request.content = json.dumps({"title": 5}).encode()
    assert checks._costly(flow.request)
    Intake(lenient).request(flow)
    asyncio.run(RequestChecks(lenient).request(flow))
    exchange = exchange_of(flow)
    assert exchange is not None and exchange.check is not None
    assert [(v.code, v.where) for v in exchange.check.violations] == [
        ("invalid_body", "body/title")
    ]


def test_the_mcp_endpoint_is_not_held_to_the_spec_and_other_paths_still_are(
    tmp_path: Path,
) -> None:
    sections = todo_sections(tmp_path, None, mcp={"endpoint": "/mcp"}, proxy={"strict": True})
    runtime = Runtime(load_config(write_config(tmp_path, sections)))
    runtime.start()
    try:
        rpc = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        for path in ("/mcp", "/mcp/messages?session_id=1"):
            flow = arrived(runtime, "POST", path, rpc)
            exchange = exchange_of(flow)
            assert exchange is not None and exchange.mcp and exchange.served is not None
            assert flow.response is None and exchange.check is None and not exchange.violations()
        elsewhere = arrived(runtime, "POST", "/mcpx", rpc)
        assert codes(elsewhere) == [("unknown_path", "path")]
    finally:
        runtime.close()
