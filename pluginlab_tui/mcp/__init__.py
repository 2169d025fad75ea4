"""MCP (ChatGPT apps): the protocol, the catalogue, the checks, and the lint of a server."""
