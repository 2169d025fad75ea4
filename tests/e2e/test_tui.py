"""The TUI attached to a real proxy's store: an exchange shows up within a second."""

from __future__ import annotations

import asyncio
import time

import httpx

from pluginlab_tui.tui.screens.main import MainScreen
from pluginlab_tui.tui.widgets.event_list import EventList, verdict_text
from tests.conftest import ProxyFactory
from tests.tui.conftest import make_app


async def _newest_row_within(main: MainScreen, event_id: str, seconds: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        events = main.query_one(EventList)
        row = events.rows.row(events.rows.total - 1)
        if row is not None and main.data.event(row.id) is not None:
            if main.data.event(row.id).event_id == event_id:  # type: ignore[union-attr]
                return time.monotonic() - started
        await asyncio.sleep(0.02)
    return None


async def test_an_exchange_appears_within_a_second_with_its_verdict(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy()
    app = make_app(proxy.db, poll_interval=0.25)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause(0.2)
        main = app.screen
        assert isinstance(main, MainScreen)
        async with httpx.AsyncClient(base_url=proxy.url, trust_env=False, timeout=30) as client:
            good = await client.post("/todos/tui", json={"title": "Buy milk"})
            assert good.status_code == 201
            waited = await _newest_row_within(main, good.headers["X-PluginLab-Event-Id"], 1.0)
            assert waited is not None, "the exchange did not appear within a second"
            events = main.query_one(EventList)
            row = events.rows.row(events.rows.total - 1)
            assert row is not None and row.status == 201 and row.operation_id == "addTodo"
            assert verdict_text(row).strip() == "✓"

            bad = await client.post("/todos/tui", json={"title": 42})
            waited = await _newest_row_within(main, bad.headers["X-PluginLab-Event-Id"], 1.0)
            assert waited is not None
            row = events.rows.row(events.rows.total - 1)
            assert row is not None and row.violation_count >= 1
            assert "✗" in verdict_text(row)
            assert events.follow and events.cursor == events.rows.total - 1
        await pilot.pause(0.2)
        await pilot.press("3")
        await pilot.pause(0.2)
        detail = main.detail.event
        assert detail is not None and detail.violations[0].code == "invalid_body"
