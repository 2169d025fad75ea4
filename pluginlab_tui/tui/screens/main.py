"""The main screen: filter prompt, the live list, the selected exchange's detail, a status line."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static

from pluginlab_tui.config import Config
from pluginlab_tui.store.event import Event
from pluginlab_tui.tui.data import (
    ReplayOutcome,
    StoreData,
    curl_for,
    edit_request,
    export_har,
    har_document,
    marked_ids,
    read_request,
    replay,
    replay_edited,
    request_document,
)
from pluginlab_tui.tui.paging import Job, PagedRows, Result
from pluginlab_tui.tui.view_model import ViewModel
from pluginlab_tui.tui.widgets.detail import TABS, DetailPane, tab_label
from pluginlab_tui.tui.widgets.event_list import EventList
from pluginlab_tui.tui.widgets.filter_bar import FilterBar, FilterInput
from pluginlab_tui.tui.widgets.inputs import focus_now


@dataclass(frozen=True, slots=True)
class Settings:
    """What the app tells the main screen (and the widgets it makes)."""

    #: The proxy's config, when there is one: replay goes through that proxy.
    config: Config | None = None
    #: Said on the status line (where the store comes from).
    note: str = ""
    #: Seconds between two looks for new exchanges.
    poll_interval: float = 0.25
    #: Whether the cursor of the text fields blinks (not in tests and snapshots).
    cursor_blink: bool = True


class MainScreen(Screen[None]):
    """Everything about the traffic, on one screen."""

    AUTO_FOCUS = "#events"
    BINDING_GROUP_TITLE = "Pluginlab"
    BINDINGS = [
        # priority: run as the key is handed out, so that what is typed behind it goes to the
        # filter (widgets/inputs.py); a field being typed in still takes it as a letter (Textual
        # drops the bindings of the keys the focused widget consumes)
        Binding(
            "f",
            "focus_filter",
            "Filter",
            id="filter.edit",
            tooltip="Edit the filter",
            priority=True,
        ),
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
        Binding("c", "comment", "Comment", id="event.comment", priority=True),  # as f
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
            "C",
            "catalogue",
            "Catalogue",
            id="screen.catalogue",
            tooltip="The MCP server's tools, resources, prompts, lint findings and versions",
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
            Binding(str(n), f"show_tab('{tab}')", tab_label(tab), show=False, id=f"detail.{tab}")
            for n, tab in enumerate(TABS, start=1)
        ),
    ]

    def __init__(self, data: StoreData, settings: Settings | None = None) -> None:
        super().__init__()
        self.data = data
        self.settings = settings or Settings()
        self.model = ViewModel(data.conn)
        self._detail_timer: Timer | None = None
        self._shown_id: int | None = None
        #: Whether the catalogue screen has something to show (MCP mode, or catalogue versions).
        self._catalogue = (
            settings is not None and settings.config is not None and settings.config.mcp.enabled
        )

    def compose(self) -> ComposeResult:
        blink = self.settings.cursor_blink
        yield FilterBar(self.model, blink=blink, id="filter-bar")
        yield EventList(self.model, id="events")
        yield DetailPane(self.data.spec, dance_of=self.data.oauth_dance, blink=blink, id="detail")
        yield Static(id="status-line")
        yield Footer()

    @property
    def rows(self) -> PagedRows:
        return self.model.rows

    @property
    def events(self) -> EventList:
        return self.query_one(EventList)

    @property
    def detail(self) -> DetailPane:
        return self.query_one(DetailPane)

    def on_mount(self) -> None:
        self.events.focus()
        self.set_interval(self.settings.poll_interval, self.poll)
        self._status()
        self._work()

    # --- the count, then the jump sample (workers: the first page is shown first) ----------

    def _work(self) -> None:
        """Start the view-model's next job, if it has one, in a worker thread."""
        job = self.model.next_job()
        if job is not None:
            work = partial(self._run_job, job)
            self.run_worker(work, thread=True, exclusive=True, group=job.group)

    def _run_job(self, job: Job) -> None:
        conn = self.data.reader()
        try:
            result = job.run(conn)
        finally:
            conn.close()
        self.app.call_from_thread(self._job_done, result)

    def _job_done(self, result: Result) -> None:
        shift = self.model.take(result)
        if shift is None:
            return
        self.events.recounted(shift)
        self._status()
        self._work()

    # --- live ---------------------------------------------------------------------------

    def poll(self) -> None:
        if not self._catalogue and self.data.has_catalogue():
            self._catalogue = True
            self.refresh_bindings()
        new = self.model.poll()
        if new:
            self.events.take_new(new)
            if new < 0:
                self._work()
            self._status()

    def _status(self) -> None:
        model = self.model
        rows = model.rows
        text = Text()
        text.append(f" {rows.total:,}{'' if rows.counted else '+'} ", style="bold")
        text.append("exchange" + ("" if rows.total == 1 else "s"))
        if model.filtering:
            text.append(" matching the filter")
        if model.follow:
            text.append("  ● following", style="bold green")
        else:
            text.append("  ‖ paused", style="bold yellow")
            if model.pending:
                text.append(f"  ▼ {model.pending:,} new", style="bold reverse")
        if self.settings.note:
            text.append(f"  {self.settings.note}", style="dim")
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
        focus_now(self.query_one(FilterInput))

    @on(FilterInput.Leave)
    def _leave_filter(self) -> None:
        self.events.focus()

    @on(FilterBar.Applied)
    def _applied(self, message: FilterBar.Applied) -> None:
        self.model.apply(message.filter)
        self._requeried()
        self.events.focus()

    def action_toggle_filter(self) -> None:
        if not self.model.toggle_filter():
            self.notify("no filter to switch: press f to write one")
            return
        self._requeried()

    def action_toggle_highlight(self) -> None:
        if self.model.toggle_highlight():
            self._requeried()
        else:
            self.notify(
                "highlight mode " + ("on" if self.model.highlight else "off") + ": the filter's"
                " matches are marked, the rest stays"
            )

    def _requery(self) -> None:
        self.model.requery()
        self._requeried()

    def _requeried(self) -> None:
        """The model's rows started again: show them, the filter's mode, and count."""
        self.events.reset(self._shown_id)
        self.query_one(FilterBar).show_mode()
        self._status()
        self._work()

    # --- follow, marks, comments ------------------------------------------------------------

    def action_toggle_follow(self) -> None:
        self.events.set_follow(not self.events.follow)
        self._status()

    def action_toggle_mark(self) -> None:
        row = self.events.current
        if row is None:
            return
        marked = self.data.toggle_mark(row.id)
        if self.model.lists_marks:
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

        self.app.push_screen(
            CommentScreen(row.comment or "", blink=self.settings.cursor_blink), save
        )

    # --- actions on exchanges ------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("replay", "edit_replay"):
            return self.settings.config is not None
        if action == "catalogue":
            return self._catalogue
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
        if self.app.is_web:  # the browser downloads it (textual-serve's download route)
            name, text, count = har_document(self.data.conn, ids)
            self.app.deliver_text(
                io.StringIO(text), save_filename=name, mime_type="application/json"
            )
            self.notify(f"{count} exchange(s) sent to the browser as {name}", timeout=4)
            return
        path, count = export_har(self.data.conn, ids, Path.cwd())
        self.notify(f"{count} exchange(s) written to {path}", timeout=4)

    def action_replay(self) -> None:
        config = self.settings.config
        if config is None or self._shown_id is None:
            return
        self.notify("replaying...", timeout=1)
        self._replay(self._shown_id, config)

    def action_edit_replay(self) -> None:
        config = self.settings.config
        event = self.detail.event
        if config is None or event is None or self._shown_id is None:
            return
        from textual.app import SuspendNotSupported

        from pluginlab_tui.errors import UsageError

        if self.app.is_web:  # no terminal to hand to $EDITOR: the app's own editor
            self._edit_in_app(event, self._shown_id, config)
            return
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

    def _edit_in_app(self, event: Event, row_id: int, config: Config) -> None:
        from pluginlab_tui.errors import UsageError
        from pluginlab_tui.tui.screens.text_view import TextScreen

        try:
            document = request_document(event)
        except UsageError as exc:  # a binary body
            self.notify(f"not sent: {exc}", severity="error", timeout=6)
            return

        def send(text: str | None) -> None:
            if text is None:
                self.notify("edit cancelled: nothing sent", timeout=3)
                return
            try:
                request = read_request(text)
            except UsageError as exc:  # the line that is not a request, named
                self.notify(f"not sent: {exc}", severity="error", timeout=6)
                return
            if request is None:
                self.notify("the request was emptied: nothing sent", timeout=3)
                return
            self.notify("replaying the edited request...", timeout=1)
            self._edit_replay(row_id, config, request)

        title = "Edit the request; ctrl+s sends it through the proxy, escape cancels"
        self.app.push_screen(TextScreen(document, title, editable=True), send)

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

    def action_catalogue(self) -> None:
        from pluginlab_tui.tui.screens.catalogue import CatalogueScreen

        self.app.push_screen(CatalogueScreen(self.data))

    def action_stats(self) -> None:
        from pluginlab_tui.tui.screens.stats import StatsScreen

        self.app.push_screen(StatsScreen(self.data, self.model.listed))
