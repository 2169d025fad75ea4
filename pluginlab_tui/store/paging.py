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
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

#: How many ids the first plan walks before it gives up.
WALK = 20_000
#: Up to this many matches, the filter's index and a sort beat the two-step plan.
SPARSE = 50_000

Rows = list[tuple[Any, ...]]


def fetch_page(
    conn: sqlite3.Connection,
    select: str,
    where: str,
    params: Sequence[Any] = (),
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
    order = "DESC" if descending else "ASC"
    if descending:
        walk_low, walk_high = max(low, high - WALK - 1), high
    else:
        walk_low, walk_high = low, min(high, low + WALK + 1)
    rows = conn.execute(
        f"SELECT {select} FROM events e NOT INDEXED WHERE ({where}) AND e.id > ? AND e.id < ?"
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
        sql = (
            f"SELECT {select} FROM events e WHERE ({where}) AND +e.id > ? AND +e.id < ?"
            f" ORDER BY +e.id {order} LIMIT ?"
        )
    else:
        sql = (
            f"SELECT {select} FROM events e WHERE e.id IN (SELECT e.id FROM events e"
            f" WHERE ({where}) AND e.id > ? AND e.id < ? ORDER BY e.id {order} LIMIT ?)"
            f" ORDER BY e.id {order}"
        )
    more = conn.execute(sql, (*select_params, *params, low2, high2, rest)).fetchall()
    return rows + more


def plain_page(
    conn: sqlite3.Connection,
    select: str,
    where: str,
    params: Sequence[Any] = (),
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
        f"SELECT {select} FROM events e WHERE ({where}) AND e.id > ? AND e.id < ?"
        f" ORDER BY e.id {order} LIMIT ?",
        (*select_params, *params, low, high, limit),
    ).fetchall()


def count(conn: sqlite3.Connection, where: str, params: Sequence[Any] = ()) -> tuple[int, int]:
    """(matches, max(id)) read in one snapshot: the count covers exactly the ids up to max(id)."""
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        high = int(conn.execute("SELECT max(id) FROM events").fetchone()[0] or 0)
        total = int(
            conn.execute(f"SELECT count(*) FROM events e WHERE {where}", tuple(params)).fetchone()[
                0
            ]
        )
    finally:
        if own:
            conn.execute("COMMIT")
    return total, high


def sample_ids(
    conn: sqlite3.Connection, where: str, params: Sequence[Any], upto: int, step: int
) -> list[int]:
    """The ids of matches number 0, step, 2*step, ... (oldest first) among ids up to `upto`."""
    # numbered in SQLite (which lets go of the GIL): Python sees only the sampled ids, so a
    # worker building the sample of 300,000 matches leaves the UI thread alone
    rows = conn.execute(
        f"SELECT id FROM (SELECT e.id AS id, row_number() OVER (ORDER BY e.id) - 1 AS n"
        f" FROM events e WHERE ({where}) AND e.id <= ?) WHERE n % ? = 0 ORDER BY id",
        (*params, upto, step),
    ).fetchall()
    return [int(row[0]) for row in rows]


def sample_step(total: int, entries: int = 2_000, minimum: int = 100) -> int:
    """Rows between two samples: about `entries` samples, never closer than `minimum` rows."""
    return max(minimum, -(-total // entries))


__all__ = ["SPARSE", "WALK", "count", "fetch_page", "plain_page", "sample_ids", "sample_step"]
