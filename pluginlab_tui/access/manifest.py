"""The served manifest's `auth` object, generated from the config (what the proxy enforces)."""

from __future__ import annotations

from typing import Any

from pluginlab_tui.config import Config
from pluginlab_tui.wire import AUTHORIZE_ROUTE, TOKEN_ROUTE


def manifest_auth(config: Config) -> dict[str, Any] | None:
    """The auth object for the mode; None keeps the file's (api_key: GPT Actions, no manifest)."""
    auth = config.auth
    tokens = {"openai": auth.verification_token} if auth.verification_token else {}
    if auth.mode == "none":
        return {"type": "none"}
    if auth.mode == "service_http":
        return {
            "type": "service_http",
            "authorization_type": auth.authorization_type,
            "verification_tokens": tokens,
        }
    if auth.mode == "user_http":
        return {"type": "user_http", "authorization_type": auth.authorization_type}
    if auth.mode == "oauth":
        public = config.proxy.public_url
        return {
            "type": "oauth",
            "client_url": public + AUTHORIZE_ROUTE,
            "scope": auth.oauth.scope,
            "authorization_url": public + TOKEN_ROUTE,
            "authorization_content_type": auth.oauth.authorization_content_type,
            "verification_tokens": tokens,
        }
    return None
