"""Retention: the oldest events go, with their codes and body index entries."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pluginlab_tui.store.retention import drop_older_than, keep_newest
from pluginlab_tui.store.schema import migrate
from pluginlab_tui.store.writer import insert_events
from pluginlab_tui.validation.violations import Violation
from tests.store.test_writer import event


def store(tmp_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(tmp_path / "e.db", isolation_level=None)
    migrate(conn)
    bad = [Violation("invalid_body", "request", "body", "bad")]
    insert_events(
        conn,
        [
            event(
                path=f"/p/{day}",
                ts=f"2026-11-{day:02d}T00:00:00.000Z",
                violations=bad,
                request_body=f"word{day}",
            )
            for day in range(1, 11)
        ],
    )
    return conn


def test_keep_newest(tmp_path: Path) -> None:
    conn = store(tmp_path)
    assert keep_newest(conn, 3) == 7
    kept = [r[0] for r in conn.execute("SELECT path FROM events ORDER BY id")]
    assert kept == ["/p/8", "/p/9", "/p/10"]
    assert conn.execute("SELECT count(*) FROM event_codes").fetchone() == (3,)
    assert (
        conn.execute("SELECT rowid FROM events_fts WHERE events_fts MATCH 'word2'").fetchall() == []
    )
    assert keep_newest(conn, 5) == 0


def test_drop_older_than(tmp_path: Path) -> None:
    conn = store(tmp_path)
    assert drop_older_than(conn, "2026-11-06T00:00:00.000Z") == 5
    assert conn.execute("SELECT min(path), count(*) FROM events").fetchone() == ("/p/10", 5)
    hits = conn.execute("SELECT rowid FROM events_fts WHERE events_fts MATCH 'word7'").fetchall()
    assert len(hits) == 1
