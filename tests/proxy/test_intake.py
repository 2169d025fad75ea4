"""The first stage: the caller's X-PluginLab-* headers go, the path is made canonical once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mitmproxy import http
from mitmproxy.test import tflow

from pluginlab_tui.access.grant import Grant, sign, store_secret
from pluginlab_tui.config import load_config
from pluginlab_tui.proxy.exchange import exchange_of
from pluginlab_tui.proxy.intake import Intake, strip_proxy_headers
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.wire import GRANT_HEADER
from tests.harness import todo_sections, write_config


@pytest.fixture
def intake(tmp_path: Path) -> Iterator[Intake]:
    runtime = Runtime(load_config(write_config(tmp_path, todo_sections(tmp_path, None))))
    runtime.start()
    yield Intake(runtime)
    runtime.close()


def _flow(path: str, *headers: tuple[str, str]) -> http.HTTPFlow:
    flow = tflow.tflow()
    flow.client_conn.peername = ("127.0.0.1", 50000)
    flow.request.path = path
    for name, value in headers:
        flow.request.headers.add(name, value)
    return flow


def test_every_header_in_the_proxys_namespace_is_removed() -> None:
    headers = http.Headers(
        [
            (b"X-PluginLab-User-Id", b"mallory"),
            (b"x-pluginlab-user-id", b"eve"),
            (b"X-PLUGINLAB-PLAN", b"enterprise"),
            (b"X-PluginLab-\xff", b"undecodable name"),
            (b"X-PluginLabs", b"not ours"),
            (b"Accept", b"*/*"),
        ]
    )
    strip_proxy_headers(headers)
    assert list(headers.items(multi=True)) == [("X-PluginLabs", "not ours"), ("Accept", "*/*")]


def test_a_genuine_grant_is_honoured_then_removed_with_the_rest(intake: Intake) -> None:
    secret = store_secret(intake.runtime.conn)
    grant = sign(Grant(source="replay", replay_of="e-1", user_id="rex", plan="free"), secret)
    flow = _flow("/todos/rex", (GRANT_HEADER, grant), ("X-PluginLab-User-Id", "mallory"))
    intake.request(flow)
    exchange = exchange_of(flow)
    assert exchange is not None
    assert (exchange.source, exchange.user_id, exchange.plan) == ("replay", "rex", "free")
    assert not [k for k in flow.request.headers if k.lower().startswith("x-pluginlab-")]


def test_the_path_is_made_canonical_and_the_query_kept(intake: Intake) -> None:
    flow = _flow("/todos/x/%2e%2E//rex/./?q=%2e&r=../a")
    intake.request(flow)
    assert flow.request.path == "/todos/rex/?q=%2e&r=../a"
    assert flow.response is None


def test_an_encoded_slash_is_answered_400_with_the_violation(intake: Intake) -> None:
    flow = _flow("/todos/rex%2F1")
    intake.request(flow)
    exchange = exchange_of(flow)
    assert flow.response is not None and flow.response.status_code == 400
    assert flow.response.headers["content-type"] == "application/problem+json"
    assert exchange is not None and exchange.answered_by == "proxy"
    assert [v.code for v in exchange.request_violations] == ["ambiguous_path"]
    assert "encoded slash (%2F)" in exchange.request_violations[0].message
    assert flow.request.path == "/todos/rex%2F1"  # recorded as it came


def test_a_caller_the_allow_list_denies_is_left_to_it(tmp_path: Path) -> None:
    sections = todo_sections(tmp_path, None, auth={"allow_ips": ["10.0.0.0/8"]})
    runtime = Runtime(load_config(write_config(tmp_path, sections)))
    runtime.start()
    try:
        flow = _flow("/todos/rex%2F1")
        Intake(runtime).request(flow)
        assert flow.response is None  # IpGate, next, answers 403 ip_denied
    finally:
        runtime.close()


@pytest.mark.parametrize(
    ("path", "peer", "recorded"),
    [
        ("/_pluginlab/health", "127.0.0.1", False),  # the launcher's probe
        ("/_pluginlab/health", "192.0.2.7", True),  # not from this machine
        ("/todos/rex", "127.0.0.1", True),  # the header does not hide other paths
    ],
)
def test_only_a_loopback_probe_of_the_health_route_goes_unrecorded(
    intake: Intake, path: str, peer: str, recorded: bool
) -> None:
    flow = _flow(path, ("X-PluginLab-Probe", "1"))
    flow.client_conn.peername = (peer, 50000)
    intake.request(flow)
    exchange = exchange_of(flow)
    assert exchange is not None
    assert exchange.recorded is not recorded
    assert (id(flow) in intake.runtime.inflight) is recorded
    assert "X-PluginLab-Probe" not in flow.request.headers
