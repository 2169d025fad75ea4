"""Dynamic client registration (RFC 7591) into a real store, and the redirect URI rules."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp.shared.auth import OAuthClientInformationFull

from pluginlab_tui.access.clients import ClientRegistry, redirect_acceptable
from pluginlab_tui.access.oauth_errors import OAuthError
from pluginlab_tui.store.database import open_store

CALLBACK = "https://chatgpt.com/connector_platform_oauth_redirect"


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[ClientRegistry]:
    conn: sqlite3.Connection = open_store(tmp_path / "s.db", create=True)
    yield ClientRegistry(conn, ("cards",), ["https://my.example/cb"], clock=lambda: 1000.0)
    conn.close()


def test_chatgpt_loopback_and_configured_redirects_are_acceptable() -> None:
    for uri in (
        CALLBACK,
        "https://chatgpt.com/connector/oauth/cb_0123-abc",
        "https://platform.openai.com/apps-manage/oauth",
        "http://127.0.0.1:33418/callback",
        "http://localhost:8080/cb",
        "http://[::1]:5/cb",
        "https://my.example/cb",
    ):
        assert redirect_acceptable(uri, ["https://my.example/cb"]), uri
    for uri in (
        "https://evil.example/cb",
        "https://chatgpt.com/connector/oauth/a/b",
        "https://chatgpt.com/connector_platform_oauth_redirect/x",
        "http://chatgpt.com/connector_platform_oauth_redirect",
        "https://my.example/cb#x",
        "https://my.example/cb2",
        "javascript:alert(1)",
    ):
        assert not redirect_acceptable(uri, ["https://my.example/cb"]), uri


def test_a_public_client_gets_no_secret(registry: ClientRegistry) -> None:
    answer = registry.register(
        {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none", "client_name": "GPT"}
    )
    info = OAuthClientInformationFull.model_validate(answer)
    assert info.client_id.startswith("plid_") and info.client_secret is None
    assert (info.token_endpoint_auth_method, info.client_name) == ("none", "GPT")
    assert answer["redirect_uris"] == [CALLBACK] and answer["client_id_issued_at"] == 1000
    client = registry.get(info.client_id)
    assert client is not None and client.public and client.redirect_uris == (CALLBACK,)


def test_a_confidential_client_s_secret_is_shown_once_and_kept_hashed(
    registry: ClientRegistry,
) -> None:
    answer = registry.register({"redirect_uris": ["http://127.0.0.1:9/cb"]})
    assert answer["token_endpoint_auth_method"] == "client_secret_basic"  # RFC 7591's default
    secret = answer["client_secret"]
    assert secret.startswith("pls_") and answer["client_secret_expires_at"] == 0
    client = registry.get(answer["client_id"])
    assert client is not None and not client.public
    assert client.secret_ok(secret) and not client.secret_ok(secret + "x")
    rows = registry.conn.execute("SELECT * FROM oauth_clients").fetchall()
    assert secret not in repr([tuple(r) for r in rows])


@pytest.mark.parametrize(
    ("metadata", "error", "says"),
    [
        ({"redirect_uris": ["https://evil.example/cb"]}, "invalid_redirect_uri", "not allowed"),
        ({"redirect_uris": []}, "invalid_redirect_uri", "redirect_uris"),
        ({"redirect_uris": ["not a url"]}, "invalid_redirect_uri", "redirect_uris"),
        ({}, "invalid_client_metadata", "redirect_uris"),
        (
            {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "private_key_jwt"},
            "invalid_client_metadata",
            "not supported",
        ),
        (
            {"redirect_uris": [CALLBACK], "grant_types": ["client_credentials"]},
            "invalid_client_metadata",
            "grant_types",
        ),
        (
            {"redirect_uris": [CALLBACK], "response_types": ["token"]},
            "invalid_client_metadata",
            "response_types",
        ),
        ({"redirect_uris": [CALLBACK], "scope": "admin"}, "invalid_client_metadata", "admin"),
        ([CALLBACK], "invalid_client_metadata", "JSON object"),
    ],
)
def test_bad_metadata_is_refused_with_the_rfc_7591_error(
    registry: ClientRegistry, metadata: Any, error: str, says: str
) -> None:
    with pytest.raises(OAuthError, match=says) as refused:
        registry.register(metadata)
    assert (refused.value.error, refused.value.status) == (error, 400)
    assert registry.conn.execute("SELECT count(*) FROM oauth_clients").fetchone()[0] == 0


def test_unknown_ids_are_no_client(registry: ClientRegistry) -> None:
    assert registry.get("plid_nope") is None and registry.get("pluginlab-dev-client") is None
