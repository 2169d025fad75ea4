"""A tool's arguments: its examples first, then generated; invalid sets the schema refuses."""

from __future__ import annotations

from typing import Any

import pytest

from pluginlab_tui.simulate.tool_arguments import candidates, invalid_sets
from pluginlab_tui.validation.schemas import compile_schema

CARD: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "examples": ["Buy milk"]},
        "column": {"type": "string", "enum": ["todo", "doing", "done"]},
        "points": {"type": "integer", "minimum": 1},
    },
    "required": ["title", "points"],
    "additionalProperties": False,
}


def compiled(schema: dict[str, Any]) -> Any:
    found = compile_schema(schema, "/tool/inputSchema")
    assert found is not None
    return found


def test_the_schemas_own_examples_come_first_then_generated_values_all_valid() -> None:
    schema = {**CARD, "examples": [{"title": "From the example", "points": 3}]}
    found = candidates(schema)
    assert found[0] == {"title": "From the example", "points": 3}
    assert all(compiled(schema).is_valid(c) for c in found)
    assert candidates(CARD)[0]["title"] == "Buy milk"  # a property's example
    assert candidates(CARD)[-1]["title"] != "Buy milk"  # then one generated without it
    assert len({repr(sorted(c.items())) for c in found}) == len(found)


def test_a_tool_without_a_schema_is_called_with_no_arguments() -> None:
    assert candidates(None) == [{}]
    assert candidates({"type": "object"}) == [{}]


def test_each_invalid_set_is_refused_by_the_schema_and_says_why() -> None:
    schema = compiled(CARD)
    found = invalid_sets(CARD, schema, 20)
    whys = [f.why for f in found]
    assert "'title' left out" in whys and "'points' left out" in whys
    assert "'points' not of type integer" in whys
    assert "'column' outside its enum" in whys
    assert "an undeclared property" in whys
    assert all(not schema.is_valid(f.arguments) for f in found)


@pytest.mark.parametrize("count", [0, 1, 3])
def test_no_more_than_asked(count: int) -> None:
    assert len(invalid_sets(CARD, compiled(CARD), count)) == count


def test_a_schema_that_accepts_anything_has_no_invalid_sets() -> None:
    anything = {"type": "object"}
    assert invalid_sets(anything, compiled(anything), 5) == []
