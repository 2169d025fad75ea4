"""A text in the app, for where $PAGER and $EDITOR cannot run (the browser: nothing to suspend).

Read-only it is the pager: scroll, select, escape closes. Editable it is the editor of an
edited replay: ctrl+s hands the text back, escape cancels (the dismissed value is None).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea


class TextScreen(ModalScreen[str | None]):
    """`title` above the text; the edited text on ctrl+s when `editable`."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="text.close"),
        Binding("ctrl+s", "save", "Send", id="text.save"),
    ]

    def __init__(self, text: str, title: str, *, editable: bool = False) -> None:
        super().__init__()
        self.text = text
        self.title_line = title
        self.editable = editable

    def compose(self) -> ComposeResult:
        with Vertical(id="text-box"):
            yield Label(self.title_line, id="text-title", markup=False)
            yield TextArea(
                self.text,
                read_only=not self.editable,
                show_line_numbers=True,
                soft_wrap=False,
                id="text-area",
            )

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.editable if action == "save" else True

    def action_close(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)
