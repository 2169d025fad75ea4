"""A small screen: how an edited replay went, and how its answer differs from the original's."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from pluginlab_tui.tui.data import ReplayOutcome


def outcome_text(outcome: ReplayOutcome) -> Text:
    """The request sent, the status against the original's, the verdict, then the diff."""
    text = Text()
    text.append("sent      ", style="bold")
    text.append(f"{outcome.request_line}\n")
    text.append("answer    ", style="bold")
    if outcome.error:
        text.append(f"failed: {outcome.error}\n", style="bold red")
    else:
        text.append(f"{outcome.status} in {outcome.duration_ms:.0f} ms")
        text.append(f"  (the original: {outcome.original_status})\n", style="dim")
    text.append("verdict   ", style="bold")
    if outcome.violations:
        text.append(f"{len(outcome.violations)} violation(s)\n", style="bold red")
        for line in outcome.violations:
            text.append(f"  {line}\n", style="red")
    else:
        text.append("keeps the contract\n", style="green")
    text.append("\nagainst the original's answer\n", style="bold")
    if not outcome.diff:
        text.append("  no difference\n", style="dim")
    for line in outcome.diff:
        style = {"+": "green", "-": "red", "~": "yellow"}.get(line[:1], "dim")
        text.append(f"  {line}\n", style=style)
    return text


class ReplayResultScreen(ModalScreen[None]):
    """Escape or q closes."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="replay-result.close"),
    ]

    def __init__(self, outcome: ReplayOutcome) -> None:
        super().__init__()
        self.outcome = outcome

    def compose(self) -> ComposeResult:
        with Vertical(id="replay-box"):
            yield Label("Edited replay (escape closes)", id="replay-title")
            with VerticalScroll(can_focus=True):
                yield Static(outcome_text(self.outcome), id="replay-text", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
