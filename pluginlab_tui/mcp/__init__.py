"""MCP (ChatGPT apps): JSON-RPC framing, SSE, sessions, checks against mcp-types, the catalogue
and its diff, and the lint of a server."""
