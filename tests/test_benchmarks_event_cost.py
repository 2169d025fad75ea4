"""benchmarks/event_cost.py runs with tiny counts and prints every part against the whole."""

from __future__ import annotations

from tests.benchmark_run import run_benchmark


def test_event_cost_prints_each_part_and_the_reference() -> None:
    done = run_benchmark("event_cost.py", "--events", "20", "--batch", "5")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {
        cells[1].strip(): cells[2:4]
        for cells in (line.split("|") for line in done.stdout.splitlines())
        if len(cells) > 3 and cells[2].strip().replace(".", "").isdigit()
    }
    whole = rows["the whole of recording an event (reference)"]
    assert whole[1].strip() == "1.00x" and float(whole[0]) > 0
    build = float(rows["build the event (PendingEvent.finalize)"][0])
    store = float(rows["store it (insert_events, 5 a transaction)"][0])
    assert abs(build + store - float(whole[0])) < 0.2  # the parts add up to the whole


def test_bad_counts_are_one_clear_message() -> None:
    done = run_benchmark("event_cost.py", "--events", "0")
    assert done.returncode == 2 and "--events and --batch must be at least 1" in done.stderr
