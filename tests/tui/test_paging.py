"""PagedRows: the list's rows come from SQLite a page at a time, in id order."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.filter import compile_filter
from pluginlab_tui.tui.paging import MAX_PAGES, PAGE, PagedRows, Query
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
    where = compile_filter("not method:GET")
    query = Query(where.sql, tuple(where.params))
    scrolled = PagedRows(_conn(db), query)
    ids_by_scrolling = [scrolled.row(i) for i in range(scrolled.total)]
    jumped = PagedRows(_conn(db), query)
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
    where = compile_filter("status:5xx")
    rows = PagedRows(_conn(db), Query(where.sql, tuple(where.params)))
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
    where = compile_filter("user:alice")
    rows = PagedRows(_conn(db), Query(highlight=where.sql, highlight_params=tuple(where.params)))
    assert rows.total == 20
    listed = [rows.row(i) for i in range(20)]
    assert {r.user_id for r in listed if r and r.hit} == {"alice"}
    assert any(r is not None and not r.hit for r in listed)


def test_index_of(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    fill(db, count=50)
    where = compile_filter("status:5xx")
    rows = PagedRows(_conn(db), Query(where.sql, tuple(where.params)))
    assert rows.index_of(20) == 1  # event 19 (id 20) is the second 500
    assert rows.index_of(1) is None
