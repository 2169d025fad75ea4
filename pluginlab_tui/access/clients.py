"""OAuth clients of the MCP endpoint: dynamic client registration (RFC 7591) and the redirect
URIs a client may use.

A registration is checked against the SDK's model of RFC 7591 metadata
(`mcp.shared.auth.OAuthClientMetadata`, imported on the first registration: the `mcp` package
would double the proxy's start-up) and kept in the store's oauth_clients table; a
confidential client's secret (`client_secret_post` or `client_secret_basic`) is shown once in
the 201 answer and kept only as a SHA-256. A public client (`none`) has no secret and redeems its
codes with PKCE alone.

Redirect URIs a client may register (or list in its Client ID Metadata Document): ChatGPT's
connector callbacks, the app-review callback, loopback URLs (the developer's own tools), and
the ones in `auth.oauth.redirect_uris`; every other one is refused (`invalid_redirect_uri`),
so nobody who reaches the proxy through a tunnel can have codes sent elsewhere. At /authorize
the redirect_uri must then be exactly one the client registered.
"""

from __future__ import annotations

import ipaddress
import json
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Container
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from pluginlab_tui.access.credentials import matches_hash, new_secret, same_secret, secret_hash
from pluginlab_tui.access.oauth_errors import OAuthError
from pluginlab_tui.access.resource import AUTH_METHODS, GRANT_TYPES

CLIENT_ID_PREFIX = "plid_"
SECRET_PREFIX = "pls_"
#: Registered clients kept at most; the oldest go first beyond it.
MAX_CLIENTS = 1000
#: ChatGPT's callbacks for apps (connectors) and the app-review callback (apps-facts.md 6.10).
CONNECTOR_REDIRECTS = (
    re.compile(r"https://chatgpt\.com/connector_platform_oauth_redirect"),
    re.compile(r"https://chatgpt\.com/connector/oauth/[A-Za-z0-9_-]+"),
    re.compile(r"https://platform\.openai\.com/apps-manage/oauth"),
)


def is_loopback_url(uri: str) -> bool:
    """http(s) to 127.0.0.0/8, [::1] or localhost, any port and path."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
    except ValueError:
        return False
    if parts.scheme not in ("http", "https"):
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_acceptable(uri: str, configured: list[str]) -> bool:
    """Whether a client may register this redirect URI (module docstring)."""
    if "#" in uri or not uri.isprintable():
        return False
    if any(same_secret(uri, allowed) for allowed in configured):
        return True
    return is_loopback_url(uri) or any(p.fullmatch(uri) for p in CONNECTOR_REDIRECTS)


@dataclass(frozen=True, slots=True)
class Client:
    """A client as the authorization and token endpoints need it."""

    client_id: str
    auth_method: str
    redirect_uris: tuple[str, ...]
    secret_hash: str | None = None

    @property
    def public(self) -> bool:
        return self.auth_method == "none"

    def secret_ok(self, secret: str | bytes) -> bool:
        return self.secret_hash is not None and matches_hash(secret, self.secret_hash)


def _metadata_error(exc: ValidationError) -> OAuthError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "the body"
    bad_uri = first["loc"][:1] == ("redirect_uris",) and first["type"] != "missing"
    code = "invalid_redirect_uri" if bad_uri else None
    message = f"{where}: {' '.join(str(first['msg']).split())}"
    return OAuthError(code or "invalid_client_metadata", message)


class ClientRegistry:
    """Registered clients in the store (oauth_clients)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        scopes: Container[str],
        configured_redirects: list[str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.conn = conn
        self.scopes = scopes
        self.configured_redirects = configured_redirects
        self.clock = clock

    def register(self, body: Any) -> dict[str, Any]:
        """RFC 7591: the client information answered with 201, or OAuthError
        (invalid_client_metadata, invalid_redirect_uri)."""
        from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata

        if not isinstance(body, dict):
            raise OAuthError("invalid_client_metadata", "the body must be a JSON object")
        try:
            metadata = OAuthClientMetadata.model_validate(body)
        except ValidationError as exc:
            raise _metadata_error(exc) from None
        method = metadata.token_endpoint_auth_method or "client_secret_basic"
        if method not in AUTH_METHODS:
            raise OAuthError(
                "invalid_client_metadata",
                f"token_endpoint_auth_method {method!r} is not supported"
                f" (use one of {', '.join(AUTH_METHODS)})",
            )
        unknown = [g for g in metadata.grant_types if g not in GRANT_TYPES]
        if unknown or "authorization_code" not in metadata.grant_types:
            raise OAuthError(
                "invalid_client_metadata",
                "grant_types must include authorization_code and may add refresh_token",
            )
        if "code" not in metadata.response_types:
            raise OAuthError("invalid_client_metadata", "response_types must include code")
        if metadata.scope is not None:
            extra = [s for s in metadata.scope.split() if s not in self.scopes]
            if extra:
                raise OAuthError(
                    "invalid_client_metadata", f"scope {' '.join(extra)!r} is not offered"
                )
        uris = [str(u) for u in metadata.redirect_uris or []]
        # The URIs as sent: pydantic may add a slash to a bare origin, which would then
        # never match the redirect_uri the client sends.
        sent = body.get("redirect_uris")
        if (
            isinstance(sent, list)
            and len(sent) == len(uris)
            and all(isinstance(u, str) for u in sent)
        ):
            uris = list(sent)
        for uri in uris:
            if not redirect_acceptable(uri, self.configured_redirects):
                raise OAuthError(
                    "invalid_redirect_uri",
                    f"redirect URI {uri!r} is not allowed: use a loopback URL or ChatGPT's"
                    " callback, or add it to auth.oauth.redirect_uris",
                )
        client_id = CLIENT_ID_PREFIX + uuid.uuid4().hex
        secret = None if method == "none" else new_secret(SECRET_PREFIX)
        now = int(self.clock())
        info = OAuthClientInformationFull.model_validate(
            {
                **metadata.model_dump(mode="json", exclude_none=True),
                "redirect_uris": uris,
                "token_endpoint_auth_method": method,
                "client_id": client_id,
                "client_secret": secret,
                "client_id_issued_at": now,
                "client_secret_expires_at": None if secret is None else 0,
            }
        )
        answer = info.model_dump(mode="json", exclude_none=True)
        answer["redirect_uris"] = uris
        stored = {k: v for k, v in answer.items() if k != "client_secret"}
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "INSERT INTO oauth_clients (client_id, secret_hash, auth_method, redirect_uris,"
                " metadata, created) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    client_id,
                    None if secret is None else secret_hash(secret),
                    method,
                    json.dumps(uris),
                    json.dumps(stored),
                    self.clock(),
                ),
            )
            self.conn.execute(
                "DELETE FROM oauth_clients WHERE client_id NOT IN"
                " (SELECT client_id FROM oauth_clients ORDER BY created DESC LIMIT ?)",
                (MAX_CLIENTS,),
            )
        return answer

    def get(self, client_id: str) -> Client | None:
        if not client_id.startswith(CLIENT_ID_PREFIX):
            return None
        row = self.conn.execute(
            "SELECT client_id, secret_hash, auth_method, redirect_uris FROM oauth_clients"
            " WHERE client_id = ?",
            (client_id,),
        ).fetchone()
        if row is None:
            return None
        return Client(
            client_id=str(row[0]),
            auth_method=str(row[2]),
            redirect_uris=tuple(json.loads(row[3])),
            secret_hash=None if row[1] is None else str(row[1]),
        )
