"""Retention: drop the oldest events, with their codes and body index entries."""

from __future__ import annotations

import sqlite3

_FTS_DELETE = """
INSERT INTO events_fts (events_fts, rowid, request_body, response_body)
SELECT 'delete', id,
       CASE WHEN request_binary THEN '' ELSE coalesce(request_body, '') END,
       CASE WHEN response_binary THEN '' ELSE coalesce(response_body, '') END
FROM events WHERE {where}
"""


def _delete_where(conn: sqlite3.Connection, where: str, params: tuple[object, ...]) -> int:
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(_FTS_DELETE.format(where=where), params)
        conn.execute(
            f"DELETE FROM event_codes WHERE event IN (SELECT id FROM events WHERE {where})", params
        )
        cur = conn.execute(f"DELETE FROM events WHERE {where}", params)
        return cur.rowcount


def keep_newest(conn: sqlite3.Connection, count: int) -> int:
    """Delete all but the newest `count` events; returns how many went."""
    row = conn.execute(
        "SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?", (max(count, 0),)
    ).fetchone()
    return 0 if row is None else _delete_where(conn, "id <= ?", (int(row[0]),))


def drop_older_than(conn: sqlite3.Connection, ts: str) -> int:
    """Delete events recorded before the ISO time `ts`; returns how many went."""
    return _delete_where(conn, "ts < ?", (ts,))
