"""The store's tables, their indexes, and the migrations between schema versions (sqlite-utils)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from sqlite_utils import Database
from sqlite_utils.db import ForeignKey

#: The schema version this code writes. Older stores are migrated on open by `serve`.
SCHEMA_VERSION = 8

Migration = Callable[[Database], None]

#: Every step below runs inside the migration's transaction (sqlite-utils nests in it).
_TEXT, _INT, _REAL = "TEXT", "INTEGER", "REAL"


def _v1(db: Database) -> None:
    """Version 1: events and their codes, versions, notices, users."""
    db.table("meta").create({"key": _TEXT, "value": _TEXT}, pk="key", not_null=["value"])
    events = db.table("events").create(
        {
            "id": _INT,
            "event_id": _TEXT,
            "ts": _TEXT,
            "source": _TEXT,
            "replay_of": _TEXT,
            "method": _TEXT,
            "url": _TEXT,
            "path": _TEXT,
            "query": _TEXT,
            "operation_id": _TEXT,
            "status": _INT,
            "duration_ms": _REAL,
            "request_headers": _TEXT,
            "response_headers": _TEXT,
            "request_body": _TEXT,
            "request_binary": _INT,
            "response_body": _TEXT,
            "response_binary": _INT,
            "request_size": _INT,
            "response_size": _INT,
            "request_truncated": _INT,
            "response_truncated": _INT,
            "auth_mode": _TEXT,
            "auth_result": _TEXT,
            "user_id": _TEXT,
            "plan": _TEXT,
            "version": _INT,
            "violations": _TEXT,
            "violation_count": _INT,
            "error": _TEXT,
        },
        pk="id",
        not_null=[
            "event_id",
            "ts",
            "source",
            "method",
            "url",
            "path",
            "query",
            "request_headers",
            "response_headers",
            "request_binary",
            "response_binary",
            "request_size",
            "response_size",
            "request_truncated",
            "response_truncated",
            "violations",
            "violation_count",
        ],
        defaults={
            "source": "live",
            "query": "",
            "request_headers": "[]",
            "response_headers": "[]",
            "request_binary": 0,
            "response_binary": 0,
            "request_size": 0,
            "response_size": 0,
            "request_truncated": 0,
            "response_truncated": 0,
            "violations": "[]",
            "violation_count": 0,
        },
    )
    events.create_index(["event_id"], index_name="events_event_id", unique=True)
    for name, column in (
        ("ts", "ts"),
        ("status", "status"),
        ("path", "path"),
        ("operation", "operation_id"),
        ("method", "method"),
        ("invalid", "violation_count"),
        ("user", "user_id"),
        ("plan", "plan"),
        ("source", "source"),
    ):
        events.create_index([column], index_name=f"events_{name}")
    codes = db.table("event_codes").create(
        {"event": _INT, "code": _TEXT},
        not_null=["event", "code"],
        foreign_keys=[ForeignKey("event_codes", "event", "events", "id", on_delete="CASCADE")],
    )
    codes.create_index(["code", "event"], index_name="event_codes_code")
    codes.create_index(["event"], index_name="event_codes_event")
    db.table("versions").create(
        {
            "number": _INT,
            "ts": _TEXT,
            "manifest_hash": _TEXT,
            "spec_hash": _TEXT,
            "manifest_text": _TEXT,
            "spec_text": _TEXT,
            "lint_summary": _TEXT,
            "lint_findings": _TEXT,
        },
        pk="number",
        not_null=["ts", "spec_hash", "spec_text", "lint_summary", "lint_findings"],
        defaults={"lint_summary": "{}", "lint_findings": "[]"},
    )
    db.table("notices").create(
        {"id": _INT, "ts": _TEXT, "kind": _TEXT, "message": _TEXT},
        pk="id",
        not_null=["ts", "kind", "message"],
    )
    users = db.table("users").create(
        {"name": _TEXT, "key_hash": _TEXT, "plan": _TEXT, "created": _TEXT, "revoked": _TEXT},
        pk="name",
        not_null=["key_hash", "created"],
    )
    users.create_index(["key_hash"], index_name="users_key_hash", unique=True)


def _v2(db: Database) -> None:
    """Version 2: client and conversation, marks and comments, the body index."""
    events = db.table("events")
    events.add_column("client_ip", _TEXT)
    events.add_column("conversation_id", _TEXT)
    events.add_column("marked", _INT, not_null_default=0)
    events.add_column("comment", _TEXT)
    # a partial index: create_index has no WHERE
    db.execute("CREATE INDEX events_marked ON events (marked) WHERE marked = 1")
    # The body index holds text bodies only: the writer and retention keep it so by hand (no
    # triggers: a binary body's base64 is not indexed), and the events already stored are
    # indexed here by the same rule.
    events.enable_fts(["request_body", "response_body"])
    db.execute(
        "INSERT INTO events_fts (events_fts, rowid, request_body, response_body)"
        " SELECT 'delete', id, request_body, response_body FROM events"
        " WHERE request_binary OR response_binary"
    )
    db.execute(
        "INSERT INTO events_fts (rowid, request_body, response_body)"
        " SELECT id, CASE WHEN request_binary THEN '' ELSE request_body END,"
        " CASE WHEN response_binary THEN '' ELSE response_body END FROM events"
        " WHERE request_binary OR response_binary"
    )


def _v3(db: Database) -> None:
    """Version 3: OAuth grants."""
    grants = db.table("oauth_grants").create(
        {
            "token_hash": _TEXT,
            "kind": _TEXT,
            "client_id": _TEXT,
            "user_name": _TEXT,
            "scope": _TEXT,
            "redirect_uri": _TEXT,
            "code_challenge": _TEXT,
            "code_challenge_method": _TEXT,
            "family": _TEXT,
            "created": _REAL,
            "expires": _REAL,
            "used": _REAL,
            "revoked": _REAL,
        },
        pk="token_hash",
        not_null=["kind", "client_id", "user_name", "scope", "family", "created", "expires"],
        defaults={"scope": ""},
    )
    grants.create_index(["family"], index_name="oauth_grants_family")
    grants.create_index(["expires"], index_name="oauth_grants_expires")


def _v4(db: Database) -> None:
    """Version 4: the original bytes of fields that did not decode (store/lossless.py)."""
    db.table("events").add_column("raw", _TEXT)


def _v5(db: Database) -> None:
    """Version 5: MCP messages (the JSON-RPC fields of an event), catalogue versions, OAuth for
    MCP (registered clients, the resource a grant is bound to)."""
    events = db.table("events")
    events.add_column("protocol", _TEXT, not_null_default="http")
    for column, kind in (
        ("rpc_method", _TEXT),
        ("rpc_id", _TEXT),
        ("rpc_direction", _TEXT),
        ("tool", _TEXT),
        ("resource_uri", _TEXT),
        ("session_id", _TEXT),
        ("protocol_version", _TEXT),
        ("rpc_error", _INT),
        ("is_error", _INT),
        ("frames", _TEXT),
        ("exchange_id", _TEXT),
    ):
        events.add_column(column, kind)
    for name, column in (
        ("protocol", "protocol"),
        ("rpc", "rpc_method"),
        ("tool", "tool"),
        ("session", "session_id"),
        ("exchange", "exchange_id"),
    ):
        events.create_index([column], index_name=f"events_{name}")
    # A version is the plugin's files or the MCP server's catalogue, in one numbered sequence.
    versions = db.table("versions")
    versions.transform(not_null={"spec_hash": False, "spec_text": False})
    versions.add_column("kind", _TEXT, not_null_default="plugin")
    versions.add_column("catalogue_hash", _TEXT)
    versions.add_column("catalogue_text", _TEXT)
    # OAuth for MCP: the resource (RFC 8707) a grant is bound to, and registered clients.
    db.table("oauth_grants").add_column("resource", _TEXT)
    db.table("oauth_clients").create(
        {
            "client_id": _TEXT,
            "secret_hash": _TEXT,
            "auth_method": _TEXT,
            "redirect_uris": _TEXT,
            "metadata": _TEXT,
            "created": _REAL,
        },
        pk="client_id",
        not_null=["auth_method", "redirect_uris", "metadata", "created"],
    )


def _v6_oauth_client(db: Database) -> None:
    """Version 6 (the OAuth timeline): the OAuth client an event is part of, where known (the
    client_id a proxy-owned OAuth route was asked for or registered, the client an MCP call's
    access token was issued to), indexed for the Auth tab's timeline of that client."""
    events = db.table("events")
    events.add_column("oauth_client_id", _TEXT)
    events.create_index(["oauth_client_id"], index_name="events_oauth_client")


def _v7(db: Database) -> None:
    """Version 7: the checks that could not run on an event, and why (JSON list, or null)."""
    db.table("events").add_column("skipped", _TEXT)


#: The indexes (by name, after `events_`) of columns most events leave empty: the OpenAPI
#: operation and the users' (an MCP message has none, nor does traffic without users), the MCP
#: ones (an HTTP exchange has none).
_SPARSE = {
    "operation": "operation_id",
    "user": "user_id",
    "plan": "plan",
    "rpc": "rpc_method",
    "tool": "tool",
    "session": "session_id",
    "oauth_client": "oauth_client_id",
}


def _v8_partial_indexes(db: Database) -> None:
    """Version 8: the index of each column in _SPARSE holds the events that have a value only
    (a partial index: WHERE column IS NOT NULL), and the index of exchange_id, which no query
    reads (its keys, random ids, were the dearest to insert), is gone. Every query on a column
    in _SPARSE compares it with a value (`tool = ?`, `rpc GLOB ?`, `IS NOT NULL`), which
    SQLite's planner knows to imply the index's condition. Measured here on the events of MCP
    calls, inserted the writer's way: 41 to 42 us an event before, 33 after."""
    db.execute("DROP INDEX IF EXISTS events_exchange")
    for name, column in _SPARSE.items():
        db.execute(f"DROP INDEX IF EXISTS events_{name}")
        db.execute(f"CREATE INDEX events_{name} ON events ({column}) WHERE {column} IS NOT NULL")


#: MIGRATIONS[n] takes a store from version n to n + 1.
MIGRATIONS: dict[int, Migration] = {
    0: _v1,
    1: _v2,
    2: _v3,
    3: _v4,
    4: _v5,
    5: _v6_oauth_client,
    6: _v7,
    7: _v8_partial_indexes,
}


def database(conn: sqlite3.Connection) -> Database:
    """sqlite-utils over a connection of ours, leaving its pragmas alone."""
    return Database(conn, recursive_triggers=False, execute_plugins=False)


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
    db = database(conn)
    for version in range(found, SCHEMA_VERSION):
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            if current_version(conn) > version:
                continue  # another process opening the store (a second serve) got here first
            MIGRATIONS[version](db)
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(version + 1),),
            )
    return found
