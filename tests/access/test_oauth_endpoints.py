"""The auth endpoints on plain values (through the stage: tests/proxy/test_oauth_routes.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from pluginlab_tui.access.oauth_endpoints import Call, OAuthEndpoints, redirect
from pluginlab_tui.access.state import AuthState
from pluginlab_tui.access.users import add_user
from pluginlab_tui.config import load_config
from pluginlab_tui.store.database import open_store


@pytest.fixture
def endpoints(tmp_path: Path) -> Iterator[OAuthEndpoints]:
    config = load_config(
        None,
        {
            "store.path": tmp_path / "s.db",
            "auth.mode": "oauth",
            "auth.oauth.client_secret": "s3cret",
        },
    )
    conn: sqlite3.Connection = open_store(config.store_path, create=True)
    yield OAuthEndpoints(config, AuthState(config, conn))
    conn.close()


def call(
    method: str,
    route: str,
    query: bytes = b"",
    fields: list[tuple[bytes, bytes]] | None = None,
    body: dict[str, str] | None = None,
) -> Call:
    return Call(
        method=method,
        route=route,
        query=query,
        content_type="application/x-www-form-urlencoded",
        fields=fields or [],
        body=lambda: dict(body or {}),
        plugin="TODO List",
    )


def test_redirects_keep_the_callback_query() -> None:
    reply = redirect("https://cb.example/x?a=1", code="c d", state="s")
    assert reply.status == 302
    assert reply.headers["Location"] == "https://cb.example/x?a=1&code=c+d&state=s"
    assert reply.headers["Cache-Control"] == "no-store"


def test_unknown_routes_and_a_disabled_jwks_are_404(endpoints: OAuthEndpoints) -> None:
    assert endpoints.answer(call("GET", "/_pluginlab/nope")).json["error"] == "not_found"
    assert endpoints.answer(call("GET", "/_pluginlab/jwks.json")).json["error"] == "jwt_disabled"
    wrong = endpoints.answer(call("GET", "/_pluginlab/oauth/token"))
    assert (wrong.status, wrong.json["error"]) == (405, "method_not_allowed")


def test_a_token_request_without_the_client_s_secret_is_401(endpoints: OAuthEndpoints) -> None:
    reply = endpoints.answer(
        call("POST", "/_pluginlab/oauth/token", fields=[(b"Authorization", b"Basic !!")])
    )
    assert (reply.status, reply.json["error"]) == (401, "invalid_client")
    assert reply.headers["WWW-Authenticate"] == 'Basic realm="pluginlab"'


def test_the_sign_in_page_names_the_plugin_and_the_users(endpoints: OAuthEndpoints) -> None:
    add_user(endpoints.state.conn, "alice", None)
    query = (
        b"response_type=code&client_id=pluginlab-dev-client&state=s&redirect_uri="
        b"https%3A%2F%2Fchat.openai.com%2Faip%2Fplugin-abc%2Foauth%2Fcallback"
    )
    reply = endpoints.answer(call("GET", "/_pluginlab/oauth/authorize", query))
    assert reply.status == 200, reply.json
    page = reply.content.decode()
    assert "Sign in to TODO List" in page and 'value="alice"' in page
