"""Tokens of a real authorization server (`auth.oauth.issuer`), checked for the MCP endpoint.

A JWT is checked against the issuer's keys: its JWKS, found from its metadata (RFC 8414, then
OpenID Connect discovery, in the MCP spec's order), kept for KEYS_TTL_S and fetched again when a
token names a key id the set lacks (at most once per REFETCH_COOLDOWN_S, so made-up ids cannot
make the proxy hammer the issuer; nor is an issuer that failed asked again sooner). PyJWT
verifies the signature (asymmetric algorithms only, with the algorithm of the key), `exp` and
`nbf` (with LEEWAY_S), and `iss` as the exact configured string; the audience is handed to the
gate, which refuses a token that does not name the resource (`wrong_audience`). Any other token
is asked about by RFC 7662 introspection (`auth.oauth.introspection_url`, as
`introspection_client_id` with its secret over HTTP Basic), with the same checks on the answer;
an active answer is kept for at most INTROSPECTION_TTL_S. The introspection secret is sent only
to that URL, never logged, and redacted from the store.

Every outcome is an oauth.AccessCheck (ok, invalid, expired) with a message saying why.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt as pyjwt

from pluginlab_tui.access.oauth import AccessCheck
from pluginlab_tui.access.tls import client_context
from pluginlab_tui.config import OAuthSection

#: Asymmetric algorithms only: a token signed with a shared secret or none is refused.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
KEYS_TTL_S = 300.0
REFETCH_COOLDOWN_S = 10.0
INTROSPECTION_TTL_S = 30.0
#: Active introspection answers remembered, at most.
MAX_REMEMBERED = 1024
MAX_DOCUMENT_BYTES = 256 * 1024
LEEWAY_S = 30.0
TIMEOUT_S = 10.0


class IssuerError(Exception):
    """The issuer's metadata, keys or introspection could not be had."""


@dataclass(slots=True)
class _Keys:
    keys: dict[str | None, pyjwt.PyJWK]
    fetched: float


def discovery_urls(issuer: str) -> list[str]:
    """Where an issuer's metadata is (the MCP spec's order, as the SDK builds it)."""
    from mcp.client.auth.utils import build_oauth_authorization_server_metadata_discovery_urls

    return build_oauth_authorization_server_metadata_discovery_urls(issuer, issuer)


def _scopes(claims: dict[str, Any]) -> str:
    """`scope` (space separated) or `scp` (a list, as some issuers send)."""
    scope = claims.get("scope")
    if isinstance(scope, str):
        return scope
    scp = claims.get("scp")
    if isinstance(scp, list):
        return " ".join(s for s in scp if isinstance(s, str))
    return scp if isinstance(scp, str) else ""


class ExternalIssuer:
    """Checks the access tokens of one authorization server for one resource."""

    def __init__(
        self,
        section: OAuthSection,
        resource: str,
        clock: Callable[[], float] = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        assert section.issuer is not None
        self.issuer = section.issuer
        self.resource = resource
        self.section = section
        self.clock = clock
        self.transport = transport
        self._keys: _Keys | None = None
        #: When an unknown key id last made the keys be fetched again.
        self._last_refetch = float("-inf")
        self._lock = asyncio.Lock()
        self._jwks_uri: str | None = None
        #: The issuer's metadata document, and when it was read.
        self._metadata: tuple[float, dict[str, Any]] | None = None
        #: When fetching the keys last failed, and why (an issuer down is not asked each time).
        self._failed: tuple[float, str] | None = None
        self._active: OrderedDict[str, tuple[float, AccessCheck]] = OrderedDict()

    # -- network ------------------------------------------------------------------------------

    async def _get_json(self, client: httpx.AsyncClient, url: str, **kwargs: Any) -> Any:
        method = "POST" if "data" in kwargs else "GET"
        async with client.stream(method, url, **kwargs) as answer:
            if answer.status_code != 200:
                raise IssuerError(f"{url} answered HTTP {answer.status_code}")
            body = bytearray()
            async for chunk in answer.aiter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise IssuerError(f"{url} answered over {MAX_DOCUMENT_BYTES} bytes")
        try:
            return json.loads(body)
        except ValueError:
            raise IssuerError(f"{url} did not answer JSON") from None

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=TIMEOUT_S,
            transport=self.transport,
            trust_env=False,
            follow_redirects=False,
            verify=client_context(),
        )

    async def metadata(self) -> dict[str, Any]:
        """The issuer's own metadata document (RFC 8414, else OpenID Connect discovery), kept for
        KEYS_TTL_S: what the MCP host answers at the authorization-server metadata paths, since
        ChatGPT has been seen asking the MCP host for it. IssuerError when none can be read; an
        issuer that failed is not asked again within REFETCH_COOLDOWN_S, and one fetch at a time
        goes out (callers on the MCP host cannot make the proxy hammer it)."""
        async with self._lock:
            now = self.clock()
            if self._metadata is not None and now - self._metadata[0] < KEYS_TTL_S:
                return self._metadata[1]
            if self._failed is not None and now - self._failed[0] < REFETCH_COOLDOWN_S:
                raise IssuerError(self._failed[1])
            try:
                async with self._client() as client:
                    return await self._discover(client)
            except IssuerError as exc:
                self._failed = (now, str(exc))
                raise

    async def _discover(self, client: httpx.AsyncClient) -> dict[str, Any]:
        tried: list[str] = []
        for url in discovery_urls(self.issuer):
            try:
                document = await self._get_json(client, url)
            except (IssuerError, httpx.HTTPError) as exc:
                tried.append(f"{url} ({exc or type(exc).__name__})")
                continue
            if not isinstance(document, dict) or document.get("issuer") != self.issuer:
                found = document.get("issuer") if isinstance(document, dict) else None
                raise IssuerError(f"{url} names the issuer {found!r}, not {self.issuer!r}")
            self._metadata = (self.clock(), document)
            return document
        raise IssuerError("no metadata for the issuer at " + "; ".join(tried))

    async def _metadata_jwks_uri(self, client: httpx.AsyncClient) -> str:
        jwks_uri = (await self._discover(client)).get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise IssuerError(f"the metadata of {self.issuer} names no jwks_uri")
        return jwks_uri

    async def _fetch_keys(self) -> _Keys:
        async with self._client() as client:
            try:
                if self._jwks_uri is None:
                    self._jwks_uri = await self._metadata_jwks_uri(client)
                data = await self._get_json(client, self._jwks_uri)
            except httpx.HTTPError as exc:
                raise IssuerError(f"{type(exc).__name__}: {exc}") from None
        try:
            found = pyjwt.PyJWKSet.from_dict(data)
        except (pyjwt.PyJWTError, TypeError, AttributeError, ValueError) as exc:
            raise IssuerError(f"{self._jwks_uri} holds no usable key ({exc})") from None
        return _Keys({k.key_id: k for k in found.keys}, self.clock())

    async def _key(self, kid: str | None) -> pyjwt.PyJWK | None:
        """The key a token names (the only key, when it names none and there is one)."""
        async with self._lock:
            now = self.clock()
            known = self._keys
            stale = known is None or now - known.fetched > KEYS_TTL_S
            lacking = known is not None and not _pick(known, kid)
            refetch = lacking and now - self._last_refetch >= REFETCH_COOLDOWN_S
            if refetch:
                self._last_refetch = now
            if stale or refetch:
                if self._failed is not None and now - self._failed[0] < REFETCH_COOLDOWN_S:
                    raise IssuerError(self._failed[1])  # not asked again so soon
                try:
                    self._keys = await self._fetch_keys()
                except IssuerError as exc:
                    self._failed = (now, str(exc))
                    raise
                self._failed = None
            assert self._keys is not None
            return _pick(self._keys, kid)

    # -- checks -------------------------------------------------------------------------------

    async def check(self, token: str) -> AccessCheck:
        """What the token is worth; never raises for anything a caller can send."""
        header = _jwt_header(token)
        if header is not None:
            return await self._check_jwt(token, header)
        if self.section.introspection_url is None:
            return AccessCheck(
                "invalid",
                message="the access token is not a JWT, and no auth.oauth.introspection_url is"
                " set to ask the issuer about it",
            )
        return await self._introspect(token)

    async def _check_jwt(self, token: str, header: dict[str, Any]) -> AccessCheck:
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHMS:
            return AccessCheck("invalid", message=f"the JWT's alg {alg!r} is not accepted")
        if kid is not None and not isinstance(kid, str):
            return AccessCheck("invalid", message="the JWT's kid is not a string")
        try:
            key = await self._key(kid)
        except IssuerError as exc:
            return AccessCheck("invalid", message=f"the issuer's keys could not be had: {exc}")
        if key is None:
            return AccessCheck(
                "invalid", message=f"the issuer's JWKS has no key {kid!r} (unknown kid)"
            )
        try:
            claims = pyjwt.decode(
                token,
                key,
                algorithms=[alg],
                issuer=self.issuer,
                leeway=LEEWAY_S,
                options={"verify_aud": False, "require": ["exp", "iss", "sub"]},
            )
        except pyjwt.ExpiredSignatureError:
            return AccessCheck("expired", message="the access token has expired (exp)")
        except pyjwt.ImmatureSignatureError:
            return AccessCheck("invalid", message="the access token is not valid yet (nbf)")
        except pyjwt.InvalidIssuerError:
            return AccessCheck("invalid", message=f"the access token is not {self.issuer!r}'s")
        except pyjwt.InvalidSignatureError:
            return AccessCheck("invalid", message="the JWT's signature does not verify")
        except pyjwt.InvalidTokenError as exc:
            return AccessCheck("invalid", message=f"the JWT is refused: {exc}")
        return self._claims(claims)

    def _claims(self, claims: dict[str, Any]) -> AccessCheck:
        """A verified JWT's, or an active introspection answer's, claims as a check; the
        resource is this one when the audience names it, else what it names (wrong_audience)."""
        sub = claims.get("sub") or claims.get("username")
        if not isinstance(sub, str) or not sub:
            return AccessCheck("invalid", message="the access token names no subject (sub)")
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        named = [a for a in audiences if isinstance(a, str)]
        resource = self.resource if self.resource in named else (named[0] if named else None)
        client = claims.get("client_id") or claims.get("azp")
        client_id = client if isinstance(client, str) else None
        return AccessCheck("ok", sub, _scopes(claims), resource, client_id=client_id)

    async def _introspect(self, token: str) -> AccessCheck:
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
        now = self.clock()
        remembered = self._active.get(digest)
        if remembered is not None and remembered[0] > now:
            return remembered[1]
        self._active.pop(digest, None)
        section = self.section
        assert section.introspection_url is not None
        auth = None
        if section.introspection_client_id is not None:
            auth = (section.introspection_client_id, section.introspection_client_secret or "")
        try:
            async with self._client() as client:
                answer = await self._get_json(
                    client,
                    section.introspection_url,
                    data={"token": token, "token_type_hint": "access_token"},
                    auth=auth,
                    headers={"Accept": "application/json"},
                )
        except (IssuerError, httpx.HTTPError) as exc:
            return AccessCheck("invalid", message=f"the introspection failed: {exc}")
        if not isinstance(answer, dict) or answer.get("active") is not True:
            return AccessCheck("invalid", message="the issuer says the token is not active")
        if "iss" in answer and answer["iss"] != self.issuer:
            return AccessCheck("invalid", message=f"the access token is not {self.issuer!r}'s")
        exp = answer.get("exp")
        if isinstance(exp, int | float) and exp + LEEWAY_S < now:
            return AccessCheck("expired", message="the access token has expired (exp)")
        nbf = answer.get("nbf")
        if isinstance(nbf, int | float) and nbf - LEEWAY_S > now:
            return AccessCheck("invalid", message="the access token is not valid yet (nbf)")
        checked = self._claims(answer)
        if checked.result == "ok":
            until = now + INTROSPECTION_TTL_S
            if isinstance(exp, int | float):
                until = min(until, exp)
            self._active[digest] = (until, checked)
            while len(self._active) > MAX_REMEMBERED:
                self._active.popitem(last=False)
        return checked


def _pick(keys: _Keys, kid: str | None) -> pyjwt.PyJWK | None:
    if kid is None:
        return next(iter(keys.keys.values())) if len(keys.keys) == 1 else None
    return keys.keys.get(kid)


def _jwt_header(token: str) -> dict[str, Any] | None:
    """The JOSE header of a token shaped as a JWS compact serialisation, else None."""
    if token.count(".") != 2:
        return None
    try:
        header = pyjwt.get_unverified_header(token)
    except pyjwt.DecodeError:
        return None
    return header if isinstance(header, dict) else None
