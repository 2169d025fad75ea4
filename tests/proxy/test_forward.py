from __future__ import annotations

from pluginlab_tui.proxy.forward import backend_url

BACKEND = "http://127.0.0.1:8000"


def test_the_backend_gets_the_target_as_its_bytes_say() -> None:
    cases = {
        b"/todos/alice/1": "/todos/alice/1",
        b"/todos/\xff": "/todos/%FF",
        b"/todos/%FF?q=%FF\xff&r=caf\xc3\xa9": "/todos/%FF?q=%FF%FF&r=caf%C3%A9",
        b"/a b": "/a%20b",
        b"/todos/alice?x=1&y=%2F": "/todos/alice?x=1&y=%2F",
    }
    for target, sent in cases.items():
        url = backend_url(BACKEND, target)
        assert str(url) == BACKEND + sent, target
        assert url.raw_path_qs == sent
