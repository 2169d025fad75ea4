"""Schema versions: a store of the previous version is migrated on open, its events kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import Event
from pluginlab_tui.store.schema import MIGRATIONS, SCHEMA_VERSION, current_version, migrate


def test_a_version_1_store_is_migrated_with_its_events(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](conn)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute(
        "INSERT INTO events (event_id, ts, method, url, path)"
        " VALUES ('e1', '2026-01-01T00:00:00.000Z', 'GET', 'http://x/todos', '/todos')"
    )
    conn.close()
    upgraded = open_store(path, create=True)
    assert current_version(upgraded) == SCHEMA_VERSION
    row = upgraded.execute("SELECT event_id, marked, client_ip FROM events").fetchone()
    assert tuple(row) == ("e1", 0, None)


def test_a_newer_store_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "new.db", isolation_level=None)
    migrate(conn)
    conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(RuntimeError, match="newer"):
        migrate(conn)


def test_a_version_3_store_gets_the_raw_column_and_keeps_its_events(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for version in range(3):
        MIGRATIONS[version](conn)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    conn.execute(
        "INSERT INTO events (event_id, ts, method, url, path)"
        " VALUES ('e1', '2026-01-01T00:00:00.000Z', 'GET', 'http://x/todos', '/todos')"
    )
    conn.close()
    upgraded = open_store(path, create=True)
    assert current_version(upgraded) == SCHEMA_VERSION == 4
    row = upgraded.execute("SELECT * FROM events").fetchone()
    assert row["event_id"] == "e1" and row["raw"] is None
    assert Event.from_row(dict(row)).raw == {}
