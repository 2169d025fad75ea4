"""The writer thread: batches, codes and body index, and nothing lost at close."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from pathlib import Path

import pytest

from pluginlab_tui.store import writer as writer_module
from pluginlab_tui.store.event import ITEM_BYTES, Event, iso_now
from pluginlab_tui.store.lossless import original
from pluginlab_tui.store.writer import EventWriter, insert_events, item_bytes
from pluginlab_tui.validation.violations import Violation
from tests.harness import wait_for


def event(path: str = "/todos/a", **fields: object) -> Event:
    base: dict[str, object] = {"event_id": str(uuid.uuid4()), "ts": iso_now(), "method": "GET"}
    return Event(**{**base, "url": "http://x" + path, "path": path, **fields})  # type: ignore[arg-type]


class Later:
    """A pending event, finalized in the writer thread."""

    def __init__(self, made: Event) -> None:
        self.made = made
        self.thread: str | None = None

    def finalize(self) -> Event:
        self.thread = threading.current_thread().name
        return self.made

    def fallback(self, why: str) -> Event:
        return self.made


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_every_submitted_event_is_written_by_close(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = EventWriter(db, flush_ms=1000)
    writer.start()
    pending = Later(event(status=200))
    for _ in range(2500):
        writer.submit(event(status=200))
    writer.submit(pending)
    writer.close()
    assert rows(db, "SELECT count(*) FROM events") == [(2501,)]
    assert pending.thread == "pluginlab-writer"


def test_codes_and_bodies_are_indexed(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = EventWriter(db)
    writer.start()
    broken = Violation("invalid_body", "request", "body/title", "title must be a string")
    writer.submit(event(request_body='{"title": "buy oat milk"}', violations=[broken, broken]))
    writer.submit(event(response_body="binary", response_binary=True))
    writer.close()
    assert rows(db, "SELECT code FROM event_codes") == [("invalid_body",)]
    assert rows(db, "SELECT violation_count FROM events ORDER BY id") == [(2,), (0,)]
    found = rows(db, "SELECT rowid FROM events_fts WHERE events_fts MATCH '\"oat milk\"'")
    assert found == [(1,)]
    assert rows(db, "SELECT rowid FROM events_fts WHERE events_fts MATCH 'binary'") == []


def test_the_same_event_twice_is_kept_once(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "e.db", isolation_level=None)
    from pluginlab_tui.store.schema import migrate

    migrate(conn)
    once = event()
    assert insert_events(conn, [once, once]) == 1


def test_max_events_keeps_the_newest(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = EventWriter(db, flush_ms=10, max_events=10)
    writer.start()
    for i in range(25):
        writer.submit(event(path=f"/todos/{i}"))
    writer.close()
    paths = [r[0] for r in rows(db, "SELECT path FROM events ORDER BY id")]
    assert paths == [f"/todos/{i}" for i in range(15, 25)]


def escaped(data: bytes) -> str:
    """What mitmproxy makes of bytes that are not UTF-8."""
    return data.decode("utf-8", "surrogateescape")


def stored(db: Path) -> list[Event]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [Event.from_row(dict(r)) for r in conn.execute("SELECT * FROM events ORDER BY id")]
    finally:
        conn.close()


def notices(db: Path) -> list[tuple[str, str]]:
    return [(str(k), str(m)) for k, m in rows(db, "SELECT kind, message FROM notices ORDER BY id")]


class Raising:
    """A pending event whose finalize raises `exc`."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def finalize(self) -> Event:
        raise self.exc

    def fallback(self, why: str) -> Event:
        raise self.exc  # no fallback either: the event is counted as not stored


class Degraded(Raising):
    """A pending event whose finalize raises, but whose fallback gives what is certain."""

    def fallback(self, why: str) -> Event:
        return event(path="/degraded", error=f"the event could not be built: {why}")


class Held:
    """A pending event that holds the writer thread in finalize until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def finalize(self) -> Event:
        self.entered.set()
        self.release.wait(10)
        return event(path="/held")

    def fallback(self, why: str) -> Event:
        return event(path="/held", error=why)


def test_undecodable_fields_are_stored_readable_with_their_bytes(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = EventWriter(db)
    writer.start()
    poisoned = event(
        path=escaped(b"/todos/\xff"),
        request_headers=[("X-Note", escaped(b"caf\xff"))],
        request_body=escaped(b'{"title": "\xfe"}'),
        error=escaped(b"reset \x80"),
    )
    writer.submit(poisoned)
    writer.submit(event(path="/todos/after"))
    writer.close()
    first, after = stored(db)
    assert first.path == "/todos/\ufffd" and first.request_headers == [("X-Note", "caf\ufffd")]
    assert original(first, "path") == b"/todos/\xff"
    assert original(first, "request_headers/0/1") == b"caf\xff"
    assert original(first, "request_body") == b'{"title": "\xfe"}'
    assert original(first, "error") == b"reset \x80"
    assert after.path == "/todos/after" and after.raw == {}
    assert writer.health()["events_not_stored"] == 0
    found = rows(db, "SELECT rowid FROM events_fts WHERE events_fts MATCH 'title'")
    assert found == [(1,)]


def test_a_batch_that_fails_is_stored_event_by_event(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = EventWriter(db, flush_ms=200)
    writer.start()
    held = Held()
    writer.submit(held)  # the next ones queue up behind it and go in as one batch
    assert held.entered.wait(10)
    writer.submit(event(path="/todos/1"))
    writer.submit(event(path="/todos/huge", status=2**70))  # SQLite refuses this integer
    writer.submit(Raising(ValueError("no finalize today")))
    writer.submit(event(path="/todos/2"))
    held.release.set()
    writer.close()
    assert [e.path for e in stored(db)] == ["/held", "/todos/1", "/todos/2"]
    assert writer.health()["events_not_stored"] == 2
    told = " | ".join(m for k, m in notices(db) if k == "not_stored")
    assert "the store refused the event (OverflowError" in told
    assert "the event could not be built (ValueError: no finalize today)" in told


def test_an_event_that_cannot_be_built_is_stored_as_its_fallback(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = EventWriter(db)
    writer.start()
    writer.submit(Degraded(KeyError("content-type")))
    writer.close()
    [kept] = stored(db)
    assert kept.path == "/degraded" and kept.error is not None
    assert "KeyError" in kept.error
    assert writer.health()["events_not_stored"] == 0


def test_a_writer_thread_that_dies_is_restarted_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = EventWriter(db, flush_ms=10)
    writer.start()
    writer.submit(event(path="/todos/before"))
    assert wait_for(lambda: rows(db, "SELECT count(*) FROM events") == [(1,)])
    writer.submit(Raising(SystemExit("killed")))  # escapes every `except Exception`
    assert wait_for(lambda: not writer._thread.is_alive())  # type: ignore[union-attr]
    assert writer.health()["writer"] == "restarted"
    writer.submit(event(path="/todos/after"))
    writer.close()
    assert [e.path for e in stored(db)] == ["/todos/before", "/todos/after"]
    assert writer.health() == {
        "writer": "restarted",
        "queue_depth": 0,
        "queue_bytes": 0,
        "events_not_stored": 1,
    }
    assert ("writer", "the writer thread stopped (SystemExit: killed); restarted") in notices(db)
    assert any("lost when the writer thread stopped" in m for _, m in notices(db))


def test_a_writer_that_cannot_reopen_the_store_fails_then_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "RESTART_EVERY_S", 0.0)
    db = tmp_path / "events.db"
    writer = EventWriter(db, flush_ms=10)
    writer.start()
    writer.submit(Raising(SystemExit("killed")))
    assert wait_for(lambda: not writer._thread.is_alive())  # type: ignore[union-attr]
    db.rename(tmp_path / "aside.db")
    db.mkdir()  # the store's path is now a folder: it cannot be opened
    assert wait_for(lambda: writer.health()["writer"] == "failed")
    db.rmdir()
    (tmp_path / "aside.db").rename(db)
    assert wait_for(lambda: writer.health()["writer"] == "restarted")
    writer.submit(event(path="/todos/back"))
    writer.close()
    assert [e.path for e in stored(db)] == ["/todos/back"]


def test_a_full_queue_refuses_offers_and_counts_what_is_not_stored(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = EventWriter(db, queue_max=2)
    writer.start()
    held = Held()
    assert writer.offer(held)
    assert held.entered.wait(10)
    assert writer.offer(event(path="/todos/1")) and writer.offer(event(path="/todos/2"))
    assert not writer.offer(event(path="/todos/3"))
    assert writer.refusal() == "the writer's queue was full (store.queue_max=2)"
    assert not writer.submit(event(path="/todos/4"), timeout_s=0.05)
    assert writer.health() == {
        "writer": "running",
        "queue_depth": 2,
        "queue_bytes": 2 * ITEM_BYTES,
        "events_not_stored": 1,
    }
    for _ in range(1000):  # a flood of refusals is counted, not a notice each
        writer.not_stored(1, "the writer's queue was full")
    held.release.set()
    writer.close()
    assert [e.path for e in stored(db)] == ["/held", "/todos/1", "/todos/2"]
    assert writer.health()["events_not_stored"] == 1001
    told = [m for k, m in notices(db) if k == "not_stored"]
    assert len(told) <= 4
    assert sum(int(m.split()[0]) for m in told) == 1001


def test_a_listener_that_raises_does_not_stop_the_writer(tmp_path: Path) -> None:
    db = tmp_path / "events.db"

    def broken(events: list[Event]) -> None:
        raise UnicodeEncodeError("utf-8", "x", 0, 1, "cannot print")

    writer = EventWriter(db, flush_ms=10, on_written=broken)
    writer.start()
    writer.submit(event(path="/todos/1"))
    assert wait_for(lambda: rows(db, "SELECT count(*) FROM events") == [(1,)])
    writer.submit(event(path="/todos/2"))
    writer.close()
    assert rows(db, "SELECT count(*) FROM events") == [(2,)]
    assert writer.health()["writer"] == "running"


class Sized(Later):
    """A pending event that says how many bytes it holds."""

    def __init__(self, made: Event, nbytes: object) -> None:
        super().__init__(made)
        self.nbytes = nbytes


def test_an_item_is_counted_as_its_nbytes_and_never_less_than_the_constant() -> None:
    assert event(request_body="x" * 5000, response_body="y" * 300).nbytes == ITEM_BYTES + 5300
    undecoded = event(raw={"request_body": "A" * 800})
    assert undecoded.nbytes == ITEM_BYTES + 800
    assert item_bytes(event(response_body="z" * 10)) == ITEM_BYTES + 10
    assert item_bytes(Sized(event(), 50_000)) == 50_000
    assert item_bytes(Sized(event(), 3)) == ITEM_BYTES
    assert item_bytes(Sized(event(), "many")) == ITEM_BYTES  # says nothing usable
    assert item_bytes(Later(event())) == ITEM_BYTES  # says nothing


def test_the_queue_refuses_what_would_take_its_bytes_past_the_budget(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = EventWriter(db, queue_max=100, queue_max_bytes=5000)
    writer.start()
    held = Held()
    assert writer.offer(held)
    assert held.entered.wait(10)  # taken: its bytes are given back
    assert wait_for(lambda: writer.health()["queue_bytes"] == 0)
    first, second = event(path="/todos/1", request_body="a" * 1000), event(path="/todos/2")
    assert writer.offer(first) and writer.offer(second)
    assert writer.refused_by() is None
    assert writer.health()["queue_bytes"] == first.nbytes + second.nbytes == 3048
    assert not writer.offer(event(path="/todos/3", response_body="b" * 2000))  # 6072 bytes
    assert writer.refused_by() == "queue_max_bytes"
    assert writer.refusal() == (
        "the writer's queue was over its byte budget (store.queue_max_bytes=5000)"
    )
    assert not writer.submit(event(path="/todos/4", response_body="c" * 1000), timeout_s=0.05)
    assert writer.refused_by() == "queue_max_bytes"
    assert writer.offer(event(path="/todos/5", response_body="d" * 928))  # 5000 bytes: fits
    assert writer.health() == {
        "writer": "running",
        "queue_depth": 3,
        "queue_bytes": 5000,
        "events_not_stored": 1,
    }
    held.release.set()
    writer.close()
    assert [e.path for e in stored(db)] == ["/held", "/todos/1", "/todos/2", "/todos/5"]
    assert writer.health()["queue_bytes"] == 0
    assert (
        "not_stored",
        "1 event(s) not stored: the queue stayed over its byte budget"
        " (store.queue_max_bytes=5000) for 0.05 s",
    ) in notices(db)


def test_an_item_over_the_whole_budget_is_queued_only_alone(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = EventWriter(db, queue_max_bytes=10_000)
    writer.start()
    held = Held()
    assert writer.offer(held) and held.entered.wait(10)
    assert wait_for(lambda: writer.health()["queue_bytes"] == 0)
    huge = event(path="/todos/huge", request_body="h" * 50_000)
    assert writer.offer(huge)  # nothing waits: it is taken, or it could never be stored
    assert writer.health()["queue_bytes"] == huge.nbytes
    assert not writer.offer(event(path="/todos/small"))  # nothing more, however small
    assert writer.refused_by() == "queue_max_bytes"
    assert not writer.offer(event(path="/todos/huge2", request_body="h" * 50_000))
    held.release.set()
    writer.close()
    assert [e.path for e in stored(db)] == ["/held", "/todos/huge"]


def test_a_count_limit_still_refuses_before_the_bytes_run_out(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = EventWriter(db, queue_max=1, queue_max_bytes=1 << 20)
    writer.start()
    held = Held()
    assert writer.offer(held) and held.entered.wait(10)
    assert writer.offer(event(path="/todos/1"))
    assert not writer.offer(event(path="/todos/2"))
    assert writer.refused_by() == "queue_max"
    assert writer.health()["queue_bytes"] == ITEM_BYTES  # the refused item's bytes are not kept
    held.release.set()
    writer.close()
    assert writer.health()["queue_bytes"] == 0
    writer.offer(event(path="/todos/late"))
    assert writer.refused_by() == "closed"


def test_a_submit_waits_for_the_bytes_the_writer_gives_back(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = EventWriter(db, flush_ms=10, queue_max_bytes=4000)
    writer.start()
    held = Held()
    assert writer.offer(held) and held.entered.wait(10)
    assert writer.offer(event(path="/todos/1", request_body="a" * 2000))
    queued: list[bool] = []
    waiting = threading.Thread(
        target=lambda: queued.append(
            writer.submit(event(path="/todos/2", request_body="b" * 2000), timeout_s=30)
        )
    )
    waiting.start()
    assert not queued  # no room: it waits (it cannot have been queued)
    held.release.set()  # the writer takes /todos/1, giving its bytes back
    waiting.join(30)
    assert queued == [True]
    writer.close()
    assert [e.path for e in stored(db)] == ["/held", "/todos/1", "/todos/2"]
    assert writer.health()["events_not_stored"] == 0


def test_offers_from_many_threads_keep_the_byte_count_exact(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = EventWriter(db, flush_ms=1, queue_max_bytes=20 * (ITEM_BYTES + 100))
    writer.start()
    accepted: list[int] = []

    def flood() -> None:
        taken = sum(writer.offer(event(request_body="x" * 100)) for _ in range(300))
        accepted.append(taken)

    threads = [threading.Thread(target=flood) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    writer.close()
    assert writer.health()["queue_bytes"] == 0
    assert rows(db, "SELECT count(*) FROM events") == [(sum(accepted),)]
