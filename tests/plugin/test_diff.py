"""versions diff: hand-made pairs of specs with known breaking and non-breaking changes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pluginlab_tui.plugin.diff import Change, diff_specs
from tests.conftest import examples
from tests.plugin.conftest import good_spec


def kinds(changes: list[Change]) -> dict[str, bool]:
    return {c.kind: c.breaking for c in changes}


@pytest.fixture
def old() -> dict[str, Any]:
    return good_spec()


@pytest.fixture
def new(old: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(old)


def _get(spec: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = spec["paths"]["/todos"]["get"]
    return op


def test_the_same_spec_has_no_changes(old: dict[str, Any], new: dict[str, Any]) -> None:
    assert diff_specs(old, new) == []


def test_operation_removed_and_added(old: dict[str, Any], new: dict[str, Any]) -> None:
    del new["paths"]["/todos/{id}"]
    new["paths"]["/todos/{id}/done"] = {
        "post": {"operationId": "markDone", "responses": {"204": {"description": "ok"}}}
    }
    changes = diff_specs(old, new)
    assert kinds(changes) == {"operation-removed": True, "operation-added": False}
    removed = next(c for c in changes if c.kind == "operation-removed")
    assert removed.operation == "deleteTodo" and removed.where == "DELETE /todos/{id}"


def test_renamed_path_parameter_is_the_same_operation(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    item = new["paths"].pop("/todos/{id}")
    item["delete"]["parameters"][0]["name"] = "todoId"
    new["paths"]["/todos/{todoId}"] = item
    assert kinds(diff_specs(old, new)) == {"parameter-removed": False, "parameter-added": True}


@pytest.mark.parametrize(("required", "breaking"), [(True, True), (False, False)])
def test_parameter_added(
    old: dict[str, Any], new: dict[str, Any], required: bool, breaking: bool
) -> None:
    _get(new)["parameters"].append(
        {"name": "tag", "in": "query", "required": required, "schema": {"type": "string"}}
    )
    (change,) = diff_specs(old, new)
    assert (change.kind, change.breaking, change.operation) == (
        "parameter-added",
        breaking,
        "listTodos",
    )
    assert change.where == "GET /todos query parameter tag"


def test_parameter_made_required_and_optional(old: dict[str, Any], new: dict[str, Any]) -> None:
    _get(new)["parameters"][0]["required"] = True
    assert kinds(diff_specs(old, new)) == {"parameter-made-required": True}
    assert kinds(diff_specs(new, old)) == {"parameter-made-optional": False}


def test_parameter_type_changed_or_narrowed(old: dict[str, Any], new: dict[str, Any]) -> None:
    _get(new)["parameters"][0]["schema"] = {"type": "string"}
    assert kinds(diff_specs(old, new)) == {"type-changed": True}
    _get(old)["parameters"][0]["schema"] = {"type": "number"}
    _get(new)["parameters"][0]["schema"] = {"type": "integer"}
    assert kinds(diff_specs(old, new)) == {"type-changed": True}  # narrowed
    assert kinds(diff_specs(new, old)) == {"type-changed": False}  # widened


def test_request_constraints(old: dict[str, Any], new: dict[str, Any]) -> None:
    _get(new)["parameters"][0]["schema"]["minimum"] = 5
    _get(new)["parameters"][0]["schema"]["maximum"] = 100
    changes = diff_specs(old, new)
    assert {c.kind for c in changes} == {"constraint-tightened"} and all(
        c.breaking for c in changes
    )
    assert all(not c.breaking for c in diff_specs(new, old))


def test_enum_values(old: dict[str, Any], new: dict[str, Any]) -> None:
    _get(old)["parameters"].append(
        {"name": "state", "in": "query", "schema": {"type": "string", "enum": ["open", "done"]}}
    )
    _get(new)["parameters"].append(
        {"name": "state", "in": "query", "schema": {"type": "string", "enum": ["open", "archived"]}}
    )
    assert kinds(diff_specs(old, new)) == {"enum-value-removed": True, "enum-value-added": False}


def test_request_body_made_required(old: dict[str, Any], new: dict[str, Any]) -> None:
    old["paths"]["/todos"]["post"]["requestBody"]["required"] = False
    assert kinds(diff_specs(old, new)) == {"request-body-made-required": True}


def test_request_property_made_required_through_a_ref(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    new["components"]["schemas"]["Todo"]["required"] = ["text", "done"]
    changes = diff_specs(old, new)
    request = [c for c in changes if "request body" in c.where]
    assert [(c.kind, c.breaking, c.where) for c in request] == [
        ("property-made-required", True, "POST /todos request body.done")
    ]


def test_response_field_removed_through_refs(old: dict[str, Any], new: dict[str, Any]) -> None:
    del new["components"]["schemas"]["Todo"]["properties"]["done"]
    changes = diff_specs(old, new)
    response = {(c.operation, c.where): c for c in changes if "response" in c.where}
    assert response[("listTodos", "GET /todos response 200.todos[].done")].breaking
    assert response[("addTodo", "POST /todos response 201.done")].kind == "property-removed"
    request = [c for c in changes if "request body" in c.where]
    assert [(c.kind, c.breaking) for c in request] == [("property-removed", False)]


def test_response_field_added_is_not_breaking(old: dict[str, Any], new: dict[str, Any]) -> None:
    new["components"]["schemas"]["TodoList"]["properties"]["total"] = {"type": "integer"}
    (change,) = diff_specs(old, new)
    assert (change.kind, change.breaking) == ("property-added", False)


def test_response_status_removed_and_added(old: dict[str, Any], new: dict[str, Any]) -> None:
    responses = new["paths"]["/todos/{id}"]["delete"]["responses"]
    responses["404"] = responses.pop("204")
    assert kinds(diff_specs(old, new)) == {
        "response-status-removed": True,
        "response-status-added": False,
    }


def test_response_type_changed(old: dict[str, Any], new: dict[str, Any]) -> None:
    new["components"]["schemas"]["Todo"]["properties"]["id"]["type"] = "integer"
    changes = diff_specs(old, new)
    assert {c.kind for c in changes} == {"type-changed"} and all(c.breaking for c in changes)


def test_descriptions_are_not_breaking(old: dict[str, Any], new: dict[str, Any]) -> None:
    _get(new)["summary"] = "List them all."
    _get(new)["parameters"][0]["description"] = "Up to this many."
    assert kinds(diff_specs(old, new)) == {"summary-changed": False, "description-changed": False}


def test_security_added_is_breaking(old: dict[str, Any], new: dict[str, Any]) -> None:
    del old["security"]
    assert {c.kind for c in diff_specs(old, new)} == {"security-added"}
    assert all(not c.breaking for c in diff_specs(new, old))


def test_all_of_is_merged_and_cycles_end(old: dict[str, Any], new: dict[str, Any]) -> None:
    for spec in (old, new):
        schemas = spec["components"]["schemas"]
        schemas["Node"] = {
            "type": "object",
            "properties": {"child": {"$ref": "#/components/schemas/Node"}},
        }
        schemas["Todo"] = {"allOf": [{"$ref": "#/components/schemas/Node"}, dict(schemas["Todo"])]}
    del new["components"]["schemas"]["Node"]["properties"]["child"]
    changes = diff_specs(old, new)
    assert changes and all(c.kind == "property-removed" for c in changes)


def test_corpus_pair(corpus_dir: Path) -> None:
    """The same plugin scraped twice (v2 and v3 of Clinical Trial Radar): runs, finds changes."""
    old = yaml.safe_load(
        (corpus_dir / "store-clinical-trial-radar-v2" / "openapi.yaml").read_text()
    )
    new = yaml.safe_load(
        (corpus_dir / "store-clinical-trial-radar-v3" / "openapi.yaml").read_text()
    )
    changes = diff_specs(old, new)
    assert any(c.kind == "operation-added" for c in changes)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(["string", "integer", "#/a"]),
    lambda c: (
        st.lists(c, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "enum",
                    "required",
                    "properties",
                    "items",
                    "allOf",
                    "$ref",
                    "schema",
                    "parameters",
                    "name",
                    "in",
                    "responses",
                    "200",
                    "content",
                    "application/json",
                    "requestBody",
                    "get",
                    "/a",
                    "paths",
                    "minimum",
                    "servers",
                    "security",
                ]
            ),
            c,
            max_size=4,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=examples(120, quick=40))
@given(_json, _json)
def test_diff_never_raises_on_odd_specs(old: Any, new: Any) -> None:
    base = good_spec()
    for spec in (old, new):
        if isinstance(spec, dict):
            base_copy = copy.deepcopy(base)
            base_copy["paths"]["/todos"]["get"].update(spec)
            diff_specs(base_copy, {"paths": {"/todos": {"get": spec}}, **spec})
    diff_specs({"paths": old}, {"paths": new})
