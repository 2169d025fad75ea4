from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from pluginlab_tui.access.users import (
    UserError,
    add_user,
    get_user,
    list_users,
    revoke_user,
    user_by_key,
)
from pluginlab_tui.store.database import open_store


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = open_store(tmp_path / "events.db", create=True)
    yield conn
    conn.close()


def test_add_find_revoke_and_readd(conn: sqlite3.Connection) -> None:
    key = add_user(conn, "alice", "pro")
    found = user_by_key(conn, ("nope", key))
    assert found is not None and (found.name, found.plan, found.active) == ("alice", "pro", True)
    assert user_by_key(conn, ("nope",)) is None
    with pytest.raises(UserError, match="exists"):
        add_user(conn, "alice")
    revoked = revoke_user(conn, "alice")
    assert not revoked.active
    again = user_by_key(conn, (key,))
    assert again is not None and not again.active
    new_key = add_user(conn, "alice")
    assert user_by_key(conn, (key,)) is None
    user = get_user(conn, "alice")
    assert user is not None and user.active and user.plan is None
    assert user_by_key(conn, (new_key,)) == user
    assert [u.name for u in list_users(conn)] == ["alice"]


def test_bad_names_and_unknown_users(conn: sqlite3.Connection) -> None:
    for bad in ["", "   ", "a b", "x" * 101]:
        with pytest.raises(UserError):
            add_user(conn, bad)
    with pytest.raises(UserError, match="no user"):
        revoke_user(conn, "ghost")


def test_only_a_hash_is_stored(conn: sqlite3.Connection) -> None:
    key = add_user(conn, "bob")
    rows = conn.execute("SELECT * FROM users").fetchall()
    assert all(key not in str(tuple(r)) for r in rows)


def test_keys_are_found_by_their_bytes_and_hostile_ones_find_no_one(
    conn: sqlite3.Connection,
) -> None:
    key = add_user(conn, "bob")
    assert user_by_key(conn, (key.encode(),)) is not None
    assert user_by_key(conn, (key.encode().decode("utf-8", "surrogateescape"),)) is not None
    hostile: tuple[str | bytes, ...] = (
        b"\xff",
        key.encode() + b"\xff",
        key + "\udcff",
        key + "\ud800",
        key + "\x00",
        b"",
        key + "x" * 9000,
    )
    assert user_by_key(conn, hostile) is None
    assert user_by_key(conn, (*hostile, key)) is not None  # the real key among them still counts
