"""The writer thread: events come in through a bounded queue and go to SQLite in batches.

Nothing here runs on the proxy's event loop. An item is an Event, or a Pending whose finalize()
builds the Event in this thread (response validation and serialisation happen here).

The queue is bounded twice: in items (queue_max) and in the bytes they hold (queue_max_bytes,
each item's `nbytes`, see item_bytes). An item that would take the bytes waiting past the budget
is refused like one that finds the queue full; one larger than the whole budget is still taken
when nothing else waits (else it could never be stored). The bytes are given back as the thread
takes the items: what waits is within the budget (or one oversized item alone), and what the
thread holds besides is the batch it is writing.

Nothing one event or batch does stops the writer: a batch that fails to insert is retried event
by event, and an event that still cannot be stored (or built) is counted as not stored, with a
notice saying why. The thread is supervised: if it dies anyway, the next call (offer, submit,
health, close) starts a new one and a notice says so.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal, Protocol, TypedDict

from pluginlab_tui.store import queries
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import ITEM_BYTES, Event, iso_now
from pluginlab_tui.store.lossless import make_storable
from pluginlab_tui.store.retention import keep_newest

log = logging.getLogger(__name__)

#: The hot path stays on plain sqlite3, not sqlite-utils' insert_all: benchmarks/store_insert.py
#: measured 20,000 events in batches of 2,000, best of 3: executemany 18,120 rows/s, one execute
#: a row (what is done here, for the rowid the codes and body index need) 1.06x, insert_all 0.56x
#: (on busy cores: 9,288 rows/s, 0.88x, 0.38x).
INSERT_EVENT = (
    f"INSERT OR IGNORE INTO events ({', '.join(Event.columns())}) VALUES ({Event.params()})"
)
_INSERT_CODE = "INSERT INTO event_codes (event, code) VALUES (?, ?)"
_INSERT_FTS = "INSERT INTO events_fts (rowid, request_body, response_body) VALUES (?, ?, ?)"
_WAKE = object()
_BATCH = 2000
#: How often a batch being gathered looks whether a whole batch waits already (seconds).
_GLANCE_S = 0.01
#: Events built between two hand-backs of the GIL to the loop.
_YIELD_EVERY = 8
#: Seconds between two notices about events not stored (the counts add up in between).
NOTICE_EVERY_S = 1.0
#: Seconds between two attempts to restart a writer thread that died.
RESTART_EVERY_S = 1.0
#: Reasons kept apart in the notices; more are counted under one.
_MAX_REASONS = 50
_BUSY_TRIES = 5


class Pending(Protocol):
    """An event to be built in the writer thread. One that also has `finalize_with(conn)` is
    given the writer's connection instead (for what it registers beside the event); one that has
    `nbytes` says roughly how many bytes it holds while it waits (see item_bytes)."""

    def finalize(self) -> Event: ...

    def fallback(self, why: str) -> Event:
        """The event with what is certain, when finalize failed."""
        ...


Item = Event | Pending
State = Literal["running", "restarted", "failed"]
#: Why an offer or submit was refused: the limit it hit, or the writer was closed.
Refusal = Literal["queue_max", "queue_max_bytes", "closed"]


class Health(TypedDict):
    writer: State
    queue_depth: int
    #: The bytes the items waiting in the queue hold (their nbytes).
    queue_bytes: int
    events_not_stored: int


def item_bytes(item: object) -> int:
    """The bytes an item is counted as holding: its `nbytes`, at least ITEM_BYTES (which is also
    what an item that does not say is counted as)."""
    size = getattr(item, "nbytes", None)
    return max(size, ITEM_BYTES) if isinstance(size, int) else ITEM_BYTES


def insert_events(conn: sqlite3.Connection, events: list[Event]) -> int:
    """Insert events in one transaction (with their codes and body index); returns the count.

    Fields that do not decode are made storable first, in place (store/lossless.py).
    """
    written = 0
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        for event in events:
            cur = conn.execute(INSERT_EVENT, make_storable(event).row())
            if cur.rowcount != 1:
                continue  # the same event_id twice: kept once
            rowid = cur.lastrowid
            written += 1
            for code in {v.code for v in event.violations}:
                conn.execute(_INSERT_CODE, (rowid, code))
            conn.execute(
                _INSERT_FTS,
                (
                    rowid,
                    "" if event.request_binary else event.request_body or "",
                    "" if event.response_binary else event.response_body or "",
                ),
            )
    return written


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class EventWriter:
    """Owns one connection and one thread; offer, submit, not_stored and health are thread-safe."""

    def __init__(
        self,
        path: Path,
        *,
        flush_ms: int = 100,
        max_events: int | None = None,
        on_written: Callable[[list[Event]], None] | None = None,
        queue_max: int = 10_000,
        queue_max_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        self.path = path
        self.flush_s = max(flush_ms, 1) / 1000
        self.max_events = max_events
        self.on_written = on_written
        self.written = 0
        self.queue_max_bytes = max(queue_max_bytes, 1)
        #: Each item with the bytes it was counted as holding.
        self._queue: queue.Queue[tuple[object, int]] = queue.Queue(maxsize=max(queue_max, 1))
        #: The bytes the queued items hold; guarded by `_room`, which says when some are given back.
        self._bytes = 0
        self._room = threading.Condition()
        #: Per thread: why its last offer or submit was refused (see refused_by).
        self._refusal = threading.local()
        self._conn: sqlite3.Connection | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._closed = False
        self._state: State = "running"
        self._not_stored = 0
        #: Counts not yet told in a notice, by reason; and restart notices to write.
        self._untold: dict[str, int] = {}
        self._notes: list[tuple[str, str]] = []
        self._last_notice = 0.0
        self._last_restart = 0.0
        #: Items taken from the queue and not yet stored or counted (lost if the thread dies).
        self._taken = 0
        self._death: BaseException | None = None

    # -- the interface -------------------------------------------------------------------------

    def start(self) -> None:
        self._conn = open_store(self.path, create=True)
        self._spawn()

    def offer(self, item: Item) -> bool:
        """Queue an item without waiting; False when the queue is full, in items or in bytes (or
        the writer closed): refused_by() then says which."""
        self._ensure_running()
        if self._closed:
            return self._refused("closed")
        size = item_bytes(item)
        if not self._reserve(size, 0.0):
            return self._refused("queue_max_bytes")
        try:
            self._queue.put_nowait((item, size))
        except queue.Full:
            self._give_back(size)
            return self._refused("queue_max")
        self._refusal.limit = None
        return True

    def submit(self, item: Item, timeout_s: float | None = None) -> bool:
        """Queue an item, waiting for room (items and bytes) up to timeout_s (None: as long as it
        takes).

        An item that finds no room in time is counted as not stored; returns whether it was queued.
        """
        size = item_bytes(item)
        deadline = None if timeout_s is None else time.monotonic() + max(timeout_s, 0.0)
        limit: Refusal = "queue_max"
        while not self._closed:
            self._ensure_running()
            if self._reserve(size, _slice(deadline)):
                try:
                    wait = _slice(deadline)
                    if wait <= 0:
                        self._queue.put_nowait((item, size))
                    else:
                        self._queue.put((item, size), timeout=wait)
                    self._refusal.limit = None
                    return True
                except queue.Full:
                    self._give_back(size)
                    limit = "queue_max"
            else:
                limit = "queue_max_bytes"
            if deadline is not None and time.monotonic() >= deadline:
                break
        if self._closed:
            limit = "closed"
        self._refused(limit)
        why = {
            "closed": "the writer is closed",
            "queue_max": f"the queue stayed full for {timeout_s} s",
            "queue_max_bytes": f"the queue stayed over its byte budget"
            f" (store.queue_max_bytes={self.queue_max_bytes}) for {timeout_s} s",
        }[limit]
        self.not_stored(1, why)
        return False

    def refused_by(self) -> Refusal | None:
        """Why this thread's last offer or submit was refused: the limit that was hit, or
        "closed" (None: it was queued, or none was made)."""
        limit: Refusal | None = getattr(self._refusal, "limit", None)
        return limit

    def refusal(self) -> str:
        """This thread's last refusal in words, for a not-stored notice: "the writer's queue was
        full (store.queue_max=N)", or over its byte budget, or closed."""
        limit = self.refused_by()
        if limit == "queue_max_bytes":
            budget = self.queue_max_bytes
            return f"the writer's queue was over its byte budget (store.queue_max_bytes={budget})"
        if limit == "closed":
            return "the writer was closed"
        return f"the writer's queue was full (store.queue_max={self._queue.maxsize})"

    def not_stored(self, count: int, why: str) -> None:
        """Count events that will not be stored; a notice says why (at most one a second)."""
        if count <= 0:
            return
        with self._lock:
            self._not_stored += count
            if why not in self._untold and len(self._untold) >= _MAX_REASONS:
                why = "other reasons"
            first = why not in self._untold
            self._untold[why] = self._untold.get(why, 0) + count
        if first:  # the log is told once per reason and notice, like the store
            log.warning("event(s) not stored: %s", why)

    def health(self) -> Health:
        self._ensure_running()
        return {
            "writer": self._state,
            "queue_depth": self._queue.qsize(),
            "queue_bytes": self._bytes,
            "events_not_stored": self._not_stored,
        }

    def close(self, timeout: float = 30.0) -> None:
        """Write everything queued so far, then stop the thread."""
        self._closing.set()
        deadline = time.monotonic() + timeout
        for _ in range(3):  # a thread that dies while draining is restarted to finish
            self._ensure_running(now=True)
            self._wake()
            thread = self._thread
            if thread is not None:
                thread.join(max(deadline - time.monotonic(), 0.0))
            if thread is None or thread.is_alive() or self._queue.empty():
                break
        self._closed = True
        if self._thread is None or not self._thread.is_alive():
            self._tell(force=True)
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- the byte budget ----------------------------------------------------------------------

    def _fits(self, size: int) -> bool:
        """Whether `size` more bytes may wait (always when none do: an oversized item alone)."""
        return self._bytes == 0 or self._bytes + size <= self.queue_max_bytes

    def _reserve(self, size: int, wait_s: float) -> bool:
        """Count `size` bytes as waiting, when they fit within wait_s seconds; False if not."""
        with self._room:
            if wait_s > 0 and not self._fits(size):
                self._room.wait_for(lambda: self._fits(size), wait_s)
            if not self._fits(size):
                return False
            self._bytes += size
            return True

    def _give_back(self, size: int) -> None:
        if size <= 0:
            return
        with self._room:
            self._bytes -= size
            self._room.notify_all()

    def _refused(self, limit: Refusal) -> bool:
        self._refusal.limit = limit
        return False

    # -- supervision ---------------------------------------------------------------------------

    def _spawn(self, *, reconnect: bool = False) -> None:
        self._thread = threading.Thread(
            target=self._main, args=(reconnect,), name="pluginlab-writer", daemon=True
        )
        self._thread.start()

    def _ensure_running(self, *, now: bool = False) -> None:
        """Start a new thread when the last one died (at most once a second unless `now`)."""
        thread = self._thread
        if thread is None or thread.is_alive() or self._closed:
            return
        with self._lock:
            if self._thread is not thread:
                return  # another caller restarted it
            moment = time.monotonic()
            if not now and moment - self._last_restart < RESTART_EVERY_S:
                return
            self._last_restart = moment
            death, self._death = self._death, None
            lost, self._taken = self._taken, 0
            why = _why(death) if death is not None else "it stopped"
            if len(self._notes) < _MAX_REASONS:
                self._notes.append(("writer", f"the writer thread stopped ({why}); restarted"))
            self._state = "restarted"  # or failed, when the new thread cannot open the store
            self._spawn(reconnect=True)
        log.error("the writer thread stopped (%s); restarted", why)
        if lost:
            self.not_stored(lost, f"lost when the writer thread stopped ({why})")

    def _main(self, reconnect: bool) -> None:
        try:
            if reconnect:  # the connection the dead thread left may be mid-transaction
                self._reconnect()
            self._run()
        except BaseException as exc:  # the supervisor restarts the thread and tells why
            self._death = exc
            log.exception("the writer thread stopped")

    def _reconnect(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None
        try:
            self._conn = open_store(self.path)  # not made anew if it is gone
        except BaseException:
            self._state = "failed"
            raise

    def _wake(self) -> None:
        try:
            self._queue.put_nowait((_WAKE, 0))
        except queue.Full:
            pass  # the thread has work and will see the closing flag

    # -- the thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch:
                self._write(batch)
            self._tell()
            if self._closing.is_set() and self._queue.empty():
                self._tell(force=True)
                return

    def _next_batch(self) -> list[object]:
        """What is queued, up to _BATCH items, waiting up to flush_s for more after the first;
        the bytes of each item are given back as it is taken."""
        try:
            batch = [self._take(self._queue.get(timeout=0.25))]
        except queue.Empty:
            return []
        # The rest of the batch comes as it is queued, but the thread does not wait on each item:
        # woken by every offer, it took the GIL from the loop once an exchange (measured here).
        # It looks in every _GLANCE_S until flush_s is over or a whole batch waits.
        deadline = time.monotonic() + self.flush_s
        while not self._closing.is_set() and self._queue.qsize() < _BATCH:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._closing.wait(min(remaining, _GLANCE_S))
        while len(batch) < _BATCH:
            try:
                batch.append(self._take(self._queue.get_nowait()))
            except queue.Empty:
                break
        items = [b for b in batch if b is not _WAKE]
        self._taken = len(items)
        return items

    def _take(self, entry: tuple[object, int]) -> object:
        item, size = entry
        self._give_back(size)
        return item

    def _write(self, batch: list[object]) -> None:
        """Store a batch; `_taken` counts what is neither stored nor counted as not stored yet."""
        events: list[Event] = []
        for n, item in enumerate(batch):
            # Building an event is Python work that holds the GIL: every few events the loop gets
            # it back at once, not after the interpreter's 5 ms switch interval. Measured here
            # (benchmarks/proxy_overhead.py, one run each): after every event, the writer fell
            # furthest behind under load and the sequential p50 was 1.2 ms; every 8, 1.0 ms and
            # the most events recorded a second; every 32 or never, no better.
            if n % _YIELD_EVERY == 0:
                time.sleep(0)
            try:
                events.append(_finalize(item, self._conn))
            except Exception as exc:
                log.exception("an event could not be built")
                try:  # what is certain of the exchange, with why the rest is missing
                    events.append(item.fallback(_why(exc)))  # type: ignore[attr-defined]
                except Exception:
                    self._taken -= 1
                    self.not_stored(1, f"the event could not be built ({_why(exc)})")
        written: list[Event] = []
        if events and self._conn is not None:
            try:
                written = self._insert(events)
            except Exception as exc:
                log.warning("a batch of %d events failed (%s); one by one", len(events), exc)
                written = self._one_by_one(events)
        self._taken = 0
        self.written += len(written)
        self._after(written)

    def _insert(self, events: list[Event]) -> list[Event]:
        """Insert, retrying while the store is busy; raises what the last try raised."""
        assert self._conn is not None
        for attempt in range(_BUSY_TRIES - 1):
            try:
                insert_events(self._conn, events)
                return events
            except sqlite3.OperationalError as exc:  # locked by a reader's checkpoint, say
                log.warning("store busy (%s), retrying", exc)
                time.sleep(0.05 * (attempt + 1))
        insert_events(self._conn, events)
        return events

    def _one_by_one(self, events: list[Event]) -> list[Event]:
        written: list[Event] = []
        for event in events:
            try:
                written += self._insert([event])
            except Exception as exc:
                log.error("event %s not stored: %s", event.event_id, exc)
                self.not_stored(1, f"the store refused the event ({_why(exc)})")
            self._taken -= 1
        return written

    def _after(self, written: list[Event]) -> None:
        """Retention and the listener: their failures are logged, never the writer's end."""
        if not written:
            return
        if self.max_events is not None and self._conn is not None:
            try:
                keep_newest(self._conn, self.max_events)
            except Exception:
                log.exception("pruning the store failed")
        if self.on_written is not None:
            try:
                self.on_written(written)
            except Exception:
                log.exception("the listener of written events failed")

    def _tell(self, *, force: bool = False) -> None:
        """Write the notices due: restarts, and the counts of events not stored."""
        moment = time.monotonic()
        if not force and moment - self._last_notice < NOTICE_EVERY_S:
            return
        with self._lock:
            untold, self._untold = self._untold, {}
            notes, self._notes = self._notes, []
        if not untold and not notes:
            return
        self._last_notice = moment
        notes += [("not_stored", f"{n} event(s) not stored: {why}") for why, n in untold.items()]
        if self._conn is None:
            log.error("notices not written (no store): %s", notes)
            return
        try:
            for kind, message in notes:
                queries.add_notice(self._conn, iso_now(), kind, message)
        except Exception:
            log.exception("notices could not be written: %s", notes)


def _slice(deadline: float | None) -> float:
    """Seconds to wait at most in one step: 0.25 (the supervisor checks between), or until the
    deadline (0 or less: it has passed)."""
    return 0.25 if deadline is None else min(0.25, deadline - time.monotonic())


def _finalize(item: object, conn: sqlite3.Connection | None) -> Event:
    if isinstance(item, Event):
        return item
    finalize = getattr(item, "finalize", None)
    if finalize is None:
        raise TypeError(f"not an event: {type(item).__name__}")
    finalize_with = getattr(item, "finalize_with", None)
    event = finalize() if finalize_with is None or conn is None else finalize_with(conn)
    if not isinstance(event, Event):
        raise TypeError(f"finalize gave {type(event).__name__}, not an Event")
    return event
