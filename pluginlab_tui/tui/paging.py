"""The live list's rows, paged from SQLite: never more than a few pages in memory.

Row n (0 = oldest) of the filtered events is found by keyset from a neighbouring page when one is
cached (scrolling), else from an id known to lie just below it (jumps: id arithmetic on dense
unfiltered ids, or a sample of the filter's ids built by a worker), with store/paging.py's plans.
New rows are counted by polling max(id); a prune (the oldest rows gone) makes the model reload.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, NamedTuple

from pluginlab_tui.store import paging

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
    """Rows 0..total-1 of the events matching a query, in id order, fetched a page at a time.

    `reload` reads no count: the newest page comes first, and `total` is provisional
    (`counted` False) until a worker's `measure` is handed to `apply_count`. Rows are anchored to
    the newest end, so a count that arrives later shifts the indexes (`apply_count` returns by how
    much). Jumps into the middle use id arithmetic when the unfiltered ids are dense, else the
    nearest id of a sample (`apply_sample`), else an OFFSET from the nearer end.
    """

    def __init__(self, conn: sqlite3.Connection, query: Query | None = None) -> None:
        self.conn = conn
        self.query = query or Query()
        self.total = 0
        self.max_id = 0
        self.min_id = 0
        self.counted = False
        #: Bumped by every reload: a worker's figures for an older query are dropped.
        self.generation = 0
        self._sample: list[int] = []
        self._step = 0
        self._pages: OrderedDict[int, list[Row]] = OrderedDict()
        self.reload()

    # --- counting ---------------------------------------------------------------------------

    def _bounds(self) -> tuple[int, int]:
        # two queries: min() and max() together would scan the table
        low = self.conn.execute("SELECT min(id) FROM events").fetchone()[0]
        high = self.conn.execute("SELECT max(id) FROM events").fetchone()[0]
        return int(low or 0), int(high or 0)

    @property
    def filtered(self) -> bool:
        return self.query.where.strip() != "1"

    def reload(self, query: Query | None = None) -> None:
        """Start again (with a new query, if given): the newest page now, the count later."""
        if query is not None:
            self.query = query
        self.generation += 1
        self._pages.clear()
        self._sample, self._step = [], 0
        self.min_id, self.max_id = self._bounds()
        self.counted = False
        if not self.filtered:
            # exact when the ids are dense (nothing deleted but the oldest): the count confirms
            self.total = self.max_id - self.min_id + 1 if self.max_id else 0
            self.counted = self.total == 0
            return
        newest = self._select(low=0, high=self.max_id + 1, descending=True, limit=PAGE)
        self.total = len(newest)
        self.counted = len(newest) < PAGE
        if newest:
            self._pages[0] = newest

    def apply_count(self, generation: int, total: int, upto: int) -> int | None:
        """Take a worker's count; returns how far the indexes moved (None: the count is stale)."""
        if generation != self.generation:
            return None
        if upto < self.max_id:
            total += self._count_between(upto, self.max_id)
        elif upto > self.max_id:
            total -= self._count_between(self.max_id, upto)
        shift = total - self.total
        self.counted = True
        if shift:
            self._rebase(total)
        return shift

    def count_now(self) -> None:
        """Count on this connection and take the count (tests, scripts: no worker)."""
        if not self.counted:
            total, upto = paging.count(self.conn, self.query.where, self.query.params)
            self.apply_count(self.generation, total, upto)

    def sample_now(self) -> None:
        """Build the jump sample on this connection (tests, scripts: no worker)."""
        self.count_now()
        plan = self.sample_plan()
        if plan is not None:
            generation, step, upto = plan
            ids = paging.sample_ids(self.conn, self.query.where, self.query.params, upto, step)
            self.apply_sample(generation, step, ids)

    def _rebase(self, total: int) -> None:
        shift = total - self.total
        flat: dict[int, Row] = {}
        for number, rows in self._pages.items():
            for k, row in enumerate(rows):
                if 0 <= number * PAGE + k + shift < total:
                    flat[number * PAGE + k + shift] = row
        self._pages.clear()
        self.total = total
        for number in sorted({i // PAGE for i in flat}):
            wanted = range(number * PAGE, min((number + 1) * PAGE, total))
            if all(i in flat for i in wanted):
                self._pages[number] = [flat[i] for i in wanted]

    def sample_plan(self) -> tuple[int, int, int] | None:
        """(generation, step, max id) of the sample a worker should build; None: not needed."""
        if not self.counted or self.dense or self.total <= 2 * PAGE:
            return None
        return self.generation, paging.sample_step(self.total), self.max_id

    def apply_sample(self, generation: int, step: int, ids: list[int]) -> None:
        if generation == self.generation:
            self._sample, self._step = ids, step

    @property
    def dense(self) -> bool:
        """Unfiltered with no gap in the ids: row n is id min_id + n."""
        return not self.filtered and self.total == self.max_id - self.min_id + 1

    def _count_between(self, low: int, high: int) -> int:
        q = self.query
        return int(
            self.conn.execute(
                f"SELECT count(*) FROM events e WHERE e.id > ? AND e.id <= ? AND ({q.where})",
                (low, high, *q.params),
            ).fetchone()[0]
        )

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
        new = self._count_between(self.max_id, high)
        if not self.min_id:
            self.min_id = self._bounds()[0]
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
        index = self.total - 1 - self._count_between(event_id, self.max_id)
        return index if index >= 0 else None

    def _select(self, *, low: int, high: int, descending: bool, limit: int) -> list[Row]:
        """Rows in (low, high), ids up to max_id, returned oldest first."""
        q = self.query
        hit = f"CASE WHEN {q.highlight} THEN 1 ELSE 0 END" if q.highlight else "0"
        found = paging.fetch_page(
            self.conn,
            f"{_COLUMNS}, {hit}",
            q.where,
            q.params,
            low=low,
            high=min(high, self.max_id + 1),
            descending=descending,
            limit=limit,
            count=self.total if self.counted else None,
            select_params=q.highlight_params if q.highlight else (),
        )
        rows = [_row(r) for r in found]
        return rows[::-1] if descending else rows

    def _anchor(self, start: int) -> tuple[int, int] | None:
        """(an id below row `start`, how many matches lie between it and row `start`)."""
        if self.dense:
            return self.min_id + start - 1, 0
        if self._sample and self.counted:
            j = min(start // self._step, len(self._sample) - 1)
            return self._sample[j] - 1, start - j * self._step
        return None

    def _offset(self, size: int, offset: int, descending: bool) -> list[Row]:
        q = self.query
        hit = f"CASE WHEN {q.highlight} THEN 1 ELSE 0 END" if q.highlight else "0"
        order = "DESC" if descending else "ASC"
        sql = (
            f"SELECT {_COLUMNS}, {hit} FROM events e WHERE ({q.where}) AND +e.id <= ?"
            f" ORDER BY e.id {order} LIMIT ? OFFSET ?"
        )
        params = (*(q.highlight_params if q.highlight else ()), *q.params, self.max_id)
        rows = [_row(r) for r in self.conn.execute(sql, (*params, size, offset)).fetchall()]
        return rows[::-1] if descending else rows

    def _fetch(self, number: int) -> list[Row]:
        start = number * PAGE
        size = min(PAGE, self.total - start)
        before = self._pages.get(number - 1)
        if before and len(before) == PAGE:
            return self._select(
                low=before[-1].id, high=self.max_id + 1, descending=False, limit=size
            )
        after = self._pages.get(number + 1)
        if after:
            return self._select(low=0, high=after[0].id, descending=True, limit=size)
        from_end = self.total - (start + size)
        if from_end == 0:
            return self._select(low=0, high=self.max_id + 1, descending=True, limit=size)
        if start == 0 and self.counted:
            return self._select(low=0, high=self.max_id + 1, descending=False, limit=size)
        anchor = self._anchor(start)
        if anchor is not None:
            below, skip = anchor
            rows = self._select(
                low=below, high=self.max_id + 1, descending=False, limit=skip + size
            )
            return rows[skip:]
        if start <= from_end:
            return self._offset(size, start, descending=False)
        return self._offset(size, from_end, descending=True)
