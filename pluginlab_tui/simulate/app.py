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
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import anyio
import httpx2
import pydantic
from mcp import Client
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
from pluginlab_tui.simulate.client import Call, SimulationError
from pluginlab_tui.simulate.tool_arguments import Invalid, candidates, invalid_sets
from pluginlab_tui.validation.violations import Violation
from pluginlab_tui.wire import EVENT_HEADER, GRANT_HEADER, SIMULATE

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


@dataclass
class _Wire:
    """The HTTP side the SDK client uses: a fresh grant on each request, the last answer noted."""

    grant_secret: bytes | None
    status: int | None = None
    event_id: str | None = None
    #: Headers for the requests of the call under way (the demo's fault switch).
    extra: dict[str, str] = field(default_factory=dict)

    async def request(self, request: httpx2.Request) -> None:
        if self.grant_secret is not None:
            request.headers[GRANT_HEADER] = sign(Grant(source=SIMULATE), self.grant_secret)
        if request.method == "POST":
            request.headers.update(self.extra)

    async def response(self, response: httpx2.Response) -> None:
        if response.request.method == "POST":
            self.status = response.status_code
            self.event_id = response.headers.get(EVENT_HEADER)


@dataclass
class AppSimulator:
    """Plays ChatGPT against the MCP server at `url` (the proxy's MCP endpoint, or the app)."""

    url: str
    token: str | None = None
    grant_secret: bytes | None = None
    timeout_s: float = 30.0
    era: Era = "auto"
    fuzz: int = 0
    rounds: int = 1
    #: Extra headers per tool call (the demo's fault switch), by tool name.
    fault: Callable[[str], dict[str, str]] | None = None
    calls: list[Call] = field(default_factory=list)
    catalogue: Catalogue = field(default_factory=Catalogue)

    def run(self) -> list[Call]:
        """The whole conversation; SimulationError when the server cannot be reached as MCP."""
        anyio.run(self.run_async)
        return self.calls

    async def run_async(self) -> None:
        wire = _Wire(self.grant_secret)
        headers = {"User-Agent": USER_AGENT}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        http = httpx2.AsyncClient(
            headers=headers,
            timeout=httpx2.Timeout(self.timeout_s),
            event_hooks={"request": [wire.request], "response": [wire.response]},
            trust_env=False,
        )
        async with http:
            started = time.perf_counter()
            try:
                client = Client(
                    streamable_http_client(self.url, http_client=http),
                    client_info=CLIENT_INFO,
                    mode=_MODES[self.era],
                    read_timeout_seconds=self.timeout_s,
                    cache=None,
                )
                async with client:
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
            except SimulationError:
                raise
            except Exception as exc:  # the SDK raises groups, MCPError, httpx2 errors
                leaf = _leaf(exc)
                if not self.calls:
                    raise SimulationError(
                        f"cannot open an MCP session at {self.url}: {leaf}"
                    ) from None
                raise SimulationError(f"the session broke: {type(leaf).__name__}: {leaf}") from None

    async def _conversation(self, client: Client, wire: _Wire) -> None:
        version = client.protocol_version
        await self._lists(client, wire, version)
        for uri in self._widgets():
            await self._read(client, wire, version, uri)
        for violation in checks.check_catalogue(self.catalogue):
            self._note("catalogue", None, wire, time.perf_counter(), [violation], sent=False)
        for _ in range(max(self.rounds, 1)):
            for tool in self.catalogue.tools or ():
                name = str(tool.get("name"))
                schema = tool.get("inputSchema")
                await self._call(client, wire, version, name, candidates(schema)[0])
                compiled = self.catalogue.schema(name, "inputSchema")
                for invalid in invalid_sets(schema, compiled, self.fuzz):
                    await self._call(client, wire, version, name, invalid.arguments, invalid)

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
            started = time.perf_counter()
            try:
                for _ in range(MAX_PAGES):
                    page = _plain(await fetch(cursor=cursor))
                    items += page.get(key) or []
                    cursor = page.get("nextCursor")
                    if not isinstance(cursor, str):
                        break
            except MCPError as exc:
                self._note(method, None, wire, started, error=_why(exc))
                continue
            except pydantic.ValidationError as exc:
                self._note(method, None, wire, started, [_invalid(exc)])
                continue
            self.catalogue = self.catalogue.with_list(method, None, {key: items})
            self._note(method, None, wire, started)

    def _widgets(self) -> list[str]:
        uris = [uri for tool in self.catalogue.tools or () for uri in widget_uris(tool)]
        uris += [
            str(r.get("uri"))
            for r in self.catalogue.items("resources/list") or ()
            if str(r.get("uri", "")).startswith(UI_SCHEME)
        ]
        return list(dict.fromkeys(uris))

    async def _read(self, client: Client, wire: _Wire, version: str, uri: str) -> None:
        started = time.perf_counter()
        try:
            result = _plain(await client.read_resource(uri))
        except MCPError as exc:
            answer: dict[str, Any] = {"error": {"code": exc.code, "message": exc.message}}
        except pydantic.ValidationError as exc:
            self._note("resources/read", uri, wire, started, [_invalid(exc)])
            return
        else:
            answer = {"result": result}
            self.catalogue = self.catalogue.with_read(uri, result)
        pending = Pending("resources/read", version, started, "client", uri)
        self._note("resources/read", uri, wire, started, self._verdict(answer, version, pending))

    async def _call(
        self,
        client: Client,
        wire: _Wire,
        version: str,
        name: str,
        arguments: dict[str, Any],
        invalid: Invalid | None = None,
    ) -> None:
        extra = self.fault(name) if self.fault is not None else {}
        request = CallToolRequest(
            params=CallToolRequestParams(
                name=name, arguments=arguments, _meta=cast(RequestParamsMeta, CALL_META)
            )
        )
        started = time.perf_counter()
        wire.extra = extra
        try:
            result = (await client.session.send_request(request, _Raw)).root
        except MCPError as exc:
            answer: dict[str, Any] = {"error": {"code": exc.code, "message": exc.message}}
        except pydantic.ValidationError as exc:
            self._note("tools/call", name, wire, started, [_invalid(exc)], fault=extra)
            return
        else:
            answer = {"result": result}
        finally:
            wire.extra = {}
        step = "tools/call" if invalid is None else "fuzz"
        if invalid is not None:
            refused = "error" in answer or answer["result"].get("isError") is True
            error = None if refused else f"accepted invalid arguments ({invalid.why}): {arguments}"
            self._note(step, name, wire, started, error=error, fault=extra)
            return
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
        self.calls.append(call)


def _plain(model: pydantic.BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _why(exc: MCPError) -> str:
    return f"JSON-RPC error {exc.code}: {exc.message}"


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc
