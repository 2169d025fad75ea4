"""Parameters deserialized by style and explode, coerced by schema type."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from pluginlab_tui.validation.params import MISSING, Param, coerce, extract, make_param, shape_of


def param(raw: dict[str, Any]) -> Param:
    made = make_param(raw, {}, None)
    assert made is not None
    return made


def get(raw: dict[str, Any], query: str = "", path: Any = None, headers: Any = None) -> Any:
    return extract(
        param(raw), parse_qsl(query, keep_blank_values=True), path or {}, headers or {}, {}
    )


INTS = {"type": "array", "items": {"type": "integer"}}


def test_form_arrays_exploded_and_not() -> None:
    assert get({"name": "a", "in": "query", "schema": INTS}, "a=1&a=2") == [1, 2]
    assert get({"name": "a", "in": "query", "explode": False, "schema": INTS}, "a=1,x") == [1, "x"]
    pipe = {"name": "a", "in": "query", "style": "pipeDelimited", "explode": False, "schema": INTS}
    assert get(pipe, "a=1|2") == [1, 2]
    assert get({"name": "a", "in": "query", "schema": INTS}, "b=1") is MISSING


def test_deep_object_and_exploded_form_object() -> None:
    schema = {
        "type": "object",
        "properties": {"min": {"type": "number"}, "on": {"type": "boolean"}},
    }
    deep = {"name": "f", "in": "query", "style": "deepObject", "explode": True, "schema": schema}
    assert get(deep, "f[min]=1.5&f[on]=true&g=1") == {"min": 1.5, "on": True}
    assert get({"name": "f", "in": "query", "schema": schema}, "min=2&x=1") == {"min": 2}


def test_simple_path_and_header_values() -> None:
    assert get({"name": "ids", "in": "path", "schema": INTS}, path={"ids": "3,4"}) == [3, 4]
    obj = {"type": "object", "properties": {"a": {"type": "integer"}}}
    exploded = {"name": "o", "in": "path", "explode": True, "schema": obj}
    assert get(exploded, path={"o": "a=1,b=x"}) == {"a": 1, "b": "x"}
    header = {"name": "X-Ids", "in": "header", "schema": INTS}
    assert get(header, headers={"x-ids": "1, 2"}) == [1, 2]
    assert make_param({"name": "Authorization", "in": "header"}, {}, None) is None


def test_coercion_is_strict() -> None:
    shape = shape_of({}, {"type": "integer"})
    assert coerce("12", shape) == 12
    for text in ("1.0", "+1", " 1", "1_000", "abc", ""):
        assert coerce(text, shape) == text
    boolean = shape_of({}, {"type": "boolean"})
    assert (coerce("true", boolean), coerce("yes", boolean)) == (True, "yes")
    number = shape_of({}, {"oneOf": [{"type": "number"}, {"type": "string"}]})
    assert coerce("2.5", number) == 2.5
