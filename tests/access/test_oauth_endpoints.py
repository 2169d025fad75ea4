"""The auth endpoints on plain values (through the stage: tests/proxy/test_oauth_routes.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from pluginlab_tui.access.oauth_endpoints import Call, OAuthEndpoints, redirect
from pluginlab_tui.access.state import AuthState
from pluginlab_tui.access.users import add_user
from pluginlab_tui.config import load_config
from pluginlab_tui.store.database import open_store
from tests.access.helpers import DocumentServer


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


# -- MCP mode ------------------------------------------------------------------------------------

ISSUER = "http://127.0.0.1:8787"
CONNECTOR = "https://chatgpt.com/connector_platform_oauth_redirect"
VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=")


@pytest.fixture
def mcp_endpoints(tmp_path: Path) -> Iterator[OAuthEndpoints]:
    config = load_config(
        None,
        {
            "store.path": tmp_path / "m.db",
            "auth.mode": "oauth",
            "mcp.endpoint": "/mcp",
            "proxy.public_url": ISSUER,
            "auth.oauth.auto_approve": "alice",
        },
    )
    conn: sqlite3.Connection = open_store(config.store_path, create=True)
    yield OAuthEndpoints(config, AuthState(config, conn))
    conn.close()


def registration(raw: bytes) -> Call:
    return Call(
        "POST",
        "/_pluginlab/oauth/register",
        b"",
        "application/json",
        [],
        dict,
        raw_body=lambda: raw,
    )


def register(endpoints: OAuthEndpoints, **metadata: object) -> dict[str, Any]:
    raw = json.dumps({"redirect_uris": [CONNECTOR], **metadata}).encode()
    reply = endpoints.answer(
        Call(
            "POST",
            "/_pluginlab/oauth/register",
            b"",
            "application/json",
            [],
            dict,
            None,
            lambda: raw,
        )
    )
    assert reply.status == 201 and reply.auth_result == "ok", reply.json
    assert reply.headers["Cache-Control"] == "no-store"
    return dict(reply.json)


def authorize(endpoints: OAuthEndpoints, **params: str) -> dict[str, str]:
    """GET /authorize (auto-approved); the redirect's query."""
    query = {
        "response_type": "code",
        "redirect_uri": CONNECTOR,
        "state": "st",
        "code_challenge": CHALLENGE.decode(),
        "code_challenge_method": "S256",
        **params,
    }
    reply = endpoints.answer(call("GET", "/_pluginlab/oauth/authorize", urlencode(query).encode()))
    assert reply.status == 302, reply.json
    location = reply.headers["Location"]
    assert location.startswith(query["redirect_uri"] + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_registration_is_for_mcp_mode_only(endpoints: OAuthEndpoints) -> None:
    reply = endpoints.answer(call("POST", "/_pluginlab/oauth/register"))
    assert (reply.status, reply.json["error"]) == (404, "registration_disabled")


def test_a_bad_registration_is_a_400_with_the_rfc_7591_error(mcp_endpoints: OAuthEndpoints) -> None:
    for raw, error in (
        (b"{nope", "invalid_client_metadata"),
        (b'{"redirect_uris": ["https://x.example/cb"]}', "invalid_redirect_uri"),
    ):
        reply = mcp_endpoints.answer(registration(raw))
        assert (reply.status, reply.json["error"]) == (400, error)


def test_a_public_client_signs_in_with_pkce_alone_and_every_answer_names_the_issuer(
    mcp_endpoints: OAuthEndpoints,
) -> None:
    client = register(mcp_endpoints, token_endpoint_auth_method="none")["client_id"]
    granted = authorize(mcp_endpoints, client_id=client, resource=ISSUER + "/mcp")
    assert granted["iss"] == ISSUER and granted["state"] == "st"
    token_body = {
        "grant_type": "authorization_code",
        "code": granted["code"],
        "redirect_uri": CONNECTOR,
        "client_id": client,
        "code_verifier": VERIFIER,
        "resource": ISSUER + "/mcp",
    }
    tokens = mcp_endpoints.answer(call("POST", "/_pluginlab/oauth/token", body=token_body))
    assert (tokens.status, tokens.auth_result) == (200, "ok"), tokens.json
    check = mcp_endpoints.provider.verify_access(tokens.json["access_token"])
    assert (check.result, check.resource) == ("ok", ISSUER + "/mcp")
    again = mcp_endpoints.answer(call("POST", "/_pluginlab/oauth/token", body=token_body))
    assert (again.status, again.json["error"], again.auth_result) == (
        400,
        "invalid_grant",
        "invalid_grant",
    )
    # errors past the redirect URI go back to the client, with iss too
    plain = authorize(mcp_endpoints, client_id=client, code_challenge_method="plain")
    assert (plain["error"], plain["iss"], plain["state"]) == ("invalid_request", ISSUER, "st")
    assert "S256" in plain["error_description"]
    elsewhere = authorize(mcp_endpoints, client_id=client, resource="https://other.example/mcp")
    assert elsewhere["error"] == "invalid_target"


def test_a_confidential_client_needs_the_secret_it_was_given(mcp_endpoints: OAuthEndpoints) -> None:
    registered = register(mcp_endpoints, token_endpoint_auth_method="client_secret_post")
    client, secret = registered["client_id"], registered["client_secret"]
    granted = authorize(mcp_endpoints, client_id=client)
    body = {
        "grant_type": "authorization_code",
        "code": granted["code"],
        "redirect_uri": CONNECTOR,
        "client_id": client,
        "code_verifier": VERIFIER,
    }
    bare = mcp_endpoints.answer(call("POST", "/_pluginlab/oauth/token", body=body))
    assert (bare.status, bare.json["error"]) == (401, "invalid_client")
    wrong = mcp_endpoints.answer(
        call("POST", "/_pluginlab/oauth/token", body={**body, "client_secret": "pls_x"})
    )
    assert (wrong.status, wrong.json["error"]) == (401, "invalid_client")
    good = mcp_endpoints.answer(
        call("POST", "/_pluginlab/oauth/token", body={**body, "client_secret": secret})
    )
    assert good.status == 200, good.json


def test_an_unregistered_redirect_is_shown_not_followed(mcp_endpoints: OAuthEndpoints) -> None:
    client = register(mcp_endpoints, token_endpoint_auth_method="none")["client_id"]
    query = urlencode({"client_id": client, "redirect_uri": "http://127.0.0.1:9/cb", "state": "s"})
    reply = mcp_endpoints.answer(call("GET", "/_pluginlab/oauth/authorize", query.encode()))
    assert (reply.status, reply.auth_result) == (400, "invalid_redirect")
    assert "Location" not in reply.headers


async def test_a_client_id_metadata_document_is_fetched_before_authorize(
    mcp_endpoints: OAuthEndpoints,
) -> None:
    with DocumentServer() as docs:
        url = docs.url + "/oauth/client.json"
        docs.serve(
            "/oauth/client.json",
            {"client_id": url, "client_name": "ChatGPT", "redirect_uris": [CONNECTOR]},
        )
        query = {
            "response_type": "code",
            "client_id": url,
            "redirect_uri": CONNECTOR,
            "state": "st",
            "code_challenge": CHALLENGE.decode(),
            "code_challenge_method": "S256",
        }
        request = call("GET", "/_pluginlab/oauth/authorize", urlencode(query).encode())
        await mcp_endpoints.prepare(request)
        reply = mcp_endpoints.answer(request)
    assert reply.status == 302, reply.json
    code = parse_qs(urlsplit(reply.headers["Location"]).query)["code"][0]
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CONNECTOR,
        "client_id": url,
        "code_verifier": VERIFIER,
    }
    tokens = mcp_endpoints.answer(call("POST", "/_pluginlab/oauth/token", body=body))
    assert tokens.status == 200, tokens.json


def test_the_consent_form_carries_the_resource_and_its_answer_names_the_issuer(
    mcp_endpoints: OAuthEndpoints,
) -> None:
    mcp_endpoints.config.auth.oauth.auto_approve = None
    client = register(mcp_endpoints, token_endpoint_auth_method="none")["client_id"]
    query = {
        "response_type": "code",
        "client_id": client,
        "redirect_uri": CONNECTOR,
        "state": "st",
        "code_challenge": CHALLENGE.decode(),
        "code_challenge_method": "S256",
        "resource": ISSUER + "/mcp",
    }
    page = mcp_endpoints.answer(
        call("GET", "/_pluginlab/oauth/authorize", urlencode(query).encode())
    )
    assert page.status == 200
    assert f'name="resource" value="{ISSUER}/mcp"' in page.content.decode()
    for decision, expected in (("allow", "code"), ("deny", "error")):
        form = {**query, "user_name": "bob", "decision": decision}
        reply = mcp_endpoints.answer(call("POST", "/_pluginlab/oauth/authorize", body=form))
        back = parse_qs(urlsplit(reply.headers["Location"]).query)
        assert expected in back and back["iss"] == [ISSUER] and back["state"] == ["st"]


def test_each_answer_names_the_client_it_was_for_refused_or_not(
    mcp_endpoints: OAuthEndpoints,
) -> None:
    client = register(mcp_endpoints, token_endpoint_auth_method="client_secret_basic")["client_id"]
    bad = registration(b"{nope")
    assert mcp_endpoints.answer(bad).client_id is None  # no client was made
    query = urlencode({"client_id": client, "redirect_uri": "http://127.0.0.1:9/cb", "state": "s"})
    refused = mcp_endpoints.answer(call("GET", "/_pluginlab/oauth/authorize", query.encode()))
    assert (refused.status, refused.client_id) == (400, client)
    basic = base64.b64encode(f"{client}:wrong".encode()).decode()
    token = call(
        "POST",
        "/_pluginlab/oauth/token",
        fields=[(b"Authorization", f"Basic {basic}".encode())],
        body={"grant_type": "refresh_token", "refresh_token": "nope", "client_id": "other"},
    )
    answered = mcp_endpoints.answer(token)
    # the Basic credentials name the client, whatever the body says
    assert (answered.status, answered.client_id) == (401, client)
    long = call("POST", "/_pluginlab/oauth/revoke", body={"client_id": "x" * 5000, "token": "t"})
    assert mcp_endpoints.answer(long).client_id == "x" * 512
