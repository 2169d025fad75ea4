"""How fast the filter language's SQL runs on a big store.

    .venv/bin/python benchmarks/filter_scale.py                   # 1,000,000 events in a temp dir
    .venv/bin/python benchmarks/filter_scale.py --events 100000
    .venv/bin/python benchmarks/filter_scale.py --db /tmp/big.db  # keep the store for the next run

Makes a store of N events with realistic values (the todo example's operations, a few dozen users
on three plans, mostly 2xx with some 4xx and 5xx, some contract violations with their codes, JSON
bodies in the FTS index), then times each filter as the TUI's first page (newest 100 matching
rows) and as a COUNT, against the same two queries without a filter, measured in the same run.
Target at 1M: the first page of each filter under 300 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pluginlab_tui.store.event import Event  # noqa: E402
from pluginlab_tui.store.filter import compile_filter  # noqa: E402
from pluginlab_tui.store.schema import migrate  # noqa: E402

MAX_EVENTS = 5_000_000
TARGET_MS = 300.0
BATCH = 20_000
SPARSE = 50_000  # up to this many matches, the page through the index is worth timing
MARK = "benchmarks/filter_scale"  # meta key: this store was made here and may be remade

# The first seven are the issue's targets; the exit status is 1 when one of them is slow.
FILTERS = [
    "status:5xx",
    "op:getTodo",
    "invalid",
    "path:/todos/*",
    'body:"milk"',
    "not method:GET",
    "user:alice or plan:pro",
    # not in the issue's list, for the help screen's other examples
    "code:invalid_body",
    "since:1h",
    "marked",
    "todos/42",
    "status:2xx",  # ranges matching most rows
    "since:20d until:1h",
    "status:1xx",  # a range matching nothing: the page scans the whole table
]

COLUMNS = (
    "e.id, e.ts, e.method, e.path, e.operation_id, e.status, e.duration_ms, e.user_id,"
    " e.violation_count, e.marked"
)
# The first page as the issue states it: newest 100 matching rows.
PAGE = f"SELECT {COLUMNS} FROM events e WHERE {{where}} ORDER BY e.id DESC LIMIT 100"
# The same page in two steps: the 100 ids from the (covering) index first, then their rows, so a
# filter matching most of the store sorts ids, not whole rows.
TWO_STEP = (
    f"SELECT {COLUMNS} FROM events e WHERE e.id IN (SELECT e.id FROM events e WHERE {{where}}"
    " ORDER BY e.id DESC LIMIT 100) ORDER BY e.id DESC"
)
# The same page forced through the filter's index (`+e.id` cannot be read in id order): the
# better plan when few rows match, which the count tells.
BY_INDEX = f"SELECT {COLUMNS} FROM events e WHERE {{where}} ORDER BY +e.id DESC LIMIT 100"
COUNT = "SELECT count(*) FROM events e WHERE {where}"

# method, path template, operationId, weight
ROUTES = [
    ("GET", "/todos", "listTodos", 30),
    ("POST", "/todos", "addTodo", 20),
    ("GET", "/todos/{id}", "getTodo", 15),
    ("PATCH", "/todos/{id}", "updateTodo", 8),
    ("DELETE", "/todos/{id}", "deleteTodo", 5),
    ("GET", "/todos/{id}/items", "listItems", 6),
    ("GET", "/.well-known/ai-plugin.json", None, 6),
    ("GET", "/openapi.yaml", "getSpec", 6),
    ("GET", "/logo.png", None, 2),
    ("GET", "/todo", None, 1),
    ("OPTIONS", "/todos", None, 1),
]
WORDS = (
    "buy bread eggs butter cheese apples call mom dentist email report pay rent water plants "
    "book flight fix bike read chapter gym laundry groceries taxes meeting notes review pull "
    "request walk dog clean kitchen oat tea coffee pasta rice beans soap tape batteries"
).split()
CODES = {
    "request": ["invalid_body", "missing_parameter", "invalid_parameter", "security_missing"],
    "response": ["invalid_response_body", "undocumented_status", "slow_response"],
}
USERS = [f"user{n:02d}" for n in range(40)] + ["alice", "bob", "carol"]
PLANS = {user: ("free", "pro", "team")[i % 3] for i, user in enumerate(USERS)}


def _pick_route(rng: random.Random) -> tuple[str, str, str | None]:
    method, template, op, _ = rng.choices(ROUTES, weights=[r[3] for r in ROUTES])[0]
    return method, template.replace("{id}", str(rng.randint(1, 5000))), op


def _rows(count: int, seed: int) -> Iterator[tuple[tuple[object, ...], list[str]]]:
    """(event row in Event.columns() order + marked, codes) for count events, oldest first."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=30)
    step = timedelta(days=30) / max(count, 1)
    for n in range(count):
        method, path, op = _pick_route(rng)
        moment = start + step * n
        ts = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        roll = rng.random()
        status: int | None
        if roll < 0.002:
            status = None
        elif roll < 0.012:
            status = rng.choice((500, 502, 503))
        elif roll < 0.07:
            status = rng.choice((400, 401, 404, 422, 429))
        elif method == "POST":
            status = 201
        elif method in ("DELETE", "OPTIONS"):
            status = 204
        else:
            status = 200
        codes: list[str] = []
        if op and rng.random() < 0.08:
            codes = rng.sample(CODES[rng.choice(("request", "response"))], k=rng.randint(1, 2))
        user = rng.choice(USERS) if rng.random() < 0.85 else None
        text = " ".join(rng.choices(WORDS, k=rng.randint(2, 5)))
        if rng.random() < 0.02:
            text += " milk"
        request = json.dumps({"text": text}) if method in ("POST", "PATCH") else None
        response = (
            json.dumps({"id": rng.randint(1, 5000), "text": text, "done": rng.random() < 0.3})
            if status and status < 300 and op
            else (json.dumps({"error": "bad request"}) if status and status >= 400 else None)
        )
        source = rng.choices(("live", "replay", "import", "simulate"), (90, 5, 4, 1))[0]
        values = {
            "event_id": f"{seed:04d}-{n:012d}",
            "ts": ts,
            "source": source,
            "replay_of": None,
            "method": method,
            "url": f"http://127.0.0.1:8000{path}",
            "path": path,
            "query": "",
            "operation_id": op,
            "status": status,
            "duration_ms": round(rng.lognormvariate(3, 0.8), 1),
            "request_headers": "[]",
            "response_headers": "[]",
            "request_body": request,
            "request_binary": 0,
            "response_body": response,
            "response_binary": 0,
            "request_size": len(request or ""),
            "response_size": len(response or ""),
            "request_truncated": 0,
            "response_truncated": 0,
            "auth_mode": "service_http" if user else "none",
            "auth_result": "ok" if user else None,
            "user_id": user,
            "plan": PLANS[user] if user else None,
            "version": 1,
            "violations": json.dumps([{"code": c} for c in codes]),
            "violation_count": len(codes),
            "error": None if status else "upstream closed the connection",
            "client_ip": "127.0.0.1",
            "conversation_id": None,
            "protocol": "http",
        }
        marked = 1 if rng.random() < 0.001 else 0
        # the columns not set here (the MCP fields, raw) are null, as for an HTTP exchange
        yield (*(values.get(c) for c in Event.columns()), marked), codes


def generate(path: Path, count: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    columns = ", ".join((*Event.columns(), "marked"))
    marks = ", ".join("?" * (len(Event.columns()) + 1))
    insert = f"INSERT INTO events ({columns}) VALUES ({marks})"
    started = time.perf_counter()
    rows: list[tuple[object, ...]] = []
    codes: list[tuple[int, str]] = []
    conn.execute("BEGIN")
    for n, (row, event_codes) in enumerate(_rows(count, seed=6), start=1):
        rows.append(row)
        codes.extend((n, code) for code in event_codes)  # ids are 1..count in order
        if len(rows) == BATCH:
            conn.executemany(insert, rows)
            conn.executemany("INSERT INTO event_codes (event, code) VALUES (?, ?)", codes)
            rows.clear()
            codes.clear()
    conn.executemany(insert, rows)
    conn.executemany("INSERT INTO event_codes (event, code) VALUES (?, ?)", codes)
    conn.execute("COMMIT")
    inserted = time.perf_counter()
    conn.execute("INSERT INTO events_fts (events_fts) VALUES ('rebuild')")
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (MARK, str(count)))
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    print(
        f"generated {count:,} events in {inserted - started:.1f} s, "
        f"body index in {time.perf_counter() - inserted:.1f} s ({path})"
    )


def _state(path: Path, count: int) -> str:
    """'missing', 'ready' (ours, with count events), 'stale' (ours, another size) or 'foreign'."""
    if not path.exists():
        return "missing"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        mark = conn.execute("SELECT value FROM meta WHERE key = ?", (MARK,)).fetchone()
        if not mark:
            return "foreign"
        size = conn.execute("SELECT max(id) FROM events").fetchone()[0]
        return "ready" if size == count else "stale"
    except sqlite3.DatabaseError:
        return "foreign"
    finally:
        conn.close()


def _time(conn: sqlite3.Connection, sql: str, params: Sequence[object], repeat: int) -> float:
    """Median milliseconds over repeat runs, after one warm-up run."""
    conn.execute(sql, params).fetchall()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        conn.execute(sql, params).fetchall()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def measure(path: Path, repeat: int) -> bool:
    conn = sqlite3.connect(path)
    total = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    ref = {q: _time(conn, q.format(where="1"), [], repeat) for q in (PAGE, TWO_STEP, COUNT)}
    header = (
        f"{'filter':<24}{'matches':>10}{'page ms':>9}{'x ref':>7}{'2-step':>9}{'x ref':>7}"
        f"{'by index':>9}{'count ms':>10}{'x ref':>7}  page < {TARGET_MS:.0f} ms"
    )
    print(f"\n{total:,} events; median ms of {repeat} runs after a warm-up; x ref: against the")
    print("same query without a filter, in this run. page: ORDER BY e.id DESC LIMIT 100;")
    print("2-step: the page's ids from the index first, then their rows; by index: the page")
    print(f"sorted from the filter's index (ORDER BY +e.id), timed up to {SPARSE:,} matches.")
    print(header)
    print("-" * len(header))
    print(
        f"{'(no filter: reference)':<24}{total:>10,}{ref[PAGE]:>9.2f}{1:>7.1f}"
        f"{ref[TWO_STEP]:>9.2f}{1:>7.1f}{'-':>9}{ref[COUNT]:>10.2f}{1:>7.1f}"
    )
    ok = True
    for expr in FILTERS:
        compiled = compile_filter(expr)

        def timed(
            query: str, sql: str = compiled.sql, params: Sequence[object] = compiled.params
        ) -> float:
            return _time(conn, query.format(where=sql), params, repeat)

        matches = conn.execute(COUNT.format(where=compiled.sql), compiled.params).fetchone()[0]
        page, two_step, counted = timed(PAGE), timed(TWO_STEP), timed(COUNT)
        by_index = f"{timed(BY_INDEX):>9.2f}" if matches <= SPARSE else f"{'-':>9}"
        fast = page < TARGET_MS
        ok = ok and (fast or expr not in FILTERS[:7])
        print(
            f"{expr:<24}{matches:>10,}{page:>9.2f}{page / ref[PAGE]:>7.1f}{two_step:>9.2f}"
            f"{two_step / ref[TWO_STEP]:>7.1f}{by_index}{counted:>10.2f}"
            f"{counted / ref[COUNT]:>7.1f}  {'ok' if fast else 'SLOW'}"
        )
    conn.close()
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=1_000_000, help="store size (default 1M)")
    parser.add_argument("--db", type=Path, help="store file: reused when it has --events rows")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query (default 5)")
    args = parser.parse_args(argv)
    if not 1 <= args.events <= MAX_EVENTS:
        parser.error(f"--events must be between 1 and {MAX_EVENTS:,}")
    if not 1 <= args.repeat <= 100:
        parser.error("--repeat must be between 1 and 100")
    with tempfile.TemporaryDirectory(prefix="filter-scale-") as scratch:
        path = args.db or Path(scratch) / "store.db"
        state = _state(path, args.events)
        if state == "foreign":
            parser.error(f"{path} exists and was not made by this benchmark; choose another --db")
        if state == "stale":
            for stale in (
                path,
                path.with_name(path.name + "-wal"),
                path.with_name(path.name + "-shm"),
            ):
                stale.unlink(missing_ok=True)
        if state != "ready":
            generate(path, args.events)
        ok = measure(path, args.repeat)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
