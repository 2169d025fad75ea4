"""What the auth stages share, built once per proxy from the config and the store."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from pluginlab_tui.access.ipallow import IpAllowList
from pluginlab_tui.access.issuer import ExternalIssuer
from pluginlab_tui.access.jwt import Signer
from pluginlab_tui.access.limits import Limits
from pluginlab_tui.access.oauth import OAuthProvider
from pluginlab_tui.access.resource import ProtectedResource
from pluginlab_tui.config import Config
from pluginlab_tui.errors import UsageError
from pluginlab_tui.mcp.catalogue import Catalogue
from pluginlab_tui.store import versions
from pluginlab_tui.wire import LIVE


def check_config(config: Config) -> None:
    """What a mode needs; one clear line (exit 2) when it is missing."""
    auth = config.auth
    if auth.mode == "service_http" and not auth.service_token:
        raise UsageError(
            "auth.service_token: required when auth.mode is service_http"
            " (set it, or PLUGINLAB_AUTH__SERVICE_TOKEN)"
        )
    if auth.mode == "api_key" and not auth.api_key:
        raise UsageError(
            "auth.api_key: required when auth.mode is api_key (set it, or PLUGINLAB_AUTH__API_KEY)"
        )
    if auth.default_plan is not None and auth.default_plan not in config.plans:
        raise UsageError(f"auth.default_plan: no plan named {auth.default_plan!r} in plans")
    oauth = auth.oauth
    mcp = config.mcp.endpoint or config.mcp.sse_endpoint
    if oauth.issuer is not None and (auth.mode != "oauth" or mcp is None):
        raise UsageError(
            "auth.oauth.issuer: an external authorization server serves an MCP endpoint"
            ' (set [mcp] endpoint and auth.mode = "oauth")'
        )
    if oauth.introspection_url is not None and oauth.issuer is None:
        raise UsageError("auth.oauth.introspection_url: needs auth.oauth.issuer")


class AuthState:
    def __init__(self, config: Config, conn: sqlite3.Connection) -> None:
        check_config(config)
        self.config = config
        self.conn = conn
        self.allow = IpAllowList(config.auth.allow_ips)
        #: The MCP endpoint as an OAuth protected resource (auth.mode oauth in MCP mode).
        self.resource = ProtectedResource.from_config(config)
        #: The tokens of a real authorization server (auth.oauth.issuer), else None.
        self.issuer: ExternalIssuer | None = None
        if self.resource is not None:
            self._seed_tools(self.resource)
            if self.resource.external:
                self.issuer = ExternalIssuer(config.auth.oauth, self.resource.resource)
        self.oauth = OAuthProvider(conn, config.auth.oauth, resource=self.resource)
        self.limits = Limits(config.plans, used_since=self._used_since)
        self.signer: Signer | None = None
        jwt = config.auth.jwt
        if jwt.enabled:
            self.signer = Signer(
                Path(config.store_path),
                alg=jwt.alg,
                issuer=config.proxy.public_url,
                ttl_s=jwt.ttl_s,
            )
        if (
            self.resource is None
            and config.auth.mode == "oauth"
            and not self.oauth.has_client_secret
        ):
            print(
                "pluginlab-tui: auth.oauth: no client secret yet; make one with"
                " `pluginlab-tui users client` (or set auth.oauth.client_secret)",
                file=sys.stderr,
                flush=True,
            )

    def _seed_tools(self, resource: ProtectedResource) -> None:
        """The tools' schemes as the newest catalogue in the store has them, until the proxy
        sees a tools/list of its own."""
        assert resource.tools is not None
        record = versions.latest(self.conn, versions.CATALOGUE)
        if record is None or record.catalogue_text is None:
            return
        try:
            resource.tools.learn(Catalogue.from_json(record.catalogue_text).tools)
        except ValueError:
            return

    def _used_since(self, caller: str, since: str) -> int:
        """Requests of `caller` that passed the gate since `since` (seeds the quotas)."""
        if caller == "*":
            sql = "SELECT count(*) FROM events WHERE user_id IS NULL AND ts >= ?"
            args: tuple[str, ...] = (since,)
        else:
            sql = "SELECT count(*) FROM events WHERE user_id = ? AND ts >= ?"
            args = (caller, since)
        row = self.conn.execute(sql + " AND auth_result = 'ok' AND source = ?", (*args, LIVE))
        return int(row.fetchone()[0])
