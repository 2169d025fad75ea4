"""Stats per operation over the exchanges the filter lists."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from pluginlab_tui.store.filter import Filter
from pluginlab_tui.store.stats import OperationStats
from pluginlab_tui.tui.data import StoreData, operation_stats


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _row(s: OperationStats) -> tuple[str, ...]:
    return (
        s.operation,
        f"{s.count:,}",
        f"{s.error_rate:.1%}",
        f"{s.violation_rate:.1%}",
        _ms(s.p50_ms),
        _ms(s.p95_ms),
    )


class StatsScreen(Screen[None]):
    """Count, error rate, violation rate, p50 and p95 duration per operation."""

    BINDING_GROUP_TITLE = "Stats"
    BINDINGS = [
        Binding("escape,s", "app.pop_screen", "Back", id="stats.close"),
        Binding("r", "refresh_stats", "Refresh", id="stats.refresh"),
    ]

    def __init__(self, data: StoreData, where: Filter) -> None:
        super().__init__()
        self.data = data
        self.where = where

    def compose(self) -> ComposeResult:
        scope = f"filter: {self.where.text}" if self.where.text else "all exchanges"
        yield Static(
            f"Stats per operation over {scope} (errors: 4xx, 5xx or no answer)", id="stats-title"
        )
        table: DataTable[str] = DataTable(id="stats-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("operation", "count", "errors", "invalid", "p50 ms", "p95 ms")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.action_refresh_stats()

    def action_refresh_stats(self) -> None:
        self.query_one("#stats-title", Static).loading = True
        self._compute()

    @work(thread=True, exclusive=True, group="stats")
    def _compute(self) -> None:
        total, per_op = operation_stats(self.data.path, self.where)
        self.app.call_from_thread(self._show, total, per_op)

    def _show(self, total: OperationStats, per_op: list[OperationStats]) -> None:
        self.query_one("#stats-title", Static).loading = False
        table = self.query_one(DataTable)
        table.clear()
        for stats in per_op:
            table.add_row(*_row(stats))
        if per_op:
            table.add_row(*_row(total))
