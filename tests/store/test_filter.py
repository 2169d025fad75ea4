"""The filter language: what it reads, the SQL it writes, the rows it picks in a real store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pluginlab_tui.store.filter import (
    EVERYTHING,
    FIELDS,
    FLAGS,
    All,
    And,
    Filter,
    FilterError,
    Flag,
    Not,
    Or,
    Term,
    Text,
    compile_filter,
    invalid,
    parse,
    with_code,
)
from pluginlab_tui.store.schema import migrate

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


def ago(minutes: float) -> str:
    moment = NOW - timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# id, minutes ago, source, method, path, url suffix, operation, status, user, plan, codes,
# marked, request body, response body
# fmt: off
ROWS: list[tuple[Any, ...]] = [
    (1, 300, "live", "GET", "/todos", "", "listTodos", 200, "alice", "free", [], 0,
     None, '[{"text": "buy milk"}]'),
    (2, 240, "live", "POST", "/todos", "", "addTodo", 201, "alice", "free", [], 0,
     '{"text": "eggs"}', '{"id": 1}'),
    (3, 200, "live", "POST", "/todos", "", "addTodo", 422, "bob", "pro", ["invalid_body"], 0,
     '{"txt": 5}', '{"error": "text is required"}'),
    (4, 150, "live", "GET", "/todos/1", "", "getTodo", 200, "bob", "pro", [], 1,
     None, '{"text": "Milk chocolate"}'),
    (5, 120, "live", "DELETE", "/todos/1", "", "deleteTodo", 204, "carol", None, [], 0,
     None, None),
    (6, 90, "replay", "POST", "/todos", "", "addTodo", 500, "alice", "free",
     ["undocumented_status", "invalid_response_body"], 0, '{"text": "milk"}', "Internal error"),
    (7, 60, "live", "GET", "/todos/2/items", "", "listItems", 503, None, None,
     ["undocumented_status"], 0, None, "upstream down"),
    (8, 30, "live", "GET", "/unknown", "", None, 404, None, None, ["unknown_path"], 0,
     None, "not found"),
    (9, 15, "import", "GET", "/logo.png", "", None, 200, None, None, [], 0, None, None),
    (10, 9, "live", "GET", "/todos", "?q=Milk", "listTodos", 200, "dave", "pro", [], 0,
     None, '[{"text": "oat milk"}]'),
    (11, 5, "simulate", "PATCH", "/todos/3", "", "updateTodo", 200, "alice", "free", [], 1,
     '{"done": true}', '{"text": "butter", "done": true}'),
    (12, 1, "live", "POST", "/todos", "", "addTodo", None, "alice", "free", [], 0,
     '{"text": "milk OR eggs"}', None),
    (13, 0.5, "live", "GET", "/files/a[1]", "", "getFile", 200, "erin", "team", [], 0,
     None, '{"name": "a[1]"}'),
    (14, 0.4, "live", "GET", "/todos_old", "", None, 301, "erin", "team", [], 0, None, None),
    (15, 0.3, "live", "GET", "/todos/", "", None, 404, "erin", "team", [], 0, None, None),
    (16, 0.2, "live", "options", "/todos", "", None, 204, None, None, [], 0, None, None),
]
# fmt: on
IDS = {row[0] for row in ROWS}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path: Path = tmp_path_factory.mktemp("filter") / "store.db"
    conn = sqlite3.connect(path)
    migrate(conn)
    with conn:
        for row in ROWS:
            ident, minutes, source, method, pth, suffix, op, status, user, plan = row[:10]
            codes, marked, request, response = row[10:]
            conn.execute(
                "INSERT INTO events (id, event_id, ts, source, method, url, path, operation_id,"
                " status, user_id, plan, violation_count, marked, request_body, response_body)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ident,
                    f"ev-{ident}",
                    ago(minutes),
                    source,
                    str(method).upper(),
                    f"http://127.0.0.1:8080{pth}{suffix}",
                    pth,
                    op,
                    status,
                    user,
                    plan,
                    len(codes),
                    marked,
                    request,
                    response,
                ),
            )
            for code in codes:
                conn.execute("INSERT INTO event_codes (event, code) VALUES (?, ?)", (ident, code))
            conn.execute(
                "INSERT INTO events_fts (rowid, request_body, response_body) VALUES (?, ?, ?)",
                (ident, request, response),
            )
    yield conn
    conn.close()


def select(conn: sqlite3.Connection, expr: str) -> set[int]:
    compiled = compile_filter(expr, now=NOW)
    rows = conn.execute(f"SELECT e.id FROM events e WHERE {compiled.sql}", compiled.params)
    return {row[0] for row in rows}


# --- reading ----------------------------------------------------------------------------------


@pytest.mark.parametrize("expr", ["", "   ", "\t\n"])
def test_an_empty_filter_is_everything(expr: str) -> None:
    assert parse(expr) == All()
    assert compile_filter(expr) == EVERYTHING


def test_terms_flags_and_text() -> None:
    assert parse("method:POST") == Term("method", "POST")
    assert parse("Status:4xx") == Term("status", "4xx")
    assert parse("INVALID") == Flag("invalid")
    assert parse("checkout") == Text("checkout")
    assert parse('"todos 42"') == Text("todos 42")
    assert parse('body:"oat milk"') == Term("body", "oat milk", quoted=True)
    assert parse(r'user:"a \"b\" \\ c"') == Term("user", 'a "b" \\ c', quoted=True)


def test_space_is_and_and_the_keyword_too() -> None:
    expected = And((Term("method", "POST"), Flag("invalid")))
    assert parse("method:POST invalid") == expected
    assert parse("method:POST and invalid") == expected
    assert parse("method:POST AND invalid") == expected


def test_not_binds_tighter_than_and_tighter_than_or() -> None:
    a, b, c = Text("a"), Text("b"), Text("c")
    assert parse("a b or c") == Or((And((a, b)), c))
    assert parse("a or b c") == Or((a, And((b, c))))
    assert parse("not a b") == And((Not(a), b))
    assert parse("!a or b") == Or((Not(a), b))
    assert parse("a or not b c") == Or((a, And((Not(b), c))))
    assert parse("a OR b Or c") == Or((a, b, c))


def test_parentheses_group() -> None:
    a, b, c = Text("a"), Text("b"), Text("c")
    assert parse("(a or b) c") == And((Or((a, b)), c))
    assert parse("!(a or b)") == Not(Or((a, b)))
    assert parse("not (a b)") == Not(And((a, b)))
    assert parse("((a))") == a
    assert parse("!!a") == Not(Not(a))


def test_quoted_keywords_and_flags_are_text() -> None:
    assert parse('"or"') == Text("or")
    assert parse('"invalid" "not"') == And((Text("invalid"), Text("not")))


def test_nodes_know_where_they_were_written() -> None:
    node = parse("not   status:>=400")
    assert isinstance(node, Not) and node.position == 0
    term = node.operand
    assert isinstance(term, Term) and (term.position, term.value_position) == (6, 13)


def test_fields_have_help() -> None:
    names = {
        "method",
        "status",
        "op",
        "path",
        "user",
        "plan",
        "code",
        "source",
        "since",
        "until",
        "body",
        "invalid",
        "valid",
        "marked",
    }
    assert names <= set(FIELDS)
    assert FLAGS <= set(FIELDS)
    assert all(text and "\n" not in text for text in FIELDS.values())


# --- mistakes, and where they are ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "position", "words"),
    [
        ("method:POST stauts:5xx", 12, "unknown field 'stauts' (did you mean status?)"),
        ("http://localhost", 0, "unknown field 'http'"),
        ("status:abc", 7, "bad status 'abc'"),
        ("status:4xxx", 7, "bad status"),
        ("status:>=4000", 7, "bad status"),
        ("status:600", 7, "not an HTTP status"),
        ("status:499-400", 7, "empty"),
        ("(method:GET", 0, "unclosed '('"),
        ("a (b (c) d", 2, "unclosed '('"),
        ("a)", 1, "unmatched ')'"),
        ("(a)) b", 3, "unmatched ')'"),
        ("()", 0, "empty parentheses"),
        ("invalid or", 8, "'or' needs something after it"),
        ("or invalid", 0, "'or' needs something before it"),
        ("a or or b", 2, "'or' needs something after it"),
        ("(a or) b", 3, "'or' needs something after it"),
        ("a and", 2, "'and' needs something after it"),
        ("and a", 0, "'and' needs something before it"),
        ("a not", 2, "'not' needs something after it"),
        ("a !", 2, "'!' needs something after it"),
        ("user:", 5, "needs a value"),
        ('user:"', 5, "unclosed quote"),
        ('a "b c', 2, "unclosed quote"),
        ('""', 0, "empty quotes"),
        ("invalid:yes", 0, "takes no value"),
        ("code:invalid_bdy", 5, "did you mean invalid_body?"),
        ("source:replays", 7, "did you mean replay?"),
        ("path:todos/*", 5, "paths start with '/'"),
        ("since:10y", 6, "bad time '10y'"),
        ("until:2026-13-01", 6, "bad time"),
        ("since:999999w", 6, "before year 1"),
        ('body:"{}"', 5, "needs a word"),
        ("body:*", 5, "needs a word"),
    ],
)
def test_mistakes_say_what_and_where(expr: str, position: int, words: str) -> None:
    with pytest.raises(FilterError) as caught:
        compile_filter(expr)
    assert caught.value.position == position
    assert words in caught.value.message
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).endswith(f"(at column {position + 1})")


def test_absurd_nesting_and_length_are_refused_not_crashed() -> None:
    with pytest.raises(FilterError, match="nested too deep"):
        parse("(" * 5000 + "a" + ")" * 5000)
    with pytest.raises(FilterError, match="nested too deep"):
        parse("!" * 5000 + "a")
    with pytest.raises(FilterError, match="too many terms"):
        parse(" or ".join(["a"] * 1000))


# --- the SQL --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "sql", "params"),
    [
        ("status:5xx", "(e.status >= ? AND +e.status <= ?)", [500, 599]),
        ("status:40x", "(e.status >= ? AND +e.status <= ?)", [400, 409]),
        ("status:2xx", "(e.status <= ? AND +e.status >= ?)", [299, 200]),
        ("status:201", "e.status = ?", [201]),
        ("status:>=400", "e.status >= ?", [400]),
        ("status:<300", "e.status < ?", [300]),
        ("status:400-404", "(e.status >= ? AND +e.status <= ?)", [400, 404]),
        ("status:100-399", "(e.status <= ? AND +e.status >= ?)", [399, 100]),
        ("method:post", "e.method = ?", ["POST"]),
        ("op:addTodo", "e.operation_id = ?", ["addTodo"]),
        ("user:alice", "e.user_id = ?", ["alice"]),
        ("plan:free", "e.plan = ?", ["free"]),
        ("source:Replay", "e.source = ?", ["replay"]),
        ("invalid", "e.violation_count > 0", []),
        ("valid", "e.violation_count = 0", []),
        ("marked", "e.marked = 1", []),
        ("path:/todos", "e.path = ?", ["/todos"]),
        ("path:/todos/*", "e.path GLOB ?", ["/todos/?*"]),
        ("path:/f/a[1]?/**", "e.path GLOB ?", ["/f/a[[]1][?]/?*"]),
        (
            "code:invalid_body",
            "e.id IN (SELECT event FROM event_codes WHERE code = ?)",
            ["invalid_body"],
        ),
        (
            'body:"milk"',
            "e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)",
            ['"milk"'],
        ),
        (
            'body:"say \\"hi\\" OR NEAR(x)"',
            "e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)",
            ['"say ""hi"" OR NEAR(x)"'],
        ),
        (
            "body:mil*",
            "e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)",
            ['"mil" *'],
        ),
        ("since:10m", "e.ts >= ?", ["2026-11-25T11:50:00.000Z"]),
        ("since:2026-11-25T09:30:15.5+01:00", "e.ts >= ?", ["2026-11-25T08:30:15.500Z"]),
        ("until:2h", "e.ts < ?", ["2026-11-25T10:00:00.000Z"]),
        ("until:2026-11-24", "e.ts < ?", ["2026-11-25T00:00:00.000Z"]),
        (
            "since:1h until:10m",
            "(e.ts >= ? AND +e.ts < ?)",
            ["2026-11-25T11:00:00.000Z", "2026-11-25T11:50:00.000Z"],
        ),
        (
            "until:10m or since:1h",
            "(e.ts < ? OR e.ts >= ?)",
            ["2026-11-25T11:50:00.000Z", "2026-11-25T11:00:00.000Z"],
        ),
        (
            "100%_done",
            "(e.path LIKE ? ESCAPE '\\' OR e.url LIKE ? ESCAPE '\\')",
            ["%100\\%\\_done%", "%100\\%\\_done%"],
        ),
        ("not method:GET", "NOT (e.method = ?)", ["GET"]),
        ("!status:5xx", "(e.status >= ? AND +e.status <= ?) IS NOT 1", [500, 599]),
        ("user:alice or plan:pro", "(e.user_id = ? OR e.plan = ?)", ["alice", "pro"]),
        (
            "method:POST (invalid or marked)",
            "(e.method = ? AND (e.violation_count > 0 OR e.marked = 1))",
            ["POST"],
        ),
    ],
)
def test_compiles_to_indexed_sql(expr: str, sql: str, params: list[object]) -> None:
    assert compile_filter(expr, now=NOW) == Filter(sql, tuple(params), expr)


def test_since_defaults_to_the_current_time() -> None:
    before = datetime.now(UTC) - timedelta(minutes=10)
    (stamp,) = compile_filter("since:10m").params
    assert isinstance(stamp, str) and stamp.endswith("Z")
    moment = datetime.fromisoformat(stamp)
    assert abs(moment - before) < timedelta(seconds=5)


def test_a_naive_now_is_utc() -> None:
    naive = compile_filter("since:1h", now=NOW.replace(tzinfo=None))
    assert naive == compile_filter("since:1h", now=NOW)


def test_highlight_is_a_zero_or_one_column(store: sqlite3.Connection) -> None:
    compiled = compile_filter("invalid or marked", now=NOW)
    assert compiled.highlight_sql() == f"CASE WHEN {compiled.sql} THEN 1 ELSE 0 END"
    rows = store.execute(
        f"SELECT e.id, {compiled.highlight_sql()} FROM events e ORDER BY e.id", compiled.params
    ).fetchall()
    assert len(rows) == len(ROWS)
    assert {ident for ident, hit in rows if hit} == {3, 4, 6, 7, 8, 11}
    assert {hit for _, hit in rows} == {0, 1}


# --- rows picked from a real store ----------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("method:POST", {2, 3, 6, 12}),
        ("method:options", {16}),
        ("status:4xx", {3, 8, 15}),
        ("status:201", {2}),
        ("status:>=400", {3, 6, 7, 8, 15}),
        ("status:<204", {1, 2, 4, 9, 10, 11, 13}),
        ("status:5xx", {6, 7}),
        ("status:20x", {1, 2, 4, 5, 9, 10, 11, 13, 16}),
        ("op:addTodo", {2, 3, 6, 12}),
        ("path:/todos/*", {4, 5, 7, 11}),
        ("path:/todos*", {4, 5, 7, 11, 14, 15}),
        ("path:/todos", {1, 2, 3, 6, 10, 12, 16}),
        ("path:/files/a[1]", {13}),
        ("path:/files/*]", {13}),
        ("path:*/items", {7}),
        ("user:alice", {1, 2, 6, 11, 12}),
        ("plan:free", {1, 2, 6, 11, 12}),
        ("invalid", {3, 6, 7, 8}),
        ("valid", IDS - {3, 6, 7, 8}),
        ("code:invalid_body", {3}),
        ("code:undocumented_status", {6, 7}),
        ("source:replay", {6}),
        ("source:live", IDS - {6, 9, 11}),
        ("marked", {4, 11}),
        ("since:10m", {10, 11, 12, 13, 14, 15, 16}),
        ("since:2h", {5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}),
        ("until:2h", {1, 2, 3, 4}),
        ("since:3h until:1h", {4, 5, 6}),
        ("since:2026-11-25T11:00Z until:2026-11-25T11:59:00", {7, 8, 9, 10, 11}),
        ("until:2026-11-25", IDS),
        ("until:2026-11-24", set()),
        ('body:"milk"', {1, 4, 6, 10, 12}),
        ("body:MILK", {1, 4, 6, 10, 12}),
        ('body:"oat milk"', {10}),
        ('body:"milk eggs"', set()),
        ('body:"milk OR eggs"', {12}),
        ("body:chocol*", {4}),
        ('body:"chocol*"', set()),
        ("body:text", {1, 2, 3, 4, 6, 10, 11, 12}),
        ("todos", {1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 14, 15, 16}),
        ("TODOS/1", {4, 5}),
        ("milk", {10}),
        ('"todos_"', {14}),
        ('"a[1]"', {13}),
        ("q=", {10}),
        ("logo unknown", set()),
        ("logo or unknown", {8, 9}),
        ("method:POST status:4xx", {3}),
        ("method:POST and status:4xx", {3}),
        ("user:alice or plan:pro", {1, 2, 3, 4, 6, 10, 11, 12}),
        ("not method:GET", {2, 3, 5, 6, 11, 12, 16}),
        ("!method:GET", {2, 3, 5, 6, 11, 12, 16}),
        ("not invalid", IDS - {3, 6, 7, 8}),
        ("op:addTodo not status:2xx", {3, 6, 12}),
        ("not status:5xx", IDS - {6, 7}),
        ("not user:alice", IDS - {1, 2, 6, 11, 12}),
        ("not plan:free", IDS - {1, 2, 6, 11, 12}),
        ("not op:addTodo", IDS - {2, 3, 6, 12}),
        ("not (user:alice or plan:pro)", {5, 7, 8, 9, 13, 14, 15, 16}),
        ("!!user:alice", {1, 2, 6, 11, 12}),
        ("not (user:alice status:2xx)", IDS - {1, 2, 11}),
        ("invalid or marked source:live", {3, 4, 6, 7, 8}),
        ("(invalid or marked) source:live", {3, 4, 7, 8}),
        ("op:addTodo or op:getTodo status:200", {2, 3, 4, 6, 12}),
        ("(op:addTodo or op:getTodo) status:2xx", {2, 4}),
        ("code:undocumented_status not code:invalid_response_body", {7}),
        ("user:nobody", set()),
        ("", IDS),
    ],
)
def test_picks_the_right_rows(store: sqlite3.Connection, expr: str, expected: set[int]) -> None:
    assert select(store, expr) == expected


def test_the_fragment_composes_with_more_conditions(store: sqlite3.Connection) -> None:
    """The TUI pages with `WHERE <filter> AND e.id < ?`: every fragment must bind as a whole."""
    for expr in [
        "not method:GET",
        "user:alice or plan:pro",
        "!status:5xx",
        "todos",
        "status:4xx",
        "invalid or marked",
        "not (a or todos)",
    ]:
        compiled = compile_filter(expr, now=NOW)
        rows = store.execute(
            f"SELECT e.id FROM events e WHERE {compiled.sql} AND e.id < ? "
            "ORDER BY e.id DESC LIMIT 3",
            [*compiled.params, 12],
        )
        expected = sorted((i for i in select(store, expr) if i < 12), reverse=True)[:3]
        assert [row[0] for row in rows] == expected, expr


def _ids(store: sqlite3.Connection, where: Filter) -> set[int]:
    return {
        r[0] for r in store.execute(f"SELECT e.id FROM events e WHERE {where.sql}", where.params)
    }


def test_filters_combine_as_both(store: sqlite3.Connection) -> None:
    """--filter, --invalid and --code together: every one must hold."""
    either = compile_filter("user:alice or user:bob", now=NOW)
    both = either & invalid()
    assert _ids(store, both) == select(store, "(user:alice or user:bob) invalid") == {3, 6}
    assert both.text == "(user:alice or user:bob) (invalid)"
    assert _ids(store, both & with_code("invalid_body")) == {3}
    assert EVERYTHING & both == both == both & EVERYTHING
    assert EVERYTHING.everything and not both.everything


def test_the_flags_of_the_cli_are_the_languages(store: sqlite3.Connection) -> None:
    assert _ids(store, invalid()) == select(store, "invalid")
    assert _ids(store, with_code("undocumented_status")) == select(
        store, "code:undocumented_status"
    )
    assert _ids(store, with_code("no_such_code")) == set()  # --code takes any code


def test_negation_is_the_complement(store: sqlite3.Connection) -> None:
    for expr in [
        "status:4xx",
        "user:alice",
        "op:addTodo",
        "invalid or marked",
        "body:milk",
        "plan:pro status:2xx",
        "todos",
        "code:unknown_path",
        "since:1h",
    ]:
        inside = select(store, expr)
        outside = select(store, f"not ({expr})")
        assert inside | outside == IDS and not inside & outside, expr


# --- nothing the user writes reaches the SQL text -------------------------------------------


@pytest.mark.parametrize(
    "expr",
    [
        'user:"\'; DROP TABLE events; --"',
        "op:\"x' OR '1'='1\"",
        '"\') OR 1=1 --"',
        'body:"milk\\" OR \\"eggs"',
        'body:"NEAR(milk eggs)"',
        'body:"response_body:milk"',
        'body:"^milk"',
        'path:"/\'\\"*"',
        'plan:"?1"',
    ],
)
def test_user_text_goes_in_parameters(store: sqlite3.Connection, expr: str) -> None:
    compiled = compile_filter(expr, now=NOW)
    assert "'" not in compiled.sql.replace("ESCAPE '\\'", "")
    assert "DROP" not in compiled.sql and "NEAR" not in compiled.sql
    select(store, expr)  # runs without an SQL or FTS5 syntax error
    assert store.execute("SELECT count(*) FROM events").fetchone() == (len(ROWS),)


@settings(max_examples=200, deadline=None)
@given(text=st.text(min_size=1, max_size=30).filter(lambda t: t.strip() and "\x00" not in t))
def test_any_quoted_text_is_a_safe_search(store: sqlite3.Connection, text: str) -> None:
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    cases = [
        (f'"{quoted}"', '"x"'),
        (f'user:"{quoted}"', "user:x"),
        (f'op:"{quoted}"', "op:x"),
        (f'path:"/{quoted}"', "path:/x*" if "*" in text else "path:/x"),
    ]
    if any(ch.isalnum() for ch in text):
        cases.append((f'body:"{quoted}"', "body:x"))
    for expr, plain in cases:
        compiled = compile_filter(expr, now=NOW)
        assert compiled.sql == compile_filter(plain).sql  # the same SQL whatever the text
        store.execute(f"SELECT count(*) FROM events e WHERE {compiled.sql}", compiled.params)


@settings(max_examples=300, deadline=None)
@given(expr=st.text(alphabet=st.sampled_from(list('ab ()!":orntsu*x5')), max_size=25))
def test_any_input_compiles_or_says_where_it_went_wrong(
    store: sqlite3.Connection, expr: str
) -> None:
    try:
        compiled = compile_filter(expr, now=NOW)
    except FilterError as error:
        assert 0 <= error.position <= len(expr)
        return
    store.execute(f"SELECT count(*) FROM events e WHERE {compiled.sql}", compiled.params)


# --- the indexes are used -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "index"),
    [
        ("status:5xx", "events_status"),
        ("status:>=400", "events_status"),
        ("op:addTodo", "events_operation"),
        ("path:/todos/*", "events_path"),
        ("path:/todos", "events_path"),
        ("invalid", "events_invalid"),
        ("method:POST", "events_method"),
        ("user:alice", "events_user"),
        ("plan:pro", "events_plan"),
        ("source:replay", "events_source"),
        ("since:10m", "events_ts"),
        ("marked", "events_marked"),
        ("code:invalid_body", "event_codes_code"),
        ("user:alice or plan:pro", "events_user"),
    ],
)
def test_filters_search_an_index_not_scan(store: sqlite3.Connection, expr: str, index: str) -> None:
    compiled = compile_filter(expr, now=NOW)
    for query in (
        f"SELECT e.id FROM events e WHERE {compiled.sql}",
        f"SELECT count(*) FROM events e WHERE {compiled.sql}",
    ):
        plan = [row[3] for row in store.execute(f"EXPLAIN QUERY PLAN {query}", compiled.params)]
        assert not [step for step in plan if step.startswith("SCAN e")], (query, plan)
        assert any(index in step for step in plan), (query, plan)


@pytest.mark.parametrize(
    "expr", ["status:2xx", "status:5xx", "status:>=400", "invalid", "since:1h until:10m"]
)
def test_the_newest_first_page_of_a_range_does_not_sort_every_match(
    store: sqlite3.Connection, expr: str
) -> None:
    """One indexed bound per range: the page scans back from the newest row and stops at 100."""
    compiled = compile_filter(expr, now=NOW)
    query = f"SELECT e.* FROM events e WHERE {compiled.sql} ORDER BY e.id DESC LIMIT 100"
    plan = [row[3] for row in store.execute(f"EXPLAIN QUERY PLAN {query}", compiled.params)]
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_body_search_reads_the_fts_index(store: sqlite3.Connection) -> None:
    compiled = compile_filter('body:"milk"', now=NOW)
    plan = " | ".join(
        row[3]
        for row in store.execute(
            f"EXPLAIN QUERY PLAN SELECT e.id FROM events e WHERE {compiled.sql}", compiled.params
        )
    )
    assert "events_fts VIRTUAL TABLE" in plan
    assert "SCAN e " not in plan + " "


# --- MCP messages ---------------------------------------------------------------------------

# id, protocol, rpc method, tool, session, OAuth client
MCP_ROWS = [
    (1, "http", None, None, None, "c1"),
    (2, "mcp", "initialize", None, None, None),
    (3, "mcp", "tools/call", "search", "s-1", "c1"),
    (4, "mcp", "tools/call", "fetch", "s-1", "c2"),
    (5, "mcp", "resources/read", None, "s-2", None),
    (6, "mcp", None, None, "s-2", None),
]


@pytest.fixture(scope="module")
def mcp_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(tmp_path_factory.mktemp("mcp") / "store.db")
    migrate(conn)
    with conn:
        for ident, protocol, rpc, tool, session, client in MCP_ROWS:
            conn.execute(
                "INSERT INTO events (id, event_id, ts, method, url, path, protocol, rpc_method,"
                " tool, session_id, oauth_client_id)"
                " VALUES (?, ?, ?, 'POST', 'http://h/mcp', '/mcp', ?, ?, ?, ?, ?)",
                (ident, f"m-{ident}", ago(ident), protocol, rpc, tool, session, client),
            )
    yield conn
    conn.close()


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("protocol:mcp", {2, 3, 4, 5, 6}),
        ("protocol:HTTP", {1}),
        ("rpc:tools/call", {3, 4}),
        ("rpc:resources/*", {5}),
        ("not rpc:tools/call", {1, 2, 5, 6}),
        ("tool:search", {3}),
        ("tool:f*", {4}),
        ("session:s-2", {5, 6}),
        ("protocol:mcp not session:s-1", {2, 5, 6}),
        ("client:c1", {1, 3}),
        ("not client:c1", {2, 4, 5, 6}),
    ],
)
def test_mcp_fields_pick_their_messages(
    mcp_store: sqlite3.Connection, expr: str, expected: set[int]
) -> None:
    assert select(mcp_store, expr) == expected


@pytest.mark.parametrize(
    ("expr", "index"),
    [
        ("rpc:tools/call", "events_rpc"),
        ("tool:search", "events_tool"),
        ("session:s", "events_session"),
        ("client:c1", "events_oauth_client"),
    ],
)
def test_mcp_filters_use_their_index(mcp_store: sqlite3.Connection, expr: str, index: str) -> None:
    compiled = compile_filter(expr, now=NOW)
    query = f"EXPLAIN QUERY PLAN SELECT e.id FROM events e WHERE {compiled.sql}"
    plan = [row[3] for row in mcp_store.execute(query, compiled.params)]
    assert any(index in step for step in plan), plan


def test_an_unknown_protocol_says_which_there_are() -> None:
    with pytest.raises(FilterError, match="unknown protocol 'mpc'.*use http, mcp") as err:
        compile_filter("protocol:mpc")
    assert err.value.position == len("protocol:")
