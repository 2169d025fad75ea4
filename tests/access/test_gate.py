"""The gate's decisions on plain values: header fields as bytes, the operation, the plan."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pluginlab_tui.access.gate import Gate, answer, ip_denied
from pluginlab_tui.access.oauth import AccessCheck
from pluginlab_tui.access.state import AuthState
from pluginlab_tui.access.users import add_user
from pluginlab_tui.config import load_config
from pluginlab_tui.store.database import open_store


@pytest.fixture
def make_gate(tmp_path: Path) -> Iterator[Any]:
    conns = []

    def make(**overrides: Any) -> Gate:
        config = load_config(None, {"store.path": tmp_path / "s.db", **overrides})
        conn = open_store(config.store_path, create=True)
        conns.append(conn)
        return Gate(config, AuthState(config, conn))

    yield make
    for conn in conns:
        conn.close()


def test_a_service_token_is_checked_on_the_bytes_sent(make_gate: Any) -> None:
    gate = make_gate(**{"auth.mode": "service_http", "auth.service_token": "tok"})
    assert gate.authenticate([(b"Authorization", b"Bearer tok")]).result == "ok"
    wrong = gate.authenticate([(b"authorization", b"Bearer tok\xff")])
    assert (wrong.result, wrong.status) == ("invalid", 401)
    twice = gate.authenticate([(b"Authorization", b"Bearer tok")] * 2)
    assert twice.result == "invalid" and "2 times" in twice.message
    missing = gate.authenticate([])
    status, body, headers = answer(missing, "service_http")
    assert (status, body["error"], body["auth_mode"]) == (401, "missing", "service_http")
    assert headers == {"WWW-Authenticate": 'Bearer realm="pluginlab"'}


def test_a_user_key_names_the_user_and_the_plan(make_gate: Any) -> None:
    gate = make_gate(**{"auth.mode": "user_http", "plans": {"free": {"quota": 5}}})
    key = add_user(gate.state.conn, "rex", "free")
    verdict = gate.authenticate([(b"Authorization", f"Bearer {key}".encode())])
    assert (verdict.result, verdict.user_id, verdict.plan) == ("ok", "rex", "free")


def test_a_plan_that_lists_operations_refuses_the_others_and_names_who_may(
    make_gate: Any,
) -> None:
    gate = make_gate(
        plans={"free": {"operations": ["listTodos"]}, "pro": {}}, **{"auth.default_plan": "free"}
    )
    verdict = gate.authenticate([])
    assert gate.gates_operations(verdict)
    assert gate.allow(verdict, "listTodos") is verdict
    refused = gate.allow(verdict, "deleteTodo")
    assert (refused.result, refused.status) == ("forbidden_plan", 403)
    assert refused.extra["upgrade_to"] == "pro"
    assert "no operation matches" in gate.allow(verdict, None).message


def test_a_replayed_caller_gets_the_user_s_plan(make_gate: Any) -> None:
    gate = make_gate(**{"auth.mode": "user_http", "plans": {"gold": {}}})
    add_user(gate.state.conn, "ann", "gold")
    assert gate.replayed("ann", None).plan == "gold"
    assert gate.replayed("ann", "other").plan == "other"


def test_the_allow_list_refuses_addresses_outside_it(make_gate: Any) -> None:
    gate = make_gate(**{"auth.allow_ips": ["10.0.0.0/8"]})
    assert ip_denied(gate.state, "10.1.2.3") is None
    refused = ip_denied(gate.state, "192.0.2.1")
    assert refused is not None and (refused.result, refused.status) == ("ip_denied", 403)


VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=")
MCP = {"auth.mode": "oauth", "mcp.endpoint": "/mcp", "auth.oauth.scope": "cards profile"}


def _mcp_token(gate: Gate, scope: str = "cards profile") -> str:
    """An access token for `alice` through the provider's code flow, as a public client."""
    oauth = gate.state.oauth
    callback = "http://127.0.0.1:9/cb"
    client = str(
        oauth.registry.register(
            {"redirect_uris": [callback], "token_endpoint_auth_method": "none"}
        )["client_id"]
    )
    asked = {
        "response_type": "code",
        "client_id": client,
        "redirect_uri": callback,
        "state": "s",
        "scope": scope,
        "code_challenge": CHALLENGE.decode(),
        "code_challenge_method": "S256",
    }
    code = oauth.issue_code(oauth.check_authorize(asked), "alice")
    return oauth.exchange_code(client, code, callback, VERIFIER).access_token


def test_the_mcp_endpoint_challenges_as_the_mcp_authorization_spec_says(make_gate: Any) -> None:
    gate = make_gate(**MCP, **{"proxy.public_url": "http://127.0.0.1:8787"})
    # the same store behind another public URL (a new tunnel): its tokens are for another resource
    moved = make_gate(**MCP, **{"proxy.public_url": "http://localhost:8787"})
    add_user(gate.state.conn, "alice", "pro")
    metadata = "http://127.0.0.1:8787/.well-known/oauth-protected-resource/mcp"
    base = f'Bearer resource_metadata="{metadata}", scope="cards profile"'

    def refused(token: str | None) -> tuple[str, int, str, dict[str, Any]]:
        fields = [] if token is None else [(b"Authorization", f"Bearer {token}".encode())]
        verdict = gate.authenticate(fields, mcp=True)
        status, body, headers = answer(verdict, "oauth")
        return verdict.result, status, headers["WWW-Authenticate"], body

    result, status, challenge, body = refused(None)
    assert (result, status, challenge) == ("missing", 401, base)
    assert body["resource_metadata"] == metadata
    result, status, challenge, _ = refused("pla_nope")
    assert (result, status) == ("invalid", 401)
    assert challenge.startswith(base + ', error="invalid_token", error_description="')
    result, status, challenge, body = refused(_mcp_token(moved))
    assert (result, status) == ("wrong_audience", 401) and 'error="invalid_token"' in challenge
    assert "http://localhost:8787/mcp" in body["message"]
    result, status, challenge, _ = refused(_mcp_token(gate, "cards"))
    assert (result, status) == ("insufficient_scope", 403)
    assert 'error="insufficient_scope"' in challenge and 'scope="cards profile"' in challenge
    good = _mcp_token(gate)
    verdict = gate.authenticate([(b"Authorization", f"Bearer {good}".encode())], mcp=True)
    assert (verdict.result, verdict.user_id, verdict.plan) == ("ok", "alice", "pro")
    later = gate.state.oauth.clock() + 10_000
    gate.state.oauth.clock = lambda: later
    result, status, challenge, _ = refused(good)
    assert (result, status) == ("expired", 401) and 'error="invalid_token"' in challenge
    # off the MCP endpoint the plugin flow's rules stand: no audience is asked for
    elsewhere = moved.authenticate([(b"Authorization", f"Bearer {_mcp_token(gate)}".encode())])
    assert elsewhere.result == "ok"


def test_an_mcp_verdict_names_the_client_its_token_was_issued_to(make_gate: Any) -> None:
    gate = make_gate(**MCP, **{"proxy.public_url": "http://127.0.0.1:8787"})
    moved = make_gate(**MCP, **{"proxy.public_url": "http://localhost:8787"})
    add_user(gate.state.conn, "alice", "pro")

    def verdict(token: str | None) -> tuple[str, str | None]:
        fields = [] if token is None else [(b"Authorization", f"Bearer {token}".encode())]
        found = gate.authenticate(fields, mcp=True)
        return found.result, found.client_id

    def token_and_client(issuer: Gate, scope: str = "cards profile") -> tuple[str, str]:
        """A token, and the client just registered for it (each _mcp_token registers one)."""
        token = _mcp_token(issuer, scope)
        (newest,) = issuer.state.conn.execute(
            "SELECT client_id FROM oauth_clients ORDER BY created DESC, rowid DESC LIMIT 1"
        ).fetchone()
        return token, str(newest)

    good, client = token_and_client(gate)
    assert verdict(good) == ("ok", client)
    scoped, narrow = token_and_client(gate, "cards")
    assert narrow != client and verdict(scoped) == ("insufficient_scope", narrow)
    other, elsewhere = token_and_client(moved)
    assert verdict(other) == ("wrong_audience", elsewhere)
    assert verdict(None) == ("missing", None) and verdict("pla_nope") == ("invalid", None)


def test_with_a_noauth_tool_the_mcp_endpoint_lets_anonymous_callers_through(
    make_gate: Any,
) -> None:
    gate = make_gate(**MCP, **{"mcp.tool_scopes": {"search": "noauth"}})
    add_user(gate.state.conn, "alice", "pro")
    anonymous = gate.authenticate([], mcp=True)
    assert (anonymous.result, anonymous.user_id, anonymous.scopes) == ("ok", None, None)
    # a token, if sent, must still be good; its scopes go on for each message's check
    bad = gate.authenticate([(b"Authorization", b"Bearer pla_nope")], mcp=True)
    assert (bad.result, bad.status) == ("invalid", 401)
    narrow = _mcp_token(gate, "cards")
    verdict = gate.authenticate([(b"Authorization", f"Bearer {narrow}".encode())], mcp=True)
    assert (verdict.result, verdict.user_id, verdict.scopes) == ("ok", "alice", ("cards",))


def test_with_an_external_issuer_its_judgement_is_the_gate_s(make_gate: Any) -> None:
    gate = make_gate(**MCP, **{"auth.oauth.issuer": "https://as.example"})
    resource = "http://localhost:8787/mcp"
    fields = [(b"Authorization", b"Bearer eyJ.a.b")]
    # the dev provider is never asked: without the issuer's word the token is refused
    assert gate.authenticate(fields, mcp=True).result == "invalid"
    said = AccessCheck("invalid", message="the JWT's signature does not verify")
    refused = gate.authenticate(fields, mcp=True, checked=said)
    assert refused.message == "the JWT's signature does not verify"
    other = AccessCheck("ok", "bob", "cards profile", "https://elsewhere.example/mcp")
    assert gate.authenticate(fields, mcp=True, checked=other).result == "wrong_audience"
    good = AccessCheck("ok", "bob", "cards profile", resource)
    verdict = gate.authenticate(fields, mcp=True, checked=good)
    assert (verdict.result, verdict.user_id) == ("ok", "bob")
