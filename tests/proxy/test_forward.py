"""The backend's URL: the target as the proxy gated it, not as yarl would tidy it; what the
backend is never sent."""

from __future__ import annotations

import socket

import pytest
import yarl

from pluginlab_tui.proxy.forward import backend_target, backend_url
from tests.conftest import ProxyFactory, stored_events
from tests.e2e.test_paths import recording_backend
from tests.harness import wait_for


@pytest.mark.parametrize(
    ("backend", "target", "sent"),
    [
        (
            "http://127.0.0.1:8000",
            "/todos/alice?x=%2e&y=a+b&z=../..",
            "/todos/alice?x=%2e&y=a+b&z=../..",
        ),
        ("http://127.0.0.1:8000/", "/todos/alice", "/todos/alice"),
        ("http://127.0.0.1:8000/api/", "/todos/alice/", "/api/todos/alice/"),
        ("http://[::1]:9/api", "/todos/%7Ex%3A", "/api/todos/%7Ex%3A"),
        ("http://127.0.0.1:8000", "/todos/a?q=caf\u00e9", "/todos/a?q=caf\u00e9"),
        ("http://127.0.0.1:8000", "/todos/a?q=\udcff b#c", "/todos/a?q=%FF%20b%23c"),
    ],
)
def test_the_target_goes_as_it_is(backend: str, target: str, sent: str) -> None:
    url = backend_url(backend, target)
    assert url.raw_path_qs == sent and url.raw_fragment == ""
    assert url.origin() == yarl.URL(backend).origin()
    assert backend_target(backend, target) == sent  # what the backend client sends


@pytest.mark.parametrize(
    ("field", "said"), [(b"X-Nul: a\x00b", "NUL byte"), (b"X-Cr: a\rb", "line break")]
)
def test_a_field_that_would_break_the_backend_s_head_is_refused_400_and_never_sent(
    start_proxy: ProxyFactory, field: bytes, said: str
) -> None:
    with recording_backend() as (url, seen):
        proxy = start_proxy(backend=url)
        host, port = proxy.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"GET /todos/x HTTP/1.1\r\nHost: x\r\n" + field + b"\r\n\r\n")
            answer = sock.recv(65536)
        (event,) = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) == 1 and e)
        assert answer.startswith(b"HTTP/1.1 400 ") and b'"bad_request"' in answer
        assert event.status == 400 and said in (event.error or "")
        assert seen == []  # the backend got nothing
        with proxy.client() as client:
            assert client.get("/todos/x").status_code == 200  # and the proxy serves on
