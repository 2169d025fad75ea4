"""access/tool_scopes.py: what each message needs, from the tools' schemes and the config."""

from __future__ import annotations

from typing import Any

from pluginlab_tui.access.tool_scopes import Refusal, ToolScopes
from pluginlab_tui.mcp.jsonrpc import Message, invalid

TOOLS: list[dict[str, Any]] = [
    {"name": "search", "_meta": {"securitySchemes": [{"type": "noauth"}]}},
    {"name": "write", "securitySchemes": [{"type": "oauth2", "scopes": ["docs:write"]}]},
    {"name": "plain"},
]


def call(tool: Any) -> Message:
    return Message("request", {}, 1, "tools/call", {"name": tool})


LIST = Message("request", {}, 2, "tools/list", {})


def test_without_a_noauth_tool_every_message_needs_the_endpoint_s_scopes() -> None:
    tools = ToolScopes(("docs",))
    assert not tools.mixed
    assert tools.refusal(LIST, None) == Refusal(
        "missing", "this request needs a sign-in with the scope 'docs'", ("docs",)
    )
    assert tools.refusal(LIST, ("docs",)) is None
    assert tools.refusal(call("anything"), ("docs",)) is None


def test_a_listed_noauth_tool_makes_the_endpoint_mixed() -> None:
    tools = ToolScopes(("docs",))
    tools.learn(TOOLS)
    assert tools.mixed and tools.supported() == ("docs", "docs:write")
    assert "docs:write" in tools
    assert tools.refusal(LIST, None) is None
    assert tools.refusal(call("search"), None) is None
    missing = tools.refusal(call("write"), None)
    assert missing is not None and (missing.result, missing.scopes, missing.tool) == (
        "missing",
        ("docs", "docs:write"),
        "write",
    )
    short = tools.refusal(call("write"), ("docs",))
    assert short is not None and short.result == "insufficient_scope"
    assert "'docs:write'" in short.message
    assert tools.refusal(call("write"), ("docs", "docs:write")) is None
    # undeclared and unknown tools, a name that is not a string: the endpoint's scopes
    for name in ("plain", "nobody", 7):
        refusal = tools.refusal(call(name), None)
        assert refusal is not None and refusal.scopes == ("docs",)
    # a tools/call sent as a notification is held to its tool's needs all the same
    notified = Message("notification", {}, None, "tools/call", {"name": "write"})
    assert tools.refusal(notified, None) is not None
    # what the proxy cannot read goes nowhere anonymously
    assert tools.refusal(invalid("duplicate key 'name'"), None) is not None
    assert tools.refusal(invalid("duplicate key 'name'"), ("docs",)) is None


def test_the_config_overrides_the_descriptor() -> None:
    tools = ToolScopes(("docs",), {"write": "noauth", "search": ["docs:read"]})
    tools.learn(TOOLS)
    assert tools.refusal(call("write"), None) is None
    refusal = tools.refusal(call("search"), ("docs",))
    assert refusal is not None and refusal.scopes == ("docs", "docs:read")
    assert tools.supported() == ("docs", "docs:read")


def test_a_later_catalogue_replaces_what_was_learnt() -> None:
    tools = ToolScopes(("docs",))
    tools.learn(TOOLS)
    tools.learn([{"name": "search"}])
    assert not tools.mixed
