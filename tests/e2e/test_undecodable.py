"""Bytes that do not decode, through the real proxy: every exchange is an event, the writer runs."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

from pluginlab_tui.store.lossless import original
from tests.conftest import ProxyFactory, stored_events
from tests.e2e.test_bad_input import raw
from tests.harness import wait_for


def test_undecodable_paths_and_headers_are_stored_and_the_writer_goes_on(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy()
    host = proxy.url.removeprefix("http://").encode()
    bad_path = raw(
        proxy,
        b"GET /todos/\xff?q=\xff HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n",
    )
    bad_header = raw(
        proxy,
        b"GET /todos/alice HTTP/1.1\r\nHost: " + host + b"\r\nX-Note: caf\xff\r\n"
        b"Connection: close\r\n\r\n",
    )
    assert bad_path.startswith(b"HTTP/1.1 ") and bad_header.startswith(b"HTTP/1.1 200")
    with proxy.client() as client:
        after = [client.get(f"/todos/after{i}").status_code for i in range(5)]
        assert after == [200] * 5
        wait_for(lambda: len(stored_events(proxy.db)) >= 7)
        health = client.get("/_pluginlab/health").json()
    events = stored_events(proxy.db)

    # The path is the canonical one the backend got (its byte percent-encoded); the query is kept
    # as it came, readable, with its bytes.
    assert [e.path for e in events] == [
        "/todos/%FF",
        "/todos/alice",
        *[f"/todos/after{i}" for i in range(5)],
    ]
    assert events[0].query == "q=\ufffd" and original(events[0], "query") == b"q=\xff"
    assert (original(events[0], "url") or b"").endswith(b"/todos/%FF?q=\xff")
    names = [name.lower() for name, _ in events[1].request_headers]
    at = names.index("x-note")
    assert events[1].request_headers[at][1] == "caf\ufffd"
    assert original(events[1], f"request_headers/{at}/1") == b"caf\xff"
    assert all(not e.raw for e in events[2:])
    assert health["writer"] == "running"
    assert health["events_not_stored"] == 0
    assert isinstance(health["queue_depth"], int)

    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "pluginlab_tui",
            "events",
            "--db",
            str(proxy.db),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    first = json.loads(shown.stdout.splitlines()[0])
    assert first["query"] == "q=\ufffd"
    assert base64.b64decode(first["raw"]["query"]) == b"q=\xff"
