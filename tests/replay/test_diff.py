"""The comparison of a replayed answer with the original's."""

from __future__ import annotations

import json

from pluginlab_tui.replay.diff import diff_responses, json_diff
from tests.replay.recorded import recorded_event


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
