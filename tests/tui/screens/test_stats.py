"""The stats screen: per operation, and per MCP tool when there are tool calls."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from pluginlab_tui.tui.screens.stats import StatsScreen
from tests.tui.conftest import make_app, settle


def _rows(screen: StatsScreen, table_id: str) -> dict[str, list[str]]:
    table: DataTable[str] = screen.query_one(table_id, DataTable)
    rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
    return {row[0]: row[1:] for row in rows}


async def test_per_tool_calls_errors_and_durations(mcp_store: Path) -> None:
    app = make_app(mcp_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot, 0.3)
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        assert screen.query_one("#tool-stats-table").display
        tools = _rows(screen, "#tool-stats-table")
        # calls, JSON-RPC errors, isError results, calls with violations, p50, p95 (ms)
        assert tools["add_todo"] == ["2", "1", "1", "1", "23.0", "26.0"]
        assert tools["search"] == ["1", "0", "0", "0", "32.0", "32.0"]
        assert tools["all"][:4] == ["3", "1", "1", "1"]
        assert list(tools) == ["add_todo", "search", "all"]
        assert "listTodos" in _rows(screen, "#stats-table")  # the operations as before


async def test_no_tool_table_without_tool_calls(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot, 0.3)
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        assert not screen.query_one("#tool-stats-table").display
        assert not screen.query_one("#tool-stats-title").display
