"""The development OAuth 2.0 authorization server: codes, tokens, refresh, revocation, PKCE.

Everything it hands out (codes, access and refresh tokens) is kept in the store only as a
SHA-256 (table oauth_grants). The client secret is `auth.oauth.client_secret` when configured,
else a development secret made by `pluginlab-tui users client` and kept in the store's meta
table as a hash only (it is shown once, when made).

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

from pluginlab_tui.access.credentials import (
    as_bytes,
    matches_hash,
    new_secret,
    same_secret,
    secret_hash,
    usable,
)
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


class OAuthError(Exception):
    """An OAuth error answer: RFC 6749 `error` code, a description, the HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


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


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_in: int
    scope: str

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


def redirect_allowed(uri: str, configured: list[str]) -> bool:
    """Configured URIs match exactly; without any, ChatGPT's callback patterns apply."""
    if configured:
        return any(same_secret(uri, allowed) for allowed in configured)
    return any(pattern.fullmatch(uri) for pattern in CHATGPT_REDIRECTS)


def pkce_ok(verifier: str, challenge: str, method: str) -> bool:
    if method == "S256":
        digest = hashlib.sha256(as_bytes(verifier)).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        return same_secret(computed, challenge)
    return same_secret(verifier, challenge)


class OAuthProvider:
    def __init__(
        self,
        conn: sqlite3.Connection,
        section: OAuthSection,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.conn = conn
        self.section = section
        self.clock = clock

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

    # -- authorize --------------------------------------------------------------------------

    def check_authorize(self, params: Mapping[str, str]) -> AuthorizeRequest:
        """Checks that must pass before any redirect; OAuthError (shown, not redirected)."""
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if not client_id or not same_secret(client_id, self.section.client_id):
            raise OAuthError("invalid_client", f"unknown client_id {client_id!r}")
        if not redirect_uri:
            raise OAuthError("invalid_request", "redirect_uri is required")
        if not redirect_allowed(redirect_uri, self.section.redirect_uris):
            allowed = self.section.redirect_uris or [p.pattern for p in CHATGPT_REDIRECTS]
            raise OAuthError(
                "invalid_request",
                f"redirect_uri {redirect_uri!r} is not allowed (allowed: {', '.join(allowed)})",
            )
        state = params.get("state", "")
        if not state:
            raise OAuthError("invalid_request", "state is required")
        method = params.get("code_challenge_method") or None
        challenge = params.get("code_challenge") or None
        if challenge is not None and method is None:
            method = "plain"
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
        )

    def granted_scope(self, requested: str) -> str:
        """The scope granted: the configured one when none is asked; OAuthError when more is."""
        offered = self.section.scope.split()
        asked = requested.split()
        if not asked:
            return " ".join(offered)
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
        )
        return code

    # -- token --------------------------------------------------------------------------------

    def exchange_code(
        self,
        client_id: str,
        code: str | None,
        redirect_uri: str | None,
        code_verifier: str | None = None,
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
        self._check_user(row["user_name"])
        return self._tokens(client_id, row["user_name"], row["scope"], row["family"])

    def refresh(self, client_id: str, refresh_token: str | None) -> TokenSet:
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
        self._check_user(row["user_name"])
        return self._tokens(client_id, row["user_name"], row["scope"], row["family"])

    def revoke(self, token: str) -> None:
        """RFC 7009: a refresh token takes its whole grant with it; unknown tokens are fine."""
        now = self.clock()
        for kind in ("refresh", "access"):
            row = self._grant(token, kind)
            if row is None:
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
        if row["revoked"] is not None:
            return AccessCheck("revoked", row["user_name"], row["scope"])
        if row["expires"] < self.clock():
            return AccessCheck("expired", row["user_name"], row["scope"])
        return AccessCheck("ok", row["user_name"], row["scope"])

    # -- store --------------------------------------------------------------------------------

    def _check_user(self, name: str) -> None:
        user = get_user(self.conn, name)
        if user is not None and not user.active:
            raise OAuthError("invalid_grant", f"user {name!r} is revoked")

    def _tokens(self, client_id: str, user_name: str, scope: str, family: str) -> TokenSet:
        access = new_secret(ACCESS_PREFIX)
        refresh = new_secret(REFRESH_PREFIX)
        self._insert(
            access, "access", client_id, user_name, scope, family, self.section.token_ttl_s
        )
        self._insert(
            refresh, "refresh", client_id, user_name, scope, family, self.section.refresh_ttl_s
        )
        return TokenSet(access, refresh, self.section.token_ttl_s, scope)

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
    ) -> None:
        now = self.clock()
        self.conn.execute(
            "INSERT INTO oauth_grants (token_hash, kind, client_id, user_name, scope,"
            " redirect_uri, code_challenge, code_challenge_method, family, created, expires)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
