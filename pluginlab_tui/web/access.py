"""The web view's access control: one random token, required on every route.

textual-serve has none of its own: whoever reaches its port gets a TUI on the store, with
replay. So each request must carry the token, in the query (`?token=...`, the printed URL) or in
the cookie the first such answer sets (the page's websocket, its static files and its downloads
are fetched by the page without the query). Anything else is a 403 with a one-word body.

The token is kept only as its SHA-256 digest and compared with hmac.compare_digest. It never
reaches a log: the access log below writes the path without its query, and no header.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

#: The query parameter of the printed URL.
QUERY = "token"
#: Characters of randomness in a new token (secrets.token_urlsafe's argument, in bytes).
TOKEN_BYTES = 32
#: The route of the page's websocket (textual-serve's).
WEBSOCKET_ROUTE = "/ws"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

log = logging.getLogger("pluginlab_tui.web")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", errors="surrogateescape")).digest()


def forbidden() -> web.Response:
    return web.Response(status=403, text="forbidden\n", headers={"Referrer-Policy": "no-referrer"})


class Guard:
    """Admits a request that carries the token; its aiohttp middleware is `middleware`.

    `port` names the cookie: browsers share cookies between the ports of a host, so two web
    views on one machine each keep their own.
    """

    def __init__(self, token: str, port: int) -> None:
        self._digest = _digest(token)
        self.cookie = f"pluginlab_web_{port}"

    def admits(self, given: str | None) -> bool:
        # digests of equal length, compared in constant time: the token's length stays unknown
        return given is not None and hmac.compare_digest(_digest(given), self._digest)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        from_query = request.query.get(QUERY)
        given = from_query if from_query is not None else request.cookies.get(self.cookie)
        if not self.admits(given):
            return forbidden()
        if request.path == WEBSOCKET_ROUTE and not same_origin(request):
            return forbidden()  # another site's page driving a browser that holds the cookie
        response = await handler(request)
        if not response.prepared:  # a websocket or a download has sent its headers already
            response.headers["Referrer-Policy"] = "no-referrer"  # the URL's token stays here
            if from_query is not None:
                response.set_cookie(
                    self.cookie,
                    from_query,
                    path="/",
                    httponly=True,
                    samesite="Strict",
                    secure=request.secure,
                )
        return response


def same_origin(request: web.Request) -> bool:
    """Whether a browser's request comes from a page of this server (no Origin: not a browser)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == request.host.lower()


class AccessLog(AbstractAccessLogger):
    """One line per request: method, path (never the query: it holds the token), status."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %s", request.remote, request.method, request.path, response.status
        )
