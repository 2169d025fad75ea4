"""The writer's byte budget through the real proxy: large bodies past store.queue_max_bytes are
counted as not stored, said in a notice and on the health route, and the proxy keeps answering."""

from __future__ import annotations

import sqlite3

from tests.conftest import ProxyFactory, stored_events
from tests.harness import wait_for

BUDGET = 100_000
#: Each request holds more than the whole budget (its body as received, and the answer).
BODY = b'{"note": "' + b"x" * 300_000 + b'"}'
SENT = 6


def not_stored_notices(conn: sqlite3.Connection) -> list[str]:
    found = conn.execute("SELECT message FROM notices WHERE kind = 'not_stored' ORDER BY id")
    return [str(m) for (m,) in found]


def test_large_bodies_past_the_byte_budget_are_counted_and_the_proxy_answers(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy(store={"queue_max_bytes": BUDGET, "queue_wait_ms": 0, "flush_ms": 1})
    lock = sqlite3.connect(proxy.db, timeout=10, isolation_level=None)
    try:
        # The store is locked (as by a long checkpoint): the writer thread holds the first event
        # in a busy wait (busy_timeout 5 s), so the next ones wait in its queue.
        lock.execute("BEGIN IMMEDIATE")
        with proxy.client() as client:
            statuses = [
                client.post(
                    "/todos/budget", content=BODY, headers={"content-type": "application/json"}
                ).status_code
                for _ in range(SENT)
            ]
            held = client.get("/_pluginlab/health").json()
        lock.execute("ROLLBACK")
        assert statuses == [400] * SENT  # answered by the backend (no title), every one
        # One event at most waits alone (each is larger than the whole budget); the rest of the
        # flood found no room.
        assert held["writer"] == "running"
        assert held["queue_depth"] == 1 and held["queue_bytes"] > BUDGET
        assert held["events_not_stored"] >= 1

        with proxy.client() as client:
            assert client.get("/todos/alice").status_code == 200
            assert wait_for(lambda: client.get("/_pluginlab/health").json()["queue_bytes"] == 0)
        why = (
            " event(s) not stored: the writer's queue was over its byte budget"
            f" (store.queue_max_bytes={BUDGET}) for store.queue_wait_ms=0"
        )
        told = wait_for(lambda: [m for m in not_stored_notices(lock) if m.endswith(why)])
        assert told
        posts = wait_for(lambda: [e for e in stored_events(proxy.db) if e.method == "POST"])
        assert 1 <= len(posts) < SENT
        assert sum(int(m.split()[0]) for m in told) >= SENT - len(posts)
    finally:
        lock.close()
