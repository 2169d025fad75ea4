"""The verdict on one exchange: the request's check, then the response's with its duration.

It comes in two halves so the proxy can check the request on its loop and the response later
(in the writer thread); `verdict` is both at once, for replay, simulate and import.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pluginlab_tui.validation.validator import (
    ContractValidator,
    HttpRequest,
    HttpResponse,
    RequestCheck,
)
from pluginlab_tui.validation.violations import Violation


@dataclass(frozen=True, slots=True)
class Verdict:
    """The operation an exchange matched, and every way it broke the contract."""

    operation_id: str | None
    violations: list[Violation]


def check_request(validator: ContractValidator, request: HttpRequest) -> RequestCheck:
    """The first half: route and check the request."""
    return validator.check_request(request)


def check_response(
    validator: ContractValidator,
    check: RequestCheck,
    response: HttpResponse,
    duration_ms: float,
    *,
    failed: bool = False,
) -> list[Violation]:
    """The second half: the response to a checked request, and its duration.

    `failed`: the answer is the proxy's own (the backend failed or timed out), so only its
    duration is checked, against no operation.
    """
    if failed:
        check = replace(check, operation=None)
    return validator.check_response(check, response, duration_ms)


def verdict(
    validator: ContractValidator,
    request: HttpRequest,
    response: HttpResponse | None,
    duration_ms: float,
) -> Verdict:
    """Both halves: the request's violations, then the response's (when there was one)."""
    check = check_request(validator, request)
    violations = list(check.violations)
    if response is not None:
        violations += check_response(validator, check, response, duration_ms)
    return Verdict(check.operation_id, violations)
