"""The comparison of a replayed answer with the original's."""

from __future__ import annotations

import json

from pluginlab_tui.replay.diff import diff_answers, diff_responses, json_diff
from tests.replay.recorded import recorded_call, recorded_event


def test_json_diff_is_structural_and_ignores_paths() -> None:
    old = {"id": 1, "todos": [{"id": 1, "at": "x"}], "gone": True}
    new = {"id": "1", "todos": [{"id": 2, "at": "y"}, {"id": 3}], "new": None}
    changes = {(c.where, c.kind) for c in json_diff(old, new)}
    assert changes == {
        ("$.id", "type"),
        ("$.todos[0].id", "changed"),
        ("$.todos[0].at", "changed"),
        ("$.todos[1]", "added"),
        ("$.gone", "removed"),
        ("$.new", "added"),
    }
    ignored = json_diff(old, new, ["$.todos[*].at", "todos.*.id", "$.todos[1]", "/gone", "new"])
    assert [(c.where, c.kind) for c in ignored] == [("$.id", "type")]
    assert json_diff({"n": 1}, {"n": 1.0}) == []


def test_the_response_diff_leaves_out_volatile_headers() -> None:
    original = recorded_event()
    same = diff_responses(
        original,
        201,
        [("content-type", "application/json"), ("date", "later"), ("x-pluginlab-event-id", "e2")],
        json.dumps({"id": 1, "title": "milk", "tags": ["a"]}).encode(),
    )
    assert not same.changed and same.lines() == []
    other = diff_responses(original, 200, [("x-extra", "1")], b"plain text")
    assert other.status is not None and other.status.line() == "~ status: 201 -> 200"
    assert {c.where for c in other.headers} == {"header.content-type", "header.x-extra"}
    assert other.body[0].where == "$"
    cut = diff_responses(
        recorded_event(response_truncated=True), 201, [], b"{}", ignore_headers=["x"]
    )
    assert cut.notes and not cut.body


def test_an_mcp_answer_is_compared_by_its_result_or_error() -> None:
    original = recorded_call()
    old = {"result": {"structuredContent": {"count": 2}, "isError": False}}
    same = diff_answers(original, old, 200, json.loads(json.dumps(old)))
    assert not same.changed
    typed = diff_answers(original, old, 200, {"result": {"structuredContent": {"count": "2"}}})
    assert [(c.where, c.kind) for c in typed.changes] == [
        ("$.result.structuredContent.count", "type"),
        ("$.result.isError", "removed"),
    ]
    failed = diff_answers(original, old, 200, {"error": {"code": -32099, "message": "boom"}})
    assert {(c.where, c.kind) for c in failed.changes} == {
        ("$.result", "removed"),
        ("$.error", "added"),
    }
    ignoring = diff_answers(original, old, 200, {"result": {}}, ignore_paths=["$.result"])
    assert not ignoring.changed
    gone = diff_answers(original, old, 404, None)
    assert gone.status is not None and gone.status.line() == "~ status: 200 -> 404"
    cut = diff_answers(recorded_call(response_truncated=True), old, 200, {"result": {}})
    assert not cut.changed and cut.notes
