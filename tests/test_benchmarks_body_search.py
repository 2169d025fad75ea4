"""benchmarks/body_search.py runs end to end with tiny counts and prints its table."""

from __future__ import annotations

from tests.benchmark_run import run_benchmark


def test_body_search_prints_the_delay_and_the_verdict() -> None:
    done = run_benchmark("body_search.py", "--exchanges", "3", "--background", "20")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line.split("|") for line in done.stdout.splitlines() if line.startswith("| ")]
    assert rows[0][1].strip() == "exchanges" and rows[1][1].strip() == "3"
    assert float(rows[1][4]) < 10_000  # every exchange was found (not the give-up infinity)
    assert "found within a second of the answer:" in done.stdout


def test_bad_counts_are_one_clear_message() -> None:
    done = run_benchmark("body_search.py", "--exchanges", "0")
    assert done.returncode == 2 and "--exchanges must be at least 1" in done.stderr
