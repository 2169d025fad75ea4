"""The simulator's question to a proxy: where is your store (its health route, loopback only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pluginlab_tui.examples import free_port
from pluginlab_tui.simulate import Simulator
from pluginlab_tui.wire import HEALTH_ROUTE
from tests.harness import HealthServer


@pytest.fixture
def health() -> Iterator[HealthServer]:
    with HealthServer() as server:
        yield server


def test_a_local_proxy_names_its_store(health: HealthServer, tmp_path: Path) -> None:
    health.answer = {"status": "ok", "version": 1, "store": str(tmp_path / "events.db")}
    with Simulator(health.url) as simulator:
        assert simulator.proxy_store() == (tmp_path / "events.db", None)
    assert health.paths == [HEALTH_ROUTE]


@pytest.mark.parametrize(
    "answer", [{"status": "ok"}, {"store": "relative/events.db"}, {"store": 3}, ["store"]]
)
def test_an_answer_without_an_absolute_store_is_said(health: HealthServer, answer: object) -> None:
    health.answer = answer
    with Simulator(health.url) as simulator:
        store, reason = simulator.proxy_store()
    assert store is None and reason is not None and "names no event store" in reason


def test_a_remote_target_is_not_asked() -> None:
    with Simulator("http://192.0.2.1:9") as simulator:  # TEST-NET: never reached
        store, reason = simulator.proxy_store()
    assert store is None and reason == "http://192.0.2.1:9 is not a local proxy"


def test_nothing_listening_is_left_to_the_run_to_say() -> None:
    with Simulator(f"http://127.0.0.1:{free_port()}") as simulator:
        assert simulator.proxy_store() == (None, None)
