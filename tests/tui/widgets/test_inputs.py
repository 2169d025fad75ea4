"""Text fields whose keys act in the order they were typed, and the focus moved at once."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Input

from pluginlab_tui.tui.widgets.inputs import InOrderInput, focus_now
from tests.tui.conftest import burst


class _Fields(App[int]):
    BINDINGS = [Binding("g", "second", "Second field", priority=True)]

    def compose(self) -> ComposeResult:
        yield InOrderInput(id="first")
        yield Input(id="second")

    def action_second(self) -> None:
        focus_now(self.query_one("#second", Input))


async def test_its_own_keys_act_where_they_were_typed() -> None:
    app = _Fields()
    async with app.run_test() as pilot:
        first = app.query_one("#first", InOrderInput)
        first.focus()
        await pilot.pause()
        await burst(pilot, *"ab", "home", "ctrl+k", "c", "left", "d", "end", "backspace", "e")
        assert first.value == "de"


async def test_a_plain_input_loses_that_order() -> None:
    """What the fields above are for: Textual's own Input, given the same burst (#6605)."""
    app = _Fields()
    async with app.run_test() as pilot:
        second = app.query_one("#second", Input)
        second.focus()
        await pilot.pause()
        await burst(pilot, *"ab", "home", "ctrl+k", "c")
        assert second.value != "c"


async def test_keys_behind_the_one_that_moved_the_focus_follow_it() -> None:
    app = _Fields()
    async with app.run_test() as pilot:
        app.set_focus(None)
        await pilot.pause()
        await burst(pilot, "g", *"xyz")
        assert app.query_one("#second", Input).value == "xyz"
