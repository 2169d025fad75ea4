"""The live list's rows, paged from SQLite: never more than a few pages in memory.

Row n (0 = oldest) of the filtered events is found by keyset from a neighbouring page when one is
cached (scrolling), else by OFFSET from whichever end is nearer (jumps). New rows are counted by
polling max(id); a prune (the oldest rows gone) makes the model count again.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, NamedTuple

PAGE = 100
MAX_PAGES = 40

_COLUMNS = (
    "e.id, e.ts, e.method, e.path, e.query, e.operation_id, e.status, e.duration_ms, e.user_id,"
    " e.violation_count, e.marked, e.error, e.comment"
)


class Row(NamedTuple):
    """What the list shows of one exchange."""

    id: int
    ts: str
    method: str
    path: str
    query: str
    operation_id: str | None
    status: int | None
    duration_ms: float | None
    user_id: str | None
    violation_count: int
    marked: bool
    error: str | None
    comment: str | None
    hit: bool


@dataclass(frozen=True, slots=True)
class Query:
    """Which rows are listed (`where`) and which of them are highlighted (`highlight`)."""

    where: str = "1"
    params: tuple[Any, ...] = ()
    highlight: str | None = None
    highlight_params: tuple[Any, ...] = ()


def _row(r: tuple[Any, ...]) -> Row:
    return Row(
        id=r[0],
        ts=r[1],
        method=r[2],
        path=r[3],
        query=r[4],
        operation_id=r[5],
        status=r[6],
        duration_ms=r[7],
        user_id=r[8],
        violation_count=r[9],
        marked=bool(r[10]),
        error=r[11],
        comment=r[12],
        hit=bool(r[13]),
    )


class PagedRows:
    """Rows 0..total-1 of the events matching a query, in id order, fetched a page at a time."""

    def __init__(self, conn: sqlite3.Connection, query: Query | None = None) -> None:
        self.conn = conn
        self.query = query or Query()
        self.total = 0
        self.max_id = 0
        self.min_id = 0
        self._pages: OrderedDict[int, list[Row]] = OrderedDict()
        self.reload()

    # --- counting ---------------------------------------------------------------------------

    def _bounds(self) -> tuple[int, int]:
        # two queries: min() and max() together would scan the table
        low = self.conn.execute("SELECT min(id) FROM events").fetchone()[0]
        high = self.conn.execute("SELECT max(id) FROM events").fetchone()[0]
        return int(low or 0), int(high or 0)

    def reload(self, query: Query | None = None) -> None:
        """Count again (with a new query, if given) and forget every cached page."""
        if query is not None:
            self.query = query
        q = self.query
        in_transaction = self.conn.in_transaction
        if not in_transaction:
            self.conn.execute("BEGIN")  # one snapshot: the count and max(id) agree
        try:
            self.min_id, self.max_id = self._bounds()
            self.total = int(
                self.conn.execute(
                    f"SELECT count(*) FROM events e WHERE {q.where}", q.params
                ).fetchone()[0]
            )
        finally:
            if not in_transaction:
                self.conn.execute("COMMIT")
        self._pages.clear()

    def poll(self) -> int:
        """Take in rows written since the last call; returns how many new rows match.

        Returns -1 when the oldest rows were pruned (everything was counted again).
        """
        row = self.conn.execute("SELECT max(id) FROM events").fetchone()
        high = int(row[0] or 0)
        if high < self.max_id or (high and self._oldest_gone()):
            self.reload()
            return -1
        if high == self.max_id:
            return 0
        q = self.query
        new = int(
            self.conn.execute(
                f"SELECT count(*) FROM events e WHERE e.id > ? AND e.id <= ? AND ({q.where})",
                (self.max_id, high, *q.params),
            ).fetchone()[0]
        )
        self.max_id = high
        if new:
            self._pages.pop((self.total - 1) // PAGE if self.total else 0, None)
            self.total += new
        return new

    def _oldest_gone(self) -> bool:
        if not self.min_id:
            return False
        row = self.conn.execute("SELECT min(id) FROM events").fetchone()
        return int(row[0] or 0) != self.min_id

    def invalidate(self, index: int) -> None:
        """Fetch the page of row `index` again when it is next needed (a mark changed, say)."""
        self._pages.pop(index // PAGE, None)

    # --- reading ----------------------------------------------------------------------------

    def cached(self, index: int) -> Row | None:
        rows = self._pages.get(index // PAGE)
        if rows is None:
            return None
        offset = index % PAGE
        return rows[offset] if offset < len(rows) else None

    def row(self, index: int) -> Row | None:
        """Row `index` (0 = oldest), fetching its page when it is not cached."""
        if not 0 <= index < self.total:
            return None
        number = index // PAGE
        rows = self._pages.get(number)
        if rows is None:
            rows = self._fetch(number)
            self._pages[number] = rows
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        offset = index % PAGE
        return rows[offset] if offset < len(rows) else None

    def index_of(self, event_id: int) -> int | None:
        """The row index of an event id in this query, or None when it is not listed."""
        q = self.query
        if event_id > self.max_id:
            return None
        found = self.conn.execute(
            f"SELECT 1 FROM events e WHERE e.id = ? AND ({q.where})", (event_id, *q.params)
        ).fetchone()
        if not found:
            return None
        after = self.conn.execute(
            f"SELECT count(*) FROM events e WHERE e.id > ? AND e.id <= ? AND ({q.where})",
            (event_id, self.max_id, *q.params),
        ).fetchone()[0]
        return self.total - 1 - int(after)

    def _select(self, extra: str, order: str, tail: str, args: tuple[Any, ...]) -> list[Row]:
        q = self.query
        hit = f"CASE WHEN {q.highlight} THEN 1 ELSE 0 END" if q.highlight else "0"
        sql = (
            f"SELECT {_COLUMNS}, {hit} FROM events e WHERE ({q.where}) AND +e.id <= ?{extra}"
            f" ORDER BY e.id {order} {tail}"
        )
        params = (*(q.highlight_params if q.highlight else ()), *q.params, self.max_id, *args)
        rows = [_row(r) for r in self.conn.execute(sql, params).fetchall()]
        return rows[::-1] if order == "DESC" else rows

    def _fetch(self, number: int) -> list[Row]:
        start = number * PAGE
        size = min(PAGE, self.total - start)
        before = self._pages.get(number - 1)
        if before and len(before) == PAGE:
            return self._select(" AND e.id > ?", "ASC", "LIMIT ?", (before[-1].id, size))
        after = self._pages.get(number + 1)
        if after:
            return self._select(" AND e.id < ?", "DESC", "LIMIT ?", (after[0].id, size))
        from_end = self.total - (start + size)
        if start <= from_end:
            return self._select("", "ASC", "LIMIT ? OFFSET ?", (size, start))
        return self._select("", "DESC", "LIMIT ? OFFSET ?", (size, from_end))
