"""Auth and access: credentials, users, the development OAuth provider, JWTs, limits, allow-list.

`gate.AuthGate` is the mitmproxy stage that decides; `oauth_routes.OAuthRoutes` answers the
proxy-owned /_pluginlab/oauth/* and /_pluginlab/jwks.json routes; `state.AuthState` holds what
they share and is built once per proxy by the Runtime.
"""
