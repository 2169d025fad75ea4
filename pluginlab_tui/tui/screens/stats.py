"""Stats per operation, and per MCP tool, over the exchanges the filter lists."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from pluginlab_tui.store.filter import Filter
from pluginlab_tui.store.stats import OperationStats, ToolStats
from pluginlab_tui.tui.data import StatsReport, StoreData, stats_report


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


def _tool_row(s: ToolStats) -> tuple[str, ...]:
    return (
        s.tool,
        f"{s.calls:,}",
        f"{s.rpc_errors:,}",
        f"{s.is_errors:,}",
        f"{s.invalid:,}",
        _ms(s.p50_ms),
        _ms(s.p95_ms),
    )


class StatsScreen(Screen[None]):
    """Count, error rate, violation rate, p50 and p95 duration per operation; for MCP traffic,
    calls, JSON-RPC errors, isError results, calls with violations and durations per tool."""

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
        yield Static(
            "Stats per MCP tool (tools/call): JSON-RPC error answers, results with isError,"
            " calls with violations",
            id="tool-stats-title",
        )
        tools: DataTable[str] = DataTable(
            id="tool-stats-table", cursor_type="row", zebra_stripes=True
        )
        tools.add_columns("tool", "calls", "rpc errors", "isError", "invalid", "p50 ms", "p95 ms")
        yield tools
        yield Footer()

    def on_mount(self) -> None:
        self._show_tools(False)
        self.query_one("#stats-table", DataTable).focus()
        self.action_refresh_stats()

    def _show_tools(self, shown: bool) -> None:
        for part in ("#tool-stats-title", "#tool-stats-table"):
            self.query_one(part).display = shown

    def action_refresh_stats(self) -> None:
        self.query_one("#stats-title", Static).loading = True
        self._compute()

    @work(thread=True, exclusive=True, group="stats")
    def _compute(self) -> None:
        report = stats_report(self.data.path, self.where)
        self.app.call_from_thread(self._show, report)

    def _show(self, report: StatsReport) -> None:
        self.query_one("#stats-title", Static).loading = False
        table: DataTable[str] = self.query_one("#stats-table", DataTable)
        table.clear()
        for stats in report.operations:
            table.add_row(*_row(stats))
        if report.operations:
            table.add_row(*_row(report.total))
        tools: DataTable[str] = self.query_one("#tool-stats-table", DataTable)
        tools.clear()
        for tool in report.tools:
            tools.add_row(*_tool_row(tool))
        if report.tools:
            tools.add_row(*_tool_row(report.tool_total))
        self._show_tools(bool(report.tools))
