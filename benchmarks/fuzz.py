"""Fuzzing: schemathesis against the example plugin through the proxy, with the spec it serves.

    .venv/bin/python benchmarks/fuzz.py [--examples 25]

Installs schemathesis into the running environment when it is missing (it is not a dependency of
pluginlab-tui). Valid (positive) and invalid (negative) cases; loopback only; bounded by
--examples per operation and mode. Checks: no 5xx made by the proxy itself, and every request
schemathesis sent is one event in the store.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import serving, todo_config  # noqa: E402
from pluginlab_tui.examples import Backend, free_port  # noqa: E402

MARK = "X-Fuzz-Run"


def ensure_schemathesis() -> None:
    if importlib.util.find_spec("schemathesis") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "schemathesis"], check=True)


def fuzz(spec_url: str, base: str, examples: int) -> collections.Counter[tuple[str, int]]:
    import hypothesis
    import schemathesis

    schema = schemathesis.openapi.from_url(spec_url)
    sent: collections.Counter[tuple[str, int]] = collections.Counter()
    settings = hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
        for result in schema.get_all_operations():
            operation = result.ok()
            label = f"{operation.label} ({mode.value})"

            @settings
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                response = case.call(base_url=base, headers={MARK: "1"})
                sent[(label, response.status_code)] += 1  # noqa: B023 - run() is called right here

            run()
    return sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=25, help="examples per operation")
    args = parser.parse_args()
    ensure_schemathesis()
    with Backend("todo") as backend, tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        db = Path(tmp) / "events.db"
        config = todo_config(Path(tmp), port, backend.url)
        with serving(config, port):
            base = f"http://127.0.0.1:{port}"
            sent = fuzz(base + "/openapi.json", base, args.examples)
        time.sleep(0.2)
        conn = sqlite3.connect(db)
        rows = conn.execute(
            "SELECT status, error, violations FROM events WHERE request_headers LIKE ?",
            (f'%"{MARK}", "1"%',),
        ).fetchall()
        conn.close()
    total = sum(sent.values())
    own_5xx = [r for r in rows if r[0] is not None and r[0] >= 500 and r[1] is not None]
    invalid = sum(1 for r in rows if r[2] != "[]")
    print("\n| operation | status | requests |\n|---|---|---|")
    for (label, status), count in sorted(sent.items()):
        print(f"| {label} | {status} | {count} |")
    print("\n| measure | value |\n|---|---|")
    print(f"| requests sent by schemathesis | {total} |")
    print(f"| events recorded for them | {len(rows)} |")
    print(f"| of which with violations | {invalid} |")
    print(f"| 5xx made by the proxy itself | {len(own_5xx)} |")
    ok = total == len(rows) and not own_5xx
    print("\nresult:", "OK" if ok else "FAILED")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
