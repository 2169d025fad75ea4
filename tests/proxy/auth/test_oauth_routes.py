from __future__ import annotations

import pytest
from mitmproxy.test import tutils

from pluginlab_tui.proxy.auth.oauth import OAuthError
from pluginlab_tui.proxy.auth.oauth_routes import form_or_json, redirect
from tests.bombs import gzip_bomb

LIMIT = 1 << 20


def request(body: bytes, content_type: str | None) -> object:
    headers = [] if content_type is None else [(b"content-type", content_type.encode())]
    return tutils.treq(method=b"POST", content=body, headers=headers)


def test_token_bodies_in_either_content_type() -> None:
    form = request(b"grant_type=authorization_code&code=a%2Bb", "application/x-www-form-urlencoded")
    assert form_or_json(form, LIMIT) == {"grant_type": "authorization_code", "code": "a+b"}  # type: ignore[arg-type]
    json_body = request(
        b'{"grant_type": "refresh_token", "x": null}', "application/json; charset=utf-8"
    )
    assert form_or_json(json_body, LIMIT) == {"grant_type": "refresh_token"}  # type: ignore[arg-type]
    sniffed = request(b'{"code": "c"}', None)
    assert form_or_json(sniffed, LIMIT) == {"code": "c"}  # type: ignore[arg-type]
    with pytest.raises(OAuthError, match="not valid JSON"):
        form_or_json(request(b"{nope", "application/json"), LIMIT)  # type: ignore[arg-type]
    with pytest.raises(OAuthError, match="JSON object"):
        form_or_json(request(b"[1]", "application/json"), LIMIT)  # type: ignore[arg-type]


def test_a_bombed_token_body_is_refused_without_inflating_it() -> None:
    bomb = request(gzip_bomb(64 << 20), "application/x-www-form-urlencoded")
    bomb.headers["content-encoding"] = "gzip"  # type: ignore[attr-defined]
    with pytest.raises(OAuthError, match="too large"):
        form_or_json(bomb, LIMIT)  # type: ignore[arg-type]


def test_redirects_keep_the_callback_query() -> None:
    answer = redirect("https://cb.example/x?a=1", code="c d", state="s")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "https://cb.example/x?a=1&code=c+d&state=s"
    assert answer.headers["Cache-Control"] == "no-store"
