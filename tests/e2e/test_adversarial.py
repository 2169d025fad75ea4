"""The standing adversarial suite: hostile bytes through the real proxy, in every auth mode.

Hypothesis makes raw requests (methods, paths with dot segments, encoded slashes and bytes that do
not decode, header names and values of any byte, near-miss and repeated credentials, caller-sent
X-PluginLab-* headers, bodies of any byte, compressed or not) and sends each over a raw socket to a
real proxy in front of the lab backend, which logs every call it gets. Whatever is sent:

- without valid credentials nothing reaches the backend, and nothing under /_pluginlab/ ever does;
- every answer the proxy makes names an event, and that event is in the store;
- the proxy stays up, and its resident memory stays bounded.
"""

from __future__ import annotations

import base64
import gzip
import socket
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import examples, stored_events
from tests.e2e.lab import LabBackend, lab_sections
from tests.harness import ProxyProcess, todo_sections, wait_for, write_config

TOKEN = "adversarial-service-token-0123456789"
MODES: dict[str, dict[str, Any]] = {
    "none": {"mode": "none"},
    "service_http": {"mode": "service_http", "service_token": TOKEN},
    "user_http": {"mode": "user_http"},
    "oauth": {"mode": "oauth"},
    "api_key": {"mode": "api_key", "api_key": TOKEN},
    "api_key_header": {"mode": "api_key", "api_key": TOKEN, "api_key_header": "X-Api-Key"},
}
#: Examples per mode: enough to find a class of hole, bounded for CI (all 120 when thorough).
EXAMPLES = examples(120, quick=60)
#: Growth of the proxy's resident memory allowed over a whole mode's run.
RSS_GROWTH_MB = 150

SEGMENTS = st.sampled_from(
    [
        b"v1",
        b"search",
        b"notes",
        b"1",
        b".",
        b"..",
        b"%2e",
        b"%2E%2e",
        b"%2F",
        b"%5C",
        b"\\",
        b"",
        b"_pluginlab",
        b"oauth",
        b"token",
        b"authorize",
        b"health",
        b"\xff",
        b"\xc3\x28",
        b"%ff",
        b"%00",
        b"report",
        b"secure",
        b"keyed",
        b";x",
        b"%252e",
    ]
) | st.binary(min_size=1, max_size=6).map(
    lambda b: bytes(c for c in b if c > 0x20 and c not in b"?#")  # no space, CR, LF or fragment
)
PATHS = st.lists(SEGMENTS, min_size=1, max_size=6).map(lambda parts: b"/" + b"/".join(parts))
QUERIES = st.one_of(
    st.just(b""),
    st.binary(max_size=40).map(lambda b: b"?" + bytes(c for c in b if c > 0x20)),
    st.sampled_from([b"?q=%ff", b"?access_token=x", b"?mode=gzip", b"?q=a&q=b"]),
)
HEADER_VALUE = st.binary(max_size=60).map(lambda b: bytes(c for c in b if c not in b"\r\n"))


def _near_misses() -> list[bytes]:
    raw = TOKEN.encode()
    return [
        b"Bearer " + raw[:-1],
        b"Bearer " + raw + b"\xff",
        b"Bearer \xff" + raw,
        b"Bearer " + raw.replace(b"0", b"\x00"),
        b"Bearer " + raw.upper(),
        b"Bearer " + raw * 300,
        b"Basic " + base64.b64encode(raw[:-1] + b":"),
        b"Bearer \xff",
        b"Bearer \xc3\x28",
        b"bearer",
        b"Bearer  ",
        b"\xff\xfe",
        b"Basic \xff",
        b"Bearer plk_" + b"A" * 43,
        b"Bearer pla_" + b"A" * 43,
    ]


CREDENTIAL = st.sampled_from(_near_misses()) | HEADER_VALUE
HEADER_NAMES = st.sampled_from(
    [
        b"Authorization",
        b"X-Api-Key",
        b"X-PluginLab-User-Id",
        b"X-PluginLab-Plan",
        b"X-PluginLab-Replay",
        b"X-PluginLab-Event-Id",
        b"Content-Type",
        b"Content-Encoding",
        b"User-Agent",
        b"Cookie",
        b"X-Forwarded-For",
        b"Origin",
        b"Accept-Encoding",
    ]
) | st.binary(min_size=1, max_size=12).map(
    lambda b: bytes(c for c in b if 0x21 <= c < 0x7F and c != ord(":")) or b"X"
)
HEADERS = st.lists(
    st.tuples(HEADER_NAMES, HEADER_VALUE) | st.tuples(st.just(b"Authorization"), CREDENTIAL),
    max_size=8,
)
BODIES = st.one_of(
    st.just(b""),
    st.binary(max_size=2000),
    st.sampled_from([b'{"text": "\\ud800"}', b'{"a":' * 200 + b"1" + b"}" * 200, b"\xff" * 100]),
    st.binary(max_size=500).map(gzip.compress),
    st.just(zlib.compress(b"\x00" * 4_000_000)),  # inflates a thousandfold
)
METHODS = st.sampled_from([b"GET", b"POST", b"PUT", b"DELETE", b"HEAD", b"OPTIONS", b"PATCH"])
REQUESTS = st.tuples(METHODS, PATHS, QUERIES, HEADERS, BODIES, st.booleans())


def build(request: tuple[bytes, bytes, bytes, list[tuple[bytes, bytes]], bytes, bool]) -> bytes:
    method, path, query, headers, body, chunked = request
    lines = [method + b" " + path + query + b" HTTP/1.1", b"Host: 127.0.0.1"]
    lines += [name + b": " + value for name, value in headers]
    lines.append(b"Connection: close")
    if chunked and body:
        lines.append(b"Transfer-Encoding: chunked")
        framed = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    else:
        lines.append(b"Content-Length: %d" % len(body))
        framed = body
    return b"\r\n".join(lines) + b"\r\n\r\n" + framed


def send(url: str, data: bytes) -> bytes:
    where = urlsplit(url)
    assert where.hostname is not None and where.port is not None
    with socket.create_connection((where.hostname, where.port), timeout=30) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def event_id_of(answer: bytes) -> str | None:
    head = answer.partition(b"\r\n\r\n")[0]
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"x-pluginlab-event-id":
            return value.strip().decode("ascii")
    return None


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def lab() -> Iterator[LabBackend]:
    with LabBackend() as backend:
        yield backend


@pytest.mark.parametrize("mode", list(MODES))
def test_hostile_bytes_never_pass_the_gate_and_are_all_recorded(
    mode: str, lab: LabBackend, tmp_path: Path
) -> None:
    sections = todo_sections(tmp_path, lab.url, **lab_sections())
    sections["auth"] = MODES[mode]
    sections["auth.oauth"] = {"client_secret": "adversarial-client-secret"}
    with ProxyProcess(write_config(tmp_path, sections)) as proxy:
        assert proxy.process is not None
        pid = proxy.process.pid
        start_rss = rss_mb(pid)
        answered: list[str] = []
        gated = mode != "none"

        @settings(
            max_examples=EXAMPLES,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(REQUESTS)
        def one(request: Any) -> None:
            before = list(lab.calls)
            answer = send(proxy.url, build(request))
            assert answer.startswith(b"HTTP/1.1 "), answer[:80]
            reached = lab.calls[len(before) :]
            assert not [c for c in reached if c[1].startswith("/_pluginlab")], reached
            if gated:
                assert not reached, f"{request!r} reached the backend without credentials"
            event_id = event_id_of(answer)
            status = answer[9:12]
            if event_id is None:
                # Only mitmproxy's own answer to bytes that are not HTTP carries no event.
                assert status == b"400", answer[:200]
            else:
                answered.append(event_id)
            assert proxy.process is not None and proxy.process.poll() is None

        one()
        stored = wait_for(
            lambda: (ids := {e.event_id for e in stored_events(proxy.db)}) >= set(answered) and ids,
            timeout=20,
        )
        assert stored, "answers whose events are not in the store"
        assert rss_mb(pid) - start_rss < RSS_GROWTH_MB
        with proxy.client() as client:  # still serving
            assert client.get("/_pluginlab/health").json()["status"] == "ok"
