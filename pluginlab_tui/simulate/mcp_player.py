"""Playing ChatGPT's part against an MCP server, with the official SDK's client.

Conversation after conversation, each a session of its own (`streamable_http_client` +
`ClientSession`): initialize, tools/list, resources/list, resources/read of every widget template
the tools and resources name, then tools/call of each tool in turn. Like ChatGPT, the player keeps
the tools it was once shown and goes on calling them when a later listing leaves one out.
Arguments come from each tool's inputSchema; an argument named like an id takes the id the last
result made, so a conversation moves and deletes the card it added. Every Nth step carries a
fault header (a name from the fault list of that step's method, in turn), and every request the
headers `extra()` gives at that moment (the demo's signed grant). A JSON-RPC error is an answer
like any other; anything else (a server gone) ends the run, its reason in `error`.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio
import httpx2
from mcp import ClientSession, types
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel

from pluginlab_tui.generate import generate
from pluginlab_tui.mcp.catalogue import template_uris
from pluginlab_tui.simulate.arguments import learned_value

UI_SCHEME = "ui://"
#: The most conversations one run has (every loop is bounded).
MAX_CONVERSATIONS = 1_000_000
#: The longest wait between two looks at the stop flag.
_TICK_S = 0.1


@dataclass(frozen=True, slots=True)
class Step:
    """One request of a conversation and how it ended."""

    method: str
    name: str | None  # the tool called, or the resource read
    fault: str | None
    outcome: str  # "ok", "isError", or "JSON-RPC error CODE"


class _Stopped(Exception):
    """The stop flag was set between two steps."""


def tool_arguments(tool: Mapping[str, Any], learned: Mapping[str, Any]) -> dict[str, Any]:
    """Arguments the tool's inputSchema accepts; an id-like one takes the learned id."""
    schema = tool.get("inputSchema")
    made = generate(schema, schema, direction="request") if isinstance(schema, dict) else {}
    arguments = made if isinstance(made, dict) else {}
    for name in arguments:
        value = learned_value(name, dict(learned))
        if value is not None:
            arguments[name] = value
    return arguments


def _plain(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


async def _call(session: ClientSession, name: str, arguments: dict[str, Any]) -> BaseModel:
    """tools/call as sent by the SDK, without its client-side check of the result (the
    `call_tool` helper raises on structured content that breaks the outputSchema, and lists the
    tools again for a tool it was not shown): what the server answered is what the player keeps,
    and the proxy's checks are the ones that judge it."""
    request = types.CallToolRequest(
        params=types.CallToolRequestParams(name=name, arguments=arguments)
    )
    return await session.send_request(request, types.CallToolResult)


class McpPlayer:
    """The conversations of the module docstring against `url` (the MCP endpoint's URL)."""

    def __init__(
        self,
        url: str,
        *,
        interval: float,
        fault_every: int = 0,
        fault_header: str = "",
        faults: Mapping[str, Sequence[str]] | None = None,
        extra: Callable[[], Mapping[str, str]] | None = None,
        on_step: Callable[[Step], None] | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.url = url
        self.interval = interval
        self.fault_every = fault_every
        self.fault_header = fault_header
        self.faults = {m: itertools.cycle(names) for m, names in (faults or {}).items() if names}
        self.extra = extra
        self.on_step = on_step
        self.timeout_s = timeout_s
        self.steps = 0
        self.conversations = 0
        self.error: str | None = None
        self.tools: dict[str, dict[str, Any]] = {}  # every tool once shown, newest definition
        self._learned: dict[str, Any] = {}
        self._fault: str | None = None

    def run(self, stop: threading.Event, conversations: int = MAX_CONVERSATIONS) -> None:
        """Conversations until `stop` is set, `conversations` are done, or one fails."""
        anyio.run(self._run, stop, conversations)

    async def _run(self, stop: threading.Event, conversations: int) -> None:
        async with httpx2.AsyncClient(
            timeout=httpx2.Timeout(self.timeout_s), event_hooks={"request": [self._headers]}
        ) as http:
            for count in itertools.count(1):
                if stop.is_set() or count > conversations:
                    return
                try:
                    await self._conversation(http, stop)
                except Exception as exc:  # the SDK raises groups; a stop ends it at a step
                    leaf = _leaf(exc)
                    if isinstance(leaf, _Stopped):
                        return
                    self.error = f"{type(leaf).__name__}: {leaf}".rstrip(": ")
                    return
                self.conversations += 1

    async def _headers(self, request: httpx2.Request) -> None:
        if self.extra is not None:
            request.headers.update(self.extra())
        if self._fault is not None and self.fault_header:
            request.headers[self.fault_header] = self._fault

    async def _conversation(self, http: httpx2.AsyncClient, stop: threading.Event) -> None:
        async with streamable_http_client(self.url, http_client=http) as (read, write):
            async with ClientSession(read, write, read_timeout_seconds=self.timeout_s) as session:
                await session.initialize()
                await self._list(session, stop)
                for uri in await self._templates(session, stop):
                    await self._step(
                        stop, "resources/read", uri, partial(session.read_resource, uri)
                    )
                for name, tool in list(self.tools.items()):
                    call = partial(_call, session, name, tool_arguments(tool, self._learned))
                    self._learn(await self._step(stop, "tools/call", name, call))

    async def _list(self, session: ClientSession, stop: threading.Event) -> None:
        """tools/list; every tool listed is kept (with its newest definition)."""
        listed = await self._step(stop, "tools/list", None, session.list_tools)
        for tool in listed.get("tools", []) if listed else []:
            if isinstance(tool, dict) and isinstance(tool.get("name"), str):
                self.tools[tool["name"]] = tool

    async def _templates(self, session: ClientSession, stop: threading.Event) -> list[str]:
        """resources/list; the widget URIs: the tools' templates and the `ui://` resources."""
        listed = await self._step(stop, "resources/list", None, session.list_resources)
        uris = [uri for tool in self.tools.values() for uri in template_uris(tool)]
        for resource in listed.get("resources", []) if listed else []:
            uri = resource.get("uri") if isinstance(resource, dict) else None
            if isinstance(uri, str) and uri.startswith(UI_SCHEME):
                uris.append(uri)
        return list(dict.fromkeys(uris))

    async def _step(
        self,
        stop: threading.Event,
        method: str,
        name: str | None,
        send: Callable[[], Awaitable[BaseModel]],
    ) -> dict[str, Any] | None:
        """Wait the interval, then send one request (with a fault when its turn has come)."""
        await self._pause(stop)
        self.steps += 1
        faults = self.faults.get(method)
        due = self.fault_every > 0 and self.steps % self.fault_every == 0
        self._fault = next(faults) if due and faults is not None else None
        fault = self._fault
        try:
            result: dict[str, Any] | None = _plain(await send())
            outcome = "isError" if result and result.get("isError") else "ok"
        except MCPError as exc:
            result, outcome = None, f"JSON-RPC error {exc.code}"
        finally:
            self._fault = None
        if self.on_step is not None:
            self.on_step(Step(method, name, fault, outcome))
        return result

    async def _pause(self, stop: threading.Event) -> None:
        deadline = anyio.current_time() + self.interval
        while True:
            if stop.is_set():
                raise _Stopped
            left = deadline - anyio.current_time()
            if left <= 0:
                return
            await anyio.sleep(min(_TICK_S, left))

    def _learn(self, result: dict[str, Any] | None) -> None:
        content = result.get("structuredContent") if result else None
        if isinstance(content, dict) and "id" in content:
            if not isinstance(content["id"], dict | list):
                self._learned["id"] = content["id"]
