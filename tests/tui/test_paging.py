"""PagedRows: the list's rows come from SQLite a page at a time, in id order."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.filter import EVERYTHING, Filter, compile_filter
from pluginlab_tui.tui.paging import MAX_PAGES, PAGE, PagedRows
from tests.tui.conftest import fill


def _conn(db: Path) -> sqlite3.Connection:
    return open_store(db)


def test_rows_are_in_arrival_order_from_either_end(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    fill(db, count=450)
    rows = PagedRows(_conn(db))
    assert rows.total == 450
    last = rows.row(449)
    first = rows.row(0)
    assert first is not None and last is not None
    assert first.ts < last.ts and last.id == 450
    middle = [rows.row(i) for i in range(190, 215)]  # crosses a page edge
    assert [r.id for r in middle if r] == list(range(191, 216))
    assert rows.row(450) is None and rows.row(-1) is None


def test_keyset_pages_agree_with_offset_pages(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    fill(db, count=730)
    query = compile_filter("not method:GET")
    scrolled = PagedRows(_conn(db), query)
    scrolled.count_now()
    ids_by_scrolling = [scrolled.row(i) for i in range(scrolled.total)]
    jumped = PagedRows(_conn(db), query)
    jumped.count_now()
    ids_by_jumping = [jumped.row(i) for i in reversed(range(jumped.total))][::-1]
    assert ids_by_scrolling == ids_by_jumping
    assert all(r is not None and r.method == "POST" for r in ids_by_scrolling)


def test_never_more_than_a_few_pages_in_memory(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    fill(db, count=PAGE * (MAX_PAGES + 5))
    rows = PagedRows(_conn(db))
    for i in range(0, rows.total, PAGE):
        rows.row(i)
    assert len(rows._pages) == MAX_PAGES


def test_poll_counts_new_matching_rows(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    fill(db, count=20)
    rows = PagedRows(_conn(db), compile_filter("status:5xx"))
    assert rows.total == 2
    assert rows.poll() == 0
    fill(db, count=20, start=20)
    assert rows.poll() == 2
    assert rows.total == 4
    newest = rows.row(3)
    assert newest is not None and newest.status == 500 and newest.id == 40


def test_prune_makes_it_count_again(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    fill(db, count=30)
    rows = PagedRows(_conn(db))
    writer = _conn(db)
    writer.execute("DELETE FROM events WHERE id <= 10")
    assert rows.poll() == -1
    assert rows.total == 20
    first = rows.row(0)
    assert first is not None and first.id == 11


def test_highlight_marks_matches_without_hiding(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    fill(db, count=20)
    rows = PagedRows(_conn(db), highlight=compile_filter("user:alice"))
    assert rows.total == 20
    listed = [rows.row(i) for i in range(20)]
    assert {r.user_id for r in listed if r and r.hit} == {"alice"}
    assert any(r is not None and not r.hit for r in listed)


def test_index_of(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    fill(db, count=50)
    rows = PagedRows(_conn(db), compile_filter("status:5xx"))
    assert rows.index_of(20) == 1  # event 19 (id 20) is the second 500
    assert rows.index_of(1) is None


def _reference(conn: sqlite3.Connection, query: Filter) -> list[int]:
    rows = conn.execute(f"SELECT e.id FROM events e WHERE {query.sql} ORDER BY e.id", query.params)
    return [int(r[0]) for r in rows]


def test_jumps_into_the_middle_land_on_the_right_row(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    fill(db, count=2500)
    writer = _conn(db)
    for text in ("", "not method:GET", "user:alice or status:5xx"):
        query = compile_filter(text)
        expected = _reference(writer, query)
        rows = PagedRows(_conn(db), query)
        rows.sample_now()
        assert rows.counted and rows.total == len(expected)
        assert rows.dense or not text or rows._sample  # arithmetic or a sample, not OFFSET
        for index in (len(expected) // 2, 1234 % len(expected), 3, len(expected) - 150, 101):
            found = rows.row(index)
            assert found is not None and found.id == expected[index], (text, index)
    # gaps in the ids: no arithmetic, the sample is used
    writer.execute("DELETE FROM events WHERE id BETWEEN 900 AND 1300")
    rows = PagedRows(_conn(db))
    rows.sample_now()
    expected = _reference(writer, EVERYTHING)
    assert not rows.dense and rows._sample
    for index in (0, 850, 899, 900, 1500, len(expected) - 1):
        found = rows.row(index)
        assert found is not None and found.id == expected[index]


def test_a_late_count_keeps_the_newest_rows_in_place(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    fill(db, count=730)
    query = compile_filter("not method:GET")
    rows = PagedRows(_conn(db), query)
    assert not rows.counted and rows.total == PAGE  # the newest page only, so far
    newest = rows.row(rows.total - 1)
    fill(db, count=10, start=730)  # rows arrive before the count is taken
    assert rows.poll() >= 0
    rows.count_now()
    expected = _reference(_conn(db), query)
    assert rows.counted and rows.total == len(expected)
    assert [r.id for r in (rows.row(i) for i in range(rows.total)) if r] == expected
    assert newest is not None and newest.id in expected
