"""Bounded work for any input, through the real proxy: decompression bombs both ways, bodies over
proxy.max_body_bytes, chunked requests with trailers, an alias bomb edited into the spec; a bomb
on the MCP path answered and recorded as on the OpenAPI path."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pluginlab_tui.store.event import Event
from tests.bombs import alias_bomb, gzip_bomb
from tests.conftest import ProxyFactory, stored_events
from tests.e2e.lab import LabBackend, lab_sections
from tests.e2e.test_hosting import editable_copy, notices
from tests.e2e.test_mcp_mode import Proxy
from tests.harness import ProxyProcess, wait_for
from tests.mcp.servers import http_app, serving, widget_server

MiB = 1024 * 1024
#: The proxy's peak RSS must stay far below what inflating 1 GiB costs (it took 3.3 GB).
PEAK_RSS_MAX = 600 * MiB


def peak_rss(proxy: ProxyProcess) -> int:
    """The proxy process's high-water mark of resident memory, in bytes."""
    assert proxy.process is not None
    for line in Path(f"/proc/{proxy.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def events_where(proxy: ProxyProcess, count: int) -> list[Event]:
    found = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) >= count and e, timeout=20)
    assert found, f"expected {count} events"
    return list(found)


def codes(event: Event) -> list[tuple[str, str]]:
    return [(v.code, v.location) for v in event.violations]


def still_up(proxy: ProxyProcess) -> None:
    with proxy.client() as client:
        assert client.get("/_pluginlab/health").status_code == 200


def raw_exchange(proxy: ProxyProcess, head: bytes, body: Iterator[bytes] | None = None) -> bytes:
    """Send a request over a raw socket (the body piece by piece, stopping when the proxy
    closes) and return what came back (b"" when nothing did)."""
    host, port = proxy.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head)
        try:
            for piece in body or ():
                sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer:
                    break
        except (TimeoutError, ConnectionResetError):
            pass
    return answer


@pytest.fixture(scope="module")
def lab_backend() -> Iterator[LabBackend]:
    with LabBackend() as backend:
        yield backend


def test_a_gzip_request_bomb_is_answered_and_flagged_with_memory_bounded(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy()
    bomb = gzip_bomb(1024 * MiB)  # 1 GiB of zeros in about 1 MB
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    with proxy.client() as client:
        answer = client.post("/todos/ann", content=bomb, headers=headers)
        assert answer.headers["X-PluginLab-Violations"] == "1"
    (event,) = events_where(proxy, 1)
    assert codes(event) == [("body_too_large_to_check", "request")]
    assert event.request_truncated and len(event.request_body or "") <= 1_048_576 * 2
    still_up(proxy)
    assert peak_rss(proxy) < PEAK_RSS_MAX


def test_an_unauthenticated_bomb_is_refused_and_recorded_without_inflating_it(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy(auth={"mode": "service_http", "service_token": "s3cret-token"})
    bomb = gzip_bomb(1024 * MiB)
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    with proxy.client() as client:
        for _ in range(3):
            assert client.post("/todos/ann", content=bomb, headers=headers).status_code == 401
    events = events_where(proxy, 3)
    assert [e.auth_result for e in events] == ["missing"] * 3
    assert all(e.request_truncated for e in events)
    still_up(proxy)
    assert peak_rss(proxy) < PEAK_RSS_MAX


def test_strict_mode_refuses_a_body_it_cannot_check(start_proxy: ProxyFactory) -> None:
    proxy = start_proxy(proxy={"strict": True})
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    with proxy.client() as client:
        answer = client.post("/todos/ann", content=gzip_bomb(64 * MiB), headers=headers)
    assert answer.status_code == 413
    assert [v["code"] for v in answer.json()["violations"]] == ["body_too_large_to_check"]
    (event,) = events_where(proxy, 1)
    assert event.status == 413


def test_a_body_that_does_not_inflate_is_no_crash(start_proxy: ProxyFactory) -> None:
    proxy = start_proxy()
    with proxy.client() as client:
        answer = client.post(
            "/todos/ann",
            content=b"\x1f\x8b not really gzip",
            headers={"content-type": "application/json", "content-encoding": "gzip"},
        )
        assert answer.status_code < 500
    (event,) = events_where(proxy, 1)
    assert [c for c, _ in codes(event)] == ["invalid_body"]
    still_up(proxy)


def test_a_backend_answering_a_gzip_bomb_is_flagged_with_memory_bounded(
    start_proxy: ProxyFactory, lab_backend: LabBackend
) -> None:
    proxy = start_proxy(backend=lab_backend.url, **lab_sections())
    with proxy.client() as client:
        for mode in ("gzip_bomb", "gzip_noise"):  # relayed as sent (not read here: a bomb)
            with client.stream("GET", "/v1/report", params={"mode": mode}) as answer:
                assert answer.status_code == 200
                assert answer.headers["content-encoding"] == "gzip"
    bomb, noise = events_where(proxy, 2)
    assert sorted(codes(bomb)) == [
        ("body_too_large_to_check", "response"),
        ("response_too_large", "response"),  # at least 16 MiB, so over 100,000 characters
    ]
    assert bomb.response_truncated
    assert "body_too_large_to_check" not in [c for c, _ in codes(noise)]
    still_up(proxy)
    assert peak_rss(proxy) < PEAK_RSS_MAX


def test_a_backend_body_over_max_body_bytes_is_a_502(
    start_proxy: ProxyFactory, lab_backend: LabBackend
) -> None:
    proxy = start_proxy(backend=lab_backend.url, **lab_sections(proxy={"max_body_bytes": 100_000}))
    with proxy.client() as client:
        answer = client.get("/v1/report", params={"mode": "gzip_bomb"})  # by its length
        streamed = client.get("/v1/report", params={"mode": "stream_big"})  # as it arrives
        good = client.get("/v1/report", params={"mode": "good"})
    assert streamed.status_code == 502 and streamed.json()["error"] == "backend_body_too_large"
    assert answer.status_code == 502
    assert answer.json()["error"] == "backend_body_too_large"
    assert "proxy.max_body_bytes (100,000 bytes)" in answer.json()["message"]
    assert good.status_code == 200
    first, second, _ = events_where(proxy, 3)
    for event in (first, second):
        assert event.status == 502 and "proxy.max_body_bytes" in (event.error or "")


def test_a_request_over_max_body_bytes_is_answered_413_and_recorded(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy(proxy={"max_body_bytes": MiB})
    head = (
        b"POST /todos/ann HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % (64 * MiB)
    )
    answer = raw_exchange(proxy, head)  # refused by its length, before the body is sent
    assert answer.startswith(b"HTTP/1.1 413")
    with proxy.client() as client:
        small = client.post("/todos/ann", json={"title": "milk"})
    assert small.status_code == 201
    refused, ok = events_where(proxy, 2)
    assert refused.status == 413 and refused.method == "POST" and refused.path == "/todos/ann"
    assert "proxy.max_body_bytes (1,048,576 bytes)" in (refused.error or "")
    assert ok.status == 201


def test_a_chunked_request_over_max_body_bytes_is_cut_off_and_recorded(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy(proxy={"max_body_bytes": MiB})
    head = (
        b"POST /todos/ann HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"%x\r\n%s\r\n" % (64 * 1024, b" " * 64 * 1024)
    raw_exchange(proxy, head, iter([piece] * 64))  # 4 MiB offered, no length: cut at 1 MiB
    (event,) = events_where(proxy, 1)
    assert event.status == 413 and "proxy.max_body_bytes" in (event.error or "")
    still_up(proxy)


def test_a_chunked_request_with_trailers_is_answered_and_recorded(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy()
    body = json.dumps({"title": "milk"}).encode()
    request = (
        b"POST /todos/ann HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
        + b"%x\r\n%s\r\n" % (len(body), body)
        + b"0\r\nX-Checksum: abc123\r\n\r\n"
    )
    answer = raw_exchange(proxy, request)
    assert answer.startswith(b"HTTP/1.1 201")
    (event,) = events_where(proxy, 1)
    assert event.status == 201 and json.loads(event.request_body or "") == {"title": "milk"}
    still_up(proxy)


def test_an_alias_bomb_edited_into_the_spec_keeps_the_last_good_version(
    start_proxy: ProxyFactory, tmp_path: Path
) -> None:
    manifest, spec = editable_copy(tmp_path / "plugin")
    proxy = start_proxy(plugin={"manifest": str(manifest), "spec": str(spec)})
    good = spec.read_text()
    bomb = "".join(f"  {line}\n" for line in alias_bomb().splitlines())
    spec.write_text(good + "x-laughs:\n" + bomb)
    assert wait_for(lambda: any("stays in service" in n for n in notices(proxy.db)), timeout=15)
    message = next(n for n in notices(proxy.db) if "stays in service" in n)
    assert "plugin.max_spec_bytes" in message and "alias" in message and "version 1" in message
    with proxy.client() as client:
        served = client.get("/openapi.json")
        assert served.status_code == 200 and "x-laughs" not in served.json()
        assert len(served.content) < 100_000
        assert client.get("/todos/alice").status_code == 200
    assert peak_rss(proxy) < PEAK_RSS_MAX


def test_a_bombed_spec_at_start_is_one_line_and_exit_2(tmp_path: Path) -> None:
    manifest, spec = editable_copy(tmp_path / "plugin")
    spec.write_text(
        spec.read_text()
        + "x-laughs:\n"
        + "".join(f"  {line}\n" for line in alias_bomb().splitlines())
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pluginlab_tui",
            "serve",
            "--manifest",
            str(manifest),
            "--spec",
            str(spec),
            "--db",
            str(tmp_path / "events.db"),
            "--listen",
            "127.0.0.1:0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "plugin.max_spec_bytes" in lines[0], done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("strict", [False, True])
def test_a_gzip_bomb_on_the_mcp_path_is_too_large_to_check_as_on_the_openapi_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strict: bool
) -> None:
    monkeypatch.chdir(tmp_path)
    bomb = gzip_bomb(64 * MiB)
    headers = {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "accept": "application/json, text/event-stream",
    }
    flags = ["--strict"] if strict else []
    with serving(http_app(widget_server())) as backend:
        with Proxy(tmp_path, "--mcp", "/mcp", "--backend", backend, *flags) as proxy:
            with proxy.client() as client:
                answer = client.post("/mcp", content=bomb, headers=headers)
                assert client.get("/_pluginlab/health").status_code == 200
            found = wait_for(lambda: [e for e in stored_events(proxy.db) if e.path == "/mcp"])
    (event,) = found
    assert codes(event) == [("body_too_large_to_check", "request")]
    assert event.protocol == "mcp" and event.rpc_method is None
    assert answer.headers["X-PluginLab-Violations"] == "1"
    if strict:  # answered as the OpenAPI path answers it, the server not called
        assert answer.status_code == event.status == 413
        assert [v["code"] for v in answer.json()["violations"]] == ["body_too_large_to_check"]
    else:
        assert event.status == answer.status_code


@pytest.mark.parametrize("strict", [False, True])
def test_an_mcp_server_answering_a_gzip_bomb_is_flagged_as_on_the_openapi_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strict: bool
) -> None:
    monkeypatch.chdir(tmp_path)
    bomb = gzip_bomb(64 * MiB)

    async def answer(request: Request) -> Response:
        headers = {"content-encoding": "gzip"}
        return Response(bomb, media_type="application/json", headers=headers)

    app = Starlette(routes=[Route("/mcp", answer, methods=["POST"])])
    call = {"jsonrpc": "2.0", "id": 3, "method": "tools/list"}
    flags = ["--strict"] if strict else []
    with serving(app) as backend:
        with Proxy(tmp_path, "--mcp", "/mcp", "--backend", backend, *flags) as proxy:
            with proxy.client() as client:
                got = client.post("/mcp", json=call, headers={"accept": "application/json"})
            found = wait_for(lambda: [e for e in stored_events(proxy.db) if e.path == "/mcp"])
    (event,) = found
    assert event.rpc_method == "tools/list" and event.rpc_id == "3"
    assert codes(event) == [("body_too_large_to_check", "response")]
    assert event.error is not None and "not read" in event.error
    if strict:  # a JSON-RPC error naming it, in place of what could not be read
        assert got.json()["error"]["code"] == -32603
        assert "body_too_large_to_check" in got.json()["error"]["message"]
    else:  # relayed as it came
        assert got.headers["content-encoding"] == "gzip"
