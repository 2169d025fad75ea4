"""One row mapping: what a record writes is what it reads back, from a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pluginlab_tui.store import versions
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import Event
from pluginlab_tui.store.writer import insert_events
from pluginlab_tui.validation.violations import Violation


def test_an_event_reads_back_as_it_was_written(tmp_path: Path) -> None:
    conn = open_store(tmp_path / "events.db", create=True)
    event = Event(
        event_id="e1",
        ts="2026-01-01T00:00:00.000Z",
        method="POST",
        url="http://x/todos?a=1",
        path="/todos",
        query="a=1",
        status=201,
        duration_ms=3.5,
        request_headers=[("Accept", "*/*"), ("Accept", "text/plain")],
        request_body="aGk=",
        request_binary=True,
        response_truncated=True,
        violations=[Violation("invalid_body", "request", "body/title", "not a string")],
        raw={"path": "L3RvZG9z"},
    )
    insert_events(conn, [event])
    row = conn.execute("SELECT * FROM events").fetchone()
    assert row["violation_count"] == 1 and row["request_binary"] == 1
    back = Event.from_row(row)
    assert back.id == 1 and back.marked is False and back.comment is None
    back.id = None
    assert back == event


def test_the_columns_written_are_the_fields_without_the_stores_own() -> None:
    columns = Event.columns()
    assert {"id", "marked", "comment"}.isdisjoint(columns)
    assert columns[:2] == ("event_id", "ts") and columns[-1] == "violation_count"
    row = Event(event_id="e", ts="t", method="GET", url="u", path="/", status=200).row()
    assert len(row) == len(columns) and len(set(columns)) == len(columns)
    assert row[columns.index("status")] == 200 and row[columns.index("request_headers")] == "[]"


def test_a_row_of_an_old_store_without_newer_columns_takes_the_defaults() -> None:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    row = conn.execute(
        "SELECT 'e1' AS event_id, 't' AS ts, 'GET' AS method, 'u' AS url, '/' AS path,"
        " '[]' AS request_headers, NULL AS raw, NULL AS marked"
    ).fetchone()
    event = Event.from_row(row)
    assert (event.raw, event.marked, event.client_ip, event.request_headers) == (
        {},
        False,
        None,
        [],
    )


def test_a_version_reads_back_as_registered(tmp_path: Path) -> None:
    conn = open_store(tmp_path / "events.db", create=True)
    number = versions.register(
        conn,
        manifest_hash=None,
        spec_hash="abc",
        manifest_text=None,
        spec_text="openapi: 3.1.0",
        lint_summary={"error": 0, "warning": 2},
        lint_findings=[{"rule": "servers", "severity": "warning"}],
    )
    record = versions.get(conn, number)
    assert record is not None and record.number == number == 1
    assert record.lint_summary == {"error": 0, "warning": 2}
    assert record.lint_findings == [{"rule": "servers", "severity": "warning"}]
    assert record.manifest_hash is None and record.spec_text == "openapi: 3.1.0"
