"""Replay's pieces without a network: the editable document, the comparison, the headers."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from pluginlab_tui.replay import (
    Credentials,
    EditError,
    ReplayRequest,
    diff_responses,
    edit_in_editor,
    json_diff,
    outgoing_headers,
    parse_document,
    to_document,
)
from pluginlab_tui.store.event import Event


def _event(**values: object) -> Event:
    base: dict[str, object] = {
        "event_id": "e1",
        "ts": "2026-11-25T09:00:00.000Z",
        "method": "POST",
        "url": "http://127.0.0.1:8787/todos/alice?x=1",
        "path": "/todos/alice",
        "query": "x=1",
        "status": 201,
        "request_headers": [
            ("Host", "127.0.0.1:8787"),
            ("Content-Type", "application/json"),
            ("Authorization", "[redacted]"),
            ("Content-Length", "17"),
        ],
        "request_body": '{"title": "milk"}',
        "response_headers": [
            ("Content-Type", "application/json"),
            ("Date", "Wed, 25 Nov 2026 09:00:00 GMT"),
            ("X-PluginLab-Event-Id", "e1"),
        ],
        "response_body": '{"id": 1, "title": "milk", "tags": ["a"]}',
    }
    base.update(values)
    return Event(**base)  # type: ignore[arg-type]


def test_the_request_of_an_event_leaves_out_connection_headers() -> None:
    request = ReplayRequest.from_event(_event())
    assert request.target == "/todos/alice?x=1"
    assert [k for k, _ in request.headers] == ["Content-Type", "Authorization"]
    assert request.body == b'{"title": "milk"}'


def test_redacted_credentials_are_dropped_or_replaced() -> None:
    request = ReplayRequest.from_event(_event())
    assert ("Authorization", "[redacted]") not in outgoing_headers(request)
    with_token = outgoing_headers(request, Credentials("t0k", scheme="Basic"))
    assert ("Authorization", "Basic t0k") in with_token
    custom = outgoing_headers(request, Credentials("k", header="X-Api-Key", scheme=None))
    assert ("X-Api-Key", "k") in custom


def test_the_document_round_trips_and_edits_are_read_back() -> None:
    request = ReplayRequest.from_event(_event())
    text = to_document(request)
    assert text.startswith("#") and "POST /todos/alice?x=1\n" in text
    assert parse_document(text) == request
    edited = text.replace("POST /todos/alice?x=1", "PUT /todos/bob").replace("milk", "bread")
    edited = edited.replace(
        "Content-Type: application/json", "Content-Type: application/json\nX-New: 1"
    )
    again = parse_document(edited + "\n")
    assert (again.method, again.path, again.query) == ("PUT", "/todos/bob", "")
    assert ("X-New", "1") in again.headers
    assert again.body == b'{"title": "bread"}'


def test_a_bad_document_names_the_line() -> None:
    with pytest.raises(EditError, match="line 1"):
        parse_document("FETCH\n")
    with pytest.raises(EditError, match="line 2"):
        parse_document("GET /x\nnot a header\n")
    with pytest.raises(EditError, match="empty"):
        parse_document("# only comments\n\n")


def test_edit_in_editor_runs_the_editor_and_reads_the_file(tmp_path: Path) -> None:
    script = tmp_path / "editor.sh"
    script.write_text('#!/bin/sh\nsed -i "s/milk/oat milk/" "$1"\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    request = ReplayRequest.from_event(_event())
    edited = edit_in_editor(request, editor=str(script))
    assert edited is not None and edited.body == b'{"title": "oat milk"}'
    empty = tmp_path / "empty.sh"
    empty.write_text('#!/bin/sh\n: > "$1"\n', encoding="utf-8")
    empty.chmod(0o755)
    assert edit_in_editor(request, editor=str(empty)) is None


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
    original = _event()
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
    cut = diff_responses(_event(response_truncated=True), 201, [], b"{}", ignore_headers=["x"])
    assert cut.notes and not cut.body
