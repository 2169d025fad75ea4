"""Marks and comments: what the user notes on recorded exchanges."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence


def set_mark(conn: sqlite3.Connection, ids: Sequence[int], marked: bool) -> int:
    """Mark (or unmark) the events with these row ids; returns how many rows changed."""
    if not ids:
        return 0
    holes = ",".join("?" * len(ids))
    with conn:
        cur = conn.execute(
            f"UPDATE events SET marked = ? WHERE id IN ({holes}) AND marked != ?",
            (int(marked), *ids, int(marked)),
        )
    return cur.rowcount


def toggle_mark(conn: sqlite3.Connection, event_id: int) -> bool:
    """Flip the mark of one event; returns the new state (False when there is no such event)."""
    with conn:
        row = conn.execute(
            "UPDATE events SET marked = 1 - marked WHERE id = ? RETURNING marked", (event_id,)
        ).fetchone()
    return bool(row and row[0])


def set_comment(conn: sqlite3.Connection, event_id: int, comment: str | None) -> None:
    """Set the comment of one event; an empty or blank comment removes it."""
    text = (comment or "").strip() or None
    with conn:
        conn.execute("UPDATE events SET comment = ? WHERE id = ?", (text, event_id))
