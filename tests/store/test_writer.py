"""The writer thread: batches, codes and body index, and nothing lost at close."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from pathlib import Path

from pluginlab_tui.store.event import Event, iso_now
from pluginlab_tui.store.writer import EventWriter, insert_events
from pluginlab_tui.validation.violations import Violation


def event(path: str = "/todos/a", **fields: object) -> Event:
    base: dict[str, object] = {"event_id": str(uuid.uuid4()), "ts": iso_now(), "method": "GET"}
    return Event(**{**base, "url": "http://x" + path, "path": path, **fields})  # type: ignore[arg-type]


class Later:
    """A pending event, finalized in the writer thread."""

    def __init__(self, made: Event) -> None:
        self.made = made
        self.thread: str | None = None

    def finalize(self) -> Event:
        self.thread = threading.current_thread().name
        return self.made


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_every_submitted_event_is_written_by_close(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = EventWriter(db, flush_ms=1000)
    writer.start()
    pending = Later(event(status=200))
    for _ in range(2500):
        writer.submit(event(status=200))
    writer.submit(pending)
    writer.close()
    assert rows(db, "SELECT count(*) FROM events") == [(2501,)]
    assert pending.thread == "pluginlab-writer"


def test_codes_and_bodies_are_indexed(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = EventWriter(db)
    writer.start()
    broken = Violation("invalid_body", "request", "body/title", "title must be a string")
    writer.submit(event(request_body='{"title": "buy oat milk"}', violations=[broken, broken]))
    writer.submit(event(response_body="binary", response_binary=True))
    writer.close()
    assert rows(db, "SELECT code FROM event_codes") == [("invalid_body",)]
    assert rows(db, "SELECT violation_count FROM events ORDER BY id") == [(2,), (0,)]
    found = rows(db, "SELECT rowid FROM events_fts WHERE events_fts MATCH '\"oat milk\"'")
    assert found == [(1,)]
    assert rows(db, "SELECT rowid FROM events_fts WHERE events_fts MATCH 'binary'") == []


def test_the_same_event_twice_is_kept_once(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "e.db", isolation_level=None)
    from pluginlab_tui.store.schema import migrate

    migrate(conn)
    once = event()
    assert insert_events(conn, [once, once]) == 1


def test_max_events_keeps_the_newest(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = EventWriter(db, flush_ms=10, max_events=10)
    writer.start()
    for i in range(25):
        writer.submit(event(path=f"/todos/{i}"))
    writer.close()
    paths = [r[0] for r in rows(db, "SELECT path FROM events ORDER BY id")]
    assert paths == [f"/todos/{i}" for i in range(15, 25)]
