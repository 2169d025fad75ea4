"""benchmarks/store_insert.py runs with tiny counts and prints each way against executemany."""

from __future__ import annotations

from tests.benchmark_run import run_benchmark


def test_store_insert_prints_every_way_against_the_reference() -> None:
    done = run_benchmark("store_insert.py", "--events", "300", "--rounds", "1")
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
