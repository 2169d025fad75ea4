"""Faults of the backend: each one an event with a clear error and the right status, and the proxy
keeps serving."""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Iterator

import pytest

from tests.conftest import ProxyFactory, events_since, stored_events
from tests.harness import ProxyProcess, Traffic, wait_for
from tests.rogue import Mode, RogueBackend


@pytest.fixture(scope="module")
def rogue_proxy(start_module_proxy: ProxyFactory) -> Iterator[tuple[RogueBackend, ProxyProcess]]:
    """One proxy (timeout_s 1) before one rogue backend, whose mode each test sets."""
    with RogueBackend("reset") as rogue:
        yield rogue, start_module_proxy(backend=rogue.url, proxy={"timeout_s": 1})


@pytest.mark.parametrize(
    ("mode", "status", "error"),
    [
        ("reset", 502, "backend failed"),
        ("garbage", 502, "backend failed"),
        ("short", 502, "backend failed"),
        ("close", 502, "backend failed"),
        ("hang", 504, "did not answer within"),
    ],
)
def test_each_fault_is_recorded_and_the_proxy_keeps_serving(
    rogue_proxy: tuple[RogueBackend, ProxyProcess], mode: Mode, status: int, error: str
) -> None:
    rogue, proxy = rogue_proxy
    rogue.mode = mode
    earlier = {e.event_id for e in stored_events(proxy.db)}
    with proxy.client() as client:
        answers = [client.get("/todos/alice") for _ in range(3)]
        manifest = client.get("/.well-known/ai-plugin.json")
    assert [a.status_code for a in answers] == [status] * 3
    assert all(a.headers["content-type"] == "application/json" for a in answers)
    assert manifest.status_code == 200
    ids = [a.headers["X-PluginLab-Event-Id"] for a in [*answers, manifest]]
    events = wait_for(
        lambda: (
            (new := events_since(proxy.db, earlier))
            and {e.event_id for e in new} >= set(ids)
            and new
        )
    )
    assert [e.event_id for e in events] == ids  # these four, in order, and no other
    assert [e.status for e in events] == [status] * 3 + [200]
    assert all(error in (e.error or "") for e in events[:3]), [e.error for e in events]


def test_the_store_passes_integrity_checks_after_kill_9(start_proxy: ProxyFactory) -> None:
    proxy = start_proxy()
    with Traffic(proxy, "/todos/k", threads=3, limit=3000) as traffic:
        wait_for(lambda: len(traffic.answered) >= 200, timeout=30)
        flushed = {e.event_id for e in stored_events(proxy.db)}
        proxy.stop(signal.SIGKILL)
    conn = sqlite3.connect(proxy.db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    kept = {e.event_id for e in stored_events(proxy.db)}
    assert flushed <= kept, "an event flushed before the kill was lost"
    assert len(kept) >= len(flushed) > 0
