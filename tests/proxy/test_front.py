"""serve's front (aiohttp's server driving the addon): what a caller sees on the wire, and that
every exchange is still one event, through a real serve process in front of the todo example."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from aiohttp import web
from mitmproxy import http

from pluginlab_tui.examples import Backend
from pluginlab_tui.proxy import front
from tests.conftest import ProxyFactory, stored_events
from tests.harness import ProxyProcess, todo_sections, wait_for, write_config
from tests.proxy.test_pipeline import InProcessProxy


def _connect(proxy: ProxyProcess) -> socket.socket:
    where = urlsplit(proxy.url)
    return socket.create_connection((where.hostname, where.port), timeout=10)


def _answers(sock: socket.socket, count: int) -> list[bytes]:
    """`count` answers read off one connection (each head and its Content-Length body)."""
    buffer, found = b"", list[bytes]()
    while len(found) < count:
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            assert chunk, f"the proxy closed the connection after {len(found)} answers"
            buffer += chunk
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        while len(buffer) < length:
            chunk = sock.recv(65536)
            assert chunk, "the proxy closed the connection within a body"
            buffer += chunk
        found.append(head + b"\r\n\r\n" + buffer[:length])
        buffer = buffer[length:]
    return found


def test_pipelined_requests_on_one_connection_are_answered_in_order_and_each_recorded(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy()
    requests = b"".join(
        f"GET /todos/pipe{i}?limit=5 HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(5)
    )
    with _connect(proxy) as sock:
        sock.sendall(requests)
        answers = _answers(sock, 5)
    assert all(a.startswith(b"HTTP/1.1 200") for a in answers)
    events = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) == 5 and e)
    assert [e.path for e in events] == [f"/todos/pipe{i}" for i in range(5)]
    ids = [a.split(b"X-PluginLab-Event-Id: ")[1].split(b"\r\n")[0].decode() for a in answers]
    assert ids == [e.event_id for e in events]


def test_expect_100_continue_gets_its_interim_answer_before_the_body_is_sent(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy()
    body = b'{"title": "from a careful client"}'
    with _connect(proxy) as sock:
        sock.sendall(
            b"POST /todos/careful HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Expect: 100-continue\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        interim = sock.recv(65536)
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(body)
        (answer,) = _answers(sock, 1)
    assert answer.startswith(b"HTTP/1.1 ")
    (event,) = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) == 1 and e)
    assert event.method == "POST" and event.request_body == body.decode()


def test_a_body_over_the_limit_is_413_the_connection_closes_and_the_event_says_why(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy(proxy={"max_body_bytes": 1000})
    with _connect(proxy) as sock:
        sock.sendall(
            b"POST /todos/big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"%x\r\n" % 4000
            + b"a" * 4000
            + b"\r\n"
        )
        (answer,) = _answers(sock, 1)
        assert answer.startswith(b"HTTP/1.1 413")
        sock.settimeout(5)
        assert sock.recv(65536) == b""  # the rest of the body is never read: closed
    (event,) = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) == 1 and e)
    assert event.status == 413 and "max_body_bytes (1,000 bytes)" in (event.error or "")
    assert httpx.get(proxy.url + "/_pluginlab/health", trust_env=False).status_code == 200


def test_a_caller_that_leaves_before_the_answer_is_still_one_event(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy()
    with _connect(proxy) as sock:
        sock.sendall(b"GET /todos/leaving HTTP/1.1\r\nHost: x\r\nX-Todo-Delay: 2\r\n\r\n")
        time.sleep(0.3)
    (event,) = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) == 1 and e)
    assert event.path == "/todos/leaving" and event.error == "Client disconnected."
    assert event.response_body is None


def test_the_proxys_own_answers_name_no_server_and_the_backends_header_passes(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy()
    with proxy.client() as client:
        own = client.get("/_pluginlab/health")
        forwarded = client.get("/todos/branding?limit=5")
    assert own.status_code == 200 and "server" not in own.headers
    assert forwarded.headers["server"] == "uvicorn"


def test_a_request_head_over_its_bound_is_refused_and_the_proxy_stays_up(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy()
    field = b"X-Big-%d: " + b"v" * 60_000 + b"\r\n"
    with _connect(proxy) as sock:
        sock.sendall(b"GET /todos/huge HTTP/1.1\r\nHost: x\r\n")
        try:
            for i in range(100):  # 6 MB of head, over the 4 MiB bound
                sock.sendall(field % i)
        except OSError:
            pass  # refused while sending: the proxy closed it
        sock.settimeout(10)
        try:
            answer = sock.recv(65536)
        except OSError:
            answer = b""
    assert answer == b"" or answer.split(b" ", 2)[1] == b"400"
    assert httpx.get(proxy.url + "/_pluginlab/health", trust_env=False).status_code == 200


@pytest.mark.parametrize(
    ("engine", "args", "sections"),
    [
        ("aiohttp", (), {}),
        ("mitmproxy", ("--engine", "mitmproxy"), {}),
        ("mitmproxy", (), {"proxy": {"engine": "mitmproxy"}}),
    ],
)
def test_either_engine_forwards_checks_and_records(
    start_proxy: ProxyFactory, engine: str, args: tuple[str, ...], sections: dict[str, Any]
) -> None:
    proxy = start_proxy(*args, **sections)
    with proxy.client() as client:
        health = client.get("/_pluginlab/health").json()
        valid = client.get("/todos/engine?limit=5")
        invalid = client.get("/todos/engine?limit=0")
    assert health["engine"] == engine
    assert valid.status_code == 200 and valid.headers["X-PluginLab-Violations"] == "0"
    assert invalid.headers["X-PluginLab-Violations"] == "1"
    events = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) == 3 and e)
    assert [e.violation_count for e in events] == [0, 0, 1]


def test_a_failure_of_the_front_itself_is_answered_500_and_recorded(
    tmp_path: Path, todo_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = front._whole

    def failing(response: http.Response, close: bool = False) -> web.StreamResponse:
        if response.status_code == 200:  # the backend's answer cannot be sent: the front fails
            raise RuntimeError("injected into the front")
        return sent(response, close)

    monkeypatch.setattr(front, "_whole", failing)
    config = write_config(tmp_path, todo_sections(tmp_path, todo_backend.url))
    with InProcessProxy(config) as proxy, httpx.Client(trust_env=False, timeout=10) as client:
        answer = client.get(proxy.url + "/todos/failing?limit=5")
        assert answer.status_code == 500 and answer.json()["error"] == "proxy_error"
        assert "Traceback" not in answer.text
        (event,) = wait_for(lambda: (e := stored_events(proxy.config.store_path)) and e)
        assert event.path == "/todos/failing" and event.status == 200  # what the backend said
        monkeypatch.setattr(front, "_whole", sent)
        assert client.get(proxy.url + "/todos/after?limit=5").status_code == 200  # still up
