"""store/queries.py: the notices, newest first, of every kind or of one."""

from __future__ import annotations

from pathlib import Path

from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.queries import add_notice, notices


def test_notices_of_one_kind_newest_first(tmp_path: Path) -> None:
    conn = open_store(tmp_path / "events.db", create=True)
    add_notice(conn, "2026-11-25T09:00:00.000Z", "catalogue", "listed at version 3, now 4")
    add_notice(conn, "2026-11-25T09:00:01.000Z", "writer", "restarted")
    add_notice(conn, "2026-11-25T09:00:02.000Z", "catalogue", "listed at version 4, now 5")
    assert [n["message"] for n in notices(conn)] == [
        "listed at version 4, now 5",
        "restarted",
        "listed at version 3, now 4",
    ]
    assert [n["message"] for n in notices(conn, 1, kind="catalogue")] == [
        "listed at version 4, now 5"
    ]
    assert notices(conn, kind="oauth") == []
    conn.close()
