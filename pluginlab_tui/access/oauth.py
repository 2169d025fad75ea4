"""The development OAuth 2.0 authorization server: codes, tokens, refresh, revocation, PKCE.

Everything it hands out (codes, access and refresh tokens) is kept in the store only as a
SHA-256 (table oauth_grants). The client secret is `auth.oauth.client_secret` when configured,
else a development secret made by `pluginlab-tui users client` and kept in the store's meta
table as a hash only (it is shown once, when made).

For an MCP endpoint (`resource` given: access/resource.py) it is also the authorization server
the MCP authorization spec describes: clients registered dynamically (access/clients.py) or
named by a metadata document's URL (access/cimd.py) besides the configured one, PKCE with S256
required, and every grant bound to the resource (RFC 8707), the only one the proxy serves.

HTTP is in oauth_routes.py; this module is the logic, testable without a proxy.
"""

from __future__ import annotations

import base64
import hashlib
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pluginlab_tui.access.cimd import ClientDocuments, is_document_url
from pluginlab_tui.access.clients import (
    CONNECTOR_REDIRECTS,
    Client,
    ClientRegistry,
    redirect_acceptable,
)
from pluginlab_tui.access.credentials import (
    as_bytes,
    matches_hash,
    new_secret,
    same_secret,
    secret_hash,
    usable,
)
from pluginlab_tui.access.oauth_errors import OAuthError
from pluginlab_tui.access.resource import ProtectedResource
from pluginlab_tui.access.users import get_user
from pluginlab_tui.config import OAuthSection

CLIENT_SECRET_META = "oauth_client_secret_sha256"
CODE_PREFIX = "plc_"
ACCESS_PREFIX = "pla_"
REFRESH_PREFIX = "plr_"

_SEGMENT = r"[A-Za-z0-9-]+"
#: ChatGPT's callbacks: plugins, and GPTs on both hosts (DESIGN.md "OAuth redirect URIs").
CHATGPT_REDIRECTS = (
    re.compile(rf"https://chat\.openai\.com/aip/plugin-{_SEGMENT}/oauth/callback"),
    re.compile(rf"https://chat\.openai\.com/aip/g-{_SEGMENT}/oauth/callback"),
    re.compile(rf"https://chatgpt\.com/aip/g-{_SEGMENT}/oauth/callback"),
)


@dataclass(frozen=True, slots=True)
class AuthorizeRequest:
    """An /authorize request that passed the checks done before any redirect."""

    client_id: str
    redirect_uri: str
    state: str
    scope: str
    response_type: str
    code_challenge: str | None
    code_challenge_method: str | None
    #: The resource the grant is bound to (MCP), else None.
    resource: str | None = None


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_in: int
    scope: str
    resource: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "scope": self.scope,
        }


@dataclass(frozen=True, slots=True)
class AccessCheck:
    """What an access token is worth: result ok | invalid | expired | revoked."""

    result: str
    user_name: str | None = None
    scope: str = ""
    #: The resource (audience) it was issued for, or None.
    resource: str | None = None
    #: The client it was issued to.
    client_id: str | None = None
    #: Why it is refused, when more can be said than its result (an external issuer's token).
    message: str | None = None


def make_client_secret(conn: sqlite3.Connection) -> str:
    """A new development client secret; the store keeps its hash, the caller shows it once."""
    secret = new_secret("pls_")
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        (CLIENT_SECRET_META, secret_hash(secret)),
    )
    return secret


def stored_client_secret_hash(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (CLIENT_SECRET_META,)).fetchone()
    return None if row is None else str(row[0])


def redirect_allowed(uri: str, configured: list[str], mcp: bool = False) -> bool:
    """Configured URIs match exactly; without any, ChatGPT's callback patterns apply (its
    connector callbacks for an MCP endpoint, its plugin and GPT callbacks otherwise)."""
    if configured:
        return any(same_secret(uri, allowed) for allowed in configured)
    patterns = CONNECTOR_REDIRECTS if mcp else CHATGPT_REDIRECTS
    return any(pattern.fullmatch(uri) for pattern in patterns)


def pkce_ok(verifier: str, challenge: str, method: str) -> bool:
    if method == "S256":
        digest = hashlib.sha256(as_bytes(verifier)).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        return same_secret(computed, challenge)
    return same_secret(verifier, challenge)


def _invalid_redirect(description: str) -> OAuthError:
    error = OAuthError("invalid_request", description)
    error.result = "invalid_redirect"
    return error


class OAuthProvider:
    def __init__(
        self,
        conn: sqlite3.Connection,
        section: OAuthSection,
        clock: Callable[[], float] = time.time,
        resource: ProtectedResource | None = None,
        documents: ClientDocuments | None = None,
    ) -> None:
        self.conn = conn
        self.section = section
        self.clock = clock
        #: The MCP endpoint's resource; None for the plugin flow.
        self.resource = resource
        self.registry = ClientRegistry(
            conn,
            (resource.tools or resource.scopes) if resource else tuple(section.scope.split()),
            section.redirect_uris,
            clock,
        )
        self.documents = documents or ClientDocuments()

    # -- clients ----------------------------------------------------------------------------

    @property
    def has_client_secret(self) -> bool:
        return self.section.client_secret is not None or (
            stored_client_secret_hash(self.conn) is not None
        )

    def client_ok(self, client_id: str | bytes | None, secret: str | bytes | None) -> bool:
        if client_id is None or secret is None:
            return False
        id_ok = same_secret(client_id, self.section.client_id)
        if self.section.client_secret is not None:
            secret_ok = same_secret(secret, self.section.client_secret)
        else:
            stored = stored_client_secret_hash(self.conn)
            secret_ok = stored is not None and matches_hash(secret, stored)
        return id_ok and secret_ok

    def client(self, client_id: str) -> Client | None:
        """An MCP client other than the configured one: registered, or a metadata document's
        URL (fetched beforehand: ClientDocuments.load); None when it is neither."""
        if self.resource is None:
            return None
        registered = self.registry.get(client_id)
        if registered is not None:
            return registered
        return self.documents.get(client_id) if is_document_url(client_id) else None

    def public_client(self, client_id: str) -> bool:
        """A client that authenticates with nothing but PKCE: registered with `none`, or
        named by a metadata document's URL."""
        if self.resource is None:
            return False
        registered = self.registry.get(client_id)
        if registered is not None:
            return registered.public
        return is_document_url(client_id)

    # -- authorize --------------------------------------------------------------------------

    def authorize_target(self, params: Mapping[str, str]) -> tuple[str, str]:
        """The client and the redirect URI of an /authorize request, checked; OAuthError
        otherwise (shown to the user, never redirected)."""
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        configured = bool(client_id) and same_secret(client_id, self.section.client_id)
        client = None if configured or not client_id else self.client(client_id)
        if not configured and client is None:
            raise OAuthError("invalid_client", f"unknown client_id {client_id!r}")
        if not redirect_uri:
            raise _invalid_redirect("redirect_uri is required")
        if client is None:
            mcp = self.resource is not None
            if not redirect_allowed(redirect_uri, self.section.redirect_uris, mcp):
                patterns = CONNECTOR_REDIRECTS if mcp else CHATGPT_REDIRECTS
                allowed = self.section.redirect_uris or [p.pattern for p in patterns]
                raise _invalid_redirect(
                    f"redirect_uri {redirect_uri!r} is not allowed (allowed: {', '.join(allowed)})"
                )
        elif redirect_uri not in client.redirect_uris or not redirect_acceptable(
            redirect_uri, self.section.redirect_uris
        ):
            raise _invalid_redirect(
                f"redirect_uri {redirect_uri!r} is not one client {client_id!r} registered"
                f" (registered: {', '.join(client.redirect_uris)})"
            )
        return client_id, redirect_uri

    def check_authorize(self, params: Mapping[str, str]) -> AuthorizeRequest:
        """An /authorize request checked; OAuthError otherwise. Past `authorize_target` the
        error can go back to the client's redirect URI."""
        client_id, redirect_uri = self.authorize_target(params)
        state = params.get("state", "")
        if not state:
            raise OAuthError("invalid_request", "state is required")
        method = params.get("code_challenge_method") or None
        challenge = params.get("code_challenge") or None
        if challenge is not None and method is None:
            method = "plain"
        if self.resource is not None and (challenge is None or method != "S256"):
            raise OAuthError(
                "invalid_request", "PKCE is required: send code_challenge with method S256"
            )
        if method is not None and method not in ("S256", "plain"):
            raise OAuthError("invalid_request", "code_challenge_method must be S256 or plain")
        return AuthorizeRequest(
            client_id=client_id,
            redirect_uri=redirect_uri,
            state=state,
            scope=params.get("scope", ""),
            response_type=params.get("response_type", ""),
            code_challenge=challenge,
            code_challenge_method=method if challenge is not None else None,
            resource=self.bound_resource(params.get("resource")),
        )

    def bound_resource(self, asked: str | None) -> str | None:
        """The resource a grant is bound to (RFC 8707): the MCP endpoint's, which is the one
        a client may ask for (exactly; none asked means it); None for the plugin flow."""
        if self.resource is None:
            return None
        if asked and asked != self.resource.resource:
            raise OAuthError(
                "invalid_target",
                f"resource {asked!r} is not served here (the MCP endpoint is"
                f" {self.resource.resource!r})",
            )
        return self.resource.resource

    def granted_scope(self, requested: str) -> str:
        """The scope granted: the configured one when none is asked; OAuthError when more is
        than is offered (for an MCP endpoint: its scopes_supported, the tools' included)."""
        asked = requested.split()
        if not asked:
            return " ".join(self.section.scope.split())
        offered = self.section.scope.split()
        if self.resource is not None:
            offered = list(self.resource.supported)
        extra = [s for s in asked if s not in offered]
        if extra:
            raise OAuthError("invalid_scope", f"scope {' '.join(extra)!r} is not offered")
        return " ".join(asked)

    def issue_code(self, request: AuthorizeRequest, user_name: str) -> str:
        if request.response_type != "code":
            raise OAuthError("unsupported_response_type", "response_type must be code")
        scope = self.granted_scope(request.scope)
        user = get_user(self.conn, user_name)
        if user is not None and not user.active:
            raise OAuthError("access_denied", f"user {user_name!r} is revoked")
        self.purge()
        code = new_secret(CODE_PREFIX)
        self._insert(
            code,
            "code",
            request.client_id,
            user_name,
            scope,
            family=str(uuid.uuid4()),
            ttl=self.section.code_ttl_s,
            redirect_uri=request.redirect_uri,
            challenge=request.code_challenge,
            method=request.code_challenge_method,
            resource=request.resource,
        )
        return code

    # -- token --------------------------------------------------------------------------------

    def exchange_code(
        self,
        client_id: str,
        code: str | None,
        redirect_uri: str | None,
        code_verifier: str | None = None,
        resource: str | None = None,
    ) -> TokenSet:
        if not code:
            raise OAuthError("invalid_request", "code is required")
        row = self._grant(code, "code")
        if row is None or not same_secret(row["client_id"], client_id):
            raise OAuthError("invalid_grant", "the code is not known")
        now = self.clock()
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            taken = self.conn.execute(
                "UPDATE oauth_grants SET used = ? WHERE token_hash = ? AND used IS NULL",
                (now, secret_hash(code)),
            ).rowcount
            if taken != 1:
                self._revoke_family(row["family"], now)
        if taken != 1:
            raise OAuthError(
                "invalid_grant", "the code was already used (the tokens it gave are revoked)"
            )
        if row["revoked"] is not None:
            raise OAuthError("invalid_grant", "the code is revoked")
        if row["expires"] < now:
            raise OAuthError("invalid_grant", "the code has expired")
        if row["redirect_uri"] and (
            redirect_uri is None or not same_secret(redirect_uri, row["redirect_uri"])
        ):
            raise OAuthError("invalid_grant", "redirect_uri differs from the authorize request's")
        if row["code_challenge"] is not None:
            if not code_verifier:
                raise OAuthError("invalid_grant", "code_verifier is required (PKCE)")
            if not pkce_ok(code_verifier, row["code_challenge"], row["code_challenge_method"]):
                raise OAuthError("invalid_grant", "code_verifier does not match (PKCE)")
        self._check_resource(row, resource)
        self._check_user(row["user_name"])
        return self._tokens(client_id, row)

    def refresh(
        self, client_id: str, refresh_token: str | None, resource: str | None = None
    ) -> TokenSet:
        """A new access token and a new refresh token; the old refresh token is spent."""
        if not refresh_token:
            raise OAuthError("invalid_request", "refresh_token is required")
        row = self._grant(refresh_token, "refresh")
        if row is None or not same_secret(row["client_id"], client_id):
            raise OAuthError("invalid_grant", "the refresh token is not known")
        now = self.clock()
        if row["revoked"] is not None:
            raise OAuthError("invalid_grant", "the refresh token is revoked")
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            taken = self.conn.execute(
                "UPDATE oauth_grants SET used = ? WHERE token_hash = ? AND used IS NULL",
                (now, secret_hash(refresh_token)),
            ).rowcount
            if taken != 1:
                self._revoke_family(row["family"], now)
        if taken != 1:
            raise OAuthError(
                "invalid_grant", "the refresh token was already used (its tokens are revoked)"
            )
        if row["expires"] < now:
            raise OAuthError("invalid_grant", "the refresh token has expired")
        self._check_resource(row, resource)
        self._check_user(row["user_name"])
        return self._tokens(client_id, row)

    def revoke(self, token: str, client_id: str | None = None) -> None:
        """RFC 7009: a refresh token takes its whole grant with it; unknown tokens, and with
        `client_id` tokens issued to another client, are fine (and left alone)."""
        now = self.clock()
        for kind in ("refresh", "access"):
            row = self._grant(token, kind)
            if row is None or (client_id is not None and row["client_id"] != client_id):
                continue
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                if kind == "refresh":
                    self._revoke_family(row["family"], now)
                else:
                    self.conn.execute(
                        "UPDATE oauth_grants SET revoked = ? WHERE token_hash = ?",
                        (now, secret_hash(token)),
                    )
            return

    def verify_access(self, token: str | bytes) -> AccessCheck:
        row = self._grant(token, "access")
        if row is None:
            return AccessCheck("invalid")
        known = (row["user_name"], row["scope"], row["resource"], row["client_id"])
        if row["revoked"] is not None:
            return AccessCheck("revoked", *known)
        if row["expires"] < self.clock():
            return AccessCheck("expired", *known)
        return AccessCheck("ok", *known)

    # -- store --------------------------------------------------------------------------------

    def _check_user(self, name: str) -> None:
        user = get_user(self.conn, name)
        if user is not None and not user.active:
            raise OAuthError("invalid_grant", f"user {name!r} is revoked")

    @staticmethod
    def _check_resource(row: sqlite3.Row, asked: str | None) -> None:
        """A token request's `resource` (RFC 8707) must be the one the grant is bound to."""
        if asked and row["resource"] is not None and asked != row["resource"]:
            raise OAuthError(
                "invalid_target",
                f"resource {asked!r} differs from the grant's ({row['resource']!r})",
            )

    def _tokens(self, client_id: str, grant: sqlite3.Row) -> TokenSet:
        """A new access and refresh token in the grant's family, for its user, scope and
        resource."""
        user_name, scope, family = grant["user_name"], grant["scope"], grant["family"]
        resource = grant["resource"]
        access = new_secret(ACCESS_PREFIX)
        refresh = new_secret(REFRESH_PREFIX)
        for secret, kind, ttl in (
            (access, "access", self.section.token_ttl_s),
            (refresh, "refresh", self.section.refresh_ttl_s),
        ):
            self._insert(secret, kind, client_id, user_name, scope, family, ttl, resource=resource)
        return TokenSet(access, refresh, self.section.token_ttl_s, scope, resource)

    def _insert(
        self,
        secret: str,
        kind: str,
        client_id: str,
        user_name: str,
        scope: str,
        family: str,
        ttl: int,
        redirect_uri: str | None = None,
        challenge: str | None = None,
        method: str | None = None,
        resource: str | None = None,
    ) -> None:
        now = self.clock()
        self.conn.execute(
            "INSERT INTO oauth_grants (token_hash, kind, client_id, user_name, scope,"
            " redirect_uri, code_challenge, code_challenge_method, family, created, expires,"
            " resource) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                secret_hash(secret),
                kind,
                client_id,
                user_name,
                scope,
                redirect_uri,
                challenge,
                method,
                family,
                now,
                now + ttl,
                resource,
            ),
        )

    def _grant(self, secret: str | bytes, kind: str) -> sqlite3.Row | None:
        if not usable(as_bytes(secret)):
            return None
        row = self.conn.execute(
            "SELECT * FROM oauth_grants WHERE token_hash = ? AND kind = ?",
            (secret_hash(secret), kind),
        ).fetchone()
        if row is None or not matches_hash(secret, row["token_hash"]):
            return None
        return row  # type: ignore[no-any-return]

    def purge(self, keep_s: float = 86_400.0) -> int:
        """Forget grants that expired more than `keep_s` ago; returns how many."""
        cur = self.conn.execute(
            "DELETE FROM oauth_grants WHERE expires < ?", (self.clock() - keep_s,)
        )
        return cur.rowcount

    def _revoke_family(self, family: str, now: float) -> None:
        self.conn.execute(
            "UPDATE oauth_grants SET revoked = ? WHERE family = ? AND revoked IS NULL",
            (now, family),
        )
