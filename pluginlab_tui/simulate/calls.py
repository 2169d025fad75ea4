"""Calling the spec's operations as ChatGPT would, and checking each answer."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from pluginlab_tui.contract.document import Operation, operations
from pluginlab_tui.simulate.arguments import arguments
from pluginlab_tui.simulate.client import Call, Client
from pluginlab_tui.simulate.verdicts import check_call, first_valid
from pluginlab_tui.validation.validator import ContractValidator

#: Operations in the order a conversation tends to use them: create, read, change, delete.
_METHOD_ORDER = {"post": 0, "put": 1, "get": 2, "patch": 3, "delete": 4}
#: The demo's out-of-contract switch, shown with the call.
FAULT_HEADER = "X-Todo-Fault"


def plan(spec: dict[str, Any]) -> list[Operation]:
    """The spec's operations in a conversation's order."""
    return sorted(operations(spec), key=lambda op: _METHOD_ORDER.get(op.method, 5))


def base_path(spec: dict[str, Any]) -> str:
    """The path of the spec's first server URL ('' when it has none or a templated one)."""
    servers = spec.get("servers")
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        path = urlsplit(str(servers[0].get("url") or "")).path.rstrip("/")
        if "{" not in path:
            return path
    return ""


def call_operation(
    client: Client,
    operation: Operation,
    *,
    spec: dict[str, Any],
    validator: ContractValidator | None,
    headers: dict[str, str],
    authorization: tuple[str, str] | None = None,
    extra_headers: dict[str, str] | None = None,
    learned: dict[str, Any],
) -> Call:
    """Call one operation with ChatGPT's `headers`; the Call with its verdict.

    A 2xx answer with an `id` is remembered in `learned` for the calls that follow.
    """
    request = arguments(operation, spec, learned)
    prefix = base_path(spec)
    method = operation.method.upper()
    body = None
    if request.bodies:
        body = first_valid(
            validator, method, prefix + request.path, request.query, request.headers, request.bodies
        )
    sent = dict(headers)
    sent.update(request.headers)
    if authorization is not None:
        name, value = authorization
        sent[name] = value
    sent.update(extra_headers or {})
    url = client.base_url + prefix + request.path
    if request.query:
        url += "?" + request.query
    call, answer = client.send(
        operation.label,
        method,
        url,
        headers=sent,
        content=body,
        operation_id=str(operation.data.get("operationId") or "") or None,
    )
    call.fault = (extra_headers or {}).get(FAULT_HEADER)
    if answer is not None and validator is not None:
        call.violations = check_call(
            validator, call, urlsplit(url).path, request.query, sent, body, answer
        )
        learn(answer, learned)
    return call


def learn(answer: httpx.Response, learned: dict[str, Any]) -> None:
    """Remember the id a successful answer made."""
    if not 200 <= answer.status_code < 300:
        return
    try:
        data = answer.json()
    except ValueError:
        return
    if isinstance(data, dict) and "id" in data and not isinstance(data["id"], dict | list):
        learned["id"] = data["id"]
