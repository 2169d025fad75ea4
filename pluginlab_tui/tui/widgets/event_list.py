"""The live list of exchanges: a line-API view of the view-model's rows and follow mode."""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from pluginlab_tui.store.paging import Row
from pluginlab_tui.tui.paging import PagedRows
from pluginlab_tui.tui.view_model import ViewModel

#: (title, width); the path column takes what is left.
_FIXED = (("time", 12), ("method", 7), ("status", 6), ("ms", 8), ("operation", 16), ("user", 10))
#: The method column's width once the store holds MCP messages (resources/read fits).
_RPC_METHOD = 16
_VERDICT = 7
_MIN_PATH = 12


def short_time(ts: str) -> str:
    """HH:MM:SS.mmm of an ISO timestamp (UTC, as stored)."""
    return ts[11:23] if len(ts) >= 23 else ts


def duration_text(ms: float | None) -> str:
    if ms is None:
        return "-"
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.1f}"


def verdict_text(row: Row) -> str:
    """★ for a mark, ✗N for N violations, ✓ for none, ! for an exchange that failed."""
    mark = "★" if row.marked else " "
    if row.violation_count:
        return f"{mark}✗{row.violation_count}"
    if row.error or row.status is None:
        return f"{mark}!"
    return f"{mark}✓"


def status_class(status: int | None) -> str:
    if status is None:
        return "none"
    return f"{status // 100}xx" if 1 <= status // 100 <= 5 else "none"


def method_text(row: Row, width: int) -> str:
    """The JSON-RPC method of an MCP message, else the HTTP method; a method too long for the
    column has its leading segments cut to their initial (n/initialized, r/templates/list)."""
    if row.rpc_method is None:
        return row.method
    parts = row.rpc_method.split("/")
    for cut in range(len(parts)):
        text = "/".join([*(p[:1] for p in parts[:cut]), *parts[cut:]])
        if len(text) <= width:
            return text
    return row.rpc_method


def operation_text(row: Row) -> str:
    """The tool (or prompt) or resource URI of an MCP message, else the OpenAPI operation."""
    return row.tool or row.resource_uri or row.operation_id or "-"


def _uri_shown(row: Row) -> bool:
    """A resource URI is cut at its start: its end names the resource."""
    return row.tool is None and row.resource_uri is not None


def status_text(row: Row) -> str:
    """A JSON-RPC error's code, isErr for a tool result with isError, else the HTTP status."""
    if row.rpc_error is not None:
        return str(row.rpc_error)
    if row.is_error:
        return "isErr"
    return "---" if row.status is None else str(row.status)


def outcome_class(status: int | None, rpc_error: int | None, is_error: bool | None) -> str:
    """The colour class of an outcome: a JSON-RPC error reads as a 5xx, isError as a 4xx."""
    if rpc_error is not None:
        return "5xx"
    if is_error:
        return "4xx"
    return status_class(status)


def _cell(text: str, width: int, right: bool = False, *, keep_end: bool = False) -> str:
    if len(text) > width:
        if width <= 1:
            return text[:width]
        return "…" + text[len(text) - width + 1 :] if keep_end else text[: width - 1] + "…"
    return text.rjust(width) if right else text.ljust(width)


class EventList(ScrollView, can_focus=True):
    """Rows 0 (oldest) to total-1 (newest); the header stays on the first line."""

    BINDING_GROUP_TITLE = "Exchanges"
    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False, id="list.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="list.up"),
        Binding("g,home", "first", "Oldest", show=False, id="list.first"),
        Binding(
            "G,end", "last", "Newest", key_display="G", id="list.last", tooltip="Newest, and follow"
        ),
        Binding("ctrl+d,pagedown", "page_down", "Page down", show=False, id="list.page-down"),
        Binding("ctrl+u,pageup", "page_up", "Page up", show=False, id="list.page-up"),
    ]

    COMPONENT_CLASSES = {
        "event-list--header",
        "event-list--cursor",
        "event-list--hit",
        "event-list--1xx",
        "event-list--2xx",
        "event-list--3xx",
        "event-list--4xx",
        "event-list--5xx",
        "event-list--none",
        "event-list--invalid",
        "event-list--valid",
        "event-list--marked",
        "event-list--method",
        "event-list--dim",
    }

    DEFAULT_CSS = """
    EventList { scrollbar-gutter: stable; }
    EventList > .event-list--header { text-style: bold; background: $panel; }
    EventList > .event-list--cursor { background: $block-cursor-background; }
    EventList:focus > .event-list--cursor { background: $block-cursor-background; }
    EventList > .event-list--hit { background: $warning 25%; }
    EventList > .event-list--1xx { color: $text-muted; }
    EventList > .event-list--2xx { color: $success; }
    EventList > .event-list--3xx { color: $accent; }
    EventList > .event-list--4xx { color: $warning; }
    EventList > .event-list--5xx { color: $error; text-style: bold; }
    EventList > .event-list--none { color: $error; }
    EventList > .event-list--invalid { color: $error; text-style: bold; }
    EventList > .event-list--valid { color: $success; }
    EventList > .event-list--marked { color: $warning; }
    EventList > .event-list--method { text-style: bold; }
    EventList > .event-list--dim { color: $text-muted; }
    """

    cursor: reactive[int] = reactive(-1, always_update=True, repaint=False)

    @dataclass
    class Selected(Message):
        """The cursor moved to a row (None: the list is empty)."""

        row: Row | None

    @dataclass
    class FollowChanged(Message):
        """Follow mode, or the count of exchanges pending while not following, changed."""

        follow: bool
        pending: int

    def __init__(self, model: ViewModel, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self._selected_id: int | None = None
        self._told = (model.follow, model.pending)

    @property
    def rows(self) -> PagedRows:
        return self.model.rows

    @property
    def follow(self) -> bool:
        return self.model.follow

    @property
    def pending(self) -> int:
        return self.model.pending

    def _tell(self) -> None:
        """Say when follow or pending changed (and draw again)."""
        state = (self.model.follow, self.model.pending)
        if state != self._told:
            self._told = state
            self.refresh()
            self.post_message(self.FollowChanged(*state))

    # --- data -------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._resize()
        self.move_to(self.rows.total - 1)

    def on_resize(self, _: events.Resize) -> None:
        self._resize()
        self._scroll_to_cursor()

    def _resize(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self.rows.total + 1)

    @property
    def current(self) -> Row | None:
        return self.rows.row(self.cursor) if self.cursor >= 0 else None

    def reset(self, keep_id: int | None = None) -> None:
        """After the rows changed: show the newest row, or `keep_id` when it is still listed."""
        self._resize()
        index = self.rows.index_of(keep_id) if keep_id is not None and not self.follow else None
        self.move_to(self.rows.total - 1 if index is None else index, force=True)
        self.refresh()

    def recounted(self, shift: int) -> None:
        """The count arrived and moved every index by `shift`: stay on the same row."""
        self._resize()
        if self.follow:
            self.move_to(self.rows.total - 1)
        elif shift:
            y = self.scroll_offset.y + shift
            self.cursor = max(0, min(self.cursor + shift, self.rows.total - 1))
            self.scroll_to(y=y, animate=False, immediate=True)
            self._scroll_to_cursor()
        self.refresh()

    def take_new(self, count: int) -> None:
        """`count` new rows came in (-1: the store was pruned and counted again); the model
        counted them as pending when not following."""
        if count == 0:
            return
        self._resize()
        if count < 0:
            self.reset(self._selected_id)
            return
        if self.follow:
            self.move_to(self.rows.total - 1)
        self.refresh()
        self._tell()

    # --- movement ---------------------------------------------------------------------------

    def move_to(self, index: int, *, force: bool = False) -> None:
        total = self.rows.total
        index = max(0, min(index, total - 1)) if total else -1
        self.model.moved(index)  # leaving the newest row stops following
        changed = index != self.cursor or force
        self.cursor = index
        self._scroll_to_cursor()
        self.refresh()
        self._tell()
        row = self.current
        new_id = row.id if row else None
        if changed or new_id != self._selected_id:
            self._selected_id = new_id
            self.post_message(self.Selected(row))

    def _scroll_to_cursor(self) -> None:
        height = max(self.scrollable_content_region.height - 1, 1)
        top = int(self.scroll_offset.y)
        if self.follow or self.cursor >= self.rows.total - 1:
            target = max(self.rows.total - height, 0)
        elif self.cursor < top:
            target = self.cursor
        elif self.cursor >= top + height:
            target = self.cursor - height + 1
        else:
            return
        self.scroll_to(y=target, animate=False, immediate=True)

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_to(self.cursor - 1)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.set_follow(True)

    def action_page_down(self) -> None:
        self.move_to(self.cursor + max(self.scrollable_content_region.height - 2, 1))

    def action_page_up(self) -> None:
        self.move_to(self.cursor - max(self.scrollable_content_region.height - 2, 1))

    def set_follow(self, follow: bool) -> None:
        self.model.follow = follow
        if follow:
            self.move_to(self.rows.total - 1)
        self._tell()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        self.move_to(int(self.scroll_offset.y) + offset.y - 1)

    def on_mouse_scroll_up(self, _: events.MouseScrollUp) -> None:
        if self.follow and self.rows.total:
            self.set_follow(False)

    # --- drawing ----------------------------------------------------------------------------

    def _widths(self, width: int) -> list[int]:
        fixed = [w for _, w in _FIXED]
        if self.model.mcp:
            fixed[1] = _RPC_METHOD
        used = sum(fixed) + _VERDICT + len(fixed) + 2
        return [*fixed, _VERDICT, max(width - used, _MIN_PATH)]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            return self._header(width, base)
        index = int(self.scroll_offset.y) + y - 1
        if index >= self.rows.total:
            return Strip.blank(width, base)
        row = self.rows.row(index)
        if row is None:
            return Strip.blank(width, base)
        return self._row(row, index, width, base)

    def _header(self, width: int, base: Style) -> Strip:
        style = base + self.get_component_rich_style("event-list--header")
        w = self._widths(width)
        names = [t for t, _ in _FIXED]
        cells = [
            _cell(names[0], w[0]),
            _cell(names[1], w[1]),
            _cell(names[2], w[2]),
            _cell(names[3], w[3], right=True),
            _cell(names[4], w[4]),
            _cell(names[5], w[5]),
            _cell("verdict", w[6]),
            _cell("path", w[7]),
        ]
        text = " " + " ".join(cells)
        return Strip([Segment(_cell(text, width), style)], width)

    def _row(self, row: Row, index: int, width: int, base: Style) -> Strip:
        style_of = self.get_component_rich_style
        if index == self.cursor:
            base = base + style_of("event-list--cursor")
        elif row.hit:
            base = base + style_of("event-list--hit")
        w = self._widths(width)
        outcome = outcome_class(row.status, row.rpc_error, row.is_error)
        status = style_of(f"event-list--{outcome}")
        verdict_style = style_of(
            "event-list--invalid"
            if row.violation_count or row.error or row.status is None
            else "event-list--valid"
        )
        path = row.path + ("?" + row.query if row.query else "")
        segments = [
            Segment("●" if row.hit else " ", base + style_of("event-list--marked")),
            Segment(_cell(short_time(row.ts), w[0]) + " ", base + style_of("event-list--dim")),
            Segment(
                _cell(method_text(row, w[1]), w[1]) + " ", base + style_of("event-list--method")
            ),
            Segment(_cell(status_text(row), w[2]) + " ", base + status),
            Segment(_cell(duration_text(row.duration_ms), w[3], right=True) + " ", base),
            Segment(_cell(operation_text(row), w[4], keep_end=_uri_shown(row)) + " ", base),
            Segment(_cell(row.user_id or "-", w[5]) + " ", base + style_of("event-list--dim")),
            Segment(" " if not row.marked else "★", base + style_of("event-list--marked")),
            Segment(_cell(verdict_text(row)[1:], w[6] - 1) + " ", base + verdict_style),
            Segment(_cell(path, w[7]), base + status),
        ]
        used = sum(s.cell_length for s in segments)
        strip = Strip(segments, used)
        if used < width:
            strip = Strip([*segments, Segment(" " * (width - used), base)], width)
        return strip.crop(0, width)
