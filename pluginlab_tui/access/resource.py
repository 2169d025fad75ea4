"""The MCP endpoint as an OAuth protected resource, with the proxy as its authorization server.

With `auth.mode = "oauth"` and `[mcp] endpoint`, the issuer is `proxy.public_url` (or a real
authorization server's, `auth.oauth.issuer`: then only the protected-resource metadata is served
here) and the resource is public_url + the endpoint's path. Both are rendered once as the
SDK's models render URLs (`mcp.shared.auth`, imported when a document is made: the `mcp` package
would double the proxy's start-up), and compared as exact strings from then on, as clients
compare them. This module holds those URLs, the discovery documents (RFC 9728
protected-resource metadata, RFC 8414 authorization-server metadata), the well-known paths that
answer them, and the `WWW-Authenticate` challenges of the MCP authorization spec.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic import AnyHttpUrl, ConfigDict, TypeAdapter

from pluginlab_tui.access.tool_scopes import ToolScopes
from pluginlab_tui.config import Config
from pluginlab_tui.wire import (
    AUTHORIZATION_SERVER_ROUTE,
    AUTHORIZE_ROUTE,
    OPENID_CONFIGURATION_ROUTE,
    PROTECTED_RESOURCE_ROUTE,
    REGISTER_ROUTE,
    REVOKE_ROUTE,
    TOKEN_ROUTE,
)

#: Client authentication at the token and revocation endpoints; `none` is a public client.
AUTH_METHODS = ("none", "client_secret_post", "client_secret_basic")
GRANT_TYPES = ("authorization_code", "refresh_token")
_URL = TypeAdapter(AnyHttpUrl, config=ConfigDict(url_preserve_empty_path=True))


def rendered(url: str) -> str:
    """A URL as the SDK's metadata models render it (host case, default port)."""
    return str(_URL.validate_python(url))


def _quoted(text: str) -> str:
    """A value for a quoted-string auth-param (no quote or backslash inside)."""
    return " ".join(text.replace('"', "'").replace("\\", "/").split())


@dataclass(frozen=True, slots=True)
class ProtectedResource:
    """The URLs and documents of the MCP endpoint's OAuth discovery."""

    issuer: str
    resource: str
    scopes: tuple[str, ...]
    endpoint: str
    #: The scopes per tool (access/tool_scopes.py): what scopes_supported lists.
    tools: ToolScopes | None = field(default=None, compare=False)
    #: The issuer is a real authorization server (auth.oauth.issuer): the proxy is not one.
    external: bool = False

    @classmethod
    def from_config(cls, config: Config) -> ProtectedResource | None:
        """The MCP endpoint's resource (the Streamable HTTP one, else the HTTP+SSE stream's), or
        None unless auth.mode is oauth in MCP mode."""
        endpoint = config.mcp.endpoint or config.mcp.sse_endpoint
        if config.auth.mode != "oauth" or endpoint is None:
            return None
        public = config.proxy.public_url
        scopes = tuple(config.auth.oauth.scope.split())
        issuer = config.auth.oauth.issuer
        return cls(
            issuer=rendered(issuer or public),
            resource=rendered(public + endpoint),
            scopes=scopes,
            endpoint=endpoint,
            tools=ToolScopes(scopes, config.mcp.tool_scopes),
            external=issuer is not None,
        )

    @property
    def supported(self) -> tuple[str, ...]:
        """scopes_supported: the endpoint's, then those the tools declare or are given."""
        return self.scopes if self.tools is None else self.tools.supported()

    # -- URLs ---------------------------------------------------------------------------------

    @property
    def _origin(self) -> str:
        parts = urlsplit(self.resource)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def _resource_path(self) -> str:
        return urlsplit(self.resource).path

    @property
    def metadata_url(self) -> str:
        """The protected-resource metadata's URL: the well-known path with the resource's path
        appended (RFC 9728 section 3.1), what the 401 challenge names."""
        path = self._resource_path
        return self._origin + PROTECTED_RESOURCE_ROUTE + ("" if path == "/" else path)

    def endpoint_url(self, route: str) -> str:
        return self.issuer + route

    # -- well-known paths ---------------------------------------------------------------------

    def _suffixes(self) -> set[str]:
        """Path suffixes a client may append: none, the endpoint's, the resource's, the
        issuer's (ChatGPT has been seen asking for `.../oauth-authorization-server/mcp`)."""
        found = {"", self.endpoint, self._resource_path}
        if not self.external:
            found.add(urlsplit(self.issuer).path)
        return {s.rstrip("/") for s in found if s != "/"}

    def _asks_server_metadata(self, path: str) -> bool:
        """`path` is one of the authorization server's metadata forms (any suffix)."""
        return any(
            path
            in (
                AUTHORIZATION_SERVER_ROUTE + suffix,
                OPENID_CONFIGURATION_ROUTE + suffix,
                suffix + OPENID_CONFIGURATION_ROUTE,
            )
            for suffix in self._suffixes()
        )

    def elsewhere(self, path: str) -> bool:
        """`path` asks for authorization-server metadata that an external issuer serves."""
        return self.external and self._asks_server_metadata(path)

    def document(self, path: str) -> dict[str, Any] | None:
        """The discovery document a GET of `path` answers, or None when it names none (the
        authorization server's metadata is the issuer's own when it is external)."""
        if any(path == PROTECTED_RESOURCE_ROUTE + suffix for suffix in self._suffixes()):
            return self.protected_resource_metadata()
        if not self.external and self._asks_server_metadata(path):
            return self.authorization_server_metadata()
        return None

    # -- documents ----------------------------------------------------------------------------

    def protected_resource_metadata(self) -> dict[str, Any]:
        """RFC 9728: the resource, its authorization server (the proxy), scopes, bearer in the
        header only."""
        from mcp.shared.auth import ProtectedResourceMetadata

        document = ProtectedResourceMetadata(
            resource=_URL.validate_python(self.resource),
            authorization_servers=[_URL.validate_python(self.issuer)],
            scopes_supported=list(self.supported),
            bearer_methods_supported=["header"],
            resource_name="pluginlab-tui development MCP endpoint",
        )
        return document.model_dump(mode="json", exclude_none=True)

    def authorization_server_metadata(self) -> dict[str, Any]:
        """RFC 8414 (also served as OpenID configuration): endpoints under /_pluginlab/oauth/,
        code flow with PKCE S256, public clients, registration and Client ID Metadata
        Documents, RFC 9207 `iss` on authorization responses."""
        from mcp.shared.auth import OAuthMetadata

        document = OAuthMetadata(
            issuer=_URL.validate_python(self.issuer),
            authorization_endpoint=_URL.validate_python(self.endpoint_url(AUTHORIZE_ROUTE)),
            token_endpoint=_URL.validate_python(self.endpoint_url(TOKEN_ROUTE)),
            registration_endpoint=_URL.validate_python(self.endpoint_url(REGISTER_ROUTE)),
            revocation_endpoint=_URL.validate_python(self.endpoint_url(REVOKE_ROUTE)),
            scopes_supported=list(self.supported),
            response_types_supported=["code"],
            grant_types_supported=list(GRANT_TYPES),
            token_endpoint_auth_methods_supported=list(AUTH_METHODS),
            revocation_endpoint_auth_methods_supported=list(AUTH_METHODS),
            code_challenge_methods_supported=["S256"],
            client_id_metadata_document_supported=True,
            authorization_response_iss_parameter_supported=True,
        )
        return document.model_dump(mode="json", exclude_none=True)

    # -- challenges ---------------------------------------------------------------------------

    def challenge(
        self,
        error: str | None = None,
        description: str | None = None,
        scopes: Sequence[str] | None = None,
    ) -> str:
        """`WWW-Authenticate` for a refused MCP request: where the metadata is, the scope to
        ask for (the endpoint's unless `scopes`), and (when a token was sent) why it is
        refused."""
        params = [f'resource_metadata="{self.metadata_url}"']
        asked = self.scopes if scopes is None else scopes
        if asked:
            params.append(f'scope="{" ".join(asked)}"')
        if error is not None:
            params.append(f'error="{error}"')
        if description:
            params.append(f'error_description="{_quoted(description)}"')
        return "Bearer " + ", ".join(params)
