"""Operations and $refs walked without trusting the document."""

from __future__ import annotations

from pluginlab_tui.contract.document import (
    Resolved,
    deref,
    follow,
    lookup,
    operations,
    parent_pointer,
    pointer,
    refs,
    resolve,
    split_pointer,
    walk,
)
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
    assert lookup(spec, "#/c/x~0y/~1") == (True, 1)
    assert lookup(spec, "#/c/x%7Ey")[0] is True  # percent-decoded first
    assert lookup(spec, "#/c/nope") == (False, None)
    assert lookup(spec, "other.yaml#/a") == (False, None)
    assert isinstance(resolve(spec, spec["a"]), dict)
    assert sorted(r for _, r in refs(spec)) == ["#/a", "#/b"]


def test_walk_visits_shared_containers_once() -> None:
    shared: list[int] = [1]
    data = {"a": shared, "b": shared, "c": [shared]}
    assert sum(1 for _, node in walk(data) if node is shared) == 1
    loop: list[object] = []
    loop.append(loop)
    assert len(list(walk(loop))) == 1


def test_pointer_round_trip() -> None:
    assert pointer("paths", "/a/{id}", "get") == "/paths/~1a~1{id}/get"
    assert pointer("x~y", 0) == "/x~0y/0"
    assert split_pointer("/paths/~1a~1{id}/get") == ["paths", "/a/{id}", "get"]
    assert split_pointer("") == []
    assert parent_pointer("/a/b") == "/a" and parent_pointer("/a") == ""


def test_follow_says_when_a_chain_is_broken() -> None:
    chain = {f"n{i}": {"$ref": f"#/n{i + 1}"} for i in range(40)}
    spec = {
        "a": {"$ref": "#/b"},
        "b": {"$ref": "#/c"},
        "c": {"type": "string"},
        "loop": {"$ref": "#/loop"},
        "gone": {"$ref": "#/nowhere"},
        "relative": {"$ref": "#c"},
        **chain,
        "n40": {"type": "integer"},
    }
    assert follow(spec, spec["a"]) == Resolved({"type": "string"}, True)
    assert follow(spec, spec["loop"]) == Resolved({"$ref": "#/loop"}, False)
    assert follow(spec, spec["gone"]) == Resolved({"$ref": "#/nowhere"}, False)
    assert follow(spec, spec["relative"]).ok is False  # a pointer starts with "/"
    assert follow(spec, spec["n0"]).ok is False  # longer than MAX_HOPS
    assert follow(spec, spec["n20"]) == Resolved({"type": "integer"}, True)
    assert resolve(spec, spec["gone"]) == {"$ref": "#/nowhere"}
    assert deref(spec, spec["gone"]) is None and deref(spec, spec["a"]) == {"type": "string"}
    assert follow(spec, None) == Resolved(None, True)
