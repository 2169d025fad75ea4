"""The filter prompt: an expression with its parse error shown where it is, and a history."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Static

from pluginlab_tui.store.filter import Filter, FilterError, compile_filter
from pluginlab_tui.tui.view_model import ViewModel
from pluginlab_tui.tui.widgets.inputs import InOrderInput

_PROMPT = "filter "


class FilterInput(InOrderInput):
    """An Input with up/down through earlier filters."""

    BINDINGS = [
        Binding("up", "history(-1)", "Earlier filter", show=False, id="filter.history-back"),
        Binding("down", "history(1)", "Later filter", show=False, id="filter.history-forward"),
        Binding("escape", "leave", "Back to the list", id="filter.leave"),
    ]

    class Leave(Message):
        """Escape: give the focus back."""

    def __init__(self, *, placeholder: str, blink: bool = True, id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id)
        self.blink = blink
        self.history: list[str] = []
        self._at: int | None = None
        self._draft = ""

    def on_mount(self) -> None:
        self.cursor_blink = self.blink

    def remember(self, text: str) -> None:
        if text.strip():
            if text in self.history:
                self.history.remove(text)
            self.history.append(text)
            del self.history[:-100]
        self._at = None

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._at is None:
            if step > 0:
                return
            self._draft = self.value
            self._at = len(self.history)
        self._at = max(0, self._at + step)
        if self._at >= len(self.history):
            self._at = None
            self.value = self._draft
        else:
            self.value = self.history[self._at]
        self.cursor_position = len(self.value)

    def action_leave(self) -> None:
        self.post_message(self.Leave())


_MODES = {"": "", "off": " off ", "highlight": " highlight ", "on": " on "}


class FilterBar(Vertical):
    """`filter` prompt, the filter's mode (from the view-model), and the error line under it."""

    @dataclass
    class Applied(Message):
        filter: Filter

    def __init__(self, model: ViewModel, *, blink: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self.blink = blink

    def compose(self) -> ComposeResult:
        with Horizontal(id="filter-row"):
            yield Static(_PROMPT, id="filter-label")
            yield FilterInput(
                placeholder='method:POST status:4xx op:addTodo invalid body:"milk" (F1: help)',
                blink=self.blink,
                id="filter-input",
            )
            yield Static("", id="filter-mode")
        yield Static("", id="filter-error")

    @property
    def input(self) -> FilterInput:
        return self.query_one(FilterInput)

    def show_mode(self) -> None:
        """The badge after the prompt: the filter off, on, or highlighting."""
        badge = _MODES[self.model.mode]
        self.query_one("#filter-mode", Static).update(Text(badge, style="reverse") if badge else "")

    def show_error(self, error: FilterError | None) -> None:
        line = self.query_one("#filter-error", Static)
        self.set_class(error is not None, "-error")
        if error is None:
            line.update("")
            line.display = False
            return
        line.display = True
        text = Text(" " * (len(_PROMPT) + 1 + error.position))
        text.append("^ ", style="bold red")
        text.append(error.message, style="red")
        line.update(text)

    @on(Input.Changed, "#filter-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        try:
            compile_filter(event.value)
        except FilterError as exc:
            self.show_error(exc)
        else:
            self.show_error(None)

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            compiled = compile_filter(event.value)
        except FilterError as exc:
            self.show_error(exc)
            self.app.bell()
            return
        self.show_error(None)
        self.input.remember(event.value)
        self.post_message(self.Applied(compiled))
