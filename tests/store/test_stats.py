"""Per operation and per MCP tool stats over a filter."""

from __future__ import annotations

from pathlib import Path

from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import Event
from pluginlab_tui.store.filter import compile_filter
from pluginlab_tui.store.stats import (
    NO_OPERATION,
    NO_TOOL,
    operation_stats,
    tool_stats,
    total_stats,
    total_tool_stats,
)
from pluginlab_tui.store.writer import insert_events
from pluginlab_tui.validation.violations import Violation


def _event(n: int, op: str | None, status: int | None, ms: float, bad: bool = False) -> Event:
    return Event(
        event_id=f"e{n}",
        ts=f"2026-11-25T09:00:{n:02d}.000Z",
        method="GET",
        url="http://x/a",
        path="/a",
        operation_id=op,
        status=status,
        duration_ms=ms,
        user_id="alice" if n % 2 else "bob",
        violations=[Violation("invalid_body", "request", "body", "bad")] if bad else [],
    )


def _store(tmp_path: Path) -> Path:
    db = tmp_path / "s.db"
    conn = open_store(db, create=True)
    events = [_event(n, "listTodos", 200, float(n + 1)) for n in range(20)]  # 1..20 ms
    events += [
        _event(20, "addTodo", 201, 5.0),
        _event(21, "addTodo", 500, 50.0, bad=True),
        _event(22, "addTodo", None, 7.0),
        _event(23, None, 404, 1.0, bad=True),
    ]
    insert_events(conn, events)
    conn.close()
    return db


def test_counts_rates_and_percentiles_per_operation(tmp_path: Path) -> None:
    conn = open_store(_store(tmp_path))
    stats = {s.operation: s for s in operation_stats(conn)}
    assert list(stats) == ["listTodos", "addTodo", NO_OPERATION]
    listing = stats["listTodos"]
    assert (listing.count, listing.errors, listing.invalid) == (20, 0, 0)
    assert listing.p50_ms == 10.0 and listing.p95_ms == 19.0
    adding = stats["addTodo"]
    assert adding.count == 3 and adding.errors == 2 and adding.invalid == 1
    assert round(adding.error_rate, 3) == 0.667 and round(adding.violation_rate, 3) == 0.333
    assert adding.p50_ms == 7.0 and adding.p95_ms == 50.0
    assert stats[NO_OPERATION].errors == 1


def test_over_a_filter(tmp_path: Path) -> None:
    conn = open_store(_store(tmp_path))
    where = compile_filter("user:alice")
    stats = operation_stats(conn, where.sql, where.params)
    assert sum(s.count for s in stats) == 12
    total = total_stats(conn, where.sql, where.params)
    assert total.count == 12 and total.operation == "all"


def test_empty(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    open_store(db, create=True).close()
    conn = open_store(db)
    assert operation_stats(conn) == []
    total = total_stats(conn)
    assert total.count == 0 and total.p50_ms is None and total.error_rate == 0.0


def _call(
    n: int,
    tool: str | None,
    ms: float,
    *,
    rpc_error: int | None = None,
    is_error: bool | None = None,
    bad: bool = False,
) -> Event:
    """A tools/call of `tool` (None: the call named none) answered after `ms`."""
    event = _event(100 + n, None, 200, ms, bad=bad)
    event.ts = f"2026-11-25T09:01:{n:02d}.000Z"
    event.protocol, event.rpc_method, event.tool = "mcp", "tools/call", tool
    event.rpc_error, event.is_error = rpc_error, is_error
    return event


def test_per_tool_calls_errors_and_percentiles(tmp_path: Path) -> None:
    db = _store(tmp_path)
    conn = open_store(db)
    calls = [_call(n, "search", float(n + 1), is_error=n == 3) for n in range(10)]  # 1..10 ms
    calls += [
        _call(10, "add_todo", 40.0, rpc_error=-32602, bad=True),
        _call(11, "add_todo", 20.0),
        _call(12, None, 3.0, rpc_error=-32602),  # a tools/call that named no tool
    ]
    listing = _call(13, None, 1.0)
    listing.rpc_method = "tools/list"  # not a call: not counted
    insert_events(conn, [*calls, listing])
    stats = {s.tool: s for s in tool_stats(conn)}
    assert list(stats) == ["search", "add_todo", NO_TOOL]
    search = stats["search"]
    assert (search.calls, search.rpc_errors, search.is_errors, search.invalid) == (10, 0, 1, 0)
    assert search.p50_ms == 5.0 and search.p95_ms == 10.0
    adding = stats["add_todo"]
    assert (adding.calls, adding.rpc_errors, adding.is_errors, adding.invalid) == (2, 1, 0, 1)
    assert adding.p50_ms == 20.0 and adding.p95_ms == 40.0
    total = total_tool_stats(conn)
    assert (total.tool, total.calls, total.rpc_errors, total.is_errors) == ("all", 13, 2, 1)
    where = compile_filter("tool:add_todo")
    assert [s.tool for s in tool_stats(conn, where.sql, where.params)] == ["add_todo"]
    # the HTTP exchanges have no tool: the table is empty without MCP traffic
    http = compile_filter("protocol:http")
    assert tool_stats(conn, http.sql, http.params) == []
    assert total_tool_stats(conn, http.sql, http.params).p50_ms is None
