"""Detail pane: its tabs are filled when first shown, and still follow the selection."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from pluginlab_tui.tui.screens.main import MainScreen
from pluginlab_tui.tui.widgets.detail import DetailPane
from tests.tui.conftest import make_app, settle, shown


async def test_lazy_tabs_show_the_selected_exchange(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        detail = main.query_one(DetailPane)
        assert detail.filled("request") and not detail.filled("timing")
        assert not main.query("#timing-text")  # nothing composed for a tab never shown
        await pilot.press("5")
        await settle(pilot)
        assert detail.filled("timing")
        newest = detail.event
        assert newest is not None and newest.event_id in shown(
            main.query_one("#timing-text", Static)
        )
        await pilot.press("escape", "k")
        await settle(pilot)
        before = detail.event
        assert before is not None and before.event_id != newest.event_id
        assert before.event_id in shown(main.query_one("#timing-text", Static))
        await pilot.press("2")
        await settle(pilot)
        body = detail.body_view("response")
        assert body is not None and body.raw_body == before.response_body
