"""Schema versions: a store of the previous version is migrated on open, its events kept."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from pluginlab_tui.store import queries, versions
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import Event
from pluginlab_tui.store.filter import compile_filter
from pluginlab_tui.store.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    current_version,
    database,
    migrate,
)
from pluginlab_tui.store.writer import insert_events


def _store_at(path: Path, version: int) -> sqlite3.Connection:
    """A store made by this code's migrations up to `version`, and marked so (left open)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for step in range(version):
        MIGRATIONS[step](database(conn))
    conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(version),))
    return conn


def test_a_version_1_store_is_migrated_with_its_events(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = _store_at(path, 1)
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
    conn = _store_at(path, 3)
    conn.execute(
        "INSERT INTO events (event_id, ts, method, url, path)"
        " VALUES ('e1', '2026-01-01T00:00:00.000Z', 'GET', 'http://x/todos', '/todos')"
    )
    conn.close()
    upgraded = open_store(path, create=True)
    assert current_version(upgraded) == SCHEMA_VERSION
    row = upgraded.execute("SELECT * FROM events").fetchone()
    assert row["event_id"] == "e1" and row["raw"] is None
    assert Event.from_row(dict(row)).raw == {}


def test_a_version_4_store_gets_the_mcp_fields_and_keeps_its_plugin_versions(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v4.db"
    conn = _store_at(path, 4)
    conn.execute(
        "INSERT INTO events (event_id, ts, method, url, path)"
        " VALUES ('e1', '2026-01-01T00:00:00.000Z', 'POST', 'http://x/mcp', '/mcp')"
    )
    conn.execute(
        "INSERT INTO versions (number, ts, spec_hash, spec_text) VALUES (1, 't', 'h', 'openapi')"
    )
    conn.close()
    upgraded = open_store(path, create=True)
    assert current_version(upgraded) == SCHEMA_VERSION
    event = Event.from_row(dict(upgraded.execute("SELECT * FROM events").fetchone()))
    assert (event.protocol, event.rpc_method, event.is_error, event.frames) == (
        "http",
        None,
        None,
        [],
    )
    (record,) = versions.all_versions(upgraded)
    assert (record.number, record.kind, record.spec_text) == (1, "plugin", "openapi")
    number, new = versions.register_catalogue(
        upgraded, catalogue_hash="c1", catalogue_text='{"tools/list": []}'
    )
    assert (number, new) == (2, True)
    assert versions.register_catalogue(upgraded, catalogue_hash="c1", catalogue_text="{}") == (
        2,
        False,
    )
    latest = versions.latest(upgraded, versions.CATALOGUE)
    assert latest is not None and latest.spec_text is None and latest.catalogue_hash == "c1"
    assert versions.latest(upgraded) == record


def test_a_version_5_store_gets_the_oauth_client_column_and_its_index(tmp_path: Path) -> None:
    path = tmp_path / "v5.db"
    conn = _store_at(path, 5)
    conn.execute(
        "INSERT INTO events (event_id, ts, method, url, path)"
        " VALUES ('e1', '2026-01-01T00:00:00.000Z', 'POST', 'http://x/mcp', '/mcp')"
    )
    conn.close()
    upgraded = open_store(path, create=True)
    assert current_version(upgraded) == SCHEMA_VERSION
    event = Event.from_row(dict(upgraded.execute("SELECT * FROM events").fetchone()))
    assert event.event_id == "e1" and event.oauth_client_id is None
    plan = upgraded.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM events WHERE oauth_client_id = 'c'"
    ).fetchall()
    assert "events_oauth_client" in " ".join(str(tuple(row)) for row in plan)


def test_a_version_6_store_gets_the_checks_skipped_column(tmp_path: Path) -> None:
    path = tmp_path / "v6.db"
    conn = _store_at(path, 6)
    conn.execute(
        "INSERT INTO events (event_id, ts, method, url, path, protocol)"
        " VALUES ('e1', '2026-01-01T00:00:00.000Z', 'POST', 'http://x/mcp', '/mcp', 'mcp')"
    )
    conn.close()
    upgraded = open_store(path, create=True)
    assert current_version(upgraded) == SCHEMA_VERSION
    event = Event.from_row(dict(upgraded.execute("SELECT * FROM events").fetchone()))
    assert event.skipped == [] and event.to_json()["skipped"] == []


def test_a_version_7_store_indexes_only_the_events_with_a_value_in_its_sparse_columns(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v7.db"
    conn = _store_at(path, 7)
    conn.execute(
        "INSERT INTO events (event_id, ts, method, url, path, operation_id)"
        " VALUES ('h1', '2026-01-01T00:00:00.000Z', 'GET', 'http://x/todos', '/todos', 'list')"
    )
    conn.execute(
        "INSERT INTO events (event_id, ts, method, url, path, protocol, rpc_method, tool,"
        " session_id, exchange_id) VALUES ('m1', '2026-01-01T00:00:01.000Z', 'POST',"
        " 'http://x/mcp', '/mcp', 'mcp', 'tools/call', 'list_cards', 's1', 'm1')"
    )
    conn.close()
    upgraded = open_store(path, create=True)
    assert current_version(upgraded) == SCHEMA_VERSION
    ddl = dict(upgraded.execute("SELECT name, sql FROM sqlite_master WHERE type='index'"))
    for index, column in (
        ("events_operation", "operation_id"),
        ("events_user", "user_id"),
        ("events_plan", "plan"),
        ("events_rpc", "rpc_method"),
        ("events_tool", "tool"),
        ("events_session", "session_id"),
        ("events_oauth_client", "oauth_client_id"),
    ):  # an event without a value is not in the index
        assert ddl[index].endswith(f"WHERE {column} IS NOT NULL"), ddl[index]
    assert "events_exchange" not in ddl  # no query reads by it
    found = compile_filter("tool:list_cards")
    plan = upgraded.execute(
        f"EXPLAIN QUERY PLAN SELECT count(*) FROM events e WHERE {found.sql}", found.params
    ).fetchall()
    assert "events_tool" in " ".join(str(tuple(row)) for row in plan)
    assert queries.count(upgraded, found) == 1
    assert queries.count(upgraded, compile_filter("op:list")) == 1
    assert queries.count(upgraded, compile_filter("rpc:tools/*")) == 1


# What the store's DDL was before it went through sqlite-utils: stores written then must open.
_OLD_V1 = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    ts TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'live',
    replay_of TEXT,
    method TEXT NOT NULL,
    url TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL DEFAULT '',
    operation_id TEXT,
    status INTEGER,
    duration_ms REAL,
    request_headers TEXT NOT NULL DEFAULT '[]',
    response_headers TEXT NOT NULL DEFAULT '[]',
    request_body TEXT,
    request_binary INTEGER NOT NULL DEFAULT 0,
    response_body TEXT,
    response_binary INTEGER NOT NULL DEFAULT 0,
    request_size INTEGER NOT NULL DEFAULT 0,
    response_size INTEGER NOT NULL DEFAULT 0,
    request_truncated INTEGER NOT NULL DEFAULT 0,
    response_truncated INTEGER NOT NULL DEFAULT 0,
    auth_mode TEXT,
    auth_result TEXT,
    user_id TEXT,
    plan TEXT,
    version INTEGER,
    violations TEXT NOT NULL DEFAULT '[]',
    violation_count INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX IF NOT EXISTS events_ts ON events (ts);
CREATE INDEX IF NOT EXISTS events_status ON events (status);
CREATE INDEX IF NOT EXISTS events_path ON events (path);
CREATE INDEX IF NOT EXISTS events_operation ON events (operation_id);
CREATE INDEX IF NOT EXISTS events_method ON events (method);
CREATE INDEX IF NOT EXISTS events_invalid ON events (violation_count);
CREATE INDEX IF NOT EXISTS events_user ON events (user_id);
CREATE INDEX IF NOT EXISTS events_plan ON events (plan);
CREATE INDEX IF NOT EXISTS events_source ON events (source);
CREATE TABLE IF NOT EXISTS event_codes (
    event INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    code TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS event_codes_code ON event_codes (code, event);
CREATE INDEX IF NOT EXISTS event_codes_event ON event_codes (event);
CREATE TABLE IF NOT EXISTS versions (
    number INTEGER PRIMARY KEY,
    ts TEXT NOT NULL,
    manifest_hash TEXT,
    spec_hash TEXT NOT NULL,
    manifest_text TEXT,
    spec_text TEXT NOT NULL,
    lint_summary TEXT NOT NULL DEFAULT '{}',
    lint_findings TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS notices (
    id INTEGER PRIMARY KEY,
    ts TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    plan TEXT,
    created TEXT NOT NULL,
    revoked TEXT
);
"""

_OLD_V2 = """
ALTER TABLE events ADD COLUMN client_ip TEXT;
ALTER TABLE events ADD COLUMN conversation_id TEXT;
ALTER TABLE events ADD COLUMN marked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN comment TEXT;
CREATE INDEX IF NOT EXISTS events_marked ON events (marked) WHERE marked = 1;
CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5 (
    request_body, response_body, content='events', content_rowid='id'
);
"""

_OLD_V3 = """
CREATE TABLE IF NOT EXISTS oauth_grants (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '',
    redirect_uri TEXT,
    code_challenge TEXT,
    code_challenge_method TEXT,
    family TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL,
    used REAL,
    revoked REAL
);
CREATE INDEX IF NOT EXISTS oauth_grants_family ON oauth_grants (family);
CREATE INDEX IF NOT EXISTS oauth_grants_expires ON oauth_grants (expires)
"""

_OLD_V4 = """
ALTER TABLE events ADD COLUMN raw TEXT
"""


def _old_store(path: Path, version: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for sql in (_OLD_V1, _OLD_V2, _OLD_V3, _OLD_V4)[:version]:
        for statement in sql.split(";\n"):
            if statement.strip():
                conn.execute(statement)
    conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(version),))
    conn.execute(
        "INSERT INTO events (event_id, ts, method, url, path, request_body)"
        " VALUES ('e1', '2026-01-01T00:00:00.000Z', 'GET', 'http://x/todos', '/todos', 'oat')"
    )
    if version >= 2:
        conn.execute(
            "INSERT INTO events_fts (rowid, request_body, response_body) VALUES (1, 'oat', '')"
        )
    conn.close()


def test_a_version_4_store_keeps_its_oauth_grants_and_gets_the_mcp_client_table(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v4.db"
    conn = _store_at(path, 4)
    conn.execute(
        "INSERT INTO oauth_grants (token_hash, kind, client_id, user_name, family, created,"
        " expires) VALUES ('h', 'access', 'c', 'alice', 'f', 1, 2)"
    )
    conn.close()
    upgraded = open_store(path, create=True)
    row = upgraded.execute("SELECT user_name, resource FROM oauth_grants").fetchone()
    assert tuple(row) == ("alice", None)
    upgraded.execute(
        "INSERT INTO oauth_clients (client_id, auth_method, redirect_uris, metadata, created)"
        " VALUES ('plid_1', 'none', '[]', '{}', 1)"
    )
    assert upgraded.execute("SELECT secret_hash FROM oauth_clients").fetchone()[0] is None


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_a_store_written_before_sqlite_utils_opens_and_takes_new_events(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / f"old-v{version}.db"
    _old_store(path, version)
    conn = open_store(path, create=True)
    assert current_version(conn) == SCHEMA_VERSION
    new = Event(
        event_id="e2",
        ts="2026-01-02T00:00:00.000Z",
        method="GET",
        url="http://x/",
        path="/",
        request_body="milk",
    )
    assert insert_events(conn, [new]) == 1
    found = conn.execute(
        "SELECT e.event_id FROM events e WHERE e.id IN"
        " (SELECT rowid FROM events_fts WHERE events_fts MATCH ?) ORDER BY e.id",
        ("oat OR milk",),
    ).fetchall()
    assert [r[0] for r in found] == ["e1", "e2"]
    assert insert_events(conn, [new]) == 0  # event_id is still unique


def test_events_of_a_version_1_store_get_their_text_bodies_indexed(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    conn = _store_at(path, 1)
    conn.execute(
        "INSERT INTO events (event_id, ts, method, url, path, request_body, response_body,"
        " response_binary) VALUES ('e1', '2026-01-01T00:00:00.000Z', 'GET', 'http://x/', '/',"
        " 'oat milk', 'b2F0', 1)"
    )
    conn.close()
    upgraded = open_store(path, create=True)
    hits = upgraded.execute("SELECT rowid FROM events_fts WHERE events_fts MATCH 'oat'").fetchall()
    assert [r[0] for r in hits] == [1]
    base64_hits = "SELECT rowid FROM events_fts WHERE events_fts MATCH 'b2F0'"
    assert upgraded.execute(base64_hits).fetchall() == []


def _open_when_all_are_ready(path: str, barrier: Any) -> None:
    barrier.wait(30)
    open_store(Path(path), create=True).close()


def test_two_processes_making_the_same_new_store_at_once_both_open_it(tmp_path: Path) -> None:
    """Two `serve` started together on one new store (the demo's two proxies): the second to
    take the lock finds the store migrated instead of migrating it again."""
    context = multiprocessing.get_context("spawn")
    for round_ in range(3):
        path = tmp_path / f"shared-{round_}.db"
        barrier = context.Barrier(2)
        openers = [
            context.Process(target=_open_when_all_are_ready, args=(str(path), barrier))
            for _ in range(2)
        ]
        for opener in openers:
            opener.start()
        for opener in openers:
            opener.join(60)
        assert [o.exitcode for o in openers] == [0, 0]
        conn = open_store(path)
        assert current_version(conn) == SCHEMA_VERSION
        conn.close()
