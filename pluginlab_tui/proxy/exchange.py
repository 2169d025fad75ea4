"""What the proxy knows of one exchange while it is in flight (kept in flow.metadata)."""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

from mitmproxy import http

from pluginlab_tui.ids import new_id
from pluginlab_tui.inflate import Inflated
from pluginlab_tui.store.event import iso_now
from pluginlab_tui.store.parts import Auth
from pluginlab_tui.validation.violations import Violation
from pluginlab_tui.wire import LIVE

if TYPE_CHECKING:
    from pluginlab_tui.contract.service import Served
    from pluginlab_tui.store.parts import Rpc
    from pluginlab_tui.validation.validator import RequestCheck

_KEY = "pluginlab"


@dataclass(slots=True)
class Exchange:
    #: The plugin version in service; None when the proxy serves no plugin files (MCP mode).
    served: Served | None
    event_id: str = field(default_factory=new_id)
    ts: str = field(default_factory=iso_now)
    started: float = field(default_factory=time.perf_counter)
    client_ip: str = ""
    source: str = LIVE
    replay_of: str | None = None
    #: Who answered: the backend, the proxy itself (files, refusals, strict), or the mock.
    answered_by: str = "backend"
    check: RequestCheck | None = None
    #: On the MCP endpoint (mcp.endpoint): forwarded without the OpenAPI checks.
    mcp: bool = False
    #: The answer's head has gone to the caller and its body is streaming (proxy/relay.py).
    streamed: bool = False
    #: Response violations found before the answer left (strict mode); else found later.
    response_violations: list[Violation] | None = None
    duration_ms: float | None = None
    error: str | None = None
    auth_mode: str | None = None
    auth_result: str | None = None
    user_id: str | None = None
    plan: str | None = None
    #: MCP endpoint in oauth mode: the access token's scopes (None: no token was accepted).
    scopes: tuple[str, ...] | None = None
    #: The OAuth client the exchange is part of, where known (events.oauth_client_id).
    oauth_client_id: str | None = None
    recorded: bool = False
    #: `proxy_error` violations: a stage that raised (proxy/pipeline.py).
    faults: list[Violation] = field(default_factory=list)
    #: Bodies decoded so far, by message (see proxy/bodies.py): each is inflated once.
    bodies: list[tuple[http.Message, Inflated]] = field(default_factory=list)
    #: MCP: the exchange's JSON-RPC messages are its events (proxy/messages.py), not itself.
    messages: bool = False
    #: MCP: the events its answer names in X-PluginLab-Event-Id (None: its own event_id).
    answers: str | None = None
    #: MCP: what its own event (an exchange without a JSON-RPC message) says of it.
    rpc: Rpc | None = None

    @property
    def contract(self) -> Served | None:
        """The version whose OpenAPI checks apply to this exchange (none on the MCP endpoint)."""
        return None if self.mcp else self.served

    @property
    def request_violations(self) -> list[Violation]:
        return [] if self.check is None else self.check.violations

    def violations(self) -> list[Violation]:
        """Every violation known now: the request's, the response's, the proxy's own faults."""
        return self.request_violations + (self.response_violations or []) + self.faults

    @property
    def operation_id(self) -> str | None:
        return None if self.check is None else self.check.operation_id

    def known_violations(self) -> int:
        return len(self.violations())

    def auth(self) -> Auth:
        """What the auth stages found, as its event records it."""
        return Auth(self.auth_mode, self.auth_result, self.user_id, self.plan, self.oauth_client_id)

    @property
    def answer_header(self) -> str:
        """The X-PluginLab-Event-Id of its answer: the events of the messages it answers."""
        return self.answers or self.event_id


def attach(flow: http.HTTPFlow, exchange: Exchange) -> None:
    flow.metadata[_KEY] = exchange


def exchange_of(flow: http.HTTPFlow) -> Exchange | None:
    found = flow.metadata.get(_KEY)
    return found if isinstance(found, Exchange) else None


def unanswered(flow: http.HTTPFlow) -> Exchange | None:
    """The flow's exchange while no stage has answered it yet, else None (the stage stands by)."""
    return None if flow.response is not None else exchange_of(flow)


@overload
def request_stage[S](
    hook: Callable[[S, http.HTTPFlow, Exchange], Coroutine[Any, Any, None]],
) -> Callable[[S, http.HTTPFlow], Coroutine[Any, Any, None]]: ...
@overload
def request_stage[S](
    hook: Callable[[S, http.HTTPFlow, Exchange], None],
) -> Callable[[S, http.HTTPFlow], None]: ...
def request_stage(hook: Callable[..., Any]) -> Callable[..., Any]:
    """The request stages' preamble, written once: the hook runs with the flow's exchange while
    no stage has answered it (`unanswered`), and stands by otherwise."""
    if inspect.iscoroutinefunction(hook):

        @functools.wraps(hook)
        async def run_async(stage: Any, flow: http.HTTPFlow) -> None:
            exchange = unanswered(flow)
            if exchange is not None:
                await hook(stage, flow, exchange)

        return run_async

    @functools.wraps(hook)
    def run(stage: Any, flow: http.HTTPFlow) -> None:
        exchange = unanswered(flow)
        if exchange is not None:
            hook(stage, flow, exchange)

    return run
