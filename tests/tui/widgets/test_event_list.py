"""The live list: what each column shows of an HTTP exchange and of an MCP message."""

from __future__ import annotations

from pathlib import Path

from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.paging import Row
from pluginlab_tui.store.writer import insert_events
from pluginlab_tui.tui.widgets.event_list import EventList, method_text
from tests.tui.conftest import make_app, mcp_events, settle


def _lines(events: EventList) -> list[str]:
    """The list's lines as drawn (the header first)."""
    height = events.scrollable_content_region.height
    return ["".join(s.text for s in events.render_line(y)) for y in range(height)]


def _with(events: EventList, needle: str) -> list[str]:
    return [line for line in _lines(events) if needle in line]


async def test_mcp_messages_show_their_method_tool_and_outcome(mcp_store: Path) -> None:
    app = make_app(mcp_store)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        events = app.screen.query_one(EventList)
        assert events.current is not None and events.current.tool == "search"
        (search,) = _with(events, "search")
        assert "tools/call" in search and "/mcp" in search and " 200 " in search
        errored, failed = _with(events, "add_todo")
        assert "tools/call" in errored and "-32602" in errored  # the JSON-RPC error's code
        assert "isErr" in failed  # a result with isError
        (initialized,) = _with(events, "n/initialized")  # notifications/initialized, shortened
        assert " 202 " in initialized
        (read,) = _with(events, "resources/read")
        assert "…todo-board.html" in read  # a resource URI keeps its end
        # the HTTP-level MCP exchange (a GET stream) shows its HTTP method
        assert [line for line in _with(events, "/mcp") if " GET " in line]
        alice = _with(events, "/todos/alice")  # the HTTP exchanges as before
        assert alice and all("listTodos" in line or "addTodo" in line for line in alice)


async def test_the_method_column_widens_when_mcp_messages_arrive(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        events = app.screen.query_one(EventList)
        header = _lines(events)[0]
        assert header.index("status") - header.index("method") == 8  # 7 wide, then a space
        conn = open_store(store)
        try:
            insert_events(conn, mcp_events())
        finally:
            conn.close()
        await settle(pilot, 0.3)
        header = _lines(events)[0]
        assert header.index("status") - header.index("method") == 17
        assert _with(events, "tools/call")


def _row(method: str | None) -> Row:
    return Row(1, "", "POST", "/mcp", "", None, 200, 1.0, None, 0, False, None, None,
               method, None, None, None, None, False)  # fmt: skip


def test_long_methods_keep_their_last_segment() -> None:
    assert method_text(_row("tools/call"), 16) == "tools/call"
    assert method_text(_row("notifications/initialized"), 16) == "n/initialized"
    assert method_text(_row("resources/templates/list"), 16) == "r/templates/list"
    assert method_text(_row("notifications/tools/list_changed"), 16) == "n/t/list_changed"
    assert method_text(_row(None), 16) == "POST"
