"""A small dialog: the comment of the selected exchange."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from pluginlab_tui.tui.widgets.inputs import InOrderInput


class CommentScreen(ModalScreen[str | None]):
    """Enter saves (empty removes the comment), escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="comment.cancel")]

    def __init__(self, current: str, *, blink: bool = True) -> None:
        super().__init__()
        self.current = current
        self.blink = blink

    def compose(self) -> ComposeResult:
        with Vertical(id="comment-box"):
            yield Label("Comment on this exchange (enter saves, empty removes, escape cancels)")
            yield InOrderInput(self.current, id="comment-input")

    def on_mount(self) -> None:
        field = self.query_one(InOrderInput)
        field.cursor_blink = self.blink
        field.focus()

    @on(Input.Submitted)
    def _save(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
