"""store/paging.py: the fast page plans return exactly the rows of the obvious query."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from pluginlab_tui.store import paging
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.filter import EVERYTHING, Filter, compile_filter
from tests.tui.conftest import fill

ATOMS = [
    "status:5xx",
    "status:2xx",
    "status:1xx",
    "op:addTodo",
    "op:listTodos",
    "invalid",
    "valid",
    "path:/todos/*",
    "path:/todos/alice",
    'body:"milk"',
    'body:"Task"',
    "method:GET",
    "user:alice",
    "plan:pro",
    "code:invalid_body",
    "todos/bob",
]
SELECT = "e.id, e.method, e.status, e.path"


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    db = Path(tmp_path_factory.mktemp("paging")) / "events.db"
    fill(db, count=3000)
    handle = open_store(db)
    # a few gaps in the ids, as a prune or a deleted exchange leaves them
    handle.execute("DELETE FROM events WHERE id BETWEEN 1200 AND 1450 OR id % 97 = 0")
    yield handle
    handle.close()


def _expression(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 3)):
        atom = rng.choice(ATOMS)
        parts.append(f"not {atom}" if rng.random() < 0.2 else atom)
    joiner = " or " if rng.random() < 0.4 else " "
    return joiner.join(parts)


@pytest.mark.parametrize("walk", [20_000, 40, 3])
def test_every_plan_returns_the_rows_of_the_plain_query(
    conn: sqlite3.Connection, walk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paging, "WALK", walk)
    rng = random.Random(walk)
    for _ in range(60):
        text = _expression(rng)
        where = compile_filter(text)
        total, high = paging.count(conn, where)
        for hint in (None, total, paging.SPARSE + 1):
            low = rng.choice([0, rng.randint(0, 3000)])
            top = rng.choice([high + 1, rng.randint(low, 3001)])
            descending = rng.random() < 0.5
            limit = rng.choice([1, 7, 100])
            args = (low, top, descending, limit)
            fast = paging.fetch_page(
                conn,
                SELECT,
                where,
                count=hint,
                low=low,
                high=top,
                descending=descending,
                limit=limit,
            )
            plain = paging.plain_page(
                conn, SELECT, where, low=low, high=top, descending=descending, limit=limit
            )
            assert fast == plain, (text, hint, args)


def test_count_and_sample(conn: sqlite3.Connection) -> None:
    where = compile_filter("not method:GET")
    total, high = paging.count(conn, where)
    ids = [
        r[0]
        for r in conn.execute(
            f"SELECT e.id FROM events e WHERE {where.sql} ORDER BY e.id", where.params
        )
    ]
    assert total == len(ids) and high == conn.execute("SELECT max(id) FROM events").fetchone()[0]
    assert paging.sample_ids(conn, where, high, 7) == ids[::7]
    assert paging.sample_step(1_000_000) == 500 and paging.sample_step(10) == 100


def _plain_ids(conn: sqlite3.Connection, where: Filter) -> list[int]:
    query = f"SELECT e.id FROM events e WHERE {where.sql} ORDER BY e.id"
    return [int(r[0]) for r in conn.execute(query, where.params)]


def test_the_ids_and_the_matches_between_them(conn: sqlite3.Connection) -> None:
    ids = _plain_ids(conn, EVERYTHING)
    assert paging.bounds(conn) == (ids[0], ids[-1])
    assert paging.oldest_id(conn) == ids[0] and paging.newest_id(conn) == ids[-1]
    where = compile_filter("status:5xx")
    fives = _plain_ids(conn, where)
    assert paging.count_between(conn, where, 1000, 2000) == sum(1000 < i <= 2000 for i in fives)
    assert paging.matches(conn, where, fives[3]) and not paging.matches(conn, where, fives[3] + 1)


def test_the_list_rows_in_either_direction_and_the_highlight(conn: sqlite3.Connection) -> None:
    where = compile_filter("not method:GET")
    expected = _plain_ids(conn, where)
    alice = set(_plain_ids(conn, compile_filter("user:alice")))
    highlight = compile_filter("user:alice")
    high = paging.newest_id(conn) + 1
    newest = paging.rows(conn, where, highlight, low=0, high=high, descending=True, limit=150)
    oldest = paging.rows(conn, where, None, low=0, high=high, descending=False, limit=150)
    assert [r.id for r in newest] == expected[-150:]  # oldest first, whatever the direction
    assert [r.id for r in oldest] == expected[:150]
    assert {r.id for r in newest if r.hit} == alice & set(expected[-150:])
    assert not any(r.hit for r in oldest)
    assert all(r.method == "POST" and isinstance(r.marked, bool) for r in newest)
    upto = high - 1
    skip = paging.offset_rows(conn, where, None, upto=upto, size=20, offset=500, descending=False)
    back = paging.offset_rows(conn, where, None, upto=upto, size=20, offset=500, descending=True)
    assert [r.id for r in skip] == expected[500:520]
    assert [r.id for r in back] == expected[-520:-500]


def test_the_list_rows_carry_an_mcp_messages_method_tool_and_outcome(tmp_path: Path) -> None:
    from pluginlab_tui.store.writer import insert_events
    from tests.tui.conftest import mcp_events

    db = tmp_path / "mcp.db"
    fill(db, count=3)
    handle = open_store(db)
    try:
        assert not paging.holds_protocol(handle, "mcp")
        insert_events(handle, mcp_events())
        assert paging.holds_protocol(handle, "mcp")
        listed = paging.rows(handle, EVERYTHING, low=0, high=100, descending=False, limit=20)
    finally:
        handle.close()
    http, mcp = listed[:3], listed[3:]
    assert all(r.rpc_method is None and r.tool is None and r.is_error is None for r in http)
    by_id = {(r.rpc_method, r.tool, r.resource_uri, r.rpc_error, r.is_error) for r in mcp}
    assert ("tools/call", "add_todo", None, -32602, None) in by_id
    assert ("tools/call", "add_todo", None, None, True) in by_id
    assert ("resources/read", None, "ui://widget/todo-board.html", None, None) in by_id
    assert (None, None, None, None, None) in by_id  # the GET stream: no JSON-RPC message
