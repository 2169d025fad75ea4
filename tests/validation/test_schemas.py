"""OAS -> JSON Schema translation, compiled with jsonschema-rs; property tests with hypothesis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pluginlab_tui.validation.schemas import Translator
from tests.conftest import examples

SPEC: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent / "specs" / "petshop.yaml").read_text(encoding="utf-8")
)
REQUEST = Translator(SPEC, oas31=False, direction="request")
RESPONSE = Translator(SPEC, oas31=False, direction="response")
ORDER = REQUEST.compile({"$ref": "#/components/schemas/Order"}, "/x")
assert ORDER is not None

names = st.text(min_size=1, max_size=12)
price = st.fixed_dictionaries(
    {
        "amount": st.floats(min_value=0.01, max_value=1e6, allow_nan=False),
        "currency": st.sampled_from(["USD", "EUR"]),
    }
)
product = st.fixed_dictionaries({"sku": st.from_regex(r"\A[A-Z]{3}-[0-9]{1,6}\Z"), "price": price})
line_item = st.fixed_dictionaries(
    {"product": product, "quantity": st.integers(1, 2**31 - 1)},
    optional={"note": st.none() | st.text(max_size=30)},
)
payment = st.one_of(
    st.fixed_dictionaries({"method": st.just("card"), "number": st.from_regex(r"\A[0-9]{16}\Z")}),
    st.fixed_dictionaries(
        {"method": st.just("transfer"), "iban": st.text(min_size=15, max_size=30)}
    ),
)
order = st.fixed_dictionaries(
    {"items": st.lists(line_item, min_size=1, max_size=4), "payment": payment},
    optional={
        "coupon": st.none() | names,
        "gift": st.booleans() | st.fixed_dictionaries({"to": names}),
    },
)


def wheres(instance: Any) -> set[tuple[tuple[str | int, ...], str]]:
    assert ORDER is not None
    return {(f.path, f.keyword) for f in ORDER.failures(instance)}


@settings(max_examples=examples(150, quick=30))
@given(order)
def test_generated_orders_pass(body: dict[str, Any]) -> None:
    assert wheres(body) == set()


@settings(max_examples=examples(100, quick=25))
@given(order, st.data())
def test_type_changed_fails_at_its_pointer(body: dict[str, Any], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(body["items"]) - 1))
    body["items"][i]["quantity"] = data.draw(st.text(max_size=5) | st.booleans() | st.none())
    assert (("items", i, "quantity"), "type") in wheres(body)


@settings(max_examples=examples(100, quick=25))
@given(order, st.data())
def test_required_dropped_fails_at_its_object(body: dict[str, Any], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(body["items"]) - 1))
    field = data.draw(st.sampled_from(["product", "quantity"]))
    del body["items"][i][field]
    assert (("items", i), "required") in wheres(body)


@settings(max_examples=examples(100, quick=25))
@given(order, st.data())
def test_enum_changed_fails_at_its_pointer(body: dict[str, Any], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(body["items"]) - 1))
    body["items"][i]["product"]["price"]["currency"] = data.draw(
        st.text(max_size=4).filter(lambda c: c not in ("USD", "EUR"))
    )
    assert (("items", i, "product", "price", "currency"), "enum") in wheres(body)


def test_nullable_only_with_type() -> None:
    schema = REQUEST.translate({"type": "string", "nullable": True, "enum": ["a", None]})
    assert schema == {"type": ["string", "null"], "enum": ["a", None]}


def test_exclusive_bounds_and_int_formats() -> None:
    assert REQUEST.translate({"type": "number", "minimum": 0, "exclusiveMinimum": True}) == {
        "type": "number",
        "exclusiveMinimum": 0,
    }
    assert REQUEST.translate({"type": "integer", "format": "int32", "example": 5}) == {
        "type": "integer",
        "allOf": [{"minimum": -(2**31), "maximum": 2**31 - 1}],
    }


def test_oas31_schemas_pass_through() -> None:
    t31 = Translator({"openapi": "3.1.0"}, oas31=True, direction="request")
    schema = {"type": ["string", "null"], "exclusiveMinimum": 3, "prefixItems": [{"const": 1}]}
    assert t31.translate(schema) == schema


def test_read_only_and_write_only_by_direction() -> None:
    pet = {"$ref": "#/components/schemas/Pet"}
    request = REQUEST.compile(pet, "/p")
    response = RESPONSE.compile(pet, "/p")
    assert request is not None and response is not None
    assert [(f.path, f.keyword) for f in request.failures({"name": "a", "id": 1})] == [
        (("id",), "readOnly")
    ]
    assert request.failures({"name": "a", "secret": "s"}) == []
    assert [
        (f.path, f.keyword) for f in response.failures({"name": "a", "id": 1, "secret": "s"})
    ] == [(("secret",), "writeOnly")]
    assert [(f.path, f.keyword) for f in response.failures({"name": "a"})] == [((), "required")]


def test_bad_pattern_and_missing_ref_do_not_sink_the_schema() -> None:
    compiled = REQUEST.compile(
        {"type": "object", "properties": {"a": {"pattern": "(["}, "b": {"$ref": "#/nope"}}}, "/s"
    )
    assert compiled is not None
    assert compiled.failures({"a": "x", "b": 1}) == []
    assert [f.keyword for f in compiled.failures([])] == ["type"]
