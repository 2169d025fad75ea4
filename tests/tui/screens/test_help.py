"""F1 and ? open the help: the keys where the focus is, with ids, and the filter language."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from pluginlab_tui.tui.screens.help import HelpScreen
from pluginlab_tui.tui.screens.main import MainScreen
from tests.tui.conftest import make_app, settle, shown


async def test_help_by_f1_and_question_mark(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = shown(app.screen.query_one(Static))
        for expected in ("list.follow", "filter.edit", "event.mark", "status:4xx", "body:"):
            assert expected in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, MainScreen)


async def test_help_in_a_body_shows_the_body_keys(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("2", "f1")
        text = shown(app.screen.query_one(Static))
        assert "body.search" in text and "body.next" in text
