"""Operations and $refs walked without trusting the document."""

from __future__ import annotations

from pluginlab_tui.plugin.operations import operations, refs, resolve, resolve_ref, walk
from tests.plugin.conftest import good_spec


def test_operations_in_document_order() -> None:
    ops = operations(good_spec())
    assert [(o.method, o.path, o.label) for o in ops] == [
        ("get", "/todos", "listTodos"),
        ("post", "/todos", "addTodo"),
        ("delete", "/todos/{id}", "deleteTodo"),
    ]
    assert ops[2].pointer == "/paths/~1todos~1{id}/delete"


def test_odd_shapes_are_skipped() -> None:
    assert operations({"paths": [1]}) == []
    assert operations({"paths": {"/a": {"get": "x", "post": {}}}})[0].label == "POST /a"
    assert operations("text") == []


def test_refs_resolve_and_do_not_loop() -> None:
    spec = {"a": {"$ref": "#/b"}, "b": {"$ref": "#/a"}, "c": {"x~y": {"/": 1}}}
    assert resolve_ref(spec, "#/c/x~0y/~1") == (True, 1)
    assert resolve_ref(spec, "#/c/x%7Ey")[0] is True  # percent-decoded first
    assert resolve_ref(spec, "#/c/nope") == (False, None)
    assert resolve_ref(spec, "other.yaml#/a") == (False, None)
    assert isinstance(resolve(spec, spec["a"]), dict)
    assert sorted(r for _, r in refs(spec)) == ["#/a", "#/b"]


def test_walk_visits_shared_containers_once() -> None:
    shared: list[int] = [1]
    data = {"a": shared, "b": shared, "c": [shared]}
    assert sum(1 for _, node in walk(data) if node is shared) == 1
    loop: list[object] = []
    loop.append(loop)
    assert len(list(walk(loop))) == 1
