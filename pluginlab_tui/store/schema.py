"""The store's tables, their indexes, and the migrations between schema versions."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

#: The schema version this code writes. Older stores are migrated on open by `serve`.
SCHEMA_VERSION = 4

#: Columns of the events table, in order. JSON columns hold text.
EVENT_COLUMNS = (
    "event_id",  # UUID text, unique
    "ts",  # ISO-8601 UTC with milliseconds and a Z: lexical order is time order
    "source",  # live | replay | import | simulate
    "replay_of",
    "method",
    "url",
    "path",
    "query",
    "operation_id",
    "status",
    "duration_ms",
    "request_headers",  # JSON [[name, value], ...]
    "response_headers",
    "request_body",  # text, or base64 when *_binary is 1
    "request_binary",
    "response_body",
    "response_binary",
    "request_size",
    "response_size",
    "request_truncated",
    "response_truncated",
    "auth_mode",
    "auth_result",
    "user_id",
    "plan",
    "version",
    "violations",  # JSON list of Violation dicts
    "violation_count",
    "error",
    "client_ip",
    "conversation_id",
    "raw",  # JSON {field key: base64 of its original bytes} for fields that did not decode, or NULL
)

_V1 = """
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

_V2 = """
ALTER TABLE events ADD COLUMN client_ip TEXT;
ALTER TABLE events ADD COLUMN conversation_id TEXT;
ALTER TABLE events ADD COLUMN marked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN comment TEXT;
CREATE INDEX IF NOT EXISTS events_marked ON events (marked) WHERE marked = 1;
CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5 (
    request_body, response_body, content='events', content_rowid='id'
);
"""

_V3 = """
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

_V4 = """
ALTER TABLE events ADD COLUMN raw TEXT
"""

Migration = Callable[[sqlite3.Connection], None]


def _script(sql: str) -> Migration:
    def run(conn: sqlite3.Connection) -> None:
        for statement in sql.split(";\n"):
            if statement.strip():
                conn.execute(statement)

    return run


#: MIGRATIONS[n] takes a store from version n to n + 1.
MIGRATIONS: dict[int, Migration] = {
    0: _script(_V1),
    1: _script(_V2),
    2: _script(_V3),
    3: _script(_V4),
}


def current_version(conn: sqlite3.Connection) -> int:
    has_meta = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    if not has_meta:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the store to SCHEMA_VERSION; returns the version it had."""
    found = current_version(conn)
    if found > SCHEMA_VERSION:
        raise RuntimeError(
            f"the store has schema version {found}, newer than this pluginlab-tui's"
            f" ({SCHEMA_VERSION})"
        )
    for version in range(found, SCHEMA_VERSION):
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            MIGRATIONS[version](conn)
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(version + 1),),
            )
    return found
