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


async def _typed_into(field: str, *keys: str) -> str:
    """What a field shows after keys that came in one burst while it had the focus."""
    app = _Fields()
    async with app.run_test() as pilot:
        widget = app.query_one(field, Input)
        widget.focus()
        await pilot.pause()
        await burst(pilot, *keys)
        return widget.value


async def test_its_own_keys_act_where_they_were_typed() -> None:
    keys = (*"ab", "home", "ctrl+k", "c", "left", "d", "end", "backspace", "e")
    assert await _typed_into("#first", *keys) == "de"


async def test_a_plain_input_loses_that_order() -> None:
    """What the fields above are for: Textual's own Input, given the same burst (#6605; the
    day Textual fixes it, this fails, and InOrderInput can go)."""
    assert await _typed_into("#second", *"ab", "home", "ctrl+k", "c") != "c"


async def test_keys_behind_the_one_that_moved_the_focus_follow_it() -> None:
    app = _Fields()
    async with app.run_test() as pilot:
        app.set_focus(None)
        await pilot.pause()
        await burst(pilot, "g", *"xyz")
        assert app.query_one("#second", Input).value == "xyz"
