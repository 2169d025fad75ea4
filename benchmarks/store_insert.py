"""The writer's hot path: event rows inserted by sqlite-utils' insert_all against plain sqlite3.

Each way writes the same batches of events (the writer's batch size) into a fresh store (WAL, as
the writer opens it), one transaction a batch, and the table gives rows/s and the ratio to plain
executemany, measured in the same run. The writer's own way (one execute a row, for the rowid
its codes and body index need) is shown beside them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pluginlab_tui.store.database import open_store  # noqa: E402
from pluginlab_tui.store.event import Event  # noqa: E402
from pluginlab_tui.store.schema import database  # noqa: E402
from pluginlab_tui.store.writer import INSERT_EVENT  # noqa: E402

BATCH = 2000


def _rows(count: int) -> list[tuple[Any, ...]]:
    return [
        Event(
            event_id=f"00000000-0000-0000-0000-{n:012d}",
            ts=f"2026-01-01T00:00:{n % 60:02d}.000Z",
            method="POST",
            url=f"http://127.0.0.1:8000/todos/{n}",
            path=f"/todos/{n}",
            status=201,
            duration_ms=12.5,
            request_headers=[("content-type", "application/json"), ("accept", "*/*")],
            response_headers=[("content-type", "application/json")],
            request_body='{"title": "buy oat milk"}',
            response_body=f'{{"id": {n}, "title": "buy oat milk"}}',
            request_size=25,
            response_size=34,
            auth_mode="none",
            version=1,
        ).row()
        for n in range(count)
    ]


def _executemany(conn: Any, rows: list[tuple[Any, ...]]) -> None:
    conn.executemany(INSERT_EVENT, rows)


def _execute_each(conn: Any, rows: list[tuple[Any, ...]]) -> None:
    for row in rows:
        conn.execute(INSERT_EVENT, row)


def _insert_all(conn: Any, rows: list[tuple[Any, ...]]) -> None:
    records = (dict(zip(Event.columns(), row, strict=True)) for row in rows)
    database(conn).table("events").insert_all(records, ignore=True, batch_size=BATCH)


WAYS: dict[str, Callable[[Any, list[tuple[Any, ...]]], None]] = {
    "sqlite3 executemany": _executemany,
    "sqlite3 execute a row (the writer)": _execute_each,
    "sqlite-utils insert_all": _insert_all,
}


def _time(way: Callable[[Any, list[tuple[Any, ...]]], None], rows: list[tuple[Any, ...]]) -> float:
    with tempfile.TemporaryDirectory() as folder:
        conn = open_store(Path(folder) / "events.db", create=True)
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            conn.execute("BEGIN IMMEDIATE")
            way(conn, rows[start : start + BATCH])
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - started
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == len(rows)
        conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs per way")
    args = parser.parse_args()
    rows = _rows(args.events)
    best = {name: min(_time(way, rows) for _ in range(args.rounds)) for name, way in WAYS.items()}
    reference = best["sqlite3 executemany"]
    print(f"{args.events:,} events, batches of {BATCH}, best of {args.rounds}")
    print(f"{'way':<36} {'rows/s':>10} {'vs executemany':>15}")
    for name, seconds in best.items():
        print(f"{name:<36} {args.events / seconds:>10,.0f} {reference / seconds:>14.2f}x")


if __name__ == "__main__":
    main()
