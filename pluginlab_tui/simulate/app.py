"""The app simulator: plays ChatGPT against an MCP server (a ChatGPT app), with the official SDK.

    calls = AppSimulator(url, token=..., fuzz=2).run()

It connects as ChatGPT's MCP client does (its user agent and clientInfo, the `_meta` it adds to
tool calls), opens the session (initialize, or the 2026-07-28 discovery: `era`), lists the tools,
resources and templates, reads every widget template, calls every tool with arguments from its
inputSchema's examples, else generated (simulate/tool_arguments.py), and checks every answer with
the proxy's own MCP checks (mcp/checks.py, against the catalogue it listed). `fuzz` adds invalid
argument sets per tool: one the server accepts (a result with neither isError nor a JSON-RPC
error) is a Call that broke the contract. Each request is a simulate/client.Call; through a local
proxy whose store secret it has, every request carries a replay grant with source=simulate.

A server that answers 401 gets ChatGPT's sign-in (simulate/app_signin.py: the SDK's OAuth client
with ChatGPT's redirect URI), each step of it a Call (`oauth:resource-metadata`, ...), unless a
`token` is given. Like ChatGPT, the simulator keeps the tools it was once shown and goes on
calling them when a later listing leaves one out, and an argument named like an id takes the id
the last result made (so a conversation moves and deletes the card it added). The demo drives
it for long: `conversations` sessions, `interval` seconds before each step, until `stop` is
set, `fault(method, subject)` headers on a step's requests, each Call handed to `on_call`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, cast
from urllib.parse import parse_qsl

import anyio
import httpx2
import pydantic
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolRequest, CallToolRequestParams, Implementation, RequestParamsMeta
from pydantic import RootModel

from pluginlab_tui.access.grant import Grant, sign
from pluginlab_tui.mcp import checks
from pluginlab_tui.mcp.catalogue import LISTS, Catalogue
from pluginlab_tui.mcp.client import MAX_PAGES, UI_SCHEME, widget_uris
from pluginlab_tui.mcp.first_error import invalid_result as _invalid
from pluginlab_tui.mcp.jsonrpc import classify
from pluginlab_tui.mcp.sessions import Pending
from pluginlab_tui.simulate.app_signin import AppSignIn, endpoint_routes
from pluginlab_tui.simulate.arguments import learned_value
from pluginlab_tui.simulate.client import Call, SimulationError, brief
from pluginlab_tui.simulate.tool_arguments import Invalid, candidates, invalid_sets
from pluginlab_tui.validation.violations import Violation
from pluginlab_tui.wire import EVENT_HEADER, GRANT_HEADER, SIMULATE, TOKEN_ROUTE, oauth_step

#: ChatGPT's MCP client as servers see it (apps-facts.md 5.6, observed).
USER_AGENT = "openai-mcp/1.0.0 (+https://openai.com/bot)"
CLIENT_INFO = Implementation(name="openai-mcp", version="1.0.0")
#: What ChatGPT adds to a tool call's `_meta` (apps-facts.md 5.5): hints, never credentials.
CALL_META: dict[str, Any] = {
    "openai/locale": "en-US",
    "openai/userAgent": "Mozilla/5.0 (pluginlab-tui simulate)",
    "openai/userLocation": {"city": "San Francisco", "region": "CA", "country": "US"},
    "openai/subject": "simulated-subject",
    "openai/session": "simulated-session",
}
#: How the session opens: the initialize handshake, the 2026-07-28 discovery, or the SDK's pick.
Era = Literal["handshake", "stateless", "auto"]
#: The SDK's connect modes: "auto" probes server/discover (2026-07-28) and falls back to
#: initialize; "stateless" is that probe, refusing the fallback.
_MODES: dict[Era, str] = {"handshake": "legacy", "stateless": "auto", "auto": "auto"}
STATELESS_VERSION = "2026-07-28"
#: A result as sent: the SDK checks its shape for the version in force, nothing more.
_Raw = RootModel[dict[str, Any]]
#: The most sessions one run opens (every loop is bounded), and the longest wait between two
#: looks at the stop flag.
MAX_CONVERSATIONS = 1_000_000
_TICK_S = 0.1
#: OAuth steps whose refusal is the sign-in failing (a discovery URL that is not there is one
#: of the places a client tries in turn).
_MUST_PASS = frozenset({"register", "authorize", "consent", "token", "refresh"})
#: A step's extra headers, by JSON-RPC method and the tool or URI it names.
Fault = Callable[[str, str | None], dict[str, str]]
_STARTED = "pluginlab.started"


class _Stopped(Exception):
    """The stop flag was set between two steps."""


@dataclass
class _Wire:
    """The HTTP side the SDK client uses: a fresh grant on each request, the last MCP answer
    noted, each step of an OAuth sign-in made a Call (`note`)."""

    grant_secret: bytes | None
    note: Callable[[Call], None]
    #: The authorization server's endpoints as the proxy's routes (app_signin.endpoint_routes).
    routes: Callable[[], dict[str, str]] = dict
    status: int | None = None
    event_id: str | None = None
    #: Headers for the requests of the step under way (the demo's fault switch).
    extra: dict[str, str] = field(default_factory=dict)

    async def request(self, request: httpx2.Request) -> None:
        request.extensions[_STARTED] = time.perf_counter()
        if self.grant_secret is not None:
            request.headers[GRANT_HEADER] = sign(Grant(source=SIMULATE), self.grant_secret)
        if request.method == "POST" and self._step(request) is None:
            request.headers.update(self.extra)

    async def response(self, response: httpx2.Response) -> None:
        request = response.request
        step = self._step(request)
        challenged = response.status_code in (401, 403) and "www-authenticate" in response.headers
        if step is not None or challenged:
            call = Call(f"oauth:{step or 'challenge'}", request.method, str(request.url))
            call.status, call.event_id = response.status_code, response.headers.get(EVENT_HEADER)
            started = request.extensions.get(_STARTED)
            if isinstance(started, float):
                call.duration_ms = (time.perf_counter() - started) * 1000
            if step in _MUST_PASS and response.status_code >= 400:
                await response.aread()
                call.error = f"{step} answered {response.status_code}: {brief(response)}"
            self.note(call)
        if step is None and request.method == "POST":
            self.status = response.status_code
            self.event_id = response.headers.get(EVENT_HEADER)

    def _step(self, request: httpx2.Request) -> str | None:
        """The OAuth step a request is: by the proxy's routes, or the server's metadata."""
        url = request.url.copy_with(query=None)
        route = self.routes().get(str(url), url.path)
        grant = None
        if route == TOKEN_ROUTE:
            try:
                grant = dict(parse_qsl(request.content.decode("utf-8", "replace"))).get(
                    "grant_type"
                )
            except httpx2.RequestNotRead:
                grant = None
        return oauth_step(request.method, route, grant)


@dataclass
class AppSimulator:
    """Plays ChatGPT against the MCP server at `url` (the proxy's MCP endpoint, or the app)."""

    url: str
    #: An access token to send; without one, a 401 gets the OAuth sign-in of `sign_in`.
    token: str | None = None
    sign_in: AppSignIn = field(default_factory=AppSignIn)
    grant_secret: bytes | None = None
    timeout_s: float = 30.0
    era: Era = "auto"
    fuzz: int = 0
    #: Times every tool is called in a session, and sessions opened one after the other.
    rounds: int = 1
    conversations: int = 1
    #: Seconds to wait before each step; the run ends before the next step once `stop` is set.
    interval: float = 0.0
    stop: threading.Event | None = None
    #: Extra headers for a step's requests (the demo's fault switch).
    fault: Fault | None = None
    #: Given, each Call goes to it instead of `calls` (a long run keeps nothing).
    on_call: Callable[[Call], None] | None = None
    calls: list[Call] = field(default_factory=list)
    catalogue: Catalogue = field(default_factory=Catalogue)
    #: Sessions that ran to their end.
    done: int = 0
    #: Every tool once listed, its newest definition (called even when a listing leaves it out).
    tools: dict[str, dict[str, Any]] = field(default_factory=dict)
    _learned: dict[str, Any] = field(default_factory=dict)

    def run(self) -> list[Call]:
        """The conversations; SimulationError when the server cannot be reached as MCP, or
        the sign-in or a session fails."""
        anyio.run(self.run_async)
        return self.calls

    async def run_async(self) -> None:
        provider: OAuthClientProvider | None = None
        wire = _Wire(self.grant_secret, self._keep, lambda: endpoint_routes(provider))
        headers = {"User-Agent": USER_AGENT}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        http = httpx2.AsyncClient(
            headers=headers,
            timeout=httpx2.Timeout(self.timeout_s),
            event_hooks={"request": [wire.request], "response": [wire.response]},
            trust_env=False,
        )
        if not self.token:
            provider = self.sign_in.provider(self.url, http)
            http.auth = provider
        async with http:
            for _ in range(max(min(self.conversations, MAX_CONVERSATIONS), 1)):
                try:
                    await self._session(http, wire)
                except _Stopped:
                    return
                self.done += 1

    async def _session(self, http: httpx2.AsyncClient, wire: _Wire) -> None:
        await self._pause()
        started = time.perf_counter()
        opened = False
        try:
            client = Client(
                streamable_http_client(self.url, http_client=http),
                client_info=CLIENT_INFO,
                mode=_MODES[self.era],
                read_timeout_seconds=self.timeout_s,
                cache=None,
            )
            async with client:
                opened = True
                step = "initialize"
                if client.protocol_version == STATELESS_VERSION:
                    step = "server/discover"
                elif self.era == "stateless":
                    raise SimulationError(
                        f"{self.url} does not speak {STATELESS_VERSION} (it answered"
                        f" with the initialize handshake, {client.protocol_version})"
                    )
                self._note(step, None, wire, started)
                await self._conversation(client, wire)
        except Exception as exc:  # the SDK raises groups, MCPError, httpx2 errors
            leaf = _leaf(exc)
            if isinstance(leaf, SimulationError | _Stopped):
                raise leaf from None
            if not opened:
                raise SimulationError(f"cannot open an MCP session at {self.url}: {leaf}") from None
            raise SimulationError(f"the session broke: {type(leaf).__name__}: {leaf}") from None

    async def _pause(self) -> None:
        """Wait the interval, looking at the stop flag; _Stopped once it is set."""
        deadline = anyio.current_time() + self.interval
        while True:
            if self.stop is not None and self.stop.is_set():
                raise _Stopped
            left = deadline - anyio.current_time()
            if left <= 0:
                return
            await anyio.sleep(min(_TICK_S, left))

    async def _step(self, wire: _Wire, method: str, subject: str | None) -> dict[str, str]:
        """Before a step: the pause, then its fault headers (on the wire until the next step)."""
        await self._pause()
        wire.extra = self.fault(method, subject) if self.fault is not None else {}
        return wire.extra

    async def _conversation(self, client: Client, wire: _Wire) -> None:
        version = client.protocol_version
        await self._lists(client, wire, version)
        for uri in self._widgets():
            await self._read(client, wire, version, uri)
        for violation in checks.check_catalogue(self.catalogue):
            self._note("catalogue", None, wire, time.perf_counter(), [violation], sent=False)
        for tool in self.catalogue.tools or ():
            if isinstance(tool, dict) and isinstance(tool.get("name"), str):
                self.tools[tool["name"]] = tool
        for _ in range(max(self.rounds, 1)):
            for name, tool in list(self.tools.items()):
                schema = tool.get("inputSchema")
                await self._call(client, wire, version, name, self._arguments(schema))
                compiled = self.catalogue.schema(name, "inputSchema")
                for invalid in invalid_sets(schema, compiled, self.fuzz):
                    await self._call(client, wire, version, name, invalid.arguments, invalid)
        wire.extra = {}

    def _arguments(self, schema: Any) -> dict[str, Any]:
        """The best candidate; an argument named like an id takes the id a result made."""
        arguments = candidates(schema)[0]
        for name in arguments:
            value = learned_value(name, self._learned)
            if value is not None:
                arguments[name] = value
        return arguments

    def _learn(self, answer: dict[str, Any]) -> None:
        result = answer.get("result")
        content = result.get("structuredContent") if isinstance(result, dict) else None
        if isinstance(content, dict) and "id" in content:
            if not isinstance(content["id"], dict | list):
                self._learned["id"] = content["id"]

    def _keep(self, call: Call) -> None:
        if self.on_call is not None:
            self.on_call(call)
        else:
            self.calls.append(call)

    async def _lists(self, client: Client, wire: _Wire, version: str) -> None:
        capabilities = client.server_capabilities.model_dump(by_alias=True, exclude_none=True)
        fetchers: dict[str, Callable[..., Awaitable[pydantic.BaseModel]]] = {
            "tools/list": client.list_tools,
            "resources/list": client.list_resources,
            "resources/templates/list": client.list_resource_templates,
        }
        for method, fetch in fetchers.items():
            if method.split("/")[0] not in capabilities:
                continue
            key, _ = LISTS[method]
            cursor: str | None = None
            items: list[Any] = []
            extra = await self._step(wire, method, None)
            started = time.perf_counter()
            try:
                for _ in range(MAX_PAGES):
                    page = _plain(await fetch(cursor=cursor))
                    items += page.get(key) or []
                    cursor = page.get("nextCursor")
                    if not isinstance(cursor, str):
                        break
            except MCPError as exc:
                self._note(method, None, wire, started, error=_why(exc), fault=extra)
                continue
            except pydantic.ValidationError as exc:
                self._note(method, None, wire, started, [_invalid(exc)], fault=extra)
                continue
            self.catalogue = self.catalogue.with_list(method, None, {key: items})
            self._note(method, None, wire, started, fault=extra)

    def _widgets(self) -> list[str]:
        uris = [uri for tool in self.catalogue.tools or () for uri in widget_uris(tool)]
        uris += [
            str(r.get("uri"))
            for r in self.catalogue.items("resources/list") or ()
            if str(r.get("uri", "")).startswith(UI_SCHEME)
        ]
        return list(dict.fromkeys(uris))

    async def _read(self, client: Client, wire: _Wire, version: str, uri: str) -> None:
        extra = await self._step(wire, "resources/read", uri)
        started = time.perf_counter()
        try:
            result = _plain(await client.read_resource(uri))
        except MCPError as exc:
            answer: dict[str, Any] = {"error": {"code": exc.code, "message": exc.message}}
        except pydantic.ValidationError as exc:
            self._note("resources/read", uri, wire, started, [_invalid(exc)], fault=extra)
            return
        else:
            answer = {"result": result}
            self.catalogue = self.catalogue.with_read(uri, result)
        pending = Pending("resources/read", version, started, "client", uri)
        violations = self._verdict(answer, version, pending)
        self._note("resources/read", uri, wire, started, violations, fault=extra)

    async def _call(
        self,
        client: Client,
        wire: _Wire,
        version: str,
        name: str,
        arguments: dict[str, Any],
        invalid: Invalid | None = None,
    ) -> None:
        step = "tools/call" if invalid is None else "fuzz"
        extra = await self._step(wire, step, name)
        request = CallToolRequest(
            params=CallToolRequestParams(
                name=name, arguments=arguments, _meta=cast(RequestParamsMeta, CALL_META)
            )
        )
        started = time.perf_counter()
        try:
            result = (await client.session.send_request(request, _Raw)).root
        except MCPError as exc:
            answer: dict[str, Any] = {"error": {"code": exc.code, "message": exc.message}}
        except pydantic.ValidationError as exc:
            self._note("tools/call", name, wire, started, [_invalid(exc)], fault=extra)
            return
        else:
            answer = {"result": result}
        if invalid is not None:
            refused = "error" in answer or answer["result"].get("isError") is True
            error = None if refused else f"accepted invalid arguments ({invalid.why}): {arguments}"
            self._note(step, name, wire, started, error=error, fault=extra)
            return
        self._learn(answer)
        pending = Pending("tools/call", version, started, "client", name)
        self._note(step, name, wire, started, self._verdict(answer, version, pending), fault=extra)

    def _verdict(self, answer: dict[str, Any], version: str, pending: Pending) -> list[Violation]:
        message = classify({"jsonrpc": "2.0", "id": 1, **answer})
        context = checks.Context(
            direction="server", version=version, request=pending, catalogue=self.catalogue
        )
        return checks.check(message, context).violations

    def _note(
        self,
        step: str,
        subject: str | None,
        wire: _Wire,
        started: float,
        violations: list[Violation] | None = None,
        *,
        error: str | None = None,
        fault: dict[str, str] | None = None,
        sent: bool = True,
    ) -> None:
        call = Call(step, "POST" if sent else "-", self.url, subject=subject)
        call.duration_ms = (time.perf_counter() - started) * 1000
        if sent:
            call.status, call.event_id = wire.status, wire.event_id
        call.violations = violations or []
        call.error = error
        call.fault = ", ".join(f"{k}: {v}" for k, v in (fault or {}).items()) or None
        self._keep(call)


def _plain(model: pydantic.BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _why(exc: MCPError) -> str:
    return f"JSON-RPC error {exc.code}: {exc.message}"


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc
