"""serve's front (aiohttp's server driving the addon): what a caller sees on the wire, and that
every exchange is still one event, through a real serve process in front of the todo example."""

from __future__ import annotations

import json
import re
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
from pluginlab_tui.proxy import aiohttp_answer, front
from tests.conftest import ProxyFactory, stored_events
from tests.e2e.test_hosting import notices
from tests.e2e.test_paths import recording_backend
from tests.harness import ProxyProcess, todo_sections, wait_for, write_config
from tests.proxy.test_pipeline import InProcessProxy
from tests.rogue import RogueBackend

MCP_ACCEPT = "application/json, text/event-stream"


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


def _until_closed(sock: socket.socket) -> bytes:
    """All the proxy sends until it closes the connection."""
    sock.settimeout(10)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def _status_lines(received: bytes) -> list[bytes]:
    return re.findall(rb"HTTP/1\.[01] \d{3} [^\r\n]*\r\n", received)


#: Heads mitmproxy's server refuses (its validate_inbound_headers, and CONNECT in reverse mode):
#: a backend could read each otherwise than the proxy, and run what the proxy took for a body
#: or for nothing as a request of its own.
REFUSED_HEADS = {
    "chunked, named with a space before its colon": (
        b"POST /todos/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n"
    ),
    "a length, named with a space before its colon": (
        b"POST /todos/a HTTP/1.1\r\nHost: x\r\nContent-Length : 44\r\nContent-Length: 0\r\n\r\n"
    ),
    "a field name that is not a token": b"GET /todos/a HTTP/1.1\r\nHost: x\r\nX Note: hi\r\n\r\n",
    "chunked over HTTP/1.0": (
        b"POST /todos/a HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    ),
    "a coding before chunked": (
        b"POST /todos/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity, chunked\r\n\r\n"
        b"0\r\n\r\n"
    ),
    "a length with a leading zero": (
        b"POST /todos/a HTTP/1.1\r\nHost: x\r\nContent-Length: 00\r\n\r\n"
    ),
    "a length that is no number": (
        b"POST /todos/a HTTP/1.1\r\nHost: x\r\nContent-Length: 3x\r\n\r\n{}\r\n"
    ),
    "CONNECT": b"CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n",
    "a length and chunked": (
        b"POST /todos/a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    ),
    "two lengths": (
        b"POST /todos/a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n"
    ),
    "two codings": (
        b"POST /todos/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Transfer-Encoding: identity\r\n\r\n0\r\n\r\n"
    ),
    "a coding other than chunked": (
        b"POST /todos/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
    ),
}
SMUGGLED = b"GET /todos/smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize("args", [(), ("--engine", "mitmproxy")], ids=["front", "mitmproxy"])
def test_a_head_the_backend_could_read_otherwise_is_refused_recorded_and_never_forwarded(
    start_proxy: ProxyFactory, args: tuple[str, ...]
) -> None:
    with recording_backend() as (url, seen):
        proxy = start_proxy(*args, backend=url)
        for why, head in REFUSED_HEADS.items():
            with _connect(proxy) as sock:
                # (after an HTTP/1.0 head, which closes, more bytes are refused of themselves)
                sock.sendall(head + SMUGGLED if b" HTTP/1.1\r\n" in head else head)
                received = _until_closed(sock)
            # one answer, then closed: what came behind the head is never read as a request
            assert [line.split(b" ")[1] for line in _status_lines(received)] == [b"400"], why
        events = wait_for(
            lambda: (e := stored_events(proxy.db)) and len(e) == len(REFUSED_HEADS) and e
        )
        assert seen == []
    assert [e.status for e in events] == [400] * len(REFUSED_HEADS)
    assert all(e.error for e in events)
    assert "/todos/smuggled" not in [e.path for e in events]
    if not args:  # the front's answer names its event
        assert "X-PluginLab-Event-Id: " + events[-1].event_id in received.decode()


def test_a_chunked_body_that_cannot_be_read_is_400_and_one_event(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy()
    head = b"POST /todos/chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    for framing in (b"-2\r\n{}\r\n0\r\n\r\n", b"2\n{}\n0\n\n", b"2\r\n{}\n0\r\n\r\n"):
        with _connect(proxy) as sock:
            sock.sendall(head + framing + SMUGGLED)
            received = _until_closed(sock)
        assert [line.split(b" ")[1] for line in _status_lines(received)] == [b"400"], framing
    events = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) == 3 and e)
    assert [(e.path, e.status) for e in events] == [("/todos/chunks", 400)] * 3
    assert all((e.error or "").startswith("the request body could not be read: ") for e in events)


def test_a_head_that_cannot_be_read_is_a_json_400_naming_no_server_and_logging_no_traceback(
    start_proxy: ProxyFactory,
) -> None:
    heads = [
        b"GET foo HTTP/1.1\r\nHost: x\r\n\r\n",  # no form of target mitmproxy reads
        b"GET @evil.example/x HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /todos/a HTTP/1.1\r\nHost: x\r\nX-Folded-First\r\n\r\n",  # a field without colon
        b"GET /todos/a HTTP/1.1\nHost: x\n\n",  # bare line feeds
    ]
    with recording_backend() as (url, seen):
        proxy = start_proxy(backend=url)
        for head in heads:
            with _connect(proxy) as sock:
                sock.sendall(head)
                received = _until_closed(sock)
            fields, _, body = received.partition(b"\r\n\r\n")
            assert fields.split(b" ")[1] == b"400", head
            assert b"\r\nserver:" not in fields.lower()
            assert json.loads(body)["error"] == "bad_request"
        assert httpx.get(proxy.url + "/_pluginlab/health", trust_env=False).status_code == 200
        proxy.stop()
        assert seen == []
    assert "Traceback" not in proxy.output


def test_an_mcp_backend_that_sends_no_head_is_given_up_after_proxy_timeout_s(
    start_proxy: ProxyFactory,
) -> None:
    with RogueBackend("hang") as rogue:  # reads the request, then says nothing for 10 s
        proxy = start_proxy(backend=rogue.url, mcp={"endpoint": "/mcp"}, proxy={"timeout_s": 1})
        began = time.monotonic()
        with proxy.client() as client:
            ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
            answer = client.post("/mcp", json=ping, headers={"Accept": MCP_ACCEPT}, timeout=30)
        took = time.monotonic() - began
    assert answer.status_code == 504 and answer.json()["error"] == "backend_timeout"
    assert took < 5, took  # not the backend's 10 s
    (event,) = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) == 1 and e)
    assert event.status == 504 and "did not answer within 1 s" in (event.error or "")


def test_backend_fields_aiohttp_cannot_write_reach_the_caller_percent_encoded(
    start_proxy: ProxyFactory,
) -> None:
    with RogueBackend("odd_fields") as rogue:
        proxy = start_proxy(backend=rogue.url)
        with _connect(proxy) as sock:
            sock.sendall(b"GET /todos/odd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            received = _until_closed(sock)
    fields = received.partition(b"\r\n\r\n")[0].split(b"\r\n")
    assert fields[0].startswith(b"HTTP/1.1 200 ")
    assert b"X-Control: a%01b%7Fc" in fields  # controls: the answer is not lost
    assert "X-Utf8: café".encode() in fields  # UTF-8: as it came, not doubled as Latin-1
    assert b"X-Latin1: caf%E9" in fields  # not UTF-8: kept, encoded
    (event,) = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) == 1 and e)
    assert event.status == 200


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


def test_an_exchange_the_proxys_stop_cuts_short_is_recorded_as_cut_by_the_stop(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy()
    with _connect(proxy) as sock:
        sock.sendall(b"GET /todos/stopping HTTP/1.1\r\nHost: x\r\nX-Todo-Delay: 30\r\n\r\n")
        time.sleep(0.3)  # in flight at the backend
        assert proxy.stop() == 0  # past its grace (5 s), the stop cuts the exchange
        assert _until_closed(sock) == b""
    (event,) = stored_events(proxy.db)
    assert event.path == "/todos/stopping" and event.status is None
    assert event.error == "the proxy stopped before the exchange ended"


def test_a_body_the_caller_stops_sending_is_answered_408_and_recorded(
    tmp_path: Path, todo_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(front, "CALLER_IDLE_S", 0.5)  # mitmproxy's tcp_timeout: 600 s
    config = write_config(tmp_path, todo_sections(tmp_path, todo_backend.url))
    with InProcessProxy(config) as proxy:
        where = urlsplit(proxy.url)
        with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
            sock.sendall(
                b"POST /todos/stalled HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 100\r\n\r\n{"title": '
            )
            received = _until_closed(sock)
        db = proxy.config.store_path
        (event,) = wait_for(lambda: (e := stored_events(db)) and len(e) == 1 and e)
    assert [line.split(b" ")[1] for line in _status_lines(received)] == [b"408"]
    assert event.path == "/todos/stalled" and event.status == 408
    assert event.error == "the caller sent nothing more of its body for 0.5 s"


def test_an_mcp_request_the_backend_fails_is_a_502_and_its_event_says_so(
    start_proxy: ProxyFactory,
) -> None:
    with RogueBackend("garbage") as rogue:
        proxy = start_proxy(backend=rogue.url, mcp={"endpoint": "/mcp"})
        call = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        with proxy.client() as client:
            answer = client.post("/mcp", json=call, headers={"Accept": "application/json"})
        events = wait_for(
            lambda: [e for e in stored_events(proxy.db) if e.path == "/mcp" and e.rpc_id]
        )
    assert answer.status_code == 502
    assert [(e.status, bool(e.error)) for e in events] == [(502, True)]


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
    sent = aiohttp_answer.whole

    def failing(response: http.Response, close: bool = False) -> web.StreamResponse:
        if response.status_code == 200:  # the backend's answer cannot be sent: the front fails
            raise RuntimeError("injected into the front")
        return sent(response, close)

    monkeypatch.setattr(front, "whole", failing)
    config = write_config(tmp_path, todo_sections(tmp_path, todo_backend.url))
    with InProcessProxy(config) as proxy, httpx.Client(trust_env=False, timeout=10) as client:
        answer = client.get(proxy.url + "/todos/failing?limit=5")
        assert answer.status_code == 500 and answer.json()["error"] == "proxy_error"
        assert "Traceback" not in answer.text
        (event,) = wait_for(lambda: (e := stored_events(proxy.config.store_path)) and e)
        assert event.path == "/todos/failing" and event.status == 200  # what the backend said
        monkeypatch.setattr(front, "whole", sent)
        assert client.get(proxy.url + "/todos/after?limit=5").status_code == 200  # still up


def test_a_target_that_reads_as_a_host_yarl_cannot_decode_is_answered_and_recorded(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy()
    with _connect(proxy) as sock:  # `//ώ` would name a host, were the target parsed as a URL
        sock.sendall(b"GET //\xcf\x8e HTTP/1.1\r\nHost: x\r\n\r\n")
        (answer,) = _answers(sock, 1)
    assert answer.startswith(b"HTTP/1.1 ")
    (event,) = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) == 1 and e)
    assert event.method == "GET" and event.path == "/%CF%8E"  # made canonical, as recorded


def _health(proxy: ProxyProcess) -> dict[str, Any]:
    return dict(httpx.get(proxy.url + "/_pluginlab/health", trust_env=False).json())


def test_a_connection_past_max_connections_is_answered_503_counted_and_told(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy(proxy={"max_connections": 3})
    idle = [_connect(proxy) for _ in range(3)]  # connected, nothing sent (a slow caller)
    try:
        with _connect(proxy) as one_more:
            refused = _until_closed(one_more)
        assert _status_lines(refused)[0].split(b" ")[1] == b"503"
        problem = json.loads(refused.partition(b"\r\n\r\n")[2])
        assert problem["error"] == "proxy_busy"
        assert "proxy.max_connections (3)" in problem["message"]
        # the connections it holds are served
        idle[0].sendall(b"GET /_pluginlab/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answered = _until_closed(idle[0])
        assert _status_lines(answered)[0].split(b" ")[1] == b"200"
        health = json.loads(answered.partition(b"\r\n\r\n")[2])
        assert health["connections"] == 3 and health["events_not_stored"] == 1
    finally:
        for sock in idle:
            sock.close()
    # once they close, callers come in again; the refusal is told in a notice
    health = wait_for(lambda: _health(proxy) if _health(proxy)["connections"] <= 1 else None)
    assert health["events_not_stored"] == 1
    told = wait_for(lambda: [n for n in notices(proxy.db) if "max_connections" in n] or None)
    assert told == [
        "1 event(s) not stored: a caller was refused before any request: the proxy has"
        " proxy.max_connections (3) connections open already: try again when fewer are open"
    ]


def test_a_kept_alive_connection_gives_each_head_back_when_its_exchange_ends(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy()
    ask = b"GET /_pluginlab/health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 1000 + b"\r\n\r\n"
    held = []
    with _connect(proxy) as sock:
        for _ in range(5):  # one after the other: only the asking head is in flight
            sock.sendall(ask)
            (answer,) = _answers(sock, 1)
            held.append(json.loads(answer.partition(b"\r\n\r\n")[2])["inflight_bytes"])
    assert held == [len(ask)] * 5


def test_a_head_not_complete_in_time_is_408_and_a_connection_that_sent_nothing_closed(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy(proxy={"head_timeout_s": 0.5})
    with _connect(proxy) as silent, _connect(proxy) as slow, _connect(proxy) as kept:
        slow.sendall(b"GET /_pluginlab/health HTTP/1.1\r\nHost: x\r\n")  # and no more
        kept.sendall(b"GET /_pluginlab/health HTTP/1.1\r\nHost: x\r\n\r\n")
        (answer,) = _answers(kept, 1)  # in time; then idle between requests: no head timer
        time.sleep(1.0)
        kept.sendall(b"GET /_pluginlab/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        again = _until_closed(kept)
        received = {
            name: _until_closed(sock) for name, sock in (("silent", silent), ("slow", slow))
        }
    assert _status_lines(answer + again) == [b"HTTP/1.1 200 OK\r\n"] * 2
    assert received["silent"] == b""  # closed without a word: a spare connection, unused
    assert _status_lines(received["slow"])[0].split(b" ")[1] == b"408"
    problem = json.loads(received["slow"].partition(b"\r\n\r\n")[2])
    assert problem["error"] == "request_timeout"
    assert "proxy.head_timeout_s (0.5 s)" in problem["message"]
    assert _health(proxy)["events_not_stored"] == 1
    why = (
        " event(s) not stored: a caller was refused before any request: no complete request"
        " head came within proxy.head_timeout_s (0.5 s)"
    )

    def told() -> int:
        return sum(int(n.removesuffix(why)) for n in notices(proxy.db) if n.endswith(why))

    assert wait_for(lambda: told() == 1 or None)


def test_heads_sent_slowly_hold_the_budget_and_past_it_are_503(
    start_proxy: ProxyFactory,
) -> None:
    """Many callers each trickling a large head (slowloris): the heads are held in the budget as
    they arrive, so past it the next is refused, and the proxy's memory stays bounded."""
    proxy = start_proxy(proxy={"max_inflight_bytes": 1_000_000})
    head = b"GET /_pluginlab/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: "
    with _connect(proxy) as first, _connect(proxy) as second:
        first.sendall(head + b"p" * 600_000)  # never finished, yet
        second.sendall(head + b"p" * 200_000)  # within its floor: never refused
        wait_for(lambda: _health(proxy)["inflight_bytes"] >= 800_000 or None)
        with _connect(proxy) as third:
            third.sendall(head + b"p" * 300_000)  # past the budget, and its floor
            refused = _until_closed(third)
        first.sendall(b"\r\n\r\n")
        answered = _until_closed(first)
        second.sendall(b"\r\n\r\n")
        also = _until_closed(second)
    assert _status_lines(refused)[0].split(b" ")[1] == b"503"
    problem = json.loads(refused.partition(b"\r\n\r\n")[2])
    assert problem["error"] == "proxy_busy" and "proxy.max_inflight_bytes" in problem["message"]
    assert _status_lines(answered)[0].split(b" ")[1] == b"200"
    assert _status_lines(also)[0].split(b" ")[1] == b"200"
    health = wait_for(lambda: _health(proxy) if _health(proxy)["inflight_bytes"] < 1000 else None)
    assert health["events_not_stored"] == 1
    told = wait_for(lambda: [n for n in notices(proxy.db) if "max_inflight_bytes" in n] or None)
    assert len(told) == 1 and "before any request" in told[0]


def test_bodies_past_the_in_flight_budget_are_503_with_an_event_and_it_comes_back(
    start_proxy: ProxyFactory, todo_backend: Backend
) -> None:
    proxy = start_proxy(proxy={"max_inflight_bytes": 1_000_000})
    title = "t" * 400_000  # a list whose answer alone is 400 KB (past the budget's floor)
    httpx.post(f"{todo_backend.url}/todos/budget", json={"title": title}, trust_env=False)

    asking = b"GET /_pluginlab/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

    def held() -> int:
        """What the proxy holds, but the head asking it (heads are held too)."""
        with _connect(proxy) as sock:
            sock.sendall(asking)
            health = json.loads(_until_closed(sock).partition(b"\r\n\r\n")[2])
        return int(health["inflight_bytes"]) - len(asking)

    head = b"POST /todos/budget HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    head += b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    with _connect(proxy) as holding:
        holding.sendall(head % 1_000_000 + b" " * 900_000)  # 900 KB of its 1 MB body, held
        wait_for(lambda: held() >= 900_000)
        with _connect(proxy) as late:  # a request body past the budget (and its floor)
            late.sendall(head % 400_000 + b" " * 300_000)  # all read before it is refused
            refused = _until_closed(late)
        small = httpx.get(proxy.url + "/todos/other", trust_env=False)  # within the floor
        # an answer past the budget (the backend's 400 KB), while the first body is held
        answer = httpx.get(proxy.url + "/todos/budget", trust_env=False)
        holding.sendall(b" " * 100_000)
        ended = _until_closed(holding)
    assert _status_lines(refused)[0].split(b" ")[1] == b"503"
    assert json.loads(refused.partition(b"\r\n\r\n")[2])["error"] == "proxy_busy"
    assert small.status_code == 200
    assert answer.status_code == 503 and answer.json()["error"] == "proxy_busy"
    assert _status_lines(ended)[0].split(b" ")[1] != b"503"  # the first exchange went on
    assert held() == 0  # every share came back
    after = httpx.get(proxy.url + "/todos/budget", trust_env=False)
    assert after.status_code == 200 and title in after.text  # alone, the same answer passes
    stored = wait_for(lambda: len(stored_events(proxy.db)) >= 5 or None)  # every exchange
    assert stored
    events = [e for e in stored_events(proxy.db) if e.status == 503]
    assert len(events) == 2
    assert all("proxy.max_inflight_bytes (1,000,000 bytes)" in (e.error or "") for e in events)
