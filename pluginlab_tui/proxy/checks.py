"""Contract checks in the proxy: the request before it is forwarded, the response in strict mode.

In the default mode the response is checked later, in the writer thread, so the answer is not held.
"""

from __future__ import annotations

import asyncio

from mitmproxy import http

from pluginlab_tui.contract import verdict
from pluginlab_tui.proxy.answers import problem_response
from pluginlab_tui.proxy.bodies import decoded
from pluginlab_tui.proxy.exchange import Exchange, exchange_of, request_stage
from pluginlab_tui.proxy.fields import header_pairs
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.validation.validator import HttpRequest, HttpResponse, RequestCheck
from pluginlab_tui.validation.violations import Violation, strict_status


def request_of(flow: http.HTTPFlow, limit: int) -> HttpRequest:
    """The request as the validator sees it: its body decoded up to `limit` bytes."""
    request = flow.request
    path, _, query = request.path.partition("?")
    body = decoded(request, limit, exchange_of(flow))
    return HttpRequest(
        method=request.method,
        path=path,
        query=query,
        headers=header_pairs(request.headers),
        body=None if request.raw_content is None else body.content,
        body_complete=body.complete,
    )


def response_of(response: http.Response, limit: int, exchange: Exchange) -> HttpResponse:
    body = decoded(response, limit, exchange)
    return HttpResponse(
        status=response.status_code,
        headers=header_pairs(response.headers),
        body=None if response.raw_content is None else body.content,
        body_complete=body.complete,
    )


def check_request(exchange: Exchange, flow: http.HTTPFlow, limit: int) -> RequestCheck | None:
    """The request's check, made once per exchange (the auth gate and RequestChecks share it);
    None where no OpenAPI contract applies (MCP traffic, or no spec at all)."""
    contract = exchange.contract
    if exchange.check is None and contract is not None:
        exchange.check = verdict.check_request(contract.validator, request_of(flow, limit))
    return exchange.check


def held_to_contract(exchange: Exchange) -> bool:
    """The backend's (or the mock's) answer is checked; so is the 502/504 the proxy made for a
    backend that failed or timed out, but for its slowness only (it is not the backend's answer).
    """
    return exchange.answered_by in ("backend", "mock") or exchange.error is not None


def check_response(exchange: Exchange, response: http.Response, limit: int) -> None:
    """Check the response now (strict mode, or the writer stage) and keep the verdict."""
    contract = exchange.contract
    if exchange.response_violations is None and exchange.check is not None and contract:
        exchange.response_violations = verdict.check_response(
            contract.validator,
            exchange.check,
            response_of(response, limit, exchange),
            exchange.duration_ms or 0.0,
            failed=exchange.error is not None,
        )


def answer_strictly(flow: http.HTTPFlow, exchange: Exchange, violations: list[Violation]) -> None:
    """Strict mode's answer to a request that breaks the contract: a problem listing the
    violations, with the status the worst of them calls for; the backend is not called."""
    exchange.answered_by = "proxy"
    exchange.response_violations = []
    flow.response = problem_response(
        strict_status(violations), "The request breaks the contract", violations
    )


class RequestChecks:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @request_stage
    async def request(self, flow: http.HTTPFlow, exchange: Exchange) -> None:
        if exchange.contract is None:  # MCP traffic, or no spec at all: no OpenAPI check applies
            return
        limit = self.runtime.config.proxy.max_inflated_bytes
        if exchange.check is None and _costly(flow.request):
            # inflating may take a while: off the proxy's loop
            await asyncio.to_thread(check_request, exchange, flow, limit)
        check = check_request(exchange, flow, limit)
        violations = [] if check is None else check.violations
        if violations and self.runtime.config.proxy.strict:
            answer_strictly(flow, exchange, violations)


#: A coded request body from this size on is inflated and checked in a worker thread.
_COSTLY_BYTES = 16 * 1024


def _costly(request: http.Request) -> bool:
    raw = request.raw_content
    return raw is not None and len(raw) >= _COSTLY_BYTES and "content-encoding" in request.headers


class ResponseChecks:
    """Strict mode: an answer that breaks the contract is replaced by a 502 problem."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def response(self, flow: http.HTTPFlow) -> None:
        exchange = exchange_of(flow)
        if exchange is None or flow.response is None or not self.runtime.config.proxy.strict:
            return
        if not held_to_contract(exchange):
            return
        check_response(exchange, flow.response, self.runtime.config.proxy.max_inflated_bytes)
        found = exchange.response_violations or []
        if found and exchange.error is None:  # the proxy's own 502/504 stays as it is
            flow.response = problem_response(502, "The response breaks the contract", found)
