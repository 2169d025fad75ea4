"""The wire words: the names the proxy, its callers and its tools agree on, spelled once.

Header names (as the proxy sends them; HTTP compares them case-insensitively), the mark that
replaces a secret, the proxy-owned routes and the sources an event can come from.
"""

from __future__ import annotations

# -- headers --------------------------------------------------------------------------------

#: The proxy's header namespace (lower case): what a caller sends in it never goes further.
HEADER_PREFIX = "x-pluginlab-"
#: The event's id, sent to the backend and to the caller.
EVENT_HEADER = "X-PluginLab-Event-Id"
#: How many violations were known when the answer left.
VIOLATIONS_HEADER = "X-PluginLab-Violations"
#: The caller's identity, told to the backend.
USER_HEADER = "X-PluginLab-User-Id"
PLAN_HEADER = "X-PluginLab-Plan"
#: The replay grant (access/grant.py): source, replay_of and caller, signed.
GRANT_HEADER = "X-PluginLab-Replay"
#: A launcher's readiness probe of the health route (loopback only): answered, not recorded.
PROBE_HEADER = "X-PluginLab-Probe"
#: Marks an answer made up by the mock (example, generated, empty).
MOCK_HEADER = "X-PluginLab-Mock"

# -- the redaction mark -----------------------------------------------------------------------

#: What every cut secret reads.
REDACTED = "[redacted]"

# -- proxy-owned routes ---------------------------------------------------------------------

#: Everything under this prefix is the proxy's own and never reaches the backend.
PROXY_PREFIX = "/_pluginlab/"
MANIFEST_ROUTE = "/.well-known/ai-plugin.json"
HEALTH_ROUTE = PROXY_PREFIX + "health"
LOGO_ROUTE = PROXY_PREFIX + "logo.png"
JWKS_ROUTE = PROXY_PREFIX + "jwks.json"
OAUTH_PREFIX = PROXY_PREFIX + "oauth/"
AUTHORIZE_ROUTE = OAUTH_PREFIX + "authorize"
TOKEN_ROUTE = OAUTH_PREFIX + "token"
REVOKE_ROUTE = OAUTH_PREFIX + "revoke"
REGISTER_ROUTE = OAUTH_PREFIX + "register"
#: The OAuth discovery documents (MCP mode with auth.mode oauth), each also answered with a
#: path suffix (RFC 9728 section 3.1, RFC 8414 section 3.1).
PROTECTED_RESOURCE_ROUTE = "/.well-known/oauth-protected-resource"
AUTHORIZATION_SERVER_ROUTE = "/.well-known/oauth-authorization-server"
OPENID_CONFIGURATION_ROUTE = "/.well-known/openid-configuration"

# -- event sources ----------------------------------------------------------------------------

LIVE = "live"
REPLAY = "replay"
IMPORT = "import"
SIMULATE = "simulate"
#: Every source, in the order the filter language lists them.
SOURCES = (LIVE, REPLAY, IMPORT, SIMULATE)

# -- the steps of the OAuth dance ---------------------------------------------------------------

#: The steps an OAuth client of the MCP endpoint goes through, in the order of the dance.
OAUTH_STEPS = (
    "resource-metadata",
    "server-metadata",
    "register",
    "authorize",
    "consent",
    "token",
    "refresh",
    "revoke",
)


def oauth_step(method: str, path: str, grant_type: str | None = None) -> str | None:
    """The OAuth step a request to `path` (no query) is, or None when it is none: the
    protected-resource metadata, the authorization server's (also as OpenID configuration),
    registration, authorize (a GET; the POST of the sign-in page is the consent), the token
    route (`grant_type` refresh_token: a refresh) and revocation."""
    if path.startswith(PROTECTED_RESOURCE_ROUTE):
        return "resource-metadata"
    if path.startswith((AUTHORIZATION_SERVER_ROUTE, OPENID_CONFIGURATION_ROUTE)) or path.endswith(
        OPENID_CONFIGURATION_ROUTE
    ):
        return "server-metadata"
    if path == AUTHORIZE_ROUTE:
        return "consent" if method == "POST" else "authorize"
    if path == TOKEN_ROUTE:
        return "refresh" if grant_type == "refresh_token" else "token"
    return {REGISTER_ROUTE: "register", REVOKE_ROUTE: "revoke"}.get(path)
