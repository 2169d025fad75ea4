"""mcp/security.py: a tool's securitySchemes, at the top level or in the `_meta` mirror."""

from __future__ import annotations

from typing import Any

import pytest

from pluginlab_tui.mcp.security import Schemes, problems, schemes

NOAUTH = {"type": "noauth"}


def oauth2(*scopes: str) -> dict[str, Any]:
    return {"type": "oauth2", "scopes": list(scopes)}


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        ({"name": "t"}, None),
        ({"name": "t", "securitySchemes": [NOAUTH]}, Schemes(True, False)),
        (
            {"name": "t", "_meta": {"securitySchemes": [oauth2("a", "b")]}},
            Schemes(False, True, ("a", "b")),
        ),
        (
            {"name": "t", "securitySchemes": [NOAUTH, oauth2("a"), oauth2("a", "c")]},
            Schemes(True, True, ("a", "c")),
        ),
        ({"name": "t", "securitySchemes": [{"type": "oauth2"}]}, Schemes(False, True)),
        ({"name": "t", "securitySchemes": []}, None),
        ({"name": "t", "securitySchemes": [{"type": "apiKey"}]}, None),
        ({"name": "t", "securitySchemes": [oauth2("a b")]}, None),
    ],
)
def test_what_a_tool_declares(tool: dict[str, Any], expected: Schemes | None) -> None:
    assert schemes(tool) == expected


def test_the_top_level_wins_and_a_different_mirror_is_a_problem() -> None:
    tool = {"securitySchemes": [NOAUTH], "_meta": {"securitySchemes": [oauth2("a")]}}
    assert schemes(tool) == Schemes(True, False)
    assert problems(tool) == [
        (
            "_meta.securitySchemes",
            "_meta.securitySchemes differs from the top-level securitySchemes",
        )
    ]


def test_malformed_declarations_say_where_and_what() -> None:
    tool = {
        "securitySchemes": "noauth",
        "_meta": {"securitySchemes": [{"type": "oauth2", "scopes": "x"}]},
    }
    assert problems(tool) == [
        ("securitySchemes", "securitySchemes is not a non-empty list"),
        ("_meta.securitySchemes", "_meta.securitySchemes [0].scopes is not a list of scope names"),
    ]
    assert problems({"_meta": {"securitySchemes": [NOAUTH]}}) == []
