"""The backend's URL: the target as the proxy gated it, not as yarl would tidy it."""

from __future__ import annotations

import pytest
import yarl

from pluginlab_tui.proxy.forward import backend_url


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
