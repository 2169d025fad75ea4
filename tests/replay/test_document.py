"""The editable form of a request: round trip, errors naming the line, the editor."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pluginlab_tui.replay.document import (
    EditError,
    edit_in_editor,
    parse_document,
    read_document,
    to_document,
)
from pluginlab_tui.replay.request import ReplayRequest
from tests.replay.recorded import recorded_event


def test_the_document_round_trips_and_edits_are_read_back() -> None:
    request = ReplayRequest.from_event(recorded_event())
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


def test_a_full_url_on_the_request_line_keeps_its_path_and_query() -> None:
    request = parse_document("get http://example.test/a/b?c=1 HTTP/1.1\n")
    assert (request.method, request.path, request.query) == ("GET", "/a/b", "c=1")


def test_a_bad_document_names_the_line() -> None:
    with pytest.raises(EditError, match="line 1"):
        parse_document("FETCH\n")
    with pytest.raises(EditError, match="line 2"):
        parse_document("GET /x\nnot a header\n")
    with pytest.raises(EditError, match="empty"):
        parse_document("# only comments\n\n")


def test_a_binary_body_cannot_be_edited() -> None:
    with pytest.raises(EditError, match="binary"):
        to_document(ReplayRequest("POST", "/x", body=b"\xff\xfe"))


def test_edit_in_editor_runs_the_editor_and_reads_the_file(tmp_path: Path) -> None:
    script = tmp_path / "editor.sh"
    script.write_text('#!/bin/sh\nsed -i "s/milk/oat milk/" "$1"\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    request = ReplayRequest.from_event(recorded_event())
    edited = edit_in_editor(request, editor=str(script))
    assert edited is not None and edited.body == b'{"title": "oat milk"}'
    empty = tmp_path / "empty.sh"
    empty.write_text('#!/bin/sh\n: > "$1"\n', encoding="utf-8")
    empty.chmod(0o755)
    assert edit_in_editor(request, editor=str(empty)) is None


def test_an_emptied_document_is_no_request_and_a_kept_one_is_read() -> None:
    assert read_document("") is None
    assert read_document("# only comments\n# left\n") is None
    request = read_document("# a comment\nPOST /todos/alice\nX-A: 1\n\n{}\n")
    assert request is not None and (request.method, request.path, request.body) == (
        "POST",
        "/todos/alice",
        b"{}",
    )
