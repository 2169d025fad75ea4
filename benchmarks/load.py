"""Load: 10,000 requests at 20 concurrent through the proxy with validation and auth on.

    .venv/bin/python benchmarks/load.py [--requests 10000] [--concurrency 20]

Loopback only, bounded by --requests. The proxy runs `serve` in service_http mode in front of the
example backend; the load comes from `hey` (apt-get install hey). Prints: requests sent, events
recorded (must be equal), answers the proxy made itself (502/504: must be 0), statuses seen, and
the proxy's resident memory at start, after a first half and at the end (it must not grow with the
count).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import serving, todo_config  # noqa: E402
from benchmarks.proxy_overhead import ensure_hey  # noqa: E402
from pluginlab_tui.examples import Backend, free_port  # noqa: E402

TOKEN = "load-test-service-token-" + os.urandom(8).hex()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def hey(url: str, requests: int, concurrency: int) -> dict[str, int]:
    out = subprocess.run(
        [ensure_hey(), "-n", str(requests), "-c", str(concurrency)]
        + ["-H", f"Authorization: Bearer {TOKEN}", url],
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    ).stdout
    codes = {int(c): int(n) for c, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", out)}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    print(f"  {requests} requests: {rps.group(1) if rps else '?'} req/s, statuses {codes}")
    return codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    with Backend("todo") as backend, tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        db = Path(tmp) / "events.db"
        config = todo_config(Path(tmp), port, backend.url, extra='[auth]\nmode = "service_http"')
        env = {**os.environ, "PLUGINLAB_AUTH__SERVICE_TOKEN": TOKEN}
        with serving(config, port, env) as pid:
            start = rss_mb(pid)
            url = f"http://127.0.0.1:{port}/todos/load?status=open&limit=5"
            half = args.requests // 2
            statuses: collections.Counter[int] = collections.Counter()
            statuses.update(hey(url, half, args.concurrency))
            middle = rss_mb(pid)
            statuses.update(hey(url, args.requests - half, args.concurrency))
            end = rss_mb(pid)
        time.sleep(0.2)
        conn = sqlite3.connect(db)
        recorded = conn.execute(
            "SELECT count(*) FROM events WHERE path = '/todos/load'"
        ).fetchone()[0]
        own = conn.execute(
            "SELECT count(*) FROM events WHERE status IN (502, 504) OR error IS NOT NULL"
        ).fetchone()[0]
        auth = dict(
            conn.execute(
                "SELECT auth_result, count(*) FROM events WHERE path = '/todos/load' GROUP BY 1"
            ).fetchall()
        )
        leaked = conn.execute(
            "SELECT count(*) FROM events WHERE request_headers LIKE ?", (f"%{TOKEN}%",)
        ).fetchone()[0]
        conn.close()
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| requests sent | {args.requests} at {args.concurrency} concurrent |")
    print(f"| statuses | {dict(sorted(statuses.items()))} |")
    print(f"| events recorded | {recorded} |")
    print(f"| answers the proxy made itself (502/504/error) | {own} |")
    print(f"| auth results | {auth} |")
    print(f"| token found in the store | {leaked} |")
    print(f"| proxy RSS start / half / end | {start:.0f} / {middle:.0f} / {end:.0f} MB |")
    ok = recorded == args.requests and own == 0 and leaked == 0
    print("\nresult:", "OK" if ok else "FAILED")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
