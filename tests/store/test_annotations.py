"""Marks and comments."""

from __future__ import annotations

from pathlib import Path

from pluginlab_tui.store import queries
from pluginlab_tui.store.annotations import set_comment, set_mark, toggle_mark
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.filter import compile_filter
from tests.tui.conftest import fill


def test_mark_toggle_and_the_marked_filter(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    fill(db, count=5)
    conn = open_store(db)
    assert toggle_mark(conn, 2) is True
    assert set_mark(conn, [3, 4], True) == 2
    assert set_mark(conn, [3], True) == 0
    marked = compile_filter("marked")
    assert queries.count(conn, marked) == 3
    assert toggle_mark(conn, 2) is False
    assert toggle_mark(conn, 999) is False
    assert queries.count(conn, marked) == 2


def test_comment_set_and_removed(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    fill(db, count=2)
    conn = open_store(db)
    set_comment(conn, 1, "  slow on purpose ")
    event = queries.events_by_ids(conn, [1])[0]
    assert event.comment == "slow on purpose"
    set_comment(conn, 1, "   ")
    assert queries.events_by_ids(conn, [1])[0].comment is None
