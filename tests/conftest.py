"""Shared fixtures."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from pluginlab_tui.examples import Backend
from pluginlab_tui.store.event import Event
from pluginlab_tui.store.versions import Kind, VersionRecord, all_versions
from tests.harness import ProxyProcess, todo_sections, write_config

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"

#: Hypothesis profiles: "quick" by default, PLUGINLAB_HYPOTHESIS=thorough for the large counts.
#: No deadline in either: a busy machine is no bug (the house rule: no timing assertions).
THOROUGH = os.environ.get("PLUGINLAB_HYPOTHESIS", "quick") == "thorough"
settings.register_profile("quick", max_examples=100, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile("thorough" if THOROUGH else "quick")


def examples(thorough: int, quick: int) -> int:
    """A property test's example count: `quick` in the everyday run, `thorough` when asked."""
    return thorough if THOROUGH else min(quick, thorough)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """../shared/corpus beside the checkout; skips where it is absent (a user's clone)."""
    if not CORPUS.is_dir():
        pytest.skip(f"the shared plugin corpus is not at {CORPUS} (only CI and the team have it)")
    return CORPUS


@pytest.fixture(scope="session")
def todo_backend() -> Iterator[Backend]:
    """The example plugin's backend, a real uvicorn process on a free loopback port."""
    with Backend("todo") as backend:
        yield backend


ProxyFactory = Callable[..., ProxyProcess]


class Proxies:
    """Starts `pluginlab-tui serve` for the example plugin, each in a folder of its own under
    `root`: proxies(proxy={"strict": True}); close() stops them all."""

    def __init__(self, root: Path, backend: str) -> None:
        self.root = root
        self.backend = backend
        self.started: list[ProxyProcess] = []

    def __call__(
        self, *args: str, backend: str | None = "default", **sections: dict[str, Any]
    ) -> ProxyProcess:
        url = self.backend if backend == "default" else backend
        folder = self.root / f"proxy{len(self.started)}"
        folder.mkdir()
        for attempt in range(3):
            config = write_config(folder, todo_sections(folder, url, **sections))
            proxy = ProxyProcess(config, *args)
            self.started.append(proxy)
            try:
                return proxy.start()
            except RuntimeError as exc:  # another test took the free port first: take another
                if "already in use" not in str(exc) or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        for proxy in self.started:
            proxy.stop()


@pytest.fixture
def start_proxy(tmp_path: Path, todo_backend: Backend) -> Iterator[ProxyFactory]:
    """Start `pluginlab-tui serve` for the example plugin: start_proxy(proxy={"strict": True})."""
    proxies = Proxies(tmp_path, todo_backend.url)
    yield proxies
    proxies.close()


@pytest.fixture(scope="module")
def start_module_proxy(
    tmp_path_factory: pytest.TempPathFactory, todo_backend: Backend
) -> Iterator[ProxyFactory]:
    """start_proxy whose proxies serve a whole module (each started once, stopped at its end):
    for tests that find their own exchanges by event id, not by a fresh store."""
    proxies = Proxies(tmp_path_factory.mktemp("proxies"), todo_backend.url)
    yield proxies
    proxies.close()


def stored_events(db: Path) -> list[Event]:
    """Every event in a store, oldest first, read with a connection of its own."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute("SELECT * FROM events ORDER BY id").fetchall()
    finally:
        conn.close()
    return [Event.from_row(dict(r)) for r in rows]


def stored_notices(db: Path, kind: str) -> list[str]:
    """The messages of a store's notices of one kind, oldest first, on a connection of its own."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT message FROM notices WHERE kind = ? ORDER BY id", (kind,))
        return [str(message) for (message,) in rows]
    finally:
        conn.close()


def stored_event(db: Path, event_id: str) -> Event | None:
    """One event of a store by its id (None: not stored yet), on a connection of its own."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM events WHERE event_id = ?", (event_id,)).fetchone()
    finally:
        conn.close()
    return None if row is None else Event.from_row(dict(row))


def stored_versions(db: Path, kind: Kind | None = None) -> list[VersionRecord]:
    """Every version in a store (or those of one kind), oldest first, on a connection of its own."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return all_versions(conn, kind)
    finally:
        conn.close()


def events_since(db: Path, earlier: set[str]) -> list[Event]:
    """The events of a shared store that are not in `earlier` (the ids stored before), oldest
    first: what one test's traffic added."""
    return [e for e in stored_events(db) if e.event_id not in earlier]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests under tests/e2e run real processes: marked slow (`pytest -m "not slow"` skips them)."""
    for item in items:
        if "/tests/e2e/" in str(item.path):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def app_backend() -> Iterator[Backend]:
    """The example ChatGPT app (examples/app), a real uvicorn process on a free loopback port."""
    with Backend("app") as backend:
        yield backend
