"""Hostile and malformed input through the proxy: answered sensibly, recorded, no crash."""

from __future__ import annotations

import json
import socket

import pytest

from tests.conftest import ProxyFactory, events_since, stored_events
from tests.harness import ProxyProcess, wait_for


@pytest.fixture(scope="module")
def shared(start_module_proxy: ProxyFactory) -> ProxyProcess:
    """One proxy for the tests that wait for all of their own events (the ids before are marked)."""
    return start_module_proxy()


def raw(proxy: ProxyProcess, data: bytes) -> bytes:
    host, port = proxy.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and len(b"".join(chunks)) > 12:
                break
    return b"".join(chunks)


def test_bad_bodies_are_checked_and_recorded(shared: ProxyProcess) -> None:
    proxy = shared
    earlier = {e.event_id for e in stored_events(proxy.db)}
    big = json.dumps({"title": "x" * (10 * 1024 * 1024)})
    with proxy.client() as client:
        malformed = client.post(
            "/todos/bad", content=b'{"title": ', headers={"content-type": "application/json"}
        )
        not_utf8 = client.post(
            "/todos/bad",
            content=b'{"title": "\xff\xfe"}',
            headers={"content-type": "application/json"},
        )
        binary = client.post(
            "/todos/bad",
            content=bytes(range(256)),
            headers={"content-type": "application/octet-stream"},
        )
        huge = client.post("/todos/bad", content=big, headers={"content-type": "application/json"})
    assert malformed.status_code == 400 and malformed.headers["X-PluginLab-Violations"] == "1"
    assert not_utf8.headers["X-PluginLab-Violations"] == "1"
    assert binary.headers["X-PluginLab-Violations"] == "1"
    assert huge.status_code == 201
    events = wait_for(lambda: (e := events_since(proxy.db, earlier)) and len(e) == 4 and e)
    codes = [[v.code for v in e.violations] for e in events]
    assert codes[0] == ["invalid_body"] and codes[1] == ["invalid_body"]
    assert codes[2] == ["unsupported_media_type"]
    assert events[1].request_binary and events[2].request_binary
    assert events[3].request_size == len(big) and events[3].request_truncated
    assert len(events[3].request_body or "") <= 1_048_576


def test_odd_requests_are_answered_and_recorded(shared: ProxyProcess) -> None:
    proxy = shared
    earlier = {e.event_id for e in stored_events(proxy.db)}
    many = {f"X-Many-{i}": str(i) for i in range(1000)}
    with proxy.client() as client:
        headers = client.get("/todos/odd", headers=many)
        long_url = client.get("/todos/" + "a" * 8000)
        propfind = client.request("PROPFIND", "/todos/odd")
        trace = client.request("TRACE", "/")
    assert headers.status_code == 200
    assert long_url.status_code in (200, 400, 404, 414)
    assert propfind.status_code == 405 or propfind.headers["X-PluginLab-Violations"] == "1"
    assert "X-PluginLab-Event-Id" in trace.headers
    events = wait_for(lambda: (e := events_since(proxy.db, earlier)) and len(e) == 4 and e)
    assert [e.method for e in events] == ["GET", "GET", "PROPFIND", "TRACE"]
    assert len(events[0].request_headers) >= 1000
    assert [v.code for v in events[2].violations] == ["method_not_allowed"]
    assert [v.code for v in events[3].violations] == ["unknown_path"]


def test_path_traversal_reaches_no_file(shared: ProxyProcess) -> None:
    proxy = shared
    earlier = {e.event_id for e in stored_events(proxy.db)}
    secret = proxy.config.read_text()
    attempts = [
        "/.well-known/../../../../etc/passwd",
        "/_pluginlab/logo.png/../../pluginlab.toml",
        "/_pluginlab/%2e%2e/%2e%2e/pluginlab.toml",
        "/openapi.yaml/../pluginlab.toml",
        "/..%2f..%2fpluginlab.toml",
    ]
    for path in attempts:
        answer = raw(proxy, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        assert b"root:" not in answer and b"[store]" not in answer, path
        assert secret.encode() not in answer
    events = wait_for(
        lambda: (e := events_since(proxy.db, earlier)) and len(e) == len(attempts) and e
    )
    assert len(events) == len(attempts)


def test_garbage_instead_of_http_does_not_stop_the_proxy(start_proxy: ProxyFactory) -> None:
    proxy = start_proxy()
    answer = raw(proxy, b"\x16\x03\x01 definitely not http\r\n\r\n")
    assert b"200" not in answer[:20]
    with proxy.client() as client:
        assert client.get("/todos/after").status_code == 200
