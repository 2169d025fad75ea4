"""The in-app text screen: the browser's pager (read-only) and the edited replay's editor."""

from __future__ import annotations

import json
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Static, TextArea

from pluginlab_tui.tui import app as app_module
from pluginlab_tui.tui.app import PluginLabApp
from pluginlab_tui.tui.present import full_body
from pluginlab_tui.tui.screens.text_view import TextScreen
from pluginlab_tui.tui.widgets.body_view import BodyView
from tests.tui.conftest import settle


class Host(App[None]):
    def __init__(self, screen: TextScreen) -> None:
        super().__init__()
        self.text_screen = screen
        self.results: list[str | None] = []

    def compose(self) -> ComposeResult:
        yield Static("under")

    def on_mount(self) -> None:
        self.push_screen(self.text_screen, self.results.append)


async def test_read_only_it_shows_the_text_and_escape_closes_it() -> None:
    app = Host(TextScreen('{\n  "a": 1\n}', "a body"))
    async with app.run_test() as pilot:
        area = app.screen.query_one(TextArea)
        assert area.read_only and area.text == '{\n  "a": 1\n}'
        await pilot.press("x", "ctrl+s")  # neither edits nor hands anything back
        assert app.screen is app.text_screen and area.text == '{\n  "a": 1\n}'
        await pilot.press("escape")
    assert app.results == [None]


async def test_editable_ctrl_s_hands_back_the_edited_text() -> None:
    app = Host(TextScreen("GET /todos", "edit", editable=True))
    async with app.run_test() as pilot:
        await pilot.press("end", *"/alice", "ctrl+s")
    assert app.results == ["GET /todos/alice"]


class InBrowser(PluginLabApp):
    """The app as textual-serve's web driver runs it (the headless driver says no browser)."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

    @property
    def is_web(self) -> bool:
        return True


async def test_in_a_browser_the_pager_key_opens_the_body_in_the_app(store: Path) -> None:
    app = InBrowser(store, cursor_blink=False, poll_interval=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2", "o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TextScreen)
        view = app.screen_stack[-2].query_one("#response-body", BodyView)
        assert view.raw_body is not None
        whole, _ = full_body(view.raw_body, view.binary, pretty=True)
        assert screen.query_one(TextArea).text == whole and json.loads(whole)
        await pilot.press("escape")
        assert not isinstance(app.screen, TextScreen)
