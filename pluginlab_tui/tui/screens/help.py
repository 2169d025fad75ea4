"""F1 / ?: the keys where the focus was, every key of the app, and the filter language."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from pluginlab_tui.store.filter import FIELDS, OPERATORS


def keys_table(screen: Screen[object]) -> Table:
    """Every binding active on `screen` (the focused widget's first), with its id."""
    table = Table(title="Keys here", title_justify="left", expand=True, show_edge=False)
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("does")
    table.add_column("id (remap in config.toml)", style="dim", no_wrap=True)
    keys: dict[str, list[str]] = {}
    described: dict[str, str] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.id is None:
            continue  # Textual's own scrolling and focus keys
        keys.setdefault(binding.id, []).append(screen.app.get_key_display(binding))
        described[binding.id] = binding.tooltip or binding.description or binding.action
    for binding_id, shown in keys.items():
        table.add_row(" ".join(dict.fromkeys(shown)), described[binding_id], binding_id)
    return table


def filter_table() -> Table:
    table = Table(title="Filter language", title_justify="left", expand=True, show_edge=False)
    table.add_column("term", style="bold", no_wrap=True)
    table.add_column("meaning")
    for name, line in FIELDS.items():
        example, _, meaning = line.partition(" - ")
        table.add_row(example or name, meaning)
    for sign, meaning in OPERATORS.items():
        table.add_row(sign, meaning)
    return table


class HelpScreen(ModalScreen[None]):
    """What the keys do where you are, and how to write a filter."""

    BINDINGS = [
        Binding("escape,q,f1,question_mark", "dismiss", "Close help", id="help.close"),
    ]

    def __init__(self, origin: Screen[object]) -> None:
        super().__init__()
        self.origin = origin

    def compose(self) -> ComposeResult:
        intro = Text.assemble(
            ("pluginlab-tui", "bold"),
            " shows each exchange between the caller and the plugin's backend, and whether it"
            " keeps the contract of the spec. ctrl+p opens the command palette (every action);"
            " keys can be remapped by id in $XDG_CONFIG_HOME/pluginlab-tui/config.toml under"
            ' [keymap], and the theme set with theme = "...".',
        )
        with VerticalScroll(id="help-box"):
            yield Static(Group(intro, Text(""), keys_table(self.origin), Text(""), filter_table()))
