"""Template text left in the files."""

from __future__ import annotations

import pytest

from pluginlab_tui.plugin.placeholders import placeholder_in


@pytest.mark.parametrize(
    "value",
    [
        "$host/.well-known/openapi.yaml",
        "${HOST}/openapi.yaml",
        "$PLUGIN_HOSTNAME/openapi.yaml",
        "PLUGIN_HOSTNAME/openapi.yaml",
        "https://your-app-url.com/.well-known/openapi.yaml",
        "your-verification-token",
        "<token from add plugin flow from the ChatGPT UI>",
        "e.g. https://<your domain>/oauth",
        "https://{{host}}/openapi.yaml",
        "support@example.com",
        "YOUR_CLIENT_ID",
        "REPLACE_ME",
        "https://yourdomain.com/openapi.yaml",
    ],
)
def test_placeholders_are_found(value: str) -> None:
    assert placeholder_in(value) is not None


@pytest.mark.parametrize(
    "value",
    [
        "https://todo.pluginlab.dev/openapi.yaml",
        "https://api.todoist.com/openapi.json",
        "7f3c9a1e5b2d4c6f8a0b1c2d3e4f5a6b",
        "support@yourdomainname-shop.com",
        "https://yourapp.io/openapi.yaml",
    ],
)
def test_real_values_are_not(value: str) -> None:
    assert placeholder_in(value) is None
