"""Reading the store: pages of events, counts, one event, versions and notices."""

from __future__ import annotations

import sqlite3
from typing import Any

from pluginlab_tui.store.event import Event
from pluginlab_tui.store.filter import EVERYTHING, Filter


def _events(rows: list[sqlite3.Row]) -> list[Event]:
    return [Event.from_row(dict(r)) for r in rows]


def newest(conn: sqlite3.Connection, where: Filter = EVERYTHING, limit: int = 100) -> list[Event]:
    """The newest `limit` events matching, oldest first."""
    rows = conn.execute(
        f"SELECT * FROM events e WHERE {where.sql} ORDER BY e.id DESC LIMIT ?",
        (*where.params, limit),
    ).fetchall()
    return list(reversed(_events(rows)))


def page(
    conn: sqlite3.Connection,
    where: Filter = EVERYTHING,
    *,
    after_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[Event]:
    """Events in id order, after or before a given id (keyset paging)."""
    clauses = [where.sql]
    params: list[Any] = list(where.params)
    if after_id is not None:
        clauses.append("e.id > ?")
        params.append(after_id)
    if before_id is not None:
        clauses.append("e.id < ?")
        params.append(before_id)
    order = "DESC" if before_id is not None and after_id is None else "ASC"
    rows = conn.execute(
        f"SELECT * FROM events e WHERE {' AND '.join(clauses)} ORDER BY e.id {order} LIMIT ?",
        (*params, limit),
    ).fetchall()
    events = _events(rows)
    return list(reversed(events)) if order == "DESC" else events


def count(conn: sqlite3.Connection, where: Filter = EVERYTHING) -> int:
    row = conn.execute(f"SELECT count(*) FROM events e WHERE {where.sql}", where.params).fetchone()
    return int(row[0])


def get(conn: sqlite3.Connection, event_id: str) -> Event | None:
    """An event by its event_id (a unique prefix of at least 8 characters will do)."""
    row = conn.execute("SELECT * FROM events e WHERE event_id = ?", (event_id,)).fetchone()
    if row is None and len(event_id) >= 8:
        rows = conn.execute(
            "SELECT * FROM events e WHERE event_id >= ? AND event_id < ? LIMIT 2",
            (event_id, event_id + "\uffff"),
        ).fetchall()
        row = rows[0] if len(rows) == 1 else None
    return None if row is None else Event.from_row(dict(row))


def events_by_ids(conn: sqlite3.Connection, ids: list[int]) -> list[Event]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT * FROM events e WHERE e.id IN ({marks}) ORDER BY e.id", ids)
    return _events(rows.fetchall())


def notices(
    conn: sqlite3.Connection, limit: int = 50, kind: str | None = None
) -> list[dict[str, Any]]:
    """The newest notices first, of every kind or of one."""
    where, params = ("", ()) if kind is None else (" WHERE kind = ?", (kind,))
    rows = conn.execute(
        f"SELECT * FROM notices{where} ORDER BY id DESC LIMIT ?", (*params, limit)
    ).fetchall()
    return [dict(r) for r in rows]


def add_notice(conn: sqlite3.Connection, ts: str, kind: str, message: str) -> None:
    with conn:
        conn.execute(
            "INSERT INTO notices (ts, kind, message) VALUES (?, ?, ?)", (ts, kind, message)
        )
