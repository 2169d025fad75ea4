"""access/issuer.py against a real authorization server on loopback (tests/access/issuer_server)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import jwt
import pytest

from pluginlab_tui.access.issuer import KEYS_TTL_S, REFETCH_COOLDOWN_S, ExternalIssuer, IssuerError
from pluginlab_tui.access.oauth import AccessCheck
from pluginlab_tui.config import OAuthSection
from tests.access.issuer_server import CLIENT_ID, CLIENT_SECRET, IssuerServer, Key

RESOURCE = "http://127.0.0.1:8787/mcp"


@pytest.fixture
def issuer() -> Iterator[IssuerServer]:
    with IssuerServer() as server:
        yield server


def checker(server: IssuerServer, clock: list[float] | None = None) -> ExternalIssuer:
    section = OAuthSection(
        issuer=server.url,
        introspection_url=server.url + "/introspect",
        introspection_client_id=CLIENT_ID,
        introspection_client_secret=CLIENT_SECRET,
    )
    now = clock if clock is not None else [time.time()]
    return ExternalIssuer(section, RESOURCE, clock=lambda: now[0])


def run(verifier: ExternalIssuer, *tokens: str) -> list[AccessCheck]:
    async def all_of() -> list[AccessCheck]:
        return [await verifier.check(t) for t in tokens]

    return asyncio.run(all_of())


def test_a_valid_jwt_names_its_user_scopes_and_resource(issuer: IssuerServer) -> None:
    (check,) = run(checker(issuer), issuer.token(RESOURCE, scope="cards cards:write"))
    assert (check.result, check.user_name, check.scope, check.resource) == (
        "ok",
        "bob",
        "cards cards:write",
        RESOURCE,
    )
    (listed,) = run(
        checker(issuer), issuer.token(RESOURCE, aud=["other", RESOURCE], scope=None, scp=["a", "b"])
    )
    assert (listed.resource, listed.scope) == (RESOURCE, "a b")


def test_another_audience_is_handed_on_for_the_gate_to_refuse(issuer: IssuerServer) -> None:
    (check,) = run(checker(issuer), issuer.token("https://elsewhere.example/mcp"))
    assert check.result == "ok" and check.resource == "https://elsewhere.example/mcp"
    (none,) = run(checker(issuer), issuer.token(RESOURCE, aud=None))
    assert none.resource is None


def test_expired_not_yet_valid_and_foreign_tokens_are_refused(issuer: IssuerServer) -> None:
    now = int(time.time())
    expired, early, foreign, anonymous = run(
        checker(issuer),
        issuer.token(RESOURCE, exp=now - 120),
        issuer.token(RESOURCE, nbf=now + 600),
        issuer.token(RESOURCE, iss="https://evil.example"),
        issuer.token(RESOURCE, sub=None),
    )
    assert (expired.result, expired.message) == ("expired", "the access token has expired (exp)")
    assert early.result == "invalid" and "nbf" in (early.message or "")
    assert foreign.result == "invalid" and "is not" in (foreign.message or "")
    assert anonymous.result == "invalid" and "sub" in (anonymous.message or "")


def test_a_bad_signature_and_refused_algorithms(issuer: IssuerServer) -> None:
    impostor = Key("k1")  # the same kid, another key
    forged = issuer.token(RESOURCE, key=impostor)
    shared = jwt.encode({"sub": "bob", "iss": issuer.url, "exp": time.time() + 60}, "s" * 32)
    unsigned = jwt.encode({"sub": "bob"}, None, algorithm="none")  # type: ignore[arg-type]
    bad, hmac, plain = run(checker(issuer), forged, shared, unsigned)
    assert bad.result == "invalid" and bad.message == "the JWT's signature does not verify"
    assert hmac.result == "invalid" and "HS256" in (hmac.message or "")
    assert plain.result == "invalid"


def test_an_unknown_kid_refetches_the_keys_once_per_cooldown(issuer: IssuerServer) -> None:
    clock = [time.time()]
    verifier = checker(issuer, clock)
    run(verifier, issuer.token(RESOURCE))
    assert issuer.hits["jwks"] == 1 and issuer.hits["metadata"] == 1
    rotated = Key("k2")
    issuer.keys.append(rotated)
    (check,) = run(verifier, issuer.token(RESOURCE, key=rotated))
    assert check.result == "ok" and issuer.hits["jwks"] == 2  # refetched for the new kid
    stranger = Key("k3")
    unknown = run(verifier, *[issuer.token(RESOURCE, key=stranger) for _ in range(5)])
    assert all(c.result == "invalid" and "unknown kid" in (c.message or "") for c in unknown)
    assert issuer.hits["jwks"] == 2  # within the cooldown: not fetched again
    clock[0] += REFETCH_COOLDOWN_S + 1
    run(verifier, issuer.token(RESOURCE, key=stranger))
    assert issuer.hits["jwks"] == 3 and issuer.hits["metadata"] == 1


def test_opaque_tokens_are_introspected_with_the_client_credentials(
    issuer: IssuerServer,
) -> None:
    issuer.opaque["live"] = {
        "active": True,
        "sub": "carol",
        "scope": "cards",
        "aud": RESOURCE,
        "iss": issuer.url,
        "exp": int(time.time()) + 600,
    }
    issuer.opaque["other"] = {"active": True, "sub": "carol", "aud": "https://x.example"}
    verifier = checker(issuer)
    live, again, dead, other = run(verifier, "live", "live", "dead", "other")
    assert (live.result, live.user_name, live.scope, live.resource) == (
        "ok",
        "carol",
        "cards",
        RESOURCE,
    )
    assert again == live and issuer.hits["introspect"] == 3  # the active answer is kept a while
    assert dead.result == "invalid" and "not active" in (dead.message or "")
    assert other.result == "ok" and other.resource == "https://x.example"
    assert all(a.startswith("Basic ") for a in issuer.seen_auth)


def test_without_introspection_an_opaque_token_is_refused_and_a_wrong_secret_fails(
    issuer: IssuerServer,
) -> None:
    section = OAuthSection(issuer=issuer.url)
    (check,) = run(ExternalIssuer(section, RESOURCE), "opaque")
    assert check.result == "invalid" and "introspection_url" in (check.message or "")
    wrong = OAuthSection(
        issuer=issuer.url,
        introspection_url=issuer.url + "/introspect",
        introspection_client_id=CLIENT_ID,
        introspection_client_secret="wrong",
    )
    (failed,) = run(ExternalIssuer(wrong, RESOURCE), "opaque")
    assert failed.result == "invalid" and "HTTP 401" in (failed.message or "")
    assert "wrong" not in (failed.message or "")


def test_metadata_naming_another_issuer_is_not_trusted(issuer: IssuerServer) -> None:
    section = OAuthSection(issuer=issuer.url + "/")  # not the string the metadata holds
    first, again = run(ExternalIssuer(section, RESOURCE), *[issuer.token(RESOURCE)] * 2)
    assert first.result == "invalid" and "keys could not be had" in (first.message or "")
    assert again == first and issuer.hits["metadata"] == 1  # a failed issuer is not hammered


def test_the_issuer_s_metadata_is_read_once_a_while_and_a_dead_issuer_says_why(
    issuer: IssuerServer,
) -> None:
    """What the MCP host answers at the authorization-server metadata paths (the issuer's own
    document), kept for a while; an issuer that cannot be read is an IssuerError naming where."""
    clock = [time.time()]
    verifier = checker(issuer, clock)
    first = asyncio.run(verifier.metadata())
    again = asyncio.run(verifier.metadata())
    assert first == again and first["issuer"] == issuer.url and "jwks_uri" in first
    assert issuer.hits["metadata"] == 1
    clock[0] += KEYS_TTL_S + 1
    asyncio.run(verifier.metadata())
    assert issuer.hits["metadata"] == 2
    issuer.hits["metadata"] = 0
    down = ExternalIssuer(OAuthSection(issuer=issuer.url + "/"), RESOURCE, clock=lambda: clock[0])
    for _ in range(3):  # the metadata names another issuer string: refused, asked once
        with pytest.raises(IssuerError, match="names the issuer"):
            asyncio.run(down.metadata())
    assert issuer.hits["metadata"] == 1
    clock[0] += REFETCH_COOLDOWN_S + 1
    with pytest.raises(IssuerError):
        asyncio.run(down.metadata())
    assert issuer.hits["metadata"] == 2
    dead = ExternalIssuer(OAuthSection(issuer="http://127.0.0.1:9"), RESOURCE)
    with pytest.raises(IssuerError, match="no metadata for the issuer at http://127.0.0.1:9/"):
        asyncio.run(dead.metadata())
