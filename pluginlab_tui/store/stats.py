"""Aggregates over a filtered set of exchanges: per operation counts, rates and durations."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

#: The label of exchanges that matched no operation.
NO_OPERATION = "(no operation)"


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
