from __future__ import annotations

import base64
import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from pluginlab_tui.access.oauth import (
    OAuthProvider,
    make_client_secret,
    redirect_allowed,
    stored_client_secret_hash,
)
from pluginlab_tui.access.oauth_errors import OAuthError
from pluginlab_tui.access.resource import ProtectedResource
from pluginlab_tui.access.users import add_user, revoke_user
from pluginlab_tui.config import OAuthSection
from pluginlab_tui.store.database import open_store

CALLBACK = "https://chat.openai.com/aip/plugin-88ae40-1c2d-c19db05b7638/oauth/callback"


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = open_store(tmp_path / "events.db", create=True)
    yield conn
    conn.close()


def provider(conn: sqlite3.Connection, clock: Clock | None = None, **kw: object) -> OAuthProvider:
    section = OAuthSection(client_secret="s3cret", code_ttl_s=60, token_ttl_s=100, **kw)  # type: ignore[arg-type]
    return OAuthProvider(conn, section, clock=clock or Clock())


def params(**extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "pluginlab-dev-client",
        "redirect_uri": CALLBACK,
        "scope": "todos",
        "state": "xyz",
        **extra,
    }


def test_redirect_uris_patterns_and_exact() -> None:
    assert redirect_allowed(CALLBACK, [])
    assert redirect_allowed("https://chatgpt.com/aip/g-abc123/oauth/callback", [])
    assert redirect_allowed("https://chat.openai.com/aip/g-abc123/oauth/callback", [])
    for bad in [
        "https://chatgpt.com/aip/plugin-abc/oauth/callback",
        "https://chatgpt.com/aip/g-a/b/oauth/callback",
        "https://evil.example/aip/g-abc/oauth/callback",
        "https://chatgpt.com/aip/g-abc/oauth/callback?x=1",
        "http://chatgpt.com/aip/g-abc/oauth/callback",
    ]:
        assert not redirect_allowed(bad, []), bad
    assert redirect_allowed("http://localhost:3000/cb", ["http://localhost:3000/cb"])
    assert not redirect_allowed(CALLBACK, ["http://localhost:3000/cb"])


def test_authorize_checks_before_any_redirect(conn: sqlite3.Connection) -> None:
    oauth = provider(conn)
    for bad, error in [
        (params(client_id="other"), "invalid_client"),
        (params(redirect_uri="https://evil.example/cb"), "invalid_request"),
        (params(state=""), "invalid_request"),
        (params(code_challenge="abc", code_challenge_method="S512"), "invalid_request"),
    ]:
        with pytest.raises(OAuthError) as raised:
            oauth.check_authorize(bad)
        assert raised.value.error == error


def test_code_flow_refresh_rotation_and_single_use(conn: sqlite3.Connection) -> None:
    clock = Clock()
    oauth = provider(conn, clock)
    add_user(conn, "alice", "pro")
    code = oauth.issue_code(oauth.check_authorize(params()), "alice")
    tokens = oauth.exchange_code("pluginlab-dev-client", code, CALLBACK)
    assert tokens.expires_in == 100 and tokens.scope == "todos"
    assert oauth.verify_access(tokens.access_token).result == "ok"
    assert oauth.verify_access(tokens.access_token).user_name == "alice"
    with pytest.raises(OAuthError, match="already used"):
        oauth.exchange_code("pluginlab-dev-client", code, CALLBACK)
    # reuse of a code revokes what it gave
    assert oauth.verify_access(tokens.access_token).result == "revoked"


def test_refresh_rotates_and_a_spent_refresh_token_revokes_the_grant(
    conn: sqlite3.Connection,
) -> None:
    clock = Clock()
    oauth = provider(conn, clock)
    code = oauth.issue_code(oauth.check_authorize(params()), "dana")
    first = oauth.exchange_code("pluginlab-dev-client", code, CALLBACK)
    clock.now += 150
    assert oauth.verify_access(first.access_token).result == "expired"
    second = oauth.refresh("pluginlab-dev-client", first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert oauth.verify_access(second.access_token).result == "ok"
    with pytest.raises(OAuthError, match="already used"):
        oauth.refresh("pluginlab-dev-client", first.refresh_token)
    assert oauth.verify_access(second.access_token).result == "revoked"


def test_code_checks(conn: sqlite3.Connection) -> None:
    clock = Clock()
    oauth = provider(conn, clock)
    checked = oauth.check_authorize(params())
    code = oauth.issue_code(checked, "eve")
    with pytest.raises(OAuthError, match="redirect_uri"):
        oauth.exchange_code(
            "pluginlab-dev-client", code, "https://chatgpt.com/aip/g-x/oauth/callback"
        )
    late = oauth.issue_code(checked, "eve")
    clock.now += 61
    with pytest.raises(OAuthError, match="expired"):
        oauth.exchange_code("pluginlab-dev-client", late, CALLBACK)
    with pytest.raises(OAuthError, match="not known"):
        oauth.exchange_code("pluginlab-dev-client", "plc_nope", CALLBACK)
    other = oauth.issue_code(checked, "eve")
    with pytest.raises(OAuthError, match="not known"):
        oauth.exchange_code("another-client", other, CALLBACK)
    with pytest.raises(OAuthError) as raised:
        oauth.issue_code(oauth.check_authorize(params(response_type="token")), "eve")
    assert raised.value.error == "unsupported_response_type"
    with pytest.raises(OAuthError) as raised:
        oauth.issue_code(oauth.check_authorize(params(scope="admin")), "eve")
    assert raised.value.error == "invalid_scope"


@pytest.mark.parametrize("method", ["S256", "plain"])
def test_pkce(conn: sqlite3.Connection, method: str) -> None:
    oauth = provider(conn)
    verifier = "v" * 50
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if method == "S256"
        else verifier
    )
    checked = oauth.check_authorize(params(code_challenge=challenge, code_challenge_method=method))
    with pytest.raises(OAuthError, match="code_verifier"):
        oauth.exchange_code("pluginlab-dev-client", oauth.issue_code(checked, "f"), CALLBACK)
    with pytest.raises(OAuthError, match="does not match"):
        oauth.exchange_code(
            "pluginlab-dev-client", oauth.issue_code(checked, "f"), CALLBACK, "w" * 50
        )
    tokens = oauth.exchange_code(
        "pluginlab-dev-client", oauth.issue_code(checked, "f"), CALLBACK, verifier
    )
    assert oauth.verify_access(tokens.access_token).result == "ok"


def test_revocation_and_revoked_users(conn: sqlite3.Connection) -> None:
    oauth = provider(conn)
    add_user(conn, "gus")
    checked = oauth.check_authorize(params())
    tokens = oauth.exchange_code("pluginlab-dev-client", oauth.issue_code(checked, "gus"), CALLBACK)
    oauth.revoke(tokens.access_token)
    assert oauth.verify_access(tokens.access_token).result == "revoked"
    again = oauth.refresh("pluginlab-dev-client", tokens.refresh_token)
    oauth.revoke(again.refresh_token)
    assert oauth.verify_access(again.access_token).result == "revoked"
    oauth.revoke("unknown")  # fine, per RFC 7009
    code = oauth.issue_code(checked, "gus")
    revoke_user(conn, "gus")
    with pytest.raises(OAuthError, match="revoked"):
        oauth.exchange_code("pluginlab-dev-client", code, CALLBACK)
    with pytest.raises(OAuthError, match="revoked"):
        oauth.issue_code(checked, "gus")


def test_client_secret_from_config_or_store(conn: sqlite3.Connection) -> None:
    configured = provider(conn)
    assert configured.client_ok("pluginlab-dev-client", "s3cret")
    assert not configured.client_ok("pluginlab-dev-client", "wrong")
    assert not configured.client_ok("other", "s3cret")
    generated = OAuthProvider(conn, OAuthSection())
    assert not generated.has_client_secret
    assert not generated.client_ok("pluginlab-dev-client", "")
    secret = make_client_secret(conn)
    assert generated.has_client_secret and generated.client_ok("pluginlab-dev-client", secret)
    assert stored_client_secret_hash(conn) != secret
    rows = conn.execute("SELECT value FROM meta").fetchall()
    assert all(secret not in str(r[0]) for r in rows)


def test_nothing_handed_out_is_stored_in_clear(conn: sqlite3.Connection, tmp_path: Path) -> None:
    oauth = provider(conn)
    checked = oauth.check_authorize(params())
    code = oauth.issue_code(checked, "hal")
    tokens = oauth.exchange_code("pluginlab-dev-client", code, CALLBACK)
    conn.execute("PRAGMA wal_checkpoint(FULL)")
    data = (tmp_path / "events.db").read_bytes()
    wal = tmp_path / "events.db-wal"
    data += wal.read_bytes() if wal.exists() else b""
    for secret in (code, tokens.access_token, tokens.refresh_token):
        assert secret.encode() not in data


def test_long_expired_grants_are_forgotten(conn: sqlite3.Connection) -> None:
    clock = Clock()
    oauth = provider(conn, clock)
    checked = oauth.check_authorize(params())
    oauth.issue_code(checked, "ivan")
    clock.now += 2 * 86_400
    assert oauth.purge() == 1
    assert conn.execute("SELECT count(*) FROM oauth_grants").fetchone()[0] == 0


# -- MCP mode: registered clients, PKCE S256, resource binding ----------------------------------

RESOURCE = ProtectedResource(
    issuer="http://127.0.0.1:8787",
    resource="http://127.0.0.1:8787/mcp",
    scopes=("todos",),
    endpoint="/mcp",
)
CONNECTOR = "https://chatgpt.com/connector_platform_oauth_redirect"
VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=")


def mcp_provider(conn: sqlite3.Connection, clock: Clock | None = None) -> OAuthProvider:
    section = OAuthSection(code_ttl_s=60, token_ttl_s=100)
    return OAuthProvider(conn, section, clock=clock or Clock(), resource=RESOURCE)


def mcp_params(client_id: str, **extra: str) -> dict[str, str]:
    found = {
        "redirect_uri": CONNECTOR,
        "code_challenge": CHALLENGE.decode(),
        "code_challenge_method": "S256",
        **extra,
    }
    return params(client_id=client_id, **found)


def public_client(oauth: OAuthProvider, *uris: str) -> str:
    answer = oauth.registry.register(
        {"redirect_uris": list(uris or [CONNECTOR]), "token_endpoint_auth_method": "none"}
    )
    return str(answer["client_id"])


def test_a_public_client_s_grant_is_bound_to_the_mcp_resource(conn: sqlite3.Connection) -> None:
    oauth = mcp_provider(conn)
    client = public_client(oauth)
    assert oauth.public_client(client)
    asked = oauth.check_authorize(mcp_params(client, resource=RESOURCE.resource))
    unasked = oauth.check_authorize(mcp_params(client))
    assert asked.resource == unasked.resource == RESOURCE.resource
    tokens = oauth.exchange_code(
        client, oauth.issue_code(asked, "alice"), CONNECTOR, VERIFIER, RESOURCE.resource
    )
    check = oauth.verify_access(tokens.access_token)
    assert (check.result, check.user_name, check.resource) == ("ok", "alice", RESOURCE.resource)
    rotated = oauth.refresh(client, tokens.refresh_token, RESOURCE.resource)
    assert oauth.verify_access(rotated.access_token).resource == RESOURCE.resource
    with pytest.raises(OAuthError, match="already used"):
        oauth.refresh(client, tokens.refresh_token)


def test_another_resource_is_an_invalid_target(conn: sqlite3.Connection) -> None:
    oauth = mcp_provider(conn)
    client = public_client(oauth)
    with pytest.raises(OAuthError, match="not served here") as refused:
        oauth.check_authorize(mcp_params(client, resource="http://127.0.0.1:8787/other"))
    assert refused.value.error == "invalid_target"
    code = oauth.issue_code(oauth.check_authorize(mcp_params(client)), "alice")
    with pytest.raises(OAuthError, match="differs from the grant") as at_token:
        oauth.exchange_code(client, code, CONNECTOR, VERIFIER, "http://localhost:8787/mcp")
    assert at_token.value.error == "invalid_target"


def test_mcp_clients_must_use_pkce_with_s256(conn: sqlite3.Connection) -> None:
    oauth = mcp_provider(conn)
    client = public_client(oauth)
    plain = dict(mcp_params(client), code_challenge=VERIFIER, code_challenge_method="plain")
    none = {k: v for k, v in mcp_params(client).items() if not k.startswith("code_")}
    for bad in (plain, none):
        with pytest.raises(OAuthError, match="S256"):
            oauth.check_authorize(bad)
    code = oauth.issue_code(oauth.check_authorize(mcp_params(client)), "alice")
    with pytest.raises(OAuthError, match="does not match") as wrong:
        oauth.exchange_code(client, code, CONNECTOR, "w" * 64)
    assert (wrong.value.error, wrong.value.result) == ("invalid_grant", "invalid_grant")


def test_a_registered_client_may_only_use_the_redirects_it_registered(
    conn: sqlite3.Connection,
) -> None:
    oauth = mcp_provider(conn)
    client = public_client(oauth, "http://127.0.0.1:9/cb")
    assert oauth.authorize_target(mcp_params(client, redirect_uri="http://127.0.0.1:9/cb"))
    for other in (CONNECTOR, "http://127.0.0.1:9/cb/", "http://127.0.0.1:10/cb"):
        with pytest.raises(OAuthError, match="not one client") as refused:
            oauth.authorize_target(mcp_params(client, redirect_uri=other))
        assert refused.value.result == "invalid_redirect"
    with pytest.raises(OAuthError, match="unknown client_id"):
        oauth.authorize_target(mcp_params("plid_unknown"))


def test_the_configured_client_takes_chatgpt_s_connector_callbacks_in_mcp_mode(
    conn: sqlite3.Connection,
) -> None:
    oauth = mcp_provider(conn)
    assert oauth.authorize_target(mcp_params("pluginlab-dev-client"))
    callback = "https://chatgpt.com/connector/oauth/abc_123"
    assert oauth.authorize_target(mcp_params("pluginlab-dev-client", redirect_uri=callback))
    with pytest.raises(OAuthError, match="not allowed"):
        oauth.authorize_target(mcp_params("pluginlab-dev-client", redirect_uri=CALLBACK))
    assert not oauth.public_client("pluginlab-dev-client")
    assert redirect_allowed(CONNECTOR, [], mcp=True) and not redirect_allowed(CONNECTOR, [])


def test_a_client_revokes_only_its_own_tokens(conn: sqlite3.Connection) -> None:
    oauth = mcp_provider(conn)
    mine, other = public_client(oauth), public_client(oauth)
    code = oauth.issue_code(oauth.check_authorize(mcp_params(mine)), "alice")
    tokens = oauth.exchange_code(mine, code, CONNECTOR, VERIFIER)
    oauth.revoke(tokens.access_token, other)
    assert oauth.verify_access(tokens.access_token).result == "ok"
    oauth.revoke(tokens.refresh_token, mine)
    assert oauth.verify_access(tokens.access_token).result == "revoked"
