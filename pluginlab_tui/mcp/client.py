"""What an MCP server offers, fetched as a client with the official SDK, as plain data.

`list_server(url)` connects over Streamable HTTP (`streamable_http_client`), falling back to the
older HTTP+SSE transport (`sse_client`), optionally with a bearer token; lists every page of
tools, resources, resource templates and prompts the server's capabilities announce; and reads
the widget templates (the `ui://` resources listed, and every URI a tool's `_meta` names). It is
bounded by one timeout, a page cap and a read cap. A server that cannot be reached, or does not
answer as MCP, is a UsageError with one line saying which; a list or read the server refuses is
kept in the result (`errors`, `reads`), not raised.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel, ValidationError

from pluginlab_tui.errors import UsageError
from pluginlab_tui.mcp.first_error import first_error
from pluginlab_tui.mcp.sessions import Transport

DEFAULT_TIMEOUT_S = 10.0
MAX_PAGES = 100
MAX_READS = 64
UI_SCHEME = "ui://"
TEMPLATE_KEYS = ("openai/outputTemplate",)


@dataclass(frozen=True)
class Read:
    """A resources/read of one URI: the contents as sent, or why it failed."""

    uri: str
    contents: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


@dataclass
class Listing:
    """An MCP server's catalogue as a client saw it, in wire names (camelCase, `_meta`)."""

    url: str
    transport: Transport
    protocol_version: str
    server_info: dict[str, Any] | None = None
    capabilities: dict[str, Any] = field(default_factory=dict)
    tools: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    resource_templates: list[dict[str, Any]] = field(default_factory=list)
    prompts: list[dict[str, Any]] = field(default_factory=list)
    reads: dict[str, Read] = field(default_factory=dict)
    #: list method -> why it failed (a JSON-RPC error, a result the SDK could not parse)
    errors: dict[str, str] = field(default_factory=dict)
    truncated: list[str] = field(default_factory=list)


def widget_uris(tool: dict[str, Any]) -> list[str]:
    """The template URIs a tool's `_meta` names: `ui.resourceUri`, `openai/outputTemplate`."""
    meta = tool.get("_meta")
    if not isinstance(meta, dict):
        return []
    uris: list[str] = []
    ui = meta.get("ui")
    if isinstance(ui, dict) and isinstance(ui.get("resourceUri"), str):
        uris.append(ui["resourceUri"])
    for key in TEMPLATE_KEYS:
        if isinstance(meta.get(key), str):
            uris.append(meta[key])
    return list(dict.fromkeys(uris))


def list_server(
    url: str, *, token: str | None = None, timeout: float = DEFAULT_TIMEOUT_S
) -> Listing:
    """The server's catalogue (see the module docstring); UsageError when it cannot be had."""
    with _quiet_sdk():
        return anyio.run(_list_server, url, token, timeout)


async def list_server_async(
    url: str, *, token: str | None = None, timeout: float = DEFAULT_TIMEOUT_S
) -> Listing:
    """`list_server` for callers already in an event loop."""
    return await _list_server(url, token, timeout)


class _Statuses:
    """The last HTTP error status the transport met (the SDK reports only a JSON-RPC code)."""

    def __init__(self) -> None:
        self.last: str | None = None

    async def __call__(self, response: httpx2.Response) -> None:
        if response.status_code >= 400:
            self.last = f"HTTP {response.status_code} to {response.request.method}"

    def client(
        self,
        headers: dict[str, str] | None = None,
        timeout: httpx2.Timeout | None = None,
        auth: httpx2.Auth | None = None,
    ) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(
            headers=headers, timeout=timeout, auth=auth, event_hooks={"response": [self]}
        )


async def _list_server(url: str, token: str | None, timeout: float) -> Listing:
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--mcp takes an http:// or https:// URL, not {url!r}")
    if not math.isfinite(timeout) or timeout <= 0:
        raise UsageError("the timeout must be a positive number of seconds")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    deadline = anyio.current_time() + timeout
    failures: list[str] = []
    transports: tuple[Transport, ...] = ("streamable-http", "sse")
    for transport in transports:
        statuses = _Statuses()
        left = deadline - anyio.current_time()
        try:
            with anyio.fail_after(left):
                return await _attempt(url, transport, headers, left, statuses)
        except TimeoutError:
            raise UsageError(f"{url} did not answer within {timeout:g} s") from None
        except Exception as exc:  # the SDK raises groups, MCPError, httpx2 errors
            leaf = _leaf(exc)
            if isinstance(leaf, httpx2.ConnectError | httpx2.UnsupportedProtocol):
                raise UsageError(f"cannot connect to {url}: {leaf}") from None
            failures.append(f"{_TRANSPORT_NAMES[transport]}: {_why(leaf, statuses, token)}")
    raise UsageError(f"{url} does not answer as an MCP server ({'; '.join(failures)})")


_TRANSPORT_NAMES: dict[str, str] = {"streamable-http": "Streamable HTTP", "sse": "HTTP+SSE"}


async def _attempt(
    url: str, transport: Transport, headers: dict[str, str], timeout: float, statuses: _Statuses
) -> Listing:
    async with AsyncExitStack() as stack:
        if transport == "sse":
            streams = sse_client(
                url, headers=headers, timeout=timeout, httpx_client_factory=statuses.client
            )
        else:
            http = statuses.client(headers=headers, timeout=httpx2.Timeout(timeout))
            await stack.enter_async_context(http)
            streams = streamable_http_client(url, http_client=http)
        client = await stack.enter_async_context(
            Client(streams, cache=None, read_timeout_seconds=timeout)
        )
        listing = Listing(
            url=url,
            transport=transport,
            protocol_version=client.protocol_version,
            server_info=_plain(client.server_info) if client.server_info else None,
            capabilities=_plain(client.server_capabilities),
        )
        await _fill(client, listing)
        return listing


async def _fill(client: Client, listing: Listing) -> None:
    capabilities = listing.capabilities
    if "tools" in capabilities:
        listing.tools = await _pages(listing, "tools/list", "tools", client.list_tools)
    if "resources" in capabilities:
        listing.resources = await _pages(
            listing, "resources/list", "resources", client.list_resources
        )
        listing.resource_templates = await _pages(
            listing,
            "resources/templates/list",
            "resourceTemplates",
            client.list_resource_templates,
        )
    if "prompts" in capabilities:
        listing.prompts = await _pages(listing, "prompts/list", "prompts", client.list_prompts)
    uris = [uri for tool in listing.tools for uri in widget_uris(tool)]
    uris += [r["uri"] for r in listing.resources if str(r.get("uri", "")).startswith(UI_SCHEME)]
    wanted = list(dict.fromkeys(uris))
    if len(wanted) > MAX_READS:
        listing.truncated.append(f"resources/read: only the first {MAX_READS} templates read")
    for uri in wanted[:MAX_READS]:
        listing.reads[uri] = await _read(client, uri)


async def _pages(
    listing: Listing,
    method: str,
    key: str,
    fetch: Callable[..., Awaitable[BaseModel]],
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        try:
            page = _plain(await fetch(cursor=cursor))
        except MCPError as exc:
            listing.errors[method] = _rpc_error(exc)
            return items
        except ValidationError as exc:
            listing.errors[method] = _not_valid(method, exc)
            return items
        found = page.get(key)
        if isinstance(found, list):
            items.extend(x for x in found if isinstance(x, dict))
        cursor = page.get("nextCursor")
        if not isinstance(cursor, str) or cursor in seen:
            return items
        seen.add(cursor)
    listing.truncated.append(f"{method}: stopped after {MAX_PAGES} pages")
    return items


async def _read(client: Client, uri: str) -> Read:
    try:
        result = _plain(await client.read_resource(uri))
    except MCPError as exc:
        return Read(uri, error=_rpc_error(exc))
    except ValidationError as exc:
        return Read(uri, error=_not_valid("resources/read", exc))
    contents = result.get("contents")
    return Read(uri, contents=[c for c in contents if isinstance(c, dict)] if contents else [])


def _plain(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _rpc_error(exc: MCPError) -> str:
    return f"JSON-RPC error {exc.code}: {exc.message}"


def _not_valid(method: str, exc: ValidationError) -> str:
    return f"the result is not a valid {method} result: {first_error(exc).text('result')}"


def _leaf(exc: BaseException) -> BaseException:
    """The first exception inside (nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _why(exc: BaseException, statuses: _Statuses, token: str | None) -> str:
    if isinstance(exc, httpx2.HTTPStatusError):
        text = f"HTTP {exc.response.status_code} to {exc.request.method}"
    else:
        lines = str(exc).splitlines()
        detail = (
            _rpc_error(exc) if isinstance(exc, MCPError) else (lines or [type(exc).__name__])[0]
        )
        text = statuses.last or detail
    if text.startswith("HTTP 401") and not token:
        text += ", the server wants a token (--token)"
    return text


@contextmanager
def _quiet_sdk() -> Iterator[None]:
    """The SDK logs a failed transport with a traceback; the caller gets one line instead."""
    logger = logging.getLogger("mcp")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.CRITICAL + 1)
    logger.propagate = False
    try:
        yield
    finally:
        logger.setLevel(level)
        logger.propagate = propagate
