"""Which request paths are MCP traffic: the configured endpoints (mcp.endpoint and
mcp.sse_endpoint, each with what lies below it) and the message paths that the older HTTP+SSE
transport's streams announced in their `endpoint` event (learned as they pass, exact paths,
at most MAX_LEARNED: the oldest is forgotten).

A backend cannot make just any path MCP traffic: the root, the proxy's own namespace and a path
that is not plain are never learned.
"""

from __future__ import annotations

from collections import OrderedDict

from pluginlab_tui.config import McpSection, at_or_below, mcp_endpoint
from pluginlab_tui.urlpath import normalise_path

#: Message paths kept at most (the SDK announces one per server, whatever the session).
MAX_LEARNED = 64


class McpPaths:
    def __init__(self, section: McpSection, *, max_learned: int = MAX_LEARNED) -> None:
        self.section = section
        self.max_learned = max_learned
        self._learned: OrderedDict[str, None] = OrderedDict()

    def covers(self, path: str) -> bool:
        """Whether a canonical request path (without its query) is MCP traffic."""
        return self.section.covers(path) or self.is_messages(path)

    def is_stream(self, path: str) -> bool:
        """The older transport's SSE endpoint (or below it)."""
        return at_or_below(path, self.section.sse_endpoint)

    def is_messages(self, path: str) -> bool:
        """A message path a stream announced (a trailing slash makes no difference)."""
        return (path.rstrip("/") or "/") in self._learned

    def learn(self, path: str) -> str | None:
        """Take an announced path as MCP traffic: its canonical form, or None when refused."""
        try:
            canonical = mcp_endpoint(normalise_path(path))
        except ValueError:
            return None
        if canonical == "/":
            return None
        self._learned[canonical] = None
        self._learned.move_to_end(canonical)
        while len(self._learned) > self.max_learned:
            self._learned.popitem(last=False)
        return canonical
