from __future__ import annotations

import asyncio
import base64
import inspect
import json
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from mitmproxy import http
from mitmproxy.test import tutils

from pluginlab_tui.access.oauth_errors import OAuthError
from pluginlab_tui.proxy.addon import stages
from pluginlab_tui.proxy.exchange import exchange_of
from pluginlab_tui.proxy.forward import Forward
from pluginlab_tui.proxy.oauth_routes import form_or_json, proxy_path
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.urlpath import AmbiguousPath, normalise_target
from tests.bombs import gzip_bomb
from tests.proxy.conftest import raw_flow

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
    with pytest.raises(OAuthError, match="decoded body is over"):
        form_or_json(bomb, LIMIT)  # type: ignore[arg-type]


CALLBACK = "https://chat.openai.com/aip/plugin-88ae40-1c2d-c19db05b7638/oauth/callback"
AUTHORIZE = (
    b"/_pluginlab/oauth/authorize?response_type=code&redirect_uri="
    + quote(CALLBACK, safe="").encode()
)
GOOD = {
    "grant_type": "authorization_code",
    "client_id": "pluginlab-dev-client",
    "client_secret": "s3cret",
}
FORM = (b"content-type", b"application/x-www-form-urlencoded")
JSON = (b"content-type", b"application/json")


def answer(runtime: Runtime, f: http.HTTPFlow) -> http.Response:
    """The request stages before Forward; the proxy must have answered."""
    for stage in stages(runtime):
        if isinstance(stage, Forward):
            break
        if f.response is None:
            done = stage.request(f)
            if inspect.isawaitable(done):
                asyncio.run(done)  # type: ignore[arg-type]
    assert f.response is not None, "the request would have gone on to the backend"
    return f.response


def error_of(response: http.Response) -> tuple[int, str]:
    return response.status_code, json.loads(response.content or b"{}").get("error", "")


def test_hostile_oauth_requests_get_oauth_errors_from_the_proxy(make_runtime: Any) -> None:
    runtime = make_runtime(
        **{
            "auth.mode": "oauth",
            "auth.oauth.client_secret": "s3cret",
            "auth.oauth.auto_approve": "alice",
        }
    )
    good = answer(
        runtime, raw_flow("GET", AUTHORIZE + b"&client_id=pluginlab-dev-client&state=s", [])
    )
    assert good.status_code == 302
    code = parse_qs(urlsplit(good.headers["Location"]).query)["code"][0]
    token = b"/_pluginlab/oauth/token"
    base = dict(GOOD, code=code, redirect_uri=CALLBACK)

    def form(**fields: str) -> bytes:
        return urlencode({**base, **fields}).encode()

    cases: list[tuple[str, bytes, list[tuple[bytes, bytes]], bytes, tuple[int, str]]] = [
        ("GET", AUTHORIZE + b"&client_id=%FF&state=s", [], b"", (400, "invalid_request")),
        ("GET", AUTHORIZE + b"&client_id=\xff&state=s", [], b"", (400, "invalid_request")),
        (
            "GET",
            AUTHORIZE + b"&client_id=pluginlab-dev-client&state=%FF",
            [],
            b"",
            (400, "invalid_request"),
        ),
        (
            "GET",
            AUTHORIZE + b"&client_id=pluginlab-dev-client&state=%00",
            [],
            b"",
            (400, "invalid_request"),
        ),
        (
            "GET",
            AUTHORIZE + b"&client_id=pluginlab-dev-client&client_id=x&state=s",
            [],
            b"",
            (400, "invalid_request"),
        ),
        (
            "POST",
            b"/_pluginlab/oauth/authorize",
            [FORM],
            b"client_id=%FF&decision=allow",
            (400, "invalid_request"),
        ),
        (
            "POST",
            token,
            [JSON],
            json.dumps(dict(base, code="\ud800")).encode(),
            (400, "invalid_request"),
        ),
        (
            "POST",
            token,
            [JSON],
            json.dumps(dict(base, code=["x"])).encode(),
            (400, "invalid_request"),
        ),
        (
            "POST",
            token,
            [JSON],
            json.dumps(dict(base, client_secret={"a": 1})).encode(),
            (400, "invalid_request"),
        ),
        (
            "POST",
            token,
            [JSON],
            json.dumps(dict(base, client_secret=7)).encode(),
            (400, "invalid_request"),
        ),
        ("POST", token, [JSON], b'{"code": "\xff"}', (400, "invalid_request")),
        (
            "POST",
            token,
            [FORM],
            form(client_secret="s3cret") + b"&client_secret=%FF",
            (400, "invalid_request"),
        ),
        ("POST", token, [FORM], form() + b"&x=" + b"y" * 70_000, (400, "invalid_request")),
        ("POST", token, [FORM], form(client_secret="s3cret\x00"), (400, "invalid_request")),
        ("POST", token, [FORM], form(client_secret="s3cre"), (401, "invalid_client")),
        (
            "POST",
            token,
            [FORM, (b"authorization", b"Basic " + base64.b64encode(b"\xff:\xff"))],
            form(),
            (401, "invalid_client"),
        ),
        ("POST", token, [FORM, (b"authorization", b"Basic \xff")], form(), (401, "invalid_client")),
        (
            "POST",
            token,
            [FORM, (b"authorization", basic(b"s3cret")), (b"authorization", basic(b"s3cret"))],
            form(),
            (401, "invalid_client"),
        ),
        (
            "POST",
            token,
            [FORM, (b"authorization", basic(b"s3cret\xff"))],
            form(),
            (401, "invalid_client"),
        ),
        (
            "POST",
            b"/_pluginlab/oauth/revoke",
            [JSON],
            json.dumps(dict(GOOD, token={"a": 1})).encode(),
            (400, "invalid_request"),
        ),
        (
            "POST",
            b"/_pluginlab/oauth/revoke",
            [JSON],
            json.dumps(dict(GOOD, token="\udcff")).encode(),
            (400, "invalid_request"),
        ),
        (
            "POST",
            b"/%5Fpluginlab/oauth/token",
            [FORM],
            form(client_secret="x"),
            (401, "invalid_client"),
        ),
        (
            "POST",
            b"/todos/../_pluginlab/oauth/token",
            [FORM],
            form(client_secret="x"),
            (401, "invalid_client"),
        ),
        (
            "POST",
            b"//_pluginlab//oauth/./token",
            [FORM],
            form(client_secret="x"),
            (401, "invalid_client"),
        ),
        ("POST", b"/_pluginlab/\xff", [], b"", (404, "not_found")),
        ("GET", b"/_pluginlab", [], b"", (404, "not_found")),
    ]
    for method, path, headers, content, expected in cases:
        got = error_of(answer(runtime, raw_flow(method, path, headers, content)))
        assert got == expected, (method, path[:60], content[:60])
    # The code survived all of that: the right request still gets its tokens.
    tokens = answer(runtime, raw_flow("POST", token, [FORM], form()))
    assert tokens.status_code == 200 and "access_token" in json.loads(tokens.content or b"")


def basic(secret: bytes) -> bytes:
    return b"Basic " + base64.b64encode(b"pluginlab-dev-client:" + secret)


def test_every_spelling_of_the_proxy_namespace_is_the_proxys() -> None:
    for raw in (
        "/_pluginlab/oauth/token",
        "/%5Fpluginlab/oauth/token?x=1",
        "/todos/../_pluginlab/oauth/token",
        "//_pluginlab/oauth//token",
        "/./_pluginlab/oauth/./token",
    ):  # as the first stage leaves them
        assert proxy_path(normalise_target(raw)) == "/_pluginlab/oauth/token", raw
    for raw in ("/%5fpluginlab%2Foauth%2Ftoken", "/_pluginlab\\oauth\\token"):
        with pytest.raises(AmbiguousPath):  # refused by the first stage, never routed
            normalise_target(raw)
    assert proxy_path("/_pluginlab") == "/_pluginlab"
    for raw in ("/todos/alice", "/_pluginlabx/y", "/todos/_pluginlab/", "/%FF"):
        assert proxy_path(normalise_target(raw)) is None, raw


def test_the_event_records_what_the_oauth_endpoint_decided(make_runtime: Any) -> None:
    runtime = make_runtime(**{"auth.mode": "oauth", "auth.oauth.client_secret": "s3cret"})
    stale = raw_flow(
        "POST",
        b"/_pluginlab/oauth/token",
        [FORM],
        urlencode(dict(GOOD, code="plc_" + "x" * 43, redirect_uri=CALLBACK)).encode(),
    )
    assert error_of(answer(runtime, stale)) == (400, "invalid_grant")
    exchange = exchange_of(stale)
    assert exchange is not None and (exchange.auth_mode, exchange.auth_result) == (
        "oauth",
        "invalid_grant",
    )
    elsewhere = raw_flow(
        "GET",
        b"/_pluginlab/oauth/authorize?client_id=pluginlab-dev-client&state=s&redirect_uri=https%3A%2F%2Fevil.example%2Fcb",
        [],
    )
    assert error_of(answer(runtime, elsewhere)) == (400, "invalid_request")
    exchange = exchange_of(elsewhere)
    assert exchange is not None and exchange.auth_result == "invalid_redirect"
