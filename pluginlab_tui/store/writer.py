"""The writer thread: events come in through a queue and go to SQLite in batches.

Nothing here runs on the proxy's event loop. An item is an Event, or a Pending whose finalize()
builds the Event in this thread (response validation and serialisation happen here).
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import Event
from pluginlab_tui.store.retention import keep_newest
from pluginlab_tui.store.schema import EVENT_COLUMNS

log = logging.getLogger(__name__)

_INSERT = (
    f"INSERT OR IGNORE INTO events ({', '.join(EVENT_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in EVENT_COLUMNS)})"
)
_INSERT_CODE = "INSERT INTO event_codes (event, code) VALUES (?, ?)"
_INSERT_FTS = "INSERT INTO events_fts (rowid, request_body, response_body) VALUES (?, ?, ?)"
_STOP = object()


class Pending(Protocol):
    def finalize(self) -> Event: ...


Item = Event | Pending


def insert_events(conn: sqlite3.Connection, events: list[Event]) -> int:
    """Insert events in one transaction (with their codes and body index); returns the count."""
    written = 0
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        for event in events:
            cur = conn.execute(_INSERT, event.row())
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


class EventWriter:
    """Owns one connection and one thread; `submit` is safe from any thread."""

    def __init__(
        self,
        path: Path,
        *,
        flush_ms: int = 100,
        max_events: int | None = None,
        on_written: Callable[[list[Event]], None] | None = None,
    ) -> None:
        self.path = path
        self.flush_s = max(flush_ms, 1) / 1000
        self.max_events = max_events
        self.on_written = on_written
        self.written = 0
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="pluginlab-writer", daemon=True)
        self._conn: sqlite3.Connection | None = None

    def start(self) -> None:
        self._conn = open_store(self.path, create=True)
        self._thread.start()

    def submit(self, item: Item) -> None:
        self._queue.put(item)

    def close(self, timeout: float = 30.0) -> None:
        """Write everything submitted so far, then stop the thread."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[object] = [self._queue.get()]
            deadline = time.monotonic() + self.flush_s
            while len(batch) < 2000:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    batch.append(self._queue.get(timeout=remaining))
                except queue.Empty:
                    break
            if _STOP in batch:
                stopping = True
                batch = [b for b in batch if b is not _STOP]
                while True:  # drain what came in before the stop
                    try:
                        extra = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if extra is not _STOP:
                        batch.append(extra)
            self._write(batch)

    def _write(self, batch: list[object]) -> None:
        events = [_finalize(item) for item in batch]
        if not events or self._conn is None:
            return
        for attempt in range(5):
            try:
                self.written += insert_events(self._conn, events)
                break
            except sqlite3.OperationalError as exc:  # locked by a reader's checkpoint, say
                log.warning("store busy (%s), retrying", exc)
                time.sleep(0.05 * (attempt + 1))
        else:
            log.error("could not write %d events", len(events))
            return
        if self.max_events is not None:
            keep_newest(self._conn, self.max_events)
        if self.on_written is not None:
            self.on_written(events)


def _finalize(item: object) -> Event:
    if isinstance(item, Event):
        return item
    assert hasattr(item, "finalize")
    event: Event = item.finalize()
    return event
