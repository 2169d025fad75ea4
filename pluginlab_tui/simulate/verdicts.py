"""The simulator's verdicts: the validator of the spec it fetched, and the checks made with it."""

from __future__ import annotations

from typing import Any

import httpx

from pluginlab_tui.contract.factory import Limits, compile_validator
from pluginlab_tui.contract.verdict import verdict
from pluginlab_tui.simulate.client import Call
from pluginlab_tui.validation.validator import ContractValidator, HttpRequest, HttpResponse
from pluginlab_tui.validation.violations import Violation


def spec_contract(spec: dict[str, Any], profile: str) -> ContractValidator:
    """The validator of the spec as served (ValueError when it cannot be used)."""
    return compile_validator(spec, Limits(profile=profile))


def check_call(
    validator: ContractValidator,
    call: Call,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes | None,
    answer: httpx.Response,
) -> list[Violation]:
    """The violations of one call: its request, then its answer (with its duration)."""
    return verdict(
        validator,
        HttpRequest(call.method, path, query, list(headers.items()), body),
        HttpResponse(answer.status_code, list(answer.headers.multi_items()), answer.content),
        call.duration_ms,
    ).violations


def first_valid(
    validator: ContractValidator | None,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    bodies: list[bytes],
) -> bytes:
    """The first body the spec accepts (a spec example can be wrong), else the first."""
    if validator is None:
        return bodies[0]
    for body in bodies:
        request = HttpRequest(method, path, query, list(headers.items()), body)
        check = verdict(validator, request, None, 0.0)
        if not any(v.code in ("invalid_body", "missing_body") for v in check.violations):
            return body
    return bodies[0]
