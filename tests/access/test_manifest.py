from __future__ import annotations

from pluginlab_tui.access.manifest import manifest_auth
from pluginlab_tui.config import load_config


def test_auth_objects_per_mode() -> None:
    public = {"proxy.public_url": "https://plug.example"}
    assert manifest_auth(load_config(None, {**public, "auth.mode": "none"})) == {"type": "none"}
    oauth = manifest_auth(
        load_config(
            None,
            {
                **public,
                "auth.mode": "oauth",
                "auth.verification_token": "abc",
                "auth.oauth.authorization_content_type": "application/x-www-form-urlencoded",
            },
        )
    )
    assert oauth == {
        "type": "oauth",
        "client_url": "https://plug.example/_pluginlab/oauth/authorize",
        "scope": "todos",
        "authorization_url": "https://plug.example/_pluginlab/oauth/token",
        "authorization_content_type": "application/x-www-form-urlencoded",
        "verification_tokens": {"openai": "abc"},
    }
    basic = load_config(None, {"auth.mode": "user_http", "auth.authorization_type": "basic"})
    assert manifest_auth(basic) == {"type": "user_http", "authorization_type": "basic"}
    assert manifest_auth(load_config(None, {"auth.mode": "api_key"})) is None
