"""Access: auth modes and their credential checks, users, the development OAuth provider, the
replay grant, plans and limits, the IP allow-list, the manifest's auth block, redaction.

Nothing here imports mitmproxy or Textual: the proxy's stages (proxy/gate.py,
proxy/oauth_routes.py, proxy/intake.py) call it with plain values, and so do the CLI, replay,
simulate and import.
"""
