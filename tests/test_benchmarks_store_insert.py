"""benchmarks/store_insert.py runs with tiny counts and prints each way against executemany."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "store_insert.py"


def test_store_insert_prints_every_way_against_the_reference() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--events", "300", "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ratios = {
        line.rsplit(None, 2)[0].strip(): line.rsplit(None, 1)[1]
        for line in done.stdout.splitlines()
        if line.endswith("x")
    }
    assert ratios["sqlite3 executemany"] == "1.00x"
    assert set(ratios) == {
        "sqlite3 executemany",
        "sqlite3 execute a row (the writer)",
        "sqlite-utils insert_all",
    }
    assert all(float(r.rstrip("x")) > 0 for r in ratios.values())
