"""The paths whose traffic is MCP: the configured endpoints, and the message paths learned from
HTTP+SSE streams, never the root, the proxy's namespace or a path that is not plain; bounded."""

from __future__ import annotations

from pluginlab_tui.config import McpSection
from pluginlab_tui.proxy.mcp_paths import McpPaths


def test_the_configured_endpoints_are_mcp_traffic_and_the_stream_is_known() -> None:
    paths = McpPaths(McpSection(endpoint="/mcp", sse_endpoint="/sse"))
    assert paths.covers("/mcp") and paths.covers("/sse") and not paths.covers("/messages/")
    assert paths.is_stream("/sse") and not paths.is_stream("/mcp")


def test_an_announced_message_path_is_learned_exactly() -> None:
    paths = McpPaths(McpSection(sse_endpoint="/sse"))
    assert paths.learn("/messages/") == "/messages"
    assert paths.covers("/messages/") and paths.covers("/messages")
    assert paths.is_messages("/messages/")
    assert not paths.covers("/messages/other") and not paths.covers("/todos")
    # the canonical form, as the proxy's first stage makes every request path
    assert paths.learn("/a/./b//c") == "/a/b/c" and paths.covers("/a/b/c")


def test_a_backend_cannot_make_just_any_path_mcp_traffic() -> None:
    paths = McpPaths(McpSection(sse_endpoint="/sse"))
    for refused in ("/", "/_pluginlab/health", "/a%2Fb", "/a b", "relative"):
        assert paths.learn(refused) is None, refused
    assert not paths.covers("/") and not paths.covers("/_pluginlab/health")


def test_the_learned_paths_are_bounded_the_oldest_forgotten() -> None:
    paths = McpPaths(McpSection(sse_endpoint="/sse"), max_learned=2)
    for name in ("/m1", "/m2", "/m1", "/m3"):
        paths.learn(name)
    assert paths.covers("/m1") and paths.covers("/m3") and not paths.covers("/m2")
