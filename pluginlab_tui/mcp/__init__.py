"""MCP (ChatGPT apps): JSON-RPC framing, SSE, sessions, checks against mcp-types, the catalogue
and its diff, recorded messages read back from their bodies, and the lint of a server."""
