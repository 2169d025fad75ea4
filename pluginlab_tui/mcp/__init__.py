"""MCP: JSON-RPC framing, SSE, sessions, checks against mcp-types, the catalogue and its diff."""
