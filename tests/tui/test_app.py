"""The app: command palette with every action, a user keymap, a theme."""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding
from textual.command import CommandPalette

from pluginlab_tui.tui.app import palette_bindings
from pluginlab_tui.tui.screens.main import MainScreen
from pluginlab_tui.tui.screens.stats import StatsScreen
from pluginlab_tui.tui.user_config import UserConfig
from pluginlab_tui.tui.widgets.event_list import EventList
from tests.tui.conftest import make_app, settle


async def test_palette_holds_the_actions_and_runs_them(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        # every key of the main screen, read from its bindings, with the key that runs it
        assert {b.id for b in palette_bindings()} == {
            b.id for b in MainScreen.BINDINGS if isinstance(b, Binding)
        }
        for binding in palette_bindings():
            assert binding.description in commands
        assert commands["Stats"] == "Per operation figures over the filtered exchanges (s)"
        assert commands["Mark"] == "Mark (m)"
        assert "Theme" in commands and "Open the response body in $PAGER" in commands
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"stats")
        await settle(pilot, 0.5)
        await pilot.press("enter")
        await settle(pilot, 0.3)
        assert isinstance(app.screen, StatsScreen)


async def test_palette_follow_command(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Follow")
        await command.callback()
        main = app.screen
        assert isinstance(main, MainScreen)
        assert not main.query_one(EventList).follow


async def test_user_keymap_and_theme(store: Path) -> None:
    user = UserConfig(theme="nord", keymap={"list.follow": "ctrl+f", "event.mark": "space"})
    app = make_app(store, user=user)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.theme == "nord"
        helps = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert helps["Follow"] == "Follow the newest exchange (^f)"  # the palette says the new key
        events = app.screen.query_one(EventList)
        await pilot.press("F")
        assert events.follow  # F is no longer bound
        await pilot.press("ctrl+f")
        assert not events.follow
        await pilot.press("space")
        await settle(pilot)
        row = events.current
        assert row is not None and row.marked


async def test_unknown_theme_is_a_warning_not_a_crash(store: Path) -> None:
    app = make_app(store, user=UserConfig(theme="no-such-theme"))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        assert any("no-such-theme" in n.message for n in app._notifications)
