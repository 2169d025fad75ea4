"""One exchange's verdict: request, then response with its duration."""

from __future__ import annotations

import yaml

from pluginlab_tui.contract.verdict import check_request, check_response, verdict
from pluginlab_tui.validation.validator import ContractValidator, HttpRequest, HttpResponse
from tests.harness import TODO

VALIDATOR = ContractValidator.from_spec(
    yaml.safe_load((TODO / "openapi.yaml").read_text(encoding="utf-8")), slow_ms=100
)
JSON = [("Content-Type", "application/json")]


def test_both_halves_in_order_with_the_operation() -> None:
    found = verdict(
        VALIDATOR,
        HttpRequest("GET", "/todos/a", "limit=500", [], None),
        HttpResponse(200, JSON, b'{"todos": [], "count": "0"}'),
        250.0,
    )
    assert found.operation_id == "listTodos"
    assert [v.code for v in found.violations] == [
        "invalid_parameter",
        "slow_response",
        "invalid_response_body",
    ]


def test_no_response_is_the_request_alone() -> None:
    found = verdict(VALIDATOR, HttpRequest("GET", "/nowhere", "", [], None), None, 1e9)
    assert found.operation_id is None
    assert [v.code for v in found.violations] == ["unknown_path"]


def test_a_failed_exchange_is_checked_for_its_duration_only() -> None:
    check = check_request(VALIDATOR, HttpRequest("GET", "/todos/a", "", [], None))
    gateway = HttpResponse(504, JSON, b'{"error": "timeout"}')
    assert [v.code for v in check_response(VALIDATOR, check, gateway, 250.0, failed=True)] == [
        "slow_response"
    ]
    assert "undocumented_status" in [
        v.code for v in check_response(VALIDATOR, check, gateway, 250.0)
    ]
