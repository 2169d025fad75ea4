"""The catalogue screen: the MCP server's tools, resources, prompts and lint, as one catalogue
version holds them, and the versions with the changes from the one before."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, Select, Static, TabbedContent, TabPane

from pluginlab_tui.store.versions import VersionRecord
from pluginlab_tui.tui.catalogue_view import (
    EMPTY,
    diff_view,
    notices_view,
    prompts_view,
    resources_view,
    tools_view,
    versions_table,
)
from pluginlab_tui.tui.data import StoreData
from pluginlab_tui.tui.version_view import lint_view

#: The tabs, in the order of their number keys.
TABS = ("tools", "resources", "prompts", "lint", "versions")


class CatalogueScreen(Screen[None]):
    """Tools, resources and templates, prompts, lint and versions of the MCP server."""

    CSS_PATH = "catalogue.tcss"
    BINDING_GROUP_TITLE = "Catalogue"
    BINDINGS = [
        Binding("escape,C", "app.pop_screen", "Back", id="catalogue.close"),
        *(
            Binding(str(n), f"show('{tab}')", tab.title(), id=f"catalogue.{tab}")
            for n, tab in enumerate(TABS, start=1)
        ),
    ]

    def __init__(self, data: StoreData) -> None:
        super().__init__()
        self.data = data
        self.records: list[VersionRecord] = []
        self._shown: tuple[list[VersionRecord], list[dict[str, Any]]] | None = None
        #: The version the tabs show; None: the newest, following new versions.
        self.pinned: int | None = None

    def compose(self) -> ComposeResult:
        with TabbedContent(id="catalogue-tabs"):
            for tab in TABS[:4]:
                with TabPane(tab.title(), id=tab):
                    with VerticalScroll(can_focus=True):
                        yield Static(id=f"catalogue-{tab}")
            with TabPane("Versions", id="versions"):
                with Horizontal(id="catalogue-pick"):
                    yield Label("version ")
                    yield Select[int]([], id="catalogue-version", prompt="version")
                    yield Label(" against the one before it")
                with VerticalScroll(can_focus=True):
                    yield Static(id="catalogue-diff")
                    yield Static(id="catalogue-notices")
                    yield Static(id="catalogue-versions")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(1.0, self.reload)

    def action_show(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    @property
    def selected(self) -> VersionRecord | None:
        """The version the tabs show."""
        if not self.records:
            return None
        found = [r for r in self.records if r.number == self.pinned]
        return found[0] if found else self.records[-1]

    def reload(self) -> None:
        """Read the versions and notices again; redraw when they changed."""
        records = self.data.catalogue_versions()
        notices = self.data.catalogue_notices()
        if self._shown == (records, notices):
            return
        self._shown = (records, notices)
        self.records = records
        self.query_one("#catalogue-notices", Static).update(notices_view(notices))
        if not records:
            for name in (*TABS[:4], "diff"):
                self.query_one(f"#catalogue-{name}", Static).update(Text(EMPTY))
            return
        catalogues = [self.data.catalogue(r) for r in records]
        self.query_one("#catalogue-versions", Static).update(versions_table(records, catalogues))
        pick = self.query_one("#catalogue-version", Select)
        pick.set_options([(f"v{r.number}  {r.ts[:19]}", r.number) for r in reversed(records)])
        selected = self.selected
        assert selected is not None
        with pick.prevent(Select.Changed):
            pick.value = selected.number
        self.show_version()

    @on(Select.Changed, "#catalogue-version")
    def _picked(self, event: Select.Changed) -> None:
        value = event.value
        if isinstance(value, int):
            newest = self.records[-1].number if self.records else None
            self.pinned = None if value == newest else value
            self.show_version()

    def show_version(self) -> None:
        """Draw the selected version in every tab, and its changes from the one before."""
        record = self.selected
        if record is None:
            return
        catalogue = self.data.catalogue(record)
        newest = record is self.records[-1]
        dark = self.app.current_theme.dark
        self.query_one("#catalogue-tools", Static).update(
            tools_view(record, catalogue, newest, dark)
        )
        self.query_one("#catalogue-resources", Static).update(
            resources_view(record, catalogue, newest)
        )
        self.query_one("#catalogue-prompts", Static).update(prompts_view(record, catalogue, newest))
        self.query_one("#catalogue-lint", Static).update(lint_view(record))
        index = self.records.index(record)
        before = self.records[index - 1] if index else None
        changes = [] if before is None else self.data.catalogue_changes(before, record)
        self.query_one("#catalogue-diff", Static).update(diff_view(before, record, changes))
