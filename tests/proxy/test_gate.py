"""The gate on flows made in the test (the e2e tests run it inside the real proxy)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import inspect
from typing import Any

from mitmproxy import http

from pluginlab_tui.access.users import add_user
from pluginlab_tui.proxy.exchange import exchange_of
from pluginlab_tui.proxy.gate import AuthGate, IpGate
from pluginlab_tui.proxy.intake import Intake
from pluginlab_tui.proxy.runtime import Runtime
from tests.proxy.conftest import raw_flow


def flow(method: str, path: str, headers: dict[str, str] | None = None) -> http.HTTPFlow:
    return raw_flow(
        method, path.encode(), [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    )


def run(runtime: Runtime, f: http.HTTPFlow) -> http.HTTPFlow:
    for stage in (Intake(runtime), IpGate(runtime), AuthGate(runtime)):
        if f.response is None:
            done = stage.request(f)
            if inspect.isawaitable(done):
                asyncio.run(done)
    return f


def test_service_token(make_runtime: Any) -> None:
    runtime = make_runtime(**{"auth.mode": "service_http", "auth.service_token": "tok"})
    ok = run(runtime, flow("GET", "/todos/a", {"Authorization": "Bearer tok"}))
    assert ok.response is None
    exchange = exchange_of(ok)
    assert exchange is not None and (exchange.auth_mode, exchange.auth_result) == (
        "service_http",
        "ok",
    )
    refused = run(runtime, flow("GET", "/todos/a", {"Authorization": "Bearer nope"}))
    assert refused.response is not None and refused.response.status_code == 401
    assert b"nope" not in (refused.response.content or b"")
    owned = run(runtime, flow("GET", "/_pluginlab/oauth/token"))
    assert owned.response is None  # proxy-owned: left to the routes stages


def test_plain_options_requests_are_gated(make_runtime: Any) -> None:
    runtime = make_runtime(**{"auth.mode": "api_key", "auth.api_key": "k"})
    refused = run(runtime, flow("OPTIONS", "/todos/a"))
    assert refused.response is not None and refused.response.status_code == 401


def test_allow_list_runs_before_everything(make_runtime: Any) -> None:
    runtime = make_runtime(**{"auth.allow_ips": ["10.0.0.0/8"]})
    denied = run(runtime, flow("GET", "/.well-known/ai-plugin.json"))
    assert denied.response is not None and denied.response.status_code == 403
    exchange = exchange_of(denied)
    assert exchange is not None and exchange.auth_result == "ip_denied"


SECRET = "tok-café"
CALLBACK = "https://chat.openai.com/aip/plugin-88ae40-1c2d-c19db05b7638/oauth/callback"
#: Bytes that stand where the credential goes: each must be refused like a wrong credential.
HOSTILE_VALUES = [
    b"\xff",
    b"\x00",
    b"caf\xe9",
    b"\xed\xa0\x80",
    b"\xc0\xaf",  # an overlong UTF-8 encoding of "/"
    b"a" * 9000,
]


def _modes(make_runtime: Any) -> dict[str, tuple[Runtime, str, bytes]]:
    """Each auth mode: its runtime, the header it reads and the valid credential's bytes."""
    secret = SECRET.encode()
    user_runtime = make_runtime(**{"auth.mode": "user_http"})
    key = add_user(user_runtime.conn, "alice").encode()
    oauth_runtime = make_runtime(**{"auth.mode": "oauth", "auth.oauth.client_secret": "s3cret"})
    oauth = oauth_runtime.auth.oauth
    asked = oauth.check_authorize(
        {
            "client_id": "pluginlab-dev-client",
            "redirect_uri": CALLBACK,
            "state": "s",
            "response_type": "code",
        }
    )
    code = oauth.issue_code(asked, "alice")
    access = oauth.exchange_code("pluginlab-dev-client", code, CALLBACK).access_token.encode()
    basic = make_runtime(
        **{
            "auth.mode": "service_http",
            "auth.service_token": SECRET,
            "auth.authorization_type": "basic",
        }
    )
    return {
        "service_http": (
            make_runtime(**{"auth.mode": "service_http", "auth.service_token": SECRET}),
            "Authorization",
            b"Bearer " + secret,
        ),
        "service_http basic": (basic, "Authorization", b"Basic " + secret),
        "user_http": (user_runtime, "Authorization", b"Bearer " + key),
        "oauth": (oauth_runtime, "Authorization", b"Bearer " + access),
        "api_key": (
            make_runtime(**{"auth.mode": "api_key", "auth.api_key": SECRET}),
            "Authorization",
            b"Bearer " + secret,
        ),
        "api_key header": (
            make_runtime(
                **{"auth.mode": "api_key", "auth.api_key": SECRET, "auth.api_key_header": "X-Key"}
            ),
            "X-Key",
            secret,
        ),
    }


def _status(runtime: Runtime, headers: list[tuple[bytes, bytes]], method: str = "GET") -> int:
    done = run(runtime, raw_flow(method, b"/todos/alice/1", headers))
    exchange = exchange_of(done)
    assert exchange is not None
    if done.response is None:
        assert exchange.auth_result == "ok"
        return 200
    assert exchange.auth_result in ("invalid", "missing")
    return done.response.status_code


def test_hostile_credentials_are_refused_in_every_mode(make_runtime: Any) -> None:
    for mode, (runtime, header, valid) in _modes(make_runtime).items():
        name = header.encode()
        scheme, _, secret = valid.rpartition(b" ")
        prefix = scheme + b" " if scheme else b""
        assert _status(runtime, [(name, valid)]) == 200, mode
        hostile = [prefix + value for value in HOSTILE_VALUES]
        hostile += [
            valid + b"\xff",
            valid + b"\x00",
            prefix + b"\xff" + secret,
            prefix + secret.decode().encode("latin-1", "replace"),
            prefix + base64.b64encode(b"\xff:" + secret),  # Basic with an undecodable user
        ]
        for value in (v for v in hostile if v != valid):  # latin-1 of ASCII is the same bytes
            for method in ("GET", "DELETE"):
                assert _status(runtime, [(name, value)], method) == 401, (mode, value[:40])
        # Repeated: refused, not one picked (each copy alone would pass).
        assert _status(runtime, [(name, valid), (name, valid)]) == 401, mode
        assert _status(runtime, [(name, valid), (name, b"x")]) == 401, mode


def test_undecodable_non_secret_values_change_no_verdict(make_runtime: Any) -> None:
    runtime, _, valid = _modes(make_runtime)["service_http"]
    weird = [(b"User-Agent", b"\xff\xfe"), (b"X-Note", b"\x00caf\xe9")]
    for path in (b"/todos/alice/1", b"/todos/\xff", b"/todos/alice?q=%FF\xff"):
        done = run(runtime, raw_flow("GET", path, [(b"Authorization", valid), *weird]))
        assert done.response is None, path
        refused = run(runtime, raw_flow("GET", path, [(b"Authorization", b"Bearer x"), *weird]))
        assert refused.response is not None and refused.response.status_code == 401


def test_the_mcp_endpoint_s_token_never_reaches_the_backend(make_runtime: Any) -> None:
    runtime = make_runtime(
        **{
            "auth.mode": "oauth",
            "mcp.endpoint": "/mcp",
            "proxy.public_url": "http://127.0.0.1:8787",
        }
    )
    add_user(runtime.conn, "alice", "pro")
    oauth = runtime.auth.oauth
    client = str(
        oauth.registry.register(
            {"redirect_uris": ["http://127.0.0.1:9/cb"], "token_endpoint_auth_method": "none"}
        )["client_id"]
    )
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    asked = {
        "response_type": "code",
        "client_id": client,
        "redirect_uri": "http://127.0.0.1:9/cb",
        "state": "s",
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
    }
    code = oauth.issue_code(oauth.check_authorize(asked), "alice")
    token = oauth.exchange_code(client, code, "http://127.0.0.1:9/cb", verifier).access_token
    passed = run(runtime, flow("POST", "/mcp", {"Authorization": f"Bearer {token}"}))
    exchange = exchange_of(passed)
    assert passed.response is None and exchange is not None
    assert (exchange.auth_result, exchange.user_id, exchange.plan) == ("ok", "alice", "pro")
    assert "Authorization" not in passed.request.headers
    refused = run(runtime, flow("POST", "/mcp"))
    assert refused.response is not None and refused.response.status_code == 401
    challenge_header = refused.response.headers["WWW-Authenticate"]
    assert challenge_header.startswith(
        'Bearer resource_metadata="http://127.0.0.1:8787/.well-known/'
    )
