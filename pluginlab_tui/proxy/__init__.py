"""What runs inside mitmproxy: the addon, served routes, CORS, auth, OAuth, limits."""
