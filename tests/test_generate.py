"""Values from schemas: what the generator makes is accepted by the contract validator."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from pluginlab_tui.generate import from_pattern, generate, media_example, parameter_value
from pluginlab_tui.validation.validator import ContractValidator, HttpRequest, HttpResponse
from tests.harness import TODO

TODO_SPEC: dict[str, Any] = yaml.safe_load((TODO / "openapi.yaml").read_text(encoding="utf-8"))


def _accepted(schema: dict[str, Any], value: Any, version: str = "3.0.3") -> list[str]:
    """Violations of `value` as a 200 answer whose body schema is `schema`."""
    spec = {
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/x": {
                "get": {
                    "operationId": "x",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": schema}},
                        }
                    },
                }
            }
        },
    }
    validator = ContractValidator.from_spec(spec)
    check = validator.check_request(HttpRequest("GET", "/x", "", [], None))
    answer = HttpResponse(200, [("Content-Type", "application/json")], json.dumps(value).encode())
    return [v.message for v in validator.check_response(check, answer, 1.0)]


SCHEMAS: list[dict[str, Any]] = [
    {"type": "string", "format": "date-time"},
    {"type": "string", "format": "uuid"},
    {"type": "string", "format": "email"},
    {"type": "string", "minLength": 12, "maxLength": 14},
    {"type": "string", "pattern": r"^[A-Z]{2}-\d{4}$"},
    {"type": "string", "enum": ["b", "c"]},
    {"type": "integer", "minimum": 10, "maximum": 20, "multipleOf": 3},
    {"type": "integer", "minimum": 5, "exclusiveMinimum": True},
    {"type": "number", "maximum": 0.5},
    {"type": "array", "items": {"type": "integer"}, "minItems": 3, "uniqueItems": True},
    {"type": "object", "required": ["a"], "properties": {"a": {"type": "boolean"}}},
    {"type": "object", "minProperties": 2, "additionalProperties": {"type": "integer"}},
    {"type": "string", "nullable": True},
    {
        "allOf": [
            {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
            {"type": "object", "required": ["b"], "properties": {"b": {"type": "integer"}}},
        ]
    },
    {"oneOf": [{"type": "integer", "minimum": 3}, {"type": "string"}]},
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=[json.dumps(s)[:40] for s in SCHEMAS])
def test_generated_values_are_accepted_by_the_validator(schema: dict[str, Any]) -> None:
    value = generate(schema, {}, use_examples=False)
    assert _accepted(schema, value) == []


def test_oas31_type_lists_const_and_numeric_exclusive_bounds() -> None:
    schema = {
        "type": "object",
        "required": ["kind", "n", "maybe"],
        "properties": {
            "kind": {"const": "todo"},
            "n": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "maybe": {"type": ["string", "null"]},
        },
    }
    value = generate(schema, {})
    assert value["kind"] == "todo" and 0 < value["n"] < 1
    assert _accepted(schema, value, "3.1.0") == []


def test_every_schema_of_the_example_spec_in_both_directions() -> None:
    for name in TODO_SPEC["components"]["schemas"]:
        ref = {"$ref": f"#/components/schemas/{name}"}
        response = generate(ref, TODO_SPEC)
        request = generate(ref, TODO_SPEC, direction="request")
        if name == "Todo":
            assert "id" in response and "created_at" in response  # readOnly: answers only
            assert "id" not in request and "created_at" not in request
        assert response is not None and request is not None


def test_examples_come_first_and_can_be_turned_off() -> None:
    media = TODO_SPEC["paths"]["/todos/{username}"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]
    found, value = media_example(media, TODO_SPEC)
    assert found and value["todos"][0]["title"] == "Buy milk"
    assert generate({"type": "string", "example": "hi"}, {}) == "hi"
    assert generate({"type": "string", "example": "hi"}, {}, use_examples=False) != "hi"


def test_parameters_take_example_then_default_then_schema() -> None:
    assert parameter_value({"name": "q", "example": "milk"}, {}) == "milk"
    assert parameter_value({"name": "s", "schema": {"type": "string", "default": "all"}}, {}) == (
        "all"
    )
    username = TODO_SPEC["components"]["parameters"]["username"]
    value = parameter_value(username, TODO_SPEC)
    assert isinstance(value, str) and 1 <= len(value) <= 40


def test_strings_from_patterns() -> None:
    for pattern in [r"^g-[0-9a-f]{32}$", r"^(foo|bar)\d+$", r"[^a-z]{3}", r"^a.c$"]:
        made = from_pattern(pattern)
        assert made is not None, pattern
    # Back-references are beyond the generator: None, and callers fall back to other candidates.
    assert from_pattern(r"(?P<x>a)(?P=x)") is None
    assert generate({"type": "string", "pattern": r"^(?P<x>a)(?P=x)$"}, {}) == "example"


def test_recursive_schemas_end() -> None:
    spec = {
        "components": {
            "schemas": {
                "Node": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "children": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Node"},
                        },
                    },
                }
            }
        }
    }
    value = generate({"$ref": "#/components/schemas/Node"}, spec)
    assert value["name"]
