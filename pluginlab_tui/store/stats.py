"""Aggregates over a filtered set of exchanges: per operation counts, rates and durations, and
per MCP tool (tools/call) calls, JSON-RPC errors, isError results and durations."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

#: The label of exchanges that matched no operation.
NO_OPERATION = "(no operation)"
#: The label of tools/call messages that named no tool.
NO_TOOL = "(no tool)"


@dataclass(frozen=True, slots=True)
class OperationStats:
    """One operation's figures. An error is an answer of 4xx/5xx, or none at all."""

    operation: str
    count: int
    errors: int
    invalid: int
    p50_ms: float | None
    p95_ms: float | None

    @property
    def error_rate(self) -> float:
        return self.errors / self.count if self.count else 0.0

    @property
    def violation_rate(self) -> float:
        return self.invalid / self.count if self.count else 0.0


def _percentile(
    conn: sqlite3.Connection, where: str, params: tuple[Any, ...], timed: int, share: float
) -> float | None:
    """The duration at `share` (nearest rank) among `timed` rows that have one."""
    if timed == 0:
        return None
    offset = min(timed - 1, max(0, int(share * timed + 0.999999) - 1))
    row = conn.execute(
        f"SELECT e.duration_ms FROM events e WHERE ({where}) AND e.duration_ms IS NOT NULL"
        " ORDER BY e.duration_ms LIMIT 1 OFFSET ?",
        (*params, offset),
    ).fetchone()
    return None if row is None else float(row[0])


def operation_stats(
    conn: sqlite3.Connection, where: str = "1", params: tuple[Any, ...] | list[Any] = ()
) -> list[OperationStats]:
    """Per operation (most called first) over the events matching `where` (alias `e`)."""
    args = tuple(params)
    rows = conn.execute(
        "SELECT e.operation_id, count(*),"
        " sum(CASE WHEN e.status IS NULL OR e.status >= 400 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN e.violation_count > 0 THEN 1 ELSE 0 END),"
        " count(e.duration_ms)"
        f" FROM events e WHERE {where} GROUP BY e.operation_id ORDER BY count(*) DESC,"
        " e.operation_id",
        args,
    ).fetchall()
    out: list[OperationStats] = []
    for operation, total, errors, invalid, timed in rows:
        if operation is None:
            scope, scope_args = f"({where}) AND e.operation_id IS NULL", args
        else:
            scope, scope_args = f"({where}) AND e.operation_id = ?", (*args, operation)
        out.append(
            OperationStats(
                operation=NO_OPERATION if operation is None else str(operation),
                count=int(total),
                errors=int(errors or 0),
                invalid=int(invalid or 0),
                p50_ms=_percentile(conn, scope, scope_args, int(timed), 0.50),
                p95_ms=_percentile(conn, scope, scope_args, int(timed), 0.95),
            )
        )
    return out


def total_stats(
    conn: sqlite3.Connection, where: str = "1", params: tuple[Any, ...] | list[Any] = ()
) -> OperationStats:
    """The same figures over all matching events together."""
    args = tuple(params)
    total, errors, invalid, timed = conn.execute(
        "SELECT count(*),"
        " sum(CASE WHEN e.status IS NULL OR e.status >= 400 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN e.violation_count > 0 THEN 1 ELSE 0 END), count(e.duration_ms)"
        f" FROM events e WHERE {where}",
        args,
    ).fetchone()
    return OperationStats(
        operation="all",
        count=int(total),
        errors=int(errors or 0),
        invalid=int(invalid or 0),
        p50_ms=_percentile(conn, where, args, int(timed), 0.50),
        p95_ms=_percentile(conn, where, args, int(timed), 0.95),
    )


@dataclass(frozen=True, slots=True)
class ToolStats:
    """One MCP tool's tools/call figures: JSON-RPC error answers, results with isError, calls
    with a violation, and durations."""

    tool: str
    calls: int
    rpc_errors: int
    is_errors: int
    invalid: int
    p50_ms: float | None
    p95_ms: float | None


#: What a tool's row counts, after `e.tool` or nothing: calls, errors, isError, invalid, timed.
_TOOL_FIGURES = (
    "count(*), sum(CASE WHEN e.rpc_error IS NOT NULL THEN 1 ELSE 0 END),"
    " sum(CASE WHEN e.is_error = 1 THEN 1 ELSE 0 END),"
    " sum(CASE WHEN e.violation_count > 0 THEN 1 ELSE 0 END), count(e.duration_ms)"
)
_CALLS = "e.protocol = 'mcp' AND e.rpc_method = 'tools/call'"


def _tool(
    conn: sqlite3.Connection, scope: str, args: tuple[Any, ...], name: str, figures: Any
) -> ToolStats:
    total, rpc_errors, is_errors, invalid, timed = figures
    return ToolStats(
        tool=name,
        calls=int(total),
        rpc_errors=int(rpc_errors or 0),
        is_errors=int(is_errors or 0),
        invalid=int(invalid or 0),
        p50_ms=_percentile(conn, scope, args, int(timed), 0.50),
        p95_ms=_percentile(conn, scope, args, int(timed), 0.95),
    )


def tool_stats(
    conn: sqlite3.Connection, where: str = "1", params: tuple[Any, ...] | list[Any] = ()
) -> list[ToolStats]:
    """Per tool (most called first) over the tools/call messages matching `where` (alias `e`)."""
    args = tuple(params)
    calls = f"({where}) AND {_CALLS}"
    rows = conn.execute(
        f"SELECT e.tool, {_TOOL_FIGURES} FROM events e WHERE {calls}"
        " GROUP BY e.tool ORDER BY count(*) DESC, e.tool",
        args,
    ).fetchall()
    out: list[ToolStats] = []
    for tool, *figures in rows:
        if tool is None:
            out.append(_tool(conn, f"{calls} AND e.tool IS NULL", args, NO_TOOL, figures))
        else:
            out.append(_tool(conn, f"{calls} AND e.tool = ?", (*args, tool), str(tool), figures))
    return out


def total_tool_stats(
    conn: sqlite3.Connection, where: str = "1", params: tuple[Any, ...] | list[Any] = ()
) -> ToolStats:
    """The same figures over every matching tools/call together."""
    args = tuple(params)
    calls = f"({where}) AND {_CALLS}"
    figures = conn.execute(f"SELECT {_TOOL_FIGURES} FROM events e WHERE {calls}", args).fetchone()
    return _tool(conn, calls, args, "all", figures)
