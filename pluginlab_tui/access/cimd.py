"""Client ID Metadata Documents: a client_id that is a URL names the client's own metadata.

An https URL with a path is fetched (httpx: at most MAX_BYTES, TIMEOUT_S in all, no redirects,
no content coding) and kept for its Cache-Control max-age (DEFAULT_TTL_S without one, at most
MAX_TTL_S). For
development a loopback http URL is accepted too. The document must be a JSON object whose
`client_id` equals the URL exactly and whose `redirect_uris` lists the redirect_uri of the
request; such a client is public (PKCE, no secret).

Fetching is async (`load`, awaited by the proxy's stage before the endpoints answer); the
endpoints read the result with `get`, which never fetches.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from pluginlab_tui.access.clients import Client, is_loopback_url
from pluginlab_tui.access.oauth_errors import OAuthError
from pluginlab_tui.access.tls import client_context

MAX_BYTES = 65_536
TIMEOUT_S = 5.0
DEFAULT_TTL_S = 300.0
MAX_TTL_S = 3600.0
#: Documents (and failures) remembered at most; the oldest go first.
MAX_CACHED = 256
#: A failed fetch is remembered this long (so a retry storm does not refetch).
FAILURE_TTL_S = 5.0
_MAX_AGE = re.compile(r"max-age=(\d+)")


def is_document_url(client_id: str) -> bool:
    """An https URL with a path, or (development) a loopback http URL with a path."""
    try:
        parts = urlsplit(client_id)
    except ValueError:
        return False
    if parts.path in ("", "/") or parts.fragment or not parts.netloc:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and is_loopback_url(client_id))


@dataclass(frozen=True, slots=True)
class _Entry:
    client: Client | None
    problem: str
    until: float


def client_of(url: str, content: bytes) -> Client:
    """The public client a document describes; OAuthError invalid_client when it is not one."""
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):
        raise OAuthError("invalid_client", f"the client metadata at {url} is not JSON") from None
    if not isinstance(data, dict):
        raise OAuthError("invalid_client", f"the client metadata at {url} is not an object")
    if data.get("client_id") != url:
        raise OAuthError(
            "invalid_client",
            f"the client metadata's client_id is {data.get('client_id')!r}, not its URL {url!r}",
        )
    uris = data.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise OAuthError("invalid_client", f"the client metadata at {url} lists no redirect_uris")
    return Client(client_id=url, auth_method="none", redirect_uris=tuple(uris))


class ClientDocuments:
    """Fetched documents by URL, each kept for its lifetime."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._cache: OrderedDict[str, _Entry] = OrderedDict()

    def _fresh(self, url: str) -> _Entry | None:
        entry = self._cache.get(url)
        if entry is None or entry.until < self.clock():
            return None
        return entry

    async def load(self, url: str) -> None:
        """Fetch the document unless a fresh copy (or a fresh failure) is kept."""
        if not is_document_url(url) or self._fresh(url) is not None:
            return
        try:
            content, ttl = await _fetch(url)
            entry = _Entry(client_of(url, content), "", self.clock() + ttl)
        except OAuthError as exc:
            entry = _Entry(None, exc.description, self.clock() + FAILURE_TTL_S)
        self._cache[url] = entry
        self._cache.move_to_end(url)
        while len(self._cache) > MAX_CACHED:
            self._cache.popitem(last=False)

    def get(self, url: str) -> Client:
        """The client of a loaded document; OAuthError invalid_client saying why not."""
        entry = self._fresh(url)
        if entry is None:
            raise OAuthError("invalid_client", f"the client metadata at {url} was not fetched")
        if entry.client is None:
            raise OAuthError("invalid_client", entry.problem)
        return entry.client


async def _fetch(url: str) -> tuple[bytes, float]:
    """The document's bytes and how long to keep them; OAuthError invalid_client on failure."""
    import httpx  # imported when used: the proxy does not need it to start

    headers = {"Accept": "application/json", "Accept-Encoding": "identity"}
    try:
        async with (
            asyncio.timeout(TIMEOUT_S),
            httpx.AsyncClient(
                timeout=TIMEOUT_S,
                trust_env=False,
                follow_redirects=False,
                verify=client_context(),
            ) as http,
            http.stream("GET", url, headers=headers) as answer,
        ):
            if answer.status_code != 200:
                raise OAuthError(
                    "invalid_client",
                    f"fetching the client metadata at {url} answered {answer.status_code}",
                )
            if answer.headers.get("content-encoding", "identity").lower() != "identity":
                raise OAuthError(
                    "invalid_client", f"the client metadata at {url} came content-encoded"
                )
            body = bytearray()
            async for chunk in answer.aiter_raw():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise OAuthError(
                        "invalid_client", f"the client metadata at {url} is over {MAX_BYTES} bytes"
                    )
            cache = answer.headers.get("cache-control", "")
    except (httpx.HTTPError, TimeoutError) as exc:
        raise OAuthError(
            "invalid_client", f"cannot fetch the client metadata at {url}: {type(exc).__name__}"
        ) from None
    found = _MAX_AGE.search(cache)
    ttl = float(found[1]) if found else DEFAULT_TTL_S
    if "no-store" in cache or "no-cache" in cache:
        ttl = 0.0
    # kept at least a moment, for the request that fetched it
    return bytes(body), max(1.0, min(ttl, MAX_TTL_S))
