"""One side of an exchange: its headers, size and body (pretty or raw), with `/` search."""

from __future__ import annotations

from dataclasses import dataclass

from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, Vertical
from textual.message import Message
from textual.widgets import Input, Static

from pluginlab_tui.tui.present import (
    Body,
    body_for_display,
    full_body,
    search_hits,
    size_line,
)
from pluginlab_tui.tui.widgets.inputs import InOrderInput, focus_now


class BodySearch(InOrderInput):
    """The `/` prompt of a body view; escape closes it."""

    BINDINGS = [Binding("escape", "close", "Close search", id="body.search-close")]

    def __init__(self, *, placeholder: str, blink: bool = True) -> None:
        super().__init__(placeholder=placeholder)
        self.blink = blink

    def on_mount(self) -> None:
        self.cursor_blink = self.blink

    def action_close(self) -> None:
        self.display = False
        parent = self.parent
        if parent is not None:
            parent.query_one(ScrollableContainer).focus()


class BodyView(Vertical):
    """Headers and body of a request or a response."""

    BINDING_GROUP_TITLE = "Body"
    BINDINGS = [
        Binding(
            "slash",
            "search",
            "Search",
            id="body.search",
            tooltip="Search in the body",
            priority=True,  # what is typed behind it goes to the search (widgets/inputs.py)
        ),
        Binding("n", "next_hit", "Next hit", id="body.next"),
        Binding("N", "previous_hit", "Prev hit", id="body.previous"),
        Binding("v", "toggle_raw", "Raw/pretty", id="body.raw"),
        Binding("o", "open_pager", "Pager", id="body.pager", tooltip="Open the body in $PAGER"),
        Binding("e", "open_editor", "Editor", id="body.editor", tooltip="Open in $EDITOR"),
    ]

    @dataclass
    class OpenExternally(Message):
        """Show this text in the user's pager or editor."""

        text: str
        suffix: str
        editor: bool

    def __init__(self, side: str, *, blink: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.side = side
        self.blink = blink
        self.first_line = ""
        self.raw_body: str | None = None
        self.binary = False
        self.headers: list[tuple[str, str]] = []
        self.body_size = 0
        self.truncated = False
        self.pretty = True
        self.shown = Body("", "none", False)
        self.needle = ""
        self.hits: list[tuple[int, int]] = []
        self.hit = -1

    def compose(self) -> ComposeResult:
        with ScrollableContainer(classes="body-scroll", can_focus=True):
            yield Static(classes="body-headers", markup=False)
            yield Static(classes="body-text", markup=False)
        search = BodySearch(
            placeholder="search the body; enter: find, n/N: next/previous", blink=self.blink
        )
        search.display = False
        yield search
        yield Static(classes="body-status", markup=False)

    # --- content ----------------------------------------------------------------------------

    def show(
        self,
        headers: list[tuple[str, str]],
        body: str | None,
        *,
        binary: bool,
        size: int,
        truncated: bool,
        first_line: str = "",
    ) -> None:
        self.first_line = first_line
        self.headers, self.raw_body, self.binary = headers, body, binary
        self.body_size, self.truncated = size, truncated
        self.hits, self.hit = [], -1
        self._render_all()
        if self.needle:
            self._search(self.needle, keep=True)

    def _render_all(self) -> None:
        self.shown = body_for_display(self.raw_body, self.binary, pretty=self.pretty)
        head = Text()
        if self.first_line:
            head.append(self.first_line + "\n", style="bold")
        for name, value in self.headers:
            head.append(name, style="bold")
            head.append(f": {value}\n")
        stored = len(self.raw_body or "")
        head.append(f"{self.side} body: ", style="bold")
        head.append(size_line(self.body_size, self.truncated, stored))
        if self.shown.cut:
            head.append("  (cut for display; o shows all)", style="italic")
        head.append(f"  [{'pretty' if self.pretty else 'raw'}]\n", style="dim")
        self.query_one(".body-headers", Static).update(head)
        self._render_body()
        self._status()

    def _render_body(self) -> None:
        shown = self.shown
        target = self.query_one(".body-text", Static)
        if shown.language == "none":
            target.update(Text("(no body)", style="dim italic"))
            return
        if shown.language in ("binary", "text"):
            text = Text(shown.text)
            lines = shown.text.split("\n")
            offsets = [0]
            for each in lines:
                offsets.append(offsets[-1] + len(each) + 1)
            for n, (line, column) in enumerate(self.hits):
                start = offsets[line] + column
                style = "black on yellow" if n == self.hit else "reverse"
                text.stylize(style, start, start + len(self.needle))
            target.update(text)
            return
        syntax = Syntax(
            shown.text,
            "json",
            theme="ansi_dark" if self.app.current_theme.dark else "ansi_light",
            background_color="default",
            word_wrap=False,
        )
        for n, (line, column) in enumerate(self.hits):
            style = "black on yellow" if n == self.hit else "reverse"
            syntax.stylize_range(style, (line + 1, column), (line + 1, column + len(self.needle)))
        target.update(syntax)

    def _status(self) -> None:
        status = self.query_one(".body-status", Static)
        if not self.needle:
            status.update("")
            status.display = False
            return
        status.display = True
        if not self.hits:
            status.update(f"/{self.needle}: not found")
        else:
            status.update(
                f"/{self.needle}: {self.hit + 1} of {len(self.hits)}  (n next, N previous)"
            )

    # --- search -----------------------------------------------------------------------------

    def action_search(self) -> None:
        search = self.query_one(BodySearch)
        search.display = True
        search.value = self.needle
        focus_now(search)

    @on(Input.Submitted, "BodySearch")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._search(event.value)
        search = self.query_one(BodySearch)
        search.display = False
        self.query_one(ScrollableContainer).focus()

    def _search(self, needle: str, keep: bool = False) -> None:
        self.needle = needle
        self.hits = search_hits(self.shown.text, needle) if self.shown.language != "none" else []
        self.hit = 0 if self.hits else -1
        self._render_body()
        self._status()
        if not keep:
            self._scroll_to_hit()

    def _scroll_to_hit(self) -> None:
        if self.hit < 0:
            return
        line, column = self.hits[self.hit]
        scroll = self.query_one(ScrollableContainer)
        head = self.query_one(".body-headers", Static)
        y = head.outer_size.height + line
        scroll.scroll_to(x=max(column - 10, 0), y=max(y - 3, 0), animate=False, immediate=True)

    def _move(self, step: int) -> None:
        if not self.hits:
            if self.needle:
                self.notify(f"/{self.needle}: not found", severity="warning")
            return
        self.hit = (self.hit + step) % len(self.hits)
        self._render_body()
        self._status()
        self._scroll_to_hit()

    def action_next_hit(self) -> None:
        self._move(1)

    def action_previous_hit(self) -> None:
        self._move(-1)

    def action_toggle_raw(self) -> None:
        self.pretty = not self.pretty
        self._render_all()
        if self.needle:
            self._search(self.needle, keep=True)

    # --- outside ----------------------------------------------------------------------------

    def _external(self, editor: bool) -> None:
        if self.raw_body is None:
            self.notify(f"the {self.side} has no body", severity="warning")
            return
        text, suffix = full_body(self.raw_body, self.binary, pretty=self.pretty)
        self.post_message(self.OpenExternally(text, suffix, editor))

    def action_open_pager(self) -> None:
        self._external(editor=False)

    def action_open_editor(self) -> None:
        self._external(editor=True)
