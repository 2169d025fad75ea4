"""The view-model: the list's filter modes, follow and pending, and the workers' jobs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.filter import EVERYTHING, compile_filter
from pluginlab_tui.tui.paging import Count, Counted, Sample
from pluginlab_tui.tui.view_model import ViewModel
from tests.tui.conftest import fill


def _model(db: Path) -> ViewModel:
    return ViewModel(open_store(db))


def _ids(model: ViewModel) -> list[int]:
    rows = model.rows
    return [row.id for row in (rows.row(i) for i in range(rows.total)) if row is not None]


def _run(model: ViewModel, db: Path) -> None:
    """What the screen's workers do: each job on a connection of its own, handed back."""
    while (job := model.next_job()) is not None:
        conn = open_store(db)
        try:
            result = job.run(conn)
        finally:
            conn.close()
        if model.take(result) is None:
            return


def test_the_filter_on_off_and_highlighted(store: Path) -> None:
    model = _model(store)
    assert model.mode == "" and model.listed == EVERYTHING and model.rows.total == 40
    assert not model.toggle_filter()  # nothing to switch yet
    model.apply(compile_filter("status:5xx"))
    _run(model, store)
    assert model.mode == "on" and model.filtering
    assert model.rows.total == 4 and model.listed.text == "status:5xx"
    assert model.toggle_filter()
    assert model.mode == "off" and not model.filtering and model.rows.total == 40
    assert model.toggle_filter() and model.rows.total == 4
    assert model.toggle_highlight()
    _run(model, store)
    assert model.mode == "highlight" and model.listed == EVERYTHING
    hits = [model.rows.row(i) for i in range(model.rows.total)]
    assert model.rows.total == 40 and sum(1 for r in hits if r and r.hit) == 4
    model.apply(compile_filter(""))  # an empty filter lists everything, highlights nothing
    assert model.mode == "" and model.highlighted is None and model.rows.total == 40


def test_highlight_without_a_filter_changes_no_rows(store: Path) -> None:
    model = _model(store)
    generation = model.rows.generation
    assert not model.toggle_highlight()
    assert model.highlight and model.rows.generation == generation


def test_marks_matter_only_to_a_filter_that_names_them(store: Path) -> None:
    model = _model(store)
    model.apply(compile_filter("status:5xx"))
    assert not model.lists_marks
    model.apply(compile_filter("Marked or invalid"))
    assert model.lists_marks


def test_new_exchanges_are_pending_only_while_paused(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    fill(db, count=10)
    model = _model(db)
    fill(db, count=2, start=10)
    assert model.poll() == 2 and model.pending == 0  # following: nothing waits
    model.moved(3)  # off the newest row: following stops
    assert not model.follow
    fill(db, count=3, start=12)
    assert model.poll() == 3 and model.pending == 3
    assert model.poll() == 0 and model.pending == 3
    model.moved(model.rows.total - 1)  # back on the newest row
    assert model.pending == 0 and not model.follow
    fill(db, count=1, start=15)
    model.poll()
    assert model.pending == 1
    model.apply(compile_filter("method:GET"))  # a new list: nothing pending in it
    assert model.pending == 0


def test_a_prune_counts_again_and_clears_pending(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    fill(db, count=30)
    model = _model(db)
    model.moved(0)
    fill(db, count=2, start=30)
    model.poll()
    assert model.pending == 2
    writer = sqlite3.connect(db)
    with writer:
        writer.execute("DELETE FROM events WHERE id <= 10")
    writer.close()
    assert model.poll() == -1
    assert model.pending == 0 and model.rows.total == 22 and _ids(model)[0] == 11


def test_jobs_count_then_sample_and_stale_results_are_dropped(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    fill(db, count=2500)
    model = _model(db)
    _run(model, db)  # unfiltered: the count confirms the dense ids, and no sample is needed
    assert model.rows.counted and model.rows.dense and model.next_job() is None
    model.apply(compile_filter("not method:GET"))
    job = model.next_job()
    assert isinstance(job, Count) and job.group == "count"
    conn = open_store(db)
    stale = job.run(conn)
    model.apply(compile_filter("user:alice or status:5xx"))  # the filter changed meanwhile
    assert model.take(stale) is None and not model.rows.counted
    first = model.rows.row(model.rows.total - 1)
    fresh = model.next_job()
    assert isinstance(fresh, Count)
    counted = fresh.run(conn)
    assert isinstance(counted, Counted)
    shift = model.take(counted)
    assert shift is not None and model.rows.counted
    assert model.rows.row(model.rows.total - 1) == first  # the newest row stays the newest
    sample = model.next_job()
    assert isinstance(sample, Sample) and sample.group == "sample"
    assert model.take(sample.run(conn)) is None
    expected = [
        int(r[0])
        for r in conn.execute(
            f"SELECT e.id FROM events e WHERE {model.listed.sql} ORDER BY e.id",
            model.listed.params,
        )
    ]
    conn.close()
    assert model.rows.total == len(expected)
    middle = model.rows.row(len(expected) // 2)
    assert middle is not None and middle.id == expected[len(expected) // 2]


def test_mcp_messages_arriving_widen_the_method_column(store: Path) -> None:
    from pluginlab_tui.store.writer import insert_events
    from tests.tui.conftest import mcp_events

    model = _model(store)
    assert not model.mcp  # a store of HTTP exchanges only
    conn = open_store(store)
    try:
        insert_events(conn, mcp_events()[:2])
    finally:
        conn.close()
    assert model.poll() == 2
    assert model.mcp
