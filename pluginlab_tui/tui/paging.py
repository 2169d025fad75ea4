"""The live list's rows, paged from SQLite: never more than a few pages in memory.

Row n (0 = oldest) of the filtered events is found by keyset from a neighbouring page when one is
cached (scrolling), else from an id known to lie just below it (jumps: id arithmetic on dense
unfiltered ids, or a sample of the filter's ids built by a worker), with store/paging.py's plans
(all the SQL is there). New rows are counted by polling max(id); a prune (the oldest rows gone)
makes the model reload.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from dataclasses import dataclass
from typing import ClassVar

from pluginlab_tui.store import paging
from pluginlab_tui.store.filter import EVERYTHING, Filter
from pluginlab_tui.store.paging import Row

PAGE = 100
MAX_PAGES = 40


# --- what a worker computes, on a connection of its own ----------------------------------------


@dataclass(frozen=True, slots=True)
class Counted:
    """The matches among the ids up to `upto`, for the rows of `generation`."""

    generation: int
    total: int
    upto: int


@dataclass(frozen=True, slots=True)
class Sampled:
    """The ids of matches number 0, step, 2*step, ... for the rows of `generation`."""

    generation: int
    step: int
    ids: list[int]


@dataclass(frozen=True, slots=True)
class Count:
    """Count the matches of `where`: a job for a worker."""

    group: ClassVar[str] = "count"
    generation: int
    where: Filter

    def run(self, conn: sqlite3.Connection) -> Counted:
        total, upto = paging.count(conn, self.where)
        return Counted(self.generation, total, upto)


@dataclass(frozen=True, slots=True)
class Sample:
    """Build the jump sample of `where` among the ids up to `upto`: a job for a worker."""

    group: ClassVar[str] = "sample"
    generation: int
    where: Filter
    step: int
    upto: int

    def run(self, conn: sqlite3.Connection) -> Sampled:
        ids = paging.sample_ids(conn, self.where, self.upto, self.step)
        return Sampled(self.generation, self.step, ids)


Job = Count | Sample
Result = Counted | Sampled


# --- the rows ------------------------------------------------------------------------------------


class PagedRows:
    """Rows 0..total-1 of the events matching `where`, in id order, fetched a page at a time;
    `hit` on the rows that match `highlight` too.

    `reload` reads no count: the newest page comes first, and `total` is provisional
    (`counted` False) until the `Count` of `next_job`, run by a worker, is handed to `take`. Rows
    are anchored to the newest end, so a count that arrives later shifts the indexes (`take`
    returns by how much). Jumps into the middle use id arithmetic when the unfiltered ids are
    dense, else the nearest id of the `Sample` job's ids, else an OFFSET from the nearer end.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        where: Filter = EVERYTHING,
        highlight: Filter | None = None,
    ) -> None:
        self.conn = conn
        self.where = where
        self.highlight = highlight
        self.total = 0
        self.max_id = 0
        self.min_id = 0
        self.counted = False
        #: Bumped by every reload: a worker's figures for older filters are dropped.
        self.generation = 0
        self._sample: list[int] = []
        self._step = 0
        self._pages: OrderedDict[int, list[Row]] = OrderedDict()
        self.reload()

    # --- counting ---------------------------------------------------------------------------

    @property
    def filtered(self) -> bool:
        return not self.where.everything

    def requery(self, where: Filter, highlight: Filter | None = None) -> None:
        """List the events of `where`, `highlight` marking some: reload."""
        self.where, self.highlight = where, highlight
        self.reload()

    def reload(self) -> None:
        """Start again: the newest page now, the count later."""
        self.generation += 1
        self._pages.clear()
        self._sample, self._step = [], 0
        self.min_id, self.max_id = paging.bounds(self.conn)
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

    def next_job(self) -> Job | None:
        """What a worker should compute next: the count, then the jump sample; None: nothing."""
        if not self.counted:
            return Count(self.generation, self.where)
        if self.dense or self.total <= 2 * PAGE:
            return None
        return Sample(self.generation, self.where, paging.sample_step(self.total), self.max_id)

    def take(self, result: Result) -> int | None:
        """Take a worker's result; for a count, how far the indexes moved (None: stale, or a
        sample)."""
        if result.generation != self.generation:
            return None
        if isinstance(result, Sampled):
            self._sample, self._step = result.ids, result.step
            return None
        total = result.total
        if result.upto < self.max_id:
            total += self._count_between(result.upto, self.max_id)
        elif result.upto > self.max_id:
            total -= self._count_between(self.max_id, result.upto)
        shift = total - self.total
        self.counted = True
        if shift:
            self._rebase(total)
        return shift

    def count_now(self) -> None:
        """Count on this connection and take the count (tests, scripts: no worker)."""
        job = self.next_job()
        if isinstance(job, Count):
            self.take(job.run(self.conn))

    def sample_now(self) -> None:
        """Count, then build the jump sample, on this connection (tests, scripts: no worker)."""
        self.count_now()
        job = self.next_job()
        if isinstance(job, Sample):
            self.take(job.run(self.conn))

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

    @property
    def dense(self) -> bool:
        """Unfiltered with no gap in the ids: row n is id min_id + n."""
        return not self.filtered and self.total == self.max_id - self.min_id + 1

    def _count_between(self, low: int, high: int) -> int:
        return paging.count_between(self.conn, self.where, low, high)

    def poll(self) -> int:
        """Take in rows written since the last call; returns how many new rows match.

        Returns -1 when the oldest rows were pruned (everything was counted again).
        """
        high = paging.newest_id(self.conn)
        if high < self.max_id or (high and self._oldest_gone()):
            self.reload()
            return -1
        if high == self.max_id:
            return 0
        new = self._count_between(self.max_id, high)
        if not self.min_id:
            self.min_id = paging.oldest_id(self.conn)
        self.max_id = high
        if new:
            self._pages.pop((self.total - 1) // PAGE if self.total else 0, None)
            self.total += new
        return new

    def _oldest_gone(self) -> bool:
        if not self.min_id:
            return False
        return paging.oldest_id(self.conn) != self.min_id

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
        """The row index of an event id in this list, or None when it is not listed."""
        if event_id > self.max_id or not paging.matches(self.conn, self.where, event_id):
            return None
        index = self.total - 1 - self._count_between(event_id, self.max_id)
        return index if index >= 0 else None

    def _select(self, *, low: int, high: int, descending: bool, limit: int) -> list[Row]:
        """Rows in (low, high), ids up to max_id, returned oldest first."""
        return paging.rows(
            self.conn,
            self.where,
            self.highlight,
            low=low,
            high=min(high, self.max_id + 1),
            descending=descending,
            limit=limit,
            count=self.total if self.counted else None,
        )

    def _anchor(self, start: int) -> tuple[int, int] | None:
        """(an id below row `start`, how many matches lie between it and row `start`)."""
        if self.dense:
            return self.min_id + start - 1, 0
        if self._sample and self.counted:
            j = min(start // self._step, len(self._sample) - 1)
            return self._sample[j] - 1, start - j * self._step
        return None

    def _offset(self, size: int, offset: int, descending: bool) -> list[Row]:
        return paging.offset_rows(
            self.conn,
            self.where,
            self.highlight,
            upto=self.max_id,
            size=size,
            offset=offset,
            descending=descending,
        )

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
