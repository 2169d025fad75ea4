"""An operation's arguments: parameters from the spec, ids learned, candidate bodies."""

from __future__ import annotations

import json
from typing import Any

from pluginlab_tui.contract.document import operations
from pluginlab_tui.simulate.arguments import arguments, as_text, encode_body
from tests.simulate.fake_plugin import SPEC

PARAMS: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/users/{userId}/items": {
            "parameters": [{"$ref": "#/components/parameters/userId"}],
            "get": {
                "operationId": "listItems",
                "parameters": [
                    {
                        "name": "tag",
                        "in": "query",
                        "schema": {"type": "array"},
                        "example": ["a", "b"],
                    },
                    {"name": "open", "in": "query", "schema": {"type": "boolean"}, "example": True},
                    {
                        "name": "X-Trace",
                        "in": "header",
                        "schema": {"type": "string"},
                        "example": "t1",
                    },
                ],
                "responses": {"200": {"description": "ok"}},
            },
        }
    },
    "components": {
        "parameters": {
            "userId": {"name": "userId", "in": "path", "required": True, "example": "a b/c"}
        }
    },
}


def _operation(spec: dict[str, Any], operation_id: str) -> Any:
    return next(op for op in operations(spec) if op.data.get("operationId") == operation_id)


def test_parameters_come_from_the_spec_quoted_and_repeated() -> None:
    found = arguments(_operation(PARAMS, "listItems"), PARAMS, {})
    assert found.path == "/users/a%20b%2Fc/items"
    assert found.query == "tag=a&tag=b&open=true"
    assert found.headers == {"X-Trace": "t1"}
    assert found.bodies == []


def test_an_id_learned_from_an_answer_fills_an_id_parameter() -> None:
    operation = _operation(SPEC, "getNote")
    assert arguments(operation, SPEC, {"id": 42}).path == "/notes/42"
    learned_user = arguments(_operation(PARAMS, "listItems"), PARAMS, {"id": 7})
    assert learned_user.path == "/users/7/items"  # userId ends in Id


def test_bodies_are_the_documented_example_then_generated_ones() -> None:
    found = arguments(_operation(SPEC, "addNote"), SPEC, {})
    assert found.headers == {"Content-Type": "application/json"}
    assert json.loads(found.bodies[0]) == {"text": 7}  # the example, even when wrong
    assert all(isinstance(json.loads(b)["text"], str) for b in found.bodies[1:])


def test_values_are_written_as_a_request_carries_them() -> None:
    assert [as_text(v) for v in (True, None, 3, {"a": 1})] == ["true", "", "3", '{"a": 1}']
    form = encode_body("application/x-www-form-urlencoded", {"a": 1, "b": False})
    assert form == b"a=1&b=false"
    assert encode_body("application/json", {"t": "é"}) == '{"t": "é"}'.encode()
    assert encode_body("text/plain", "hi") == b"hi"
