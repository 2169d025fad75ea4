"""HEAD on the proxy's own routes answers headers only, so a keep-alive connection stays in step."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from tests.conftest import ProxyFactory, stored_events
from tests.harness import wait_for

ROUTES = [
    "/.well-known/ai-plugin.json",
    "/openapi.yaml",
    "/_pluginlab/health",
    "/_pluginlab/logo.png",
]


def _read_answer(sock: socket.socket, buffer: bytes) -> tuple[bytes, bytes]:
    """One answer's head from the socket (and what came after it)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, "the proxy closed the connection"
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    return head, rest


def test_head_on_every_proxy_route_sends_no_body(start_proxy: ProxyFactory) -> None:
    proxy = start_proxy()
    where = urlsplit(proxy.url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
        rest = b""
        for route in ROUTES:
            sock.sendall(f"HEAD {route} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            head, rest = _read_answer(sock, rest)
            assert head.startswith(b"HTTP/1.1 200"), (route, head)
            length = [
                line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
            ]
            assert length and int(length[0].split(b":")[1]) > 0  # the length GET would have
        # Nothing of a body came after the last head: the next answer on the connection is whole.
        sock.sendall(b"GET /_pluginlab/health HTTP/1.1\r\nHost: x\r\n\r\n")
        head, rest = _read_answer(sock, rest)
        assert head.startswith(b"HTTP/1.1 200"), head
    events = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) >= 5 and e)
    heads = [e for e in events if e.method == "HEAD"]
    assert len(heads) == 4 and all(not e.response_body for e in heads)
