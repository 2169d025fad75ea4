"""Spec drafting from synthetic exchanges: templating, types, formats, enums, required."""

from __future__ import annotations

import json
from typing import Any

from pluginlab_tui.plugin.draft import draft_spec, id_kind, infer_schema, operation_id_for
from pluginlab_tui.store.event import Event

JSON = [("content-type", "application/json")]


def event(method: str, path: str, status: int, body: Any = None, query: str = "") -> Event:
    text = None if body is None else json.dumps(body)
    return Event(
        event_id="x",
        ts="t",
        method=method,
        url="",
        path=path,
        query=query,
        status=status,
        response_headers=JSON if text else [],
        response_body=text,
        response_size=len(text or ""),
    )


def test_ids_and_names_become_templated_parameters() -> None:
    events = [
        event("GET", f"/users/{u}/orders/{n}", 200, {"id": n, "user": u})
        for u in ("ann", "ben")
        for n in (1, 2)
    ] + [event("GET", "/health", 200, {"ok": True})]
    spec = draft_spec(events)
    assert set(spec["paths"]) == {"/health", "/users/{user_name}/orders/{order_id}"}
    op = spec["paths"]["/users/{user_name}/orders/{order_id}"]["get"]
    assert op["operationId"] == "getUserOrder"
    assert [p["schema"]["type"] for p in op["parameters"]] == ["string", "integer"]


def test_static_siblings_with_different_shapes_stay_literal() -> None:
    events = [
        event("GET", "/api/users", 200, {"users": []}),
        event("GET", "/api/orders", 200, {"orders": []}),
    ]
    assert set(draft_spec(events)["paths"]) == {"/api/users", "/api/orders"}


def test_schemas_merge_types_required_nullable_formats_and_enums() -> None:
    samples = [
        {
            "id": "0b7f6b9e-8c4a-4c39-9a49-0e6c0f3b8e11",
            "due": None,
            "kind": "a",
            "at": "2026-01-02",
        },
        {"id": "1c7f6b9e-8c4a-4c39-9a49-0e6c0f3b8e11", "due": "2026-01-03", "kind": "b"},
        {"id": "2c7f6b9e-8c4a-4c39-9a49-0e6c0f3b8e11", "due": "2026-01-04", "kind": "a"},
        {"id": "3c7f6b9e-8c4a-4c39-9a49-0e6c0f3b8e11", "due": None, "kind": "b", "n": 1.5},
    ]
    schema = infer_schema(samples)
    props = schema["properties"]
    assert props["id"] == {"type": "string", "format": "uuid"}
    assert props["due"] == {"type": ["string", "null"], "format": "date"}
    assert props["kind"] == {"type": "string", "enum": ["a", "b"]}
    assert schema["required"] == ["id", "due", "kind"]


def test_query_parameters_get_types_and_required_when_always_sent() -> None:
    events = [event("GET", "/items", 200, [], query=f"page={n}&q=x{n}") for n in range(3)]
    events.append(event("GET", "/items", 200, [], query="page=4&q=y&flag=true"))
    params = {p["name"]: p for p in draft_spec(events)["paths"]["/items"]["get"]["parameters"]}
    assert params["page"] == {
        "name": "page",
        "in": "query",
        "required": True,
        "schema": {"type": "integer"},
    }
    assert params["flag"]["schema"] == {"type": "boolean"} and "required" not in params["flag"]


def test_naming() -> None:
    assert operation_id_for("get", "/todos/{user}", listing=True) == "listTodos"
    assert operation_id_for("delete", "/todos/{user}/{id}") == "deleteTodo"
    assert id_kind("42") == "integer" and id_kind("alice") is None
