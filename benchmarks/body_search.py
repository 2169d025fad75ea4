"""How soon a filter on body text finds an exchange after its answer, through a real serve.

    .venv/bin/python benchmarks/body_search.py [--exchanges 200] [--background 0]

serve runs in front of the todo example with checks and recording on. Each exchange is a POST
with a word no other body has; from the moment its answer arrives, the store is asked
`body:"<word>"` (the filter language, compiled to its FTS5 query, on a connection of its own,
as the TUI asks it) every 5 ms until the event is found. With --background N, N requests a
second of other traffic run beside it (bounded: they stop with the measured ones). The table
gives the delay's p50, p99 and maximum against the performance issue's target (found within a
second of the answer) and against store.flush_ms (how long the writer gathers a batch).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import Child, markdown_table, processes, todo_config  # noqa: E402
from pluginlab_tui.config import StoreSection  # noqa: E402
from pluginlab_tui.examples import Backend, free_port  # noqa: E402
from pluginlab_tui.store import queries  # noqa: E402
from pluginlab_tui.store.filter import compile_filter  # noqa: E402

TARGET_S = 1.0
#: Longest wait for one exchange's event before it counts as not found.
GIVE_UP_S = 10.0


def found_after(conn: sqlite3.Connection, word: str, answered: float) -> float:
    where = compile_filter(f'body:"{word}"')
    while time.monotonic() - answered < GIVE_UP_S:
        if queries.count(conn, where):
            return time.monotonic() - answered
        time.sleep(0.005)
    return float("inf")


def background(base: str, per_second: int, stop: threading.Event) -> None:
    with httpx.Client(base_url=base, trust_env=False, timeout=10) as client:
        while not stop.is_set():
            started = time.monotonic()
            for _ in range(per_second // 10):
                client.get("/todos/other?limit=5")
            time.sleep(max(0.0, 0.1 - (time.monotonic() - started)))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--exchanges", type=int, default=200)
    parser.add_argument("--background", type=int, default=0, help="other requests a second")
    args = parser.parse_args()
    if args.exchanges < 1 or args.background < 0:
        parser.error("--exchanges must be at least 1 and --background at least 0")
    with Backend("todo") as backend, tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        config = todo_config(Path(tmp), port, backend.url)
        base = f"http://127.0.0.1:{port}"
        serve = [sys.executable, "-m", "pluginlab_tui", "serve", "--quiet", "--config", str(config)]
        with processes([Child(serve, base + "/_pluginlab/health")]):
            stop = threading.Event()
            other = threading.Thread(target=background, args=(base, args.background, stop))
            if args.background:
                other.start()
            conn = sqlite3.connect(Path(tmp) / "events.db")
            conn.row_factory = sqlite3.Row
            delays: list[float] = []
            try:
                with httpx.Client(base_url=base, trust_env=False, timeout=10) as client:
                    for _ in range(args.exchanges):
                        word = "w" + uuid.uuid4().hex
                        client.post("/todos/search", json={"title": f"buy {word} today"})
                        delays.append(found_after(conn, word, time.monotonic()))
            finally:
                stop.set()
                if args.background:
                    other.join()
                conn.close()
    flush_s = StoreSection().flush_ms / 1000
    worst = max(delays)
    rows = [
        [
            f"{len(delays)}",
            f"{pct(delays, 50) * 1000:.0f}",
            f"{pct(delays, 99) * 1000:.0f}",
            f"{worst * 1000:.0f}",
            f"{worst / TARGET_S:.2f}x",
            f"{pct(delays, 50) / flush_s:.2f}x",
        ]
    ]
    header = ["exchanges", "p50 ms", "p99 ms", "max ms", "max x target (1 s)", "p50 x flush_ms"]
    print(
        f'\nbody:"word" found after the answer, through serve (store.flush_ms '
        f"{flush_s * 1000:.0f}); {args.background} other requests a second\n"
    )
    print(markdown_table(header, rows))
    print(f"\n- found within a second of the answer: {'met' if worst <= TARGET_S else 'missed'}")


if __name__ == "__main__":
    main()
