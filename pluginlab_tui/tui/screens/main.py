"""The main screen: filter prompt, the live list, the selected exchange's detail, a status line."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static

from pluginlab_tui.config import Config
from pluginlab_tui.store.paging import count as count_matches
from pluginlab_tui.store.paging import sample_ids
from pluginlab_tui.tui.data import (
    Filter,
    ReplayOutcome,
    StoreData,
    curl_for,
    edit_request,
    export_har,
    marked_ids,
    replay,
    replay_edited,
)
from pluginlab_tui.tui.paging import PagedRows, Query
from pluginlab_tui.tui.widgets.detail import TABS, DetailPane
from pluginlab_tui.tui.widgets.event_list import EventList
from pluginlab_tui.tui.widgets.filter_bar import FilterBar, FilterInput

_EVERYTHING = Filter("", "1", ())


class MainScreen(Screen[None]):
    """Everything about the traffic, on one screen."""

    AUTO_FOCUS = "#events"
    BINDING_GROUP_TITLE = "Pluginlab"
    BINDINGS = [
        Binding("f", "focus_filter", "Filter", id="filter.edit", tooltip="Edit the filter"),
        Binding("t", "toggle_filter", "Filter on/off", id="filter.toggle"),
        Binding(
            "H",
            "toggle_highlight",
            "Highlight",
            id="filter.highlight",
            tooltip="Mark the filter's matches instead of hiding the rest",
        ),
        Binding(
            "F", "toggle_follow", "Follow", id="list.follow", tooltip="Follow the newest exchange"
        ),
        Binding("m", "toggle_mark", "Mark", id="event.mark"),
        Binding("c", "comment", "Comment", id="event.comment"),
        Binding(
            "r",
            "replay",
            "Replay",
            id="event.replay",
            tooltip="Send the selected exchange again through the proxy",
        ),
        Binding(
            "E",
            "edit_replay",
            "Edit+replay",
            id="event.edit-replay",
            tooltip="Edit the selected request in $EDITOR, send it through the proxy, see the diff",
        ),
        Binding(
            "y",
            "copy_curl",
            "Copy curl",
            id="event.copy-curl",
            tooltip="Copy the selected request as a curl command",
        ),
        Binding(
            "x",
            "export_har",
            "Export HAR",
            id="event.export-har",
            tooltip="Write the marked exchanges (or the selected one) to a HAR file",
        ),
        Binding(
            "p",
            "plugin",
            "Plugin",
            id="screen.plugin",
            tooltip="The plugin's manifest, spec, lint findings and versions",
        ),
        Binding(
            "s",
            "stats",
            "Stats",
            id="screen.stats",
            tooltip="Per operation figures over the filtered exchanges",
        ),
        Binding("enter", "focus_detail", "Detail", show=False, id="detail.focus"),
        Binding("escape", "focus_list", "List", show=False, id="list.focus"),
        *(
            Binding(str(n), f"show_tab('{tab}')", tab.title(), show=False, id=f"detail.{tab}")
            for n, tab in enumerate(TABS, start=1)
        ),
    ]

    def __init__(self, data: StoreData, *, read_only_note: str = "") -> None:
        super().__init__()
        self.data = data
        self.note = read_only_note
        self.filter_text = ""
        self.active = _EVERYTHING
        self.filter_on = True
        self.highlight = False
        self.rows = PagedRows(data.conn)
        self._detail_timer: Timer | None = None
        self._shown_id: int | None = None

    def compose(self) -> ComposeResult:
        yield FilterBar(id="filter-bar")
        yield EventList(self.rows, id="events")
        yield DetailPane(self.data.spec, id="detail")
        yield Static(id="status-line")
        yield Footer()

    @property
    def events(self) -> EventList:
        return self.query_one(EventList)

    @property
    def detail(self) -> DetailPane:
        return self.query_one(DetailPane)

    def on_mount(self) -> None:
        self.events.focus()
        interval = getattr(self.app, "poll_interval", 0.25)
        self.set_interval(interval, self.poll)
        self._status()
        self._count()

    # --- counting (a worker on a connection of its own: the first page is shown first) ----

    def _count(self) -> None:
        if not self.rows.counted:
            self._measure(self.rows.generation, self.rows.query)
        else:
            self._sample()

    @work(thread=True, exclusive=True, group="count")
    def _measure(self, generation: int, query: Query) -> None:
        conn = self.data.reader()
        try:
            total, upto = count_matches(conn, query.where, query.params)
        finally:
            conn.close()
        self.app.call_from_thread(self._counted, generation, total, upto)

    def _counted(self, generation: int, total: int, upto: int) -> None:
        shift = self.rows.apply_count(generation, total, upto)
        if shift is None:
            return
        self.events.recounted(shift)
        self._status()
        self._sample()

    def _sample(self) -> None:
        plan = self.rows.sample_plan()
        if plan is not None:
            generation, step, upto = plan
            self._build_sample(generation, self.rows.query, step, upto)

    @work(thread=True, exclusive=True, group="sample")
    def _build_sample(self, generation: int, query: Query, step: int, upto: int) -> None:
        conn = self.data.reader()
        try:
            ids = sample_ids(conn, query.where, query.params, upto, step)
        finally:
            conn.close()
        self.app.call_from_thread(self.rows.apply_sample, generation, step, ids)

    # --- live ---------------------------------------------------------------------------

    def poll(self) -> None:
        new = self.rows.poll()
        if new:
            self.events.take_new(new)
            if new < 0:
                self._count()
            self._status()

    def _status(self) -> None:
        rows = self.rows
        text = Text()
        text.append(f" {rows.total:,}{'' if rows.counted else '+'} ", style="bold")
        text.append("exchange" + ("" if rows.total == 1 else "s"))
        if self.filter_text and self.filter_on and not self.highlight:
            text.append(" matching the filter")
        events = self.events
        if events.follow:
            text.append("  ● following", style="bold green")
        else:
            text.append("  ‖ paused", style="bold yellow")
            if events.pending:
                text.append(f"  ▼ {events.pending:,} new", style="bold reverse")
        if self.note:
            text.append(f"  {self.note}", style="dim")
        text.append(f"  {self.data.path.name}", style="dim")
        self.query_one("#status-line", Static).update(text)

    @on(EventList.FollowChanged)
    def _follow_changed(self) -> None:
        self._status()

    # --- selection ----------------------------------------------------------------------

    @on(EventList.Selected)
    def _selected(self, message: EventList.Selected) -> None:
        row_id = message.row.id if message.row else None
        if row_id == self._shown_id and row_id is not None:
            return
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(0.05, lambda: self._load_detail(row_id))

    def _load_detail(self, row_id: int | None, force: bool = False) -> None:
        if row_id == self._shown_id and not force:
            return
        self._shown_id = row_id
        self.detail.show(None if row_id is None else self.data.event(row_id))

    def _refresh_current(self) -> None:
        self._load_detail(self._shown_id, force=True)

    async def action_focus_detail(self) -> None:
        await self.detail.activate(self.detail.active or "request", focus=True)

    def action_focus_list(self) -> None:
        self.events.focus()

    async def action_show_tab(self, tab: str) -> None:
        await self.detail.activate(tab, focus=True)

    # --- filter -------------------------------------------------------------------------

    def action_focus_filter(self) -> None:
        self.query_one(FilterInput).focus()

    @on(FilterInput.Leave)
    def _leave_filter(self) -> None:
        self.events.focus()

    @on(FilterBar.Applied)
    def _applied(self, message: FilterBar.Applied) -> None:
        self.filter_text = message.filter.text
        self.active = message.filter
        self.filter_on = True
        self._requery()
        self.events.focus()

    def action_toggle_filter(self) -> None:
        if not self.filter_text:
            self.notify("no filter to switch: press f to write one")
            return
        self.filter_on = not self.filter_on
        self._requery()

    def action_toggle_highlight(self) -> None:
        self.highlight = not self.highlight
        if self.filter_text:
            self._requery()
        else:
            self.notify(
                "highlight mode " + ("on" if self.highlight else "off") + ": the filter's"
                " matches are marked, the rest stays"
            )

    def query_for_view(self) -> Query:
        f = self.active
        if not self.filter_text or not self.filter_on:
            return Query()
        if self.highlight:
            return Query(highlight=f.sql, highlight_params=f.params)
        return Query(f.sql, f.params)

    @property
    def shown_filter(self) -> Filter:
        """The filter that decides which exchanges are listed (for stats)."""
        if self.filter_text and self.filter_on and not self.highlight:
            return self.active
        return _EVERYTHING

    def _requery(self) -> None:
        keep = self._shown_id
        self.rows.reload(self.query_for_view())
        self.events.reset(keep)
        self.query_one(FilterBar).set_mode(self.filter_text, self.filter_on, self.highlight)
        self._status()
        self._count()

    # --- follow, marks, comments ------------------------------------------------------------

    def action_toggle_follow(self) -> None:
        self.events.set_follow(not self.events.follow)
        self._status()

    def action_toggle_mark(self) -> None:
        row = self.events.current
        if row is None:
            return
        marked = self.data.toggle_mark(row.id)
        if "marked" in self.filter_text.lower():
            self._requery()
        else:
            self.rows.invalidate(self.events.cursor)
            self.events.refresh()
        self._refresh_current()
        self.notify("marked" if marked else "mark removed", timeout=1.5)

    def action_comment(self) -> None:
        row = self.events.current
        if row is None:
            return
        from pluginlab_tui.tui.screens.comment import CommentScreen

        def save(text: str | None) -> None:
            if text is None:
                return
            self.data.set_comment(row.id, text)
            self.rows.invalidate(self.events.cursor)
            self.events.refresh()
            self._refresh_current()

        self.app.push_screen(CommentScreen(row.comment or ""), save)

    # --- actions on exchanges ------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("replay", "edit_replay"):
            return getattr(self.app, "config", None) is not None
        return True

    def action_copy_curl(self) -> None:
        event = self.detail.event
        if event is None:
            return
        self.app.copy_to_clipboard(curl_for(event))
        self.notify("copied as curl (credentials read $PLUGINLAB_TOKEN)", timeout=2)

    def action_export_har(self) -> None:
        ids = marked_ids(self.data.conn) or ([self._shown_id] if self._shown_id else [])
        if not ids:
            return
        path, count = export_har(self.data.conn, ids, Path.cwd())
        self.notify(f"{count} exchange(s) written to {path}", timeout=4)

    def action_replay(self) -> None:
        config = getattr(self.app, "config", None)
        if config is None or self._shown_id is None:
            return
        self.notify("replaying...", timeout=1)
        self._replay(self._shown_id, config)

    def action_edit_replay(self) -> None:
        config = getattr(self.app, "config", None)
        event = self.detail.event
        if config is None or event is None or self._shown_id is None:
            return
        from textual.app import SuspendNotSupported

        from pluginlab_tui.errors import UsageError

        try:
            try:
                with self.app.suspend():
                    request = edit_request(event)
            except SuspendNotSupported:  # no terminal to hand over (headless): run it as it is
                request = edit_request(event)
        except UsageError as exc:  # EditError too: a binary body, a document that is no request
            self.notify(f"not sent: {exc}", severity="error", timeout=6)
            return
        finally:
            self.app.refresh()
        if request is None:
            self.notify("the request was emptied: nothing sent", timeout=3)
            return
        self.notify("replaying the edited request...", timeout=1)
        self._edit_replay(self._shown_id, config, request)

    @work(thread=True, group="replay")
    def _edit_replay(self, row_id: int, config: Config, request: object) -> None:
        outcome = replay_edited(self.data.path, row_id, config, request)
        self.app.call_from_thread(self._show_outcome, outcome)

    def _show_outcome(self, outcome: ReplayOutcome) -> None:
        from pluginlab_tui.tui.screens.replay_result import ReplayResultScreen

        self.app.push_screen(ReplayResultScreen(outcome))

    @work(thread=True, group="replay")
    def _replay(self, row_id: int, config: Config) -> None:
        line = replay(self.data.path, row_id, config)
        self.app.call_from_thread(self.notify, line, timeout=4)

    # --- other screens ------------------------------------------------------------------

    def action_plugin(self) -> None:
        from pluginlab_tui.tui.screens.plugin import PluginScreen

        self.app.push_screen(PluginScreen(self.data))

    def action_stats(self) -> None:
        from pluginlab_tui.tui.screens.stats import StatsScreen

        self.app.push_screen(StatsScreen(self.data, self.shown_filter))
