"""OpenAPI schema validity as (pointer, message), cached by the text's digest."""

from __future__ import annotations

from typing import Any

from pluginlab_tui.plugin import openapi_schema
from pluginlab_tui.plugin.openapi_schema import schema_problems, text_key
from tests.plugin.conftest import good_spec


def test_a_valid_spec_has_no_problems() -> None:
    assert schema_problems(good_spec(), "3.0.1") == []
    spec = good_spec()
    spec["openapi"] = "3.1.0"
    assert schema_problems(spec, "3.1.0") == []


def test_schema_problems_have_pointers() -> None:
    spec: dict[str, Any] = good_spec()
    spec["paths"]["/todos"]["get"]["parameters"][0]["in"] = "body"
    (problem,) = schema_problems(spec, "3.0.1")
    assert problem.phase == "schema"
    assert problem.pointer.startswith("/paths/~1todos/get/parameters/0")


def test_semantic_problems_are_placed_in_the_document() -> None:
    spec: dict[str, Any] = good_spec()
    spec["openapi"] = "3.1.0"
    spec["components"]["schemas"]["Todo"]["properties"]["id"]["type"] = "integer | string"
    problems = schema_problems(spec, "3.1.0")
    assert problems and problems[0].phase == "semantic"
    assert "/components/schemas/Todo/properties/id/type" in {p.pointer for p in problems}


def test_results_are_cached_by_key() -> None:
    spec = good_spec()
    key = text_key("some text")
    first = schema_problems(spec, "3.0.1", key=key)
    spec["info"] = 5  # changed data, same key: the cached answer comes back
    assert schema_problems(spec, "3.0.1", key=key) is first
    assert len(openapi_schema._cache) <= openapi_schema._CACHE_SIZE


def test_many_errors_are_capped() -> None:
    spec: dict[str, Any] = good_spec()
    spec["paths"] = {f"/p{i}": {"get": {"responses": 5}} for i in range(100)}
    assert len(schema_problems(spec, "3.0.1")) == openapi_schema.MAX_PROBLEMS


def test_one_of_failures_are_explained() -> None:
    spec: dict[str, Any] = good_spec()
    spec["components"]["schemas"]["Todo"]["properties"]["text"]["required"] = True
    (problem,) = schema_problems(spec, "3.0.1")
    assert problem.pointer == "/components/schemas/Todo/properties/text/required"
    assert problem.message == "True is not of type 'array'"


def test_unexpected_keys_are_named() -> None:
    spec: dict[str, Any] = good_spec()
    spec["paths"]["/todos"]["get"]["parameters"][0]["type"] = "integer"
    messages = [p.message for p in schema_problems(spec, "3.0.1")]
    assert any("unexpected 'type' here" in m for m in messages), messages
