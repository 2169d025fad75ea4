"""The selected exchange in tabs: Request, Response, Validation, Auth, Timing, and JSON-RPC
(shown for MCP messages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane

from pluginlab_tui.store.event import Event
from pluginlab_tui.store.oauth_timeline import Dance
from pluginlab_tui.tui.present import (
    RpcView,
    as_yaml,
    auth_rows,
    body_value,
    dance_end,
    dance_rows,
    dance_title,
    jsonrpc_view,
    operation_schema,
    schema_at,
    timing_rows,
)
from pluginlab_tui.tui.widgets.body_view import BodyView
from pluginlab_tui.tui.widgets.event_list import outcome_class

#: Tab ids in order; the screen binds 1..6 to them.
TABS = ("request", "response", "validation", "auth", "timing", "jsonrpc")
#: The tab shown only for MCP messages (or while it is the active tab).
RPC_TAB = "jsonrpc"
_LABELS = {RPC_TAB: "JSON-RPC"}


def tab_label(tab: str) -> str:
    return _LABELS.get(tab, tab.title())


#: The theme variable that colours the border, per status class.
_BORDER = {"2xx": "success", "3xx": "accent", "4xx": "warning", "5xx": "error", "none": "error"}

SpecLookup = Callable[[int | None], dict[str, Any] | None]
#: The OAuth dance an event is a step of (store/oauth_timeline.py), or None.
DanceLookup = Callable[[Event], Dance | None]


def _pairs(rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for name, value in rows:
        table.add_row(name, Text(value))  # what a caller sent is text, never markup
    return table


def _is_mcp(event: Event | None) -> bool:
    return event is not None and event.protocol == "mcp"


def _syntax(text: str, language: str, dark: bool) -> Padding:
    theme = "ansi_dark" if dark else "ansi_light"
    code = Syntax(text, language, theme=theme, background_color="default", word_wrap=True)
    return Padding(code, (0, 0, 0, 5))


class DetailPane(Vertical):
    """Shows one event; `spec_of(version)` gives the spec the exchange met, `dance_of(event)`
    the OAuth dance it is a step of (the Auth tab's timeline)."""

    def __init__(
        self,
        spec_of: SpecLookup,
        *,
        dance_of: DanceLookup | None = None,
        blink: bool = True,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.spec_of = spec_of
        self.dance_of = dance_of
        self.blink = blink
        self.event: Event | None = None
        self._filled: set[str] = set()
        self._filling: set[str] = set()
        self._rpc_shown = True

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one(TabbedContent)

    @property
    def active(self) -> str:
        return self.tabs.active

    @active.setter
    def active(self, tab: str) -> None:
        self.tabs.active = tab

    def compose(self) -> ComposeResult:
        # The panes are filled when first shown (see _fill): the first screen composes none.
        with TabbedContent(initial="request", id="detail-tabs"):
            for tab in TABS:
                yield TabPane(tab_label(tab), id=tab)

    def on_mount(self) -> None:
        self._show_rpc_tab(False)

    def _show_rpc_tab(self, shown: bool) -> None:
        if shown == self._rpc_shown:
            return
        self._rpc_shown = shown
        if shown:
            self.tabs.show_tab(RPC_TAB)
        else:
            self.tabs.hide_tab(RPC_TAB)

    def _content(self, tab: str) -> list[Widget]:
        if tab in ("request", "response"):
            return [BodyView(tab, blink=self.blink, id=f"{tab}-body")]
        return [VerticalScroll(Static(id=f"{tab}-text"), can_focus=True)]

    def filled(self, tab: str) -> bool:
        return tab in self._filled

    async def _fill(self, tab: str) -> None:
        if tab in self._filled or tab in self._filling:
            return
        self._filling.add(tab)
        try:
            await self.tabs.get_pane(tab).mount(*self._content(tab))
        finally:
            self._filling.discard(tab)
        self._filled.add(tab)
        self._render_tab(tab)

    async def activate(self, tab: str, *, focus: bool = False) -> None:
        """Show a tab (filling it first when needed), and focus its scrolling part."""
        if tab == RPC_TAB:
            self._show_rpc_tab(True)
        self.active = tab
        await self._fill(tab)
        if focus:
            pane = self.tabs.get_pane(tab)
            pane.query("ScrollableContainer, VerticalScroll").first().focus()

    @on(TabbedContent.TabActivated)
    async def _tab_activated(self, message: TabbedContent.TabActivated) -> None:
        if message.pane.id != RPC_TAB and not _is_mcp(self.event):
            self._show_rpc_tab(False)  # kept only while it was the tab in view
        if message.pane.id:
            await self._fill(message.pane.id)

    def body_view(self, side: str) -> BodyView | None:
        """The request or response body view, when its tab was filled."""
        found = self.query(f"#{side}-body").results(BodyView)
        return next(iter(found), None)

    def show(self, event: Event | None) -> None:
        self.event = event
        self._border(event)
        self._show_rpc_tab(_is_mcp(event) or self.active == RPC_TAB)
        if event is None:
            self.border_title = "no exchange selected"
            self.border_subtitle = ""
        else:
            status = "---" if event.status is None else str(event.status)
            ms = "" if event.duration_ms is None else f" · {event.duration_ms:.1f} ms"
            rpc = " ".join(p for p in (event.rpc_method, event.tool or event.resource_uri) if p)
            head = f"{rpc} · " if rpc else ""
            self.border_title = f"{head}{event.method} {event.path} → {status}{ms}"
            count = event.violation_count
            verdict = (
                f"[bold $error]{count} violation{'s' if count != 1 else ''}[/]"
                if count
                else "[$success]keeps the contract[/]"
            )
            self.border_subtitle = verdict + (" · ★ marked" if event.marked else "")
        for tab in self._filled:
            self._render_tab(tab)
        active = self.active or "request"
        if active not in self._filled:
            self.call_later(self._fill, active)

    def _render_tab(self, tab: str) -> None:
        event = self.event
        if tab in ("request", "response"):
            view = self.query_one(f"#{tab}-body", BodyView)
            if event is None:
                view.show([], None, binary=False, size=0, truncated=False)
            elif tab == "request":
                view.show(
                    event.request_headers,
                    event.request_body,
                    binary=event.request_binary,
                    size=event.request_size,
                    truncated=event.request_truncated,
                    first_line=f"{event.method} {event.url}",
                )
            else:
                view.show(
                    event.response_headers,
                    event.response_body,
                    binary=event.response_binary,
                    size=event.response_size,
                    truncated=event.response_truncated,
                    first_line=f"{'---' if event.status is None else event.status}"
                    + (f"  ({event.error})" if event.error else ""),
                )
            return
        text = self.query_one(f"#{tab}-text", Static)
        if event is None:
            text.update("")
        elif tab == "validation":
            text.update(self._validation(event))
        elif tab == "auth":
            text.update(self._auth(event))
        elif tab == RPC_TAB:
            text.update(self._jsonrpc(jsonrpc_view(event)))
        else:
            text.update(_pairs(timing_rows(event)))

    def _border(self, event: Event | None) -> None:
        """The border's colour tells the outcome (set inline: no restyle of the tabs)."""
        kind = (
            "none-selected"
            if event is None
            else outcome_class(event.status, event.rpc_error, event.is_error)
        )
        if kind == getattr(self, "_kind", None):
            return
        self._kind = kind
        variable = _BORDER.get(kind)
        variables = self.app.theme_variables
        if variable and variable in variables:
            self.styles.border = ("round", Color.parse(variables[variable]))
        else:
            self.styles.clear_rule("border")

    def _validation(self, event: Event) -> RenderableType:
        checked = self._checked(event)
        if not event.skipped:
            return checked
        lines = [Text(f"Checks skipped ({len(event.skipped)}):", style="bold yellow")]
        lines += [Text(f"   {why}") for why in event.skipped]
        return Group(checked, Text(""), *lines)

    def _checked(self, event: Event) -> RenderableType:
        if not event.violations:
            if event.operation_id is None and event.status is not None and event.protocol != "mcp":
                return Text("No violations. (No operation of the spec matched this exchange.)")
            if event.skipped:
                return Text("No violations found by the checks that ran.", style="green")
            return Text("✓ No violations: this exchange keeps the contract.", style="green")
        dark = self.app.current_theme.dark
        spec = self.spec_of(event.version)
        parts: list[RenderableType] = []
        for n, v in enumerate(event.violations, start=1):
            head = Text()
            head.append(f"{n}. {v.code}", style="bold red")
            head.append(f"  ({v.location})  at ")
            head.append(v.where or "-", style="bold")
            parts.append(head)
            parts.append(Text(f"   {v.message}"))
            if v.keyword:
                parts.append(Text(f"   keyword: {v.keyword}", style="dim"))
            found, value = body_value(event, v)
            if found:
                parts.append(Text(f"   value at {v.where}:", style="dim"))
                parts.append(_syntax(as_yaml(value, 12), "yaml", dark))
            fragment: Any = None
            title = ""
            if spec is not None:
                located = schema_at(spec, v.schema_path)
                if located is not None:
                    title, fragment = f"schema at {located[0]}", located[1]
                elif event.operation_id:
                    fragment = operation_schema(spec, event, v)
                    title = f"operation {event.operation_id}"
            elif v.schema_path:
                title = f"schema at {v.schema_path} (version {event.version} not in the store)"
            if title:
                parts.append(Text(f"   {title}:", style="dim"))
            if fragment is not None:
                parts.append(_syntax(as_yaml(fragment), "yaml", dark))
            parts.append(Text(""))
        return Group(*parts)

    def _auth(self, event: Event) -> RenderableType:
        """The auth gate's decision, then the OAuth dance the exchange is a step of."""
        facts = _pairs(auth_rows(event))
        dance = None if self.dance_of is None else self.dance_of(event)
        if dance is None:
            return facts
        steps = Table("time", "step", "status", "auth_result", box=None, padding=(0, 2, 0, 0))
        for time, step, status, result, event_id in dance_rows(dance):
            refused = result not in ("ok", "-") or (status.isdigit() and int(status) >= 400)
            style = "bold reverse" if event_id == event.event_id else ("red" if refused else "")
            steps.add_row(Text(time), Text(step), Text(status), Text(result), style=style)
        return Group(
            facts,
            Text(""),
            Text(dance_title(dance), style="bold"),
            steps,
            Text(""),
            Text(dance_end(dance), style="bold"),
        )

    def _jsonrpc(self, view: RpcView | None) -> RenderableType:
        if view is None:
            return Text("Not an MCP message: this exchange carries no JSON-RPC.", style="dim")
        dark = self.app.current_theme.dark
        parts: list[RenderableType] = [_pairs(view.facts), Text("")]
        for part in view.parts:
            parts.append(Text(part.title, style="bold"))
            if part.json:
                parts.append(_syntax(part.text, "json", dark))
            else:
                parts.append(Text(f"     {part.text}", style="dim"))
            parts.append(Text(""))
        if view.frames:
            parts.append(Text(f"SSE frames ({len(view.frames)})", style="bold"))
            frames = Table("at", "id", "event", "size", box=None, padding=(0, 2, 0, 5))
            for row in view.frames:
                frames.add_row(*row)
            parts.append(frames)
        else:
            parts.append(Text("no SSE frames (an answer came as one JSON body)", style="dim"))
        return Group(*parts)
