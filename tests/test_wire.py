"""The wire words: what the proxy strips and owns is what its names say."""

from __future__ import annotations

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
