"""The stages run in order, failing closed.

mitmproxy swallows an exception raised in an addon's hook and goes on with the next addon, so a
gate that raises would let the request through. Here the root addon runs the stages itself: when
one raises, the exchange ends there, answered by the proxy with a 500 problem+json, no later
request stage runs (the backend is never called after a gate that did not finish), and the event
is still recorded, with the violation `proxy_error` and `error` set to "ExceptionType: message".
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from mitmproxy import http

from pluginlab_tui.proxy.answers import problem_response
from pluginlab_tui.proxy.exchange import Exchange, attach, exchange_of
from pluginlab_tui.proxy.recorder import exchange_event
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.validation.violations import Violation
from pluginlab_tui.wire import EVENT_HEADER, VIOLATIONS_HEADER

log = logging.getLogger(__name__)

#: The hooks before the answer: once one answers or fails, no later stage runs them.
_REQUEST_HOOKS = frozenset({"requestheaders", "request"})


def describe(exc: BaseException) -> str:
    """`ExceptionType: message` on one line."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def fault(exc: BaseException, stage: object, location: str) -> Violation:
    return Violation(
        "proxy_error",
        "response" if location == "response" else "request",
        "proxy",
        f"{type(stage).__name__} failed: {describe(exc)}",
    )


class Pipeline:
    """The root addon's hooks: each runs the stages that have it, in order."""

    def __init__(self, runtime: Runtime | None, stages: list[Any]) -> None:
        self.runtime = runtime
        self.stages = stages

    @property
    def stages(self) -> list[Any]:
        return self._stages

    @stages.setter
    def stages(self, stages: list[Any]) -> None:
        self._stages = stages
        self._hooks: dict[str, list[tuple[Any, Any, bool]]] = {}

    def _having(self, hook: str) -> list[tuple[Any, Any, bool]]:
        """The stages that have `hook`, with the method and whether it is a coroutine function:
        found once, not looked up on every exchange."""
        found = self._hooks.get(hook)
        if found is None:
            found = [
                (stage, method, inspect.iscoroutinefunction(method))
                for stage in self._stages
                if (method := getattr(stage, hook, None)) is not None
            ]
            self._hooks[hook] = found
        return found

    async def _run(self, hook: str, flow: http.HTTPFlow) -> None:
        before_answer = hook in _REQUEST_HOOKS
        for stage, method, is_async in self._having(hook):
            if before_answer and flow.response is not None:
                return  # answered: no later request stage runs
            try:
                if is_async:
                    await method(flow)
                else:
                    result = method(flow)
                    if result is not None and inspect.isawaitable(result):
                        await result
            except Exception as exc:
                self._failed(flow, stage, hook, exc)
                if before_answer:
                    return

    def _failed(self, flow: http.HTTPFlow, stage: object, hook: str, exc: Exception) -> None:
        exchange = exchange_of(flow)
        if exchange is None:  # the first stage itself failed: the exchange still exists
            assert self.runtime is not None
            exchange = Exchange(served=self.runtime.service.current)
            attach(flow, exchange)
            self.runtime.inflight[id(flow)] = flow
        location = "response" if hook.startswith("response") else "request"
        violation = fault(exc, stage, location)
        exchange.faults.append(violation)
        exchange.error = exchange.error or describe(exc)
        exchange.answered_by = "proxy"
        log.error(
            "%s.%s failed on event %s: %s",
            type(stage).__name__,
            hook,
            exchange.event_id,
            type(exc).__name__,
        )
        flow.response = problem_response(
            500,
            f"The proxy failed on this exchange ({type(exc).__name__}); "
            f"see event {exchange.event_id}",
            [violation],
        )
        flow.response.headers[EVENT_HEADER] = exchange.event_id
        flow.response.headers[VIOLATIONS_HEADER] = str(exchange.known_violations())

    async def requestheaders(self, flow: http.HTTPFlow) -> None:
        await self._run("requestheaders", flow)

    async def request(self, flow: http.HTTPFlow) -> None:
        await self._run("request", flow)

    async def responseheaders(self, flow: http.HTTPFlow) -> None:
        await self._run("responseheaders", flow)

    async def response(self, flow: http.HTTPFlow) -> None:
        await self._run("response", flow)
        self._last_resort(flow)

    async def error(self, flow: http.HTTPFlow) -> None:
        await self._lifecycle("error", flow)
        self._last_resort(flow)

    def _last_resort(self, flow: http.HTTPFlow) -> None:
        """An exchange that no stage recorded (the recorder itself failed) is still one event."""
        exchange = exchange_of(flow)
        if exchange is None or exchange.recorded or self.runtime is None:
            return
        exchange.recorded = True
        self.runtime.inflight.pop(id(flow), None)
        writer = self.runtime.writer
        try:
            event = exchange_event(
                exchange,
                flow.request,
                flow.response,
                error="the exchange could not be recorded in full",
            )
            if not writer.offer(self.runtime.redactor.event(event)):
                writer.not_stored(1, f"the recorder failed and {writer.refusal()}")
        except Exception as exc:
            writer.not_stored(
                1, f"the recorder failed, and so did its last resort ({describe(exc)})"
            )

    async def running(self) -> None:
        await self._lifecycle("running")

    async def done(self) -> None:
        await self._lifecycle("done")

    async def _lifecycle(self, hook: str, *args: Any) -> None:
        """Hooks outside an exchange's answer: every stage runs, a failure is logged."""
        for stage in self.stages:
            method = getattr(stage, hook, None)
            if method is None:
                continue
            try:
                result = method(*args)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("%s.%s failed", type(stage).__name__, hook)
