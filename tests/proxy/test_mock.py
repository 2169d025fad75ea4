"""Mock mode: every operation of the example spec answered, every answer keeps the contract."""

from __future__ import annotations

import json
from typing import Any

import yaml

from pluginlab_tui.proxy.mock import candidates, mock_answer, success_status
from pluginlab_tui.validation.validator import ContractValidator, HttpRequest, HttpResponse
from pluginlab_tui.wire import MOCK_HEADER
from tests.conftest import ProxyFactory, stored_events
from tests.harness import TODO, wait_for

SPEC: dict[str, Any] = yaml.safe_load((TODO / "openapi.yaml").read_text(encoding="utf-8"))

CALLS = [
    ("GET", "/todos/alice", None, "listTodos"),
    ("POST", "/todos/alice", {"title": "milk"}, "addTodo"),
    ("GET", "/todos/alice/3", None, "getTodo"),
    ("PATCH", "/todos/alice/3", {"done": True}, "updateTodo"),
    ("DELETE", "/todos/alice/3", None, "deleteTodo"),
]


def test_every_operation_is_answered_and_every_answer_is_valid(start_proxy: ProxyFactory) -> None:
    proxy = start_proxy(backend=None)
    validator = ContractValidator.from_spec(SPEC)
    answers = {}
    with proxy.client() as client:
        for method, path, body, op in CALLS:
            answer = client.request(method, path, json=body)
            answers[op] = answer
            check = validator.check_request(
                HttpRequest(
                    method,
                    path,
                    "",
                    [("Content-Type", "application/json")],
                    None if body is None else json.dumps(body).encode(),
                )
            )
            assert check.operation_id == op and check.violations == []
            verdict = validator.check_response(
                check,
                HttpResponse(
                    answer.status_code, list(answer.headers.multi_items()), answer.content
                ),
                1.0,
            )
            assert verdict == [], (op, answer.status_code, answer.text)
            assert answer.headers[MOCK_HEADER] in ("example", "generated", "empty")
    assert answers["listTodos"].headers[MOCK_HEADER] == "example"
    assert answers["listTodos"].json()["todos"][0]["title"] == "Buy milk"
    assert answers["getTodo"].headers[MOCK_HEADER] == "generated"  # no example documented
    assert answers["addTodo"].status_code == 201
    assert answers["deleteTodo"].status_code == 204 and answers["deleteTodo"].content == b""
    events = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) >= len(CALLS) and e)
    assert [e.operation_id for e in events] == [c[3] for c in CALLS]
    assert all(e.violation_count == 0 for e in events), [e.violations for e in events]


def test_an_unknown_path_is_a_404_marked_as_mocked(start_proxy: ProxyFactory) -> None:
    proxy = start_proxy(backend=None)
    with proxy.client() as client:
        answer = client.get("/nothing/here")
    assert answer.status_code == 404 and answer.headers[MOCK_HEADER] == "none"


def test_a_wrong_example_is_passed_over_for_a_generated_answer() -> None:
    spec: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/n": {
                "get": {
                    "operationId": "n",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "headers": {
                                "X-Rate": {"required": True, "schema": {"type": "integer"}}
                            },
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["n"],
                                        "properties": {"n": {"type": "integer"}},
                                    },
                                    "example": {"n": "not a number"},
                                }
                            },
                        }
                    },
                }
            }
        },
    }
    validator = ContractValidator.from_spec(spec)
    check = validator.check_request(HttpRequest("GET", "/n", "", [], None))
    operation = spec["paths"]["/n"]["get"]
    assert candidates(spec, operation)[0].kind == "example"
    answer = mock_answer(spec, operation, validator, check)
    assert answer is not None and answer.kind == "generated"
    assert json.loads(answer.body) == {"n": 1}
    assert ("X-Rate", "1") in answer.headers


def test_the_success_status_is_the_lowest_2xx_else_a_range_else_default() -> None:
    assert success_status({"404": {}, "201": {}, "200": {}}) == "200"
    assert success_status({"2XX": {}, "500": {}}) == "2XX"
    assert success_status({"default": {}}) == "default"
    assert success_status({"400": {}}) is None
