"""The plugin panel: the manifest and spec in service, their lint findings, the versions."""

from __future__ import annotations

import difflib
import json
from typing import Any

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, Select, Static, TabbedContent, TabPane

from pluginlab_tui.plugin.diff import diff_specs
from pluginlab_tui.plugin.prompt import render_prompt
from pluginlab_tui.store.versions import VersionRecord
from pluginlab_tui.tui.data import StoreData
from pluginlab_tui.tui.version_view import changes_view, lint_view, syntax


def diff_view(store: StoreData, old: VersionRecord, new: VersionRecord) -> RenderableType:
    """The spec changes (breaking first) and the manifest's text diff from `old` to `new`."""
    title = Text(f"Version {old.number} → {new.number}", style="bold")
    parts: list[RenderableType] = [title]
    old_spec, new_spec = store.spec(old.number), store.spec(new.number)
    if old_spec is None or new_spec is None:
        parts.append(Text("one of the specs cannot be read; no operation diff", style="red"))
    else:
        parts += changes_view(diff_specs(old_spec, new_spec), "spec", "operation")
    if (old.manifest_text or "") != (new.manifest_text or ""):
        lines = difflib.unified_diff(
            (old.manifest_text or "").splitlines(),
            (new.manifest_text or "").splitlines(),
            f"manifest v{old.number}",
            f"manifest v{new.number}",
            lineterm="",
        )
        parts.append(Text("\nManifest", style="bold"))
        parts.append(
            Syntax("\n".join(lines), "diff", theme="ansi_dark", background_color="default")
        )
    elif old.number != new.number:
        parts.append(Text("manifest unchanged", style="dim"))
    return Group(*parts)


def prompt_view(record: VersionRecord, spec: dict[str, Any] | None) -> RenderableType:
    """The plugin as ChatGPT showed it to the model, with its size and warnings."""
    if spec is None:
        return Text("the spec of this version cannot be read", style="red")
    try:
        manifest = json.loads(record.manifest_text) if record.manifest_text else None
    except ValueError:
        manifest = None
    profile = "plugin" if record.manifest_text else "actions"
    view = render_prompt(manifest if isinstance(manifest, dict) else None, spec, profile=profile)
    parts: list[RenderableType] = [Text(f"The model's view: {view.size_line}", style="bold")]
    parts += [Text(f"⚠ {warning}", style="yellow") for warning in view.warnings]
    parts.append(Syntax(view.text, "typescript", theme="ansi_dark", background_color="default"))
    return Group(*parts)


def _pretty_manifest(text: str | None) -> str:
    if text is None:
        return "(no manifest: the actions profile serves none)"
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


class PluginScreen(Screen[None]):
    """Manifest, spec, lint and versions of the plugin behind the proxy."""

    BINDING_GROUP_TITLE = "Plugin"
    BINDINGS = [
        Binding("escape,p", "app.pop_screen", "Back", id="plugin.close"),
        Binding("1", "show('manifest')", "Manifest", id="plugin.manifest"),
        Binding("2", "show('spec')", "Spec", id="plugin.spec"),
        Binding("3", "show('lint')", "Lint", id="plugin.lint"),
        Binding("4", "show('versions')", "Versions", id="plugin.versions"),
        Binding("5", "show('prompt')", "Prompt", id="plugin.prompt"),
    ]

    def __init__(self, data: StoreData) -> None:
        super().__init__()
        self.data = data
        self.shown: list[VersionRecord] = []

    def compose(self) -> ComposeResult:
        with TabbedContent(id="plugin-tabs"):
            with TabPane("Manifest", id="manifest"):
                with VerticalScroll(can_focus=True):
                    yield Static(id="manifest-text")
            with TabPane("Spec", id="spec"):
                with VerticalScroll(can_focus=True):
                    yield Static(id="spec-text")
            with TabPane("Lint", id="lint"):
                with VerticalScroll(can_focus=True):
                    yield Static(id="lint-text")
            with TabPane("Versions", id="versions"):
                with Horizontal(id="diff-pick"):
                    yield Label("diff from ")
                    yield Select[int]([], id="diff-from", prompt="version")
                    yield Label(" to ")
                    yield Select[int]([], id="diff-to", prompt="version")
                with VerticalScroll(can_focus=True):
                    yield Static(id="versions-list")
                    yield Static(id="diff-text")
            with TabPane("Prompt", id="prompt"):
                with VerticalScroll(can_focus=True):
                    yield Static(id="prompt-text")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(1.0, self.reload)

    def action_show(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def reload(self) -> None:
        """Read the versions again; redraw when one was added or linted anew."""
        records = self.data.versions()
        if records == self.shown:
            return
        self.shown = records
        dark = self.app.current_theme.dark
        if not records:
            empty = Text("No plugin version recorded yet: the proxy records one when it starts.")
            for name in ("manifest", "spec", "lint", "versions-list", "prompt"):
                self.query_one(
                    f"#{name}-text" if name != "versions-list" else "#versions-list", Static
                ).update(empty)
            return
        newest = records[-1]
        self.query_one("#manifest-text", Static).update(
            syntax(_pretty_manifest(newest.manifest_text), "json", dark)
        )
        spec = newest.spec_text or ""
        language = "json" if spec.lstrip().startswith("{") else "yaml"
        self.query_one("#spec-text", Static).update(syntax(spec, language, dark))
        self.query_one("#lint-text", Static).update(lint_view(newest))
        self.query_one("#prompt-text", Static).update(
            prompt_view(newest, self.data.spec(newest.number))
        )
        table = Table(title="Versions", title_justify="left", expand=True, show_edge=False)
        for column in ("number", "recorded", "manifest", "spec", "lint"):
            table.add_column(column, no_wrap=True)
        for record in reversed(records):
            table.add_row(
                str(record.number),
                record.ts,
                (record.manifest_hash or "-")[:10],
                (record.spec_hash or "-")[:10],
                ", ".join(f"{n} {k}" for k, n in record.lint_summary.items()) or "-",
            )
        self.query_one("#versions-list", Static).update(table)
        options = [(f"v{r.number}  {r.ts[:19]}", r.number) for r in reversed(records)]
        old = self.query_one("#diff-from", Select)
        new = self.query_one("#diff-to", Select)
        old.set_options(options)
        new.set_options(options)
        old.value = records[-2].number if len(records) > 1 else newest.number
        new.value = newest.number
        self.show_diff()

    @on(Select.Changed)
    def _picked(self) -> None:
        self.show_diff()

    def show_diff(self) -> None:
        old = self.query_one("#diff-from", Select).value
        new = self.query_one("#diff-to", Select).value
        if not isinstance(old, int) or not isinstance(new, int):
            return
        a, b = self.data.version(old), self.data.version(new)
        if a is None or b is None:
            return
        self.query_one("#diff-text", Static).update(diff_view(self.data, a, b))
