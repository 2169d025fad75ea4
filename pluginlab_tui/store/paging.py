"""Pages of the events matching a filter, fast on a store of a million events.

A page is up to `limit` rows with ids in an open range (low, high), nearest `high` first
(descending) or nearest `low` first. Three plans, cheapest first:

1. walk the ids in order (`NOT INDEXED`: the rowid b-tree, never the filter's index) and test the
   filter on each row, for at most WALK ids: a filter matching more than one row in a few hundred
   (`path:/todos/*`, `not method:GET`, `user:alice or plan:pro`) fills its page in well under a
   millisecond, where the filter's index would make SQLite sort hundreds of thousands of rows;
2. when the walk did not fill the page and the count is known to be small (SPARSE), through the
   filter's index with `+e.id` (SQLite cannot read `+e.id` in id order, so it uses the index and
   sorts the few matches: `status:1xx` in 0.2 ms instead of a scan of the whole table);
3. otherwise in two steps: the page's ids first (from a covering index when there is one, sorting
   ids, not rows), then their rows.

`count` and `sample_ids` are what a worker computes after the first page is shown: the number of
matches, and the id of every `step`-th match, so that a jump into the middle of a filter starts
from the nearest sampled id instead of an OFFSET over hundreds of thousands of rows.

`rows` and `offset_rows` are those pages as the TUI's list shows them (`Row`), with the columns
it draws and whether each row matches a highlight filter; the TUI holds no SQL of its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, NamedTuple

from pluginlab_tui.store.filter import Filter

#: How many ids the first plan walks before it gives up.
WALK = 20_000
#: Up to this many matches, the filter's index and a sort beat the two-step plan.
SPARSE = 50_000

Rows = list[tuple[Any, ...]]


def fetch_page(
    conn: sqlite3.Connection,
    select: str,
    where: Filter,
    *,
    low: int,
    high: int,
    descending: bool,
    limit: int,
    count: int | None = None,
    select_params: Sequence[Any] = (),
) -> Rows:
    """Up to `limit` rows (`select` begins with e.id) of `where` with low < e.id < high.

    Rows come nearest `high` first when `descending`, else nearest `low` first. `count` is the
    number of matches in the whole store when known (it picks the plan, never the result).
    """
    if limit <= 0 or high - low <= 1:
        return []
    sql, params = where.sql, where.params
    order = "DESC" if descending else "ASC"
    if descending:
        walk_low, walk_high = max(low, high - WALK - 1), high
    else:
        walk_low, walk_high = low, min(high, low + WALK + 1)
    rows = conn.execute(
        f"SELECT {select} FROM events e NOT INDEXED WHERE ({sql}) AND e.id > ? AND e.id < ?"
        f" ORDER BY e.id {order} LIMIT ?",
        (*select_params, *params, walk_low, walk_high, limit),
    ).fetchall()
    if len(rows) >= limit or (walk_low == low and walk_high == high):
        return rows
    rest = limit - len(rows)
    if descending:
        low2, high2 = low, walk_low + 1
    else:
        low2, high2 = walk_high - 1, high
    if count is not None and count <= SPARSE:
        query = (
            f"SELECT {select} FROM events e WHERE ({sql}) AND +e.id > ? AND +e.id < ?"
            f" ORDER BY +e.id {order} LIMIT ?"
        )
    else:
        query = (
            f"SELECT {select} FROM events e WHERE e.id IN (SELECT e.id FROM events e"
            f" WHERE ({sql}) AND e.id > ? AND e.id < ? ORDER BY e.id {order} LIMIT ?)"
            f" ORDER BY e.id {order}"
        )
    more = conn.execute(query, (*select_params, *params, low2, high2, rest)).fetchall()
    return rows + more


def plain_page(
    conn: sqlite3.Connection,
    select: str,
    where: Filter,
    *,
    low: int,
    high: int,
    descending: bool,
    limit: int,
    select_params: Sequence[Any] = (),
) -> Rows:
    """The same page as fetch_page by the obvious query (the reference in tests)."""
    order = "DESC" if descending else "ASC"
    return conn.execute(
        f"SELECT {select} FROM events e WHERE ({where.sql}) AND e.id > ? AND e.id < ?"
        f" ORDER BY e.id {order} LIMIT ?",
        (*select_params, *where.params, low, high, limit),
    ).fetchall()


def count(conn: sqlite3.Connection, where: Filter) -> tuple[int, int]:
    """(matches, max(id)) read in one snapshot: the count covers exactly the ids up to max(id)."""
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        high = newest_id(conn)
        total = int(
            conn.execute(
                f"SELECT count(*) FROM events e WHERE {where.sql}", where.params
            ).fetchone()[0]
        )
    finally:
        if own:
            conn.execute("COMMIT")
    return total, high


def sample_ids(conn: sqlite3.Connection, where: Filter, upto: int, step: int) -> list[int]:
    """The ids of matches number 0, step, 2*step, ... (oldest first) among ids up to `upto`."""
    # numbered in SQLite (which lets go of the GIL): Python sees only the sampled ids, so a
    # worker building the sample of 300,000 matches leaves the UI thread alone
    rows = conn.execute(
        f"SELECT id FROM (SELECT e.id AS id, row_number() OVER (ORDER BY e.id) - 1 AS n"
        f" FROM events e WHERE ({where.sql}) AND e.id <= ?) WHERE n % ? = 0 ORDER BY id",
        (*where.params, upto, step),
    ).fetchall()
    return [int(row[0]) for row in rows]


def sample_step(total: int, entries: int = 2_000, minimum: int = 100) -> int:
    """Rows between two samples: about `entries` samples, never closer than `minimum` rows."""
    return max(minimum, -(-total // entries))


# --- the ids -----------------------------------------------------------------------------------


def newest_id(conn: sqlite3.Connection) -> int:
    """max(id), 0 for an empty store."""
    return int(conn.execute("SELECT max(id) FROM events").fetchone()[0] or 0)


def oldest_id(conn: sqlite3.Connection) -> int:
    """min(id), 0 for an empty store."""
    return int(conn.execute("SELECT min(id) FROM events").fetchone()[0] or 0)


def bounds(conn: sqlite3.Connection) -> tuple[int, int]:
    """(min(id), max(id)); two queries, as min() and max() together would scan the table."""
    return oldest_id(conn), newest_id(conn)


def count_between(conn: sqlite3.Connection, where: Filter, low: int, high: int) -> int:
    """The matches with low < id <= high."""
    return int(
        conn.execute(
            f"SELECT count(*) FROM events e WHERE e.id > ? AND e.id <= ? AND ({where.sql})",
            (low, high, *where.params),
        ).fetchone()[0]
    )


def matches(conn: sqlite3.Connection, where: Filter, event_id: int) -> bool:
    """Whether the event with this row id is one of the filter's."""
    found = conn.execute(
        f"SELECT 1 FROM events e WHERE e.id = ? AND ({where.sql})", (event_id, *where.params)
    ).fetchone()
    return found is not None


def holds_protocol(conn: sqlite3.Connection, protocol: str) -> bool:
    """Whether any event of this protocol is in the store (one look in its index)."""
    found = conn.execute("SELECT 1 FROM events WHERE protocol = ? LIMIT 1", (protocol,))
    return found.fetchone() is not None


# --- the list's rows ----------------------------------------------------------------------------


class Row(NamedTuple):
    """What the TUI's list shows of one exchange; `hit`: it matches the highlight filter."""

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
    #: An MCP message's JSON-RPC method, tool or resource, error code and isError (else None).
    rpc_method: str | None
    tool: str | None
    resource_uri: str | None
    rpc_error: int | None
    is_error: bool | None
    hit: bool


_COLUMNS = (
    "e.id, e.ts, e.method, e.path, e.query, e.operation_id, e.status, e.duration_ms, e.user_id,"
    " e.violation_count, e.marked, e.error, e.comment, e.rpc_method, e.tool, e.resource_uri,"
    " e.rpc_error, e.is_error"
)


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
        rpc_method=r[13],
        tool=r[14],
        resource_uri=r[15],
        rpc_error=r[16],
        is_error=None if r[17] is None else bool(r[17]),
        hit=bool(r[18]),
    )


def _select(highlight: Filter | None) -> tuple[str, tuple[object, ...]]:
    """The list's columns and the hit column, with the hit column's parameters."""
    if highlight is None:
        return f"{_COLUMNS}, 0", ()
    return f"{_COLUMNS}, {highlight.highlight_sql()}", highlight.params


def rows(
    conn: sqlite3.Connection,
    where: Filter,
    highlight: Filter | None = None,
    *,
    low: int,
    high: int,
    descending: bool,
    limit: int,
    count: int | None = None,
) -> list[Row]:
    """fetch_page's page as the list's rows, returned oldest first whatever the direction."""
    select, select_params = _select(highlight)
    found = fetch_page(
        conn,
        select,
        where,
        low=low,
        high=high,
        descending=descending,
        limit=limit,
        count=count,
        select_params=select_params,
    )
    listed = [_row(r) for r in found]
    return listed[::-1] if descending else listed


def offset_rows(
    conn: sqlite3.Connection,
    where: Filter,
    highlight: Filter | None = None,
    *,
    upto: int,
    size: int,
    offset: int,
    descending: bool,
) -> list[Row]:
    """`size` rows after skipping `offset` matches (ids up to `upto`) from the oldest or the
    newest end, returned oldest first: the jump of last resort, before a sample is built."""
    select, select_params = _select(highlight)
    order = "DESC" if descending else "ASC"
    query = (
        f"SELECT {select} FROM events e WHERE ({where.sql}) AND +e.id <= ?"
        f" ORDER BY e.id {order} LIMIT ? OFFSET ?"
    )
    params = (*select_params, *where.params, upto, size, offset)
    listed = [_row(r) for r in conn.execute(query, params).fetchall()]
    return listed[::-1] if descending else listed


__all__ = [
    "SPARSE",
    "WALK",
    "Row",
    "bounds",
    "count",
    "count_between",
    "fetch_page",
    "holds_protocol",
    "matches",
    "newest_id",
    "offset_rows",
    "oldest_id",
    "plain_page",
    "rows",
    "sample_ids",
    "sample_step",
]
