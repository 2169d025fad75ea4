"""The wire words: what the proxy strips and owns is what its names say."""

from __future__ import annotations

import pytest
from mitmproxy import http

from pluginlab_tui import wire
from pluginlab_tui.proxy.intake import strip_proxy_headers
from pluginlab_tui.proxy.oauth_routes import proxy_path


def test_every_proxy_header_is_in_the_namespace_a_caller_cannot_speak_in() -> None:
    names = [
        wire.EVENT_HEADER,
        wire.VIOLATIONS_HEADER,
        wire.USER_HEADER,
        wire.PLAN_HEADER,
        wire.GRANT_HEADER,
        wire.PROBE_HEADER,
        wire.MOCK_HEADER,
    ]
    headers = http.Headers([(name.encode(), b"forged") for name in names])
    strip_proxy_headers(headers)
    assert list(headers.keys()) == []


def test_every_proxy_route_is_in_the_proxy_s_own_namespace() -> None:
    routes = [
        wire.HEALTH_ROUTE,
        wire.LOGO_ROUTE,
        wire.JWKS_ROUTE,
        wire.AUTHORIZE_ROUTE,
        wire.TOKEN_ROUTE,
        wire.REVOKE_ROUTE,
    ]
    assert [proxy_path(route) for route in routes] == routes
    assert proxy_path(wire.MANIFEST_ROUTE) is None  # served, but a plugin file, not ours


def test_the_sources_are_the_filter_language_s() -> None:
    assert wire.SOURCES == ("live", "replay", "import", "simulate")


@pytest.mark.parametrize(
    ("method", "path", "grant", "step"),
    [
        ("GET", "/.well-known/oauth-protected-resource", None, "resource-metadata"),
        ("GET", "/.well-known/oauth-protected-resource/mcp", None, "resource-metadata"),
        ("GET", "/.well-known/oauth-authorization-server/mcp", None, "server-metadata"),
        ("GET", "/.well-known/openid-configuration", None, "server-metadata"),
        ("GET", "/tenant/.well-known/openid-configuration", None, "server-metadata"),
        ("POST", wire.REGISTER_ROUTE, None, "register"),
        ("GET", wire.AUTHORIZE_ROUTE, None, "authorize"),
        ("POST", wire.AUTHORIZE_ROUTE, None, "consent"),
        ("POST", wire.TOKEN_ROUTE, "authorization_code", "token"),
        ("POST", wire.TOKEN_ROUTE, "refresh_token", "refresh"),
        ("POST", wire.REVOKE_ROUTE, None, "revoke"),
        ("POST", "/mcp", None, None),
        ("GET", wire.MANIFEST_ROUTE, None, None),
    ],
)
def test_each_oauth_route_is_a_step_of_the_dance(
    method: str, path: str, grant: str | None, step: str | None
) -> None:
    assert wire.oauth_step(method, path, grant) == step
    assert step is None or step in wire.OAUTH_STEPS
