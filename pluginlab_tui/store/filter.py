"""The filter language: one expression for the TUI and the CLI's `--filter`, compiled to SQL.

    method:POST status:4xx op:addTodo path:/todos/* user:alice invalid body:"milk" marked
    (status:5xx or code:invalid_body) not source:replay since:10m
    "/todos/42" checkout

Terms are `field:value`, a flag (`invalid`, `valid`, `marked`), or free text (a bare word or a
"quoted phrase", matched case-insensitively as a substring of the path or the URL). Terms side by
side must all hold (`and` may be written out); `or` joins alternatives; `not` or a `!` prefix
negates; parentheses group. `not` binds tighter than and, and tighter than `or`. Keywords, flags
and field names are case-insensitive; quote a keyword or flag to search for it as text.

`compile_filter` turns an expression into a `Filter`: a WHERE fragment over `events e` that reads
the indexed columns, with every value the user wrote passed as a parameter. `Filter` is the one
type for "which events" in the store, the CLI and the TUI. Mistakes raise `FilterError` with the
0-based character position of the problem, so the TUI can point at it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TypeGuard

from pluginlab_tui.store.event import PROTOCOLS
from pluginlab_tui.validation.violations import CODES
from pluginlab_tui.wire import SOURCES

#: Field name (or flag) -> one-line help, for the TUI's help screen and the CLI's --help.
FIELDS: dict[str, str] = {
    "method": "method:POST - the request method (any case)",
    "status": "status:201, status:4xx, status:>=400, status:400-499 - the response status",
    "op": "op:addTodo - the operationId the request matched",
    "path": "path:/todos/* - the request path; * stands for one or more characters",
    "user": "user:alice - the authenticated user",
    "plan": "plan:free - the user's plan",
    "source": "source:replay - where the exchange came from: live, replay, import or simulate",
    "code": "code:invalid_body - has a violation with this code",
    "invalid": "invalid - has at least one contract violation",
    "valid": "valid - has no contract violation",
    "marked": "marked - marked by you",
    "since": "since:10m, since:2026-11-25T09:00 - at or after (s m h d w ago, or a UTC date/time)",
    "until": "until:2h, until:2026-11-25 - before (s m h d w ago; a date includes that whole day)",
    "body": 'body:"milk" - a word or phrase in the request or response body; body:mil* a prefix',
    "protocol": "protocol:mcp - an MCP message (mcp.endpoint), or protocol:http any other exchange",
    "rpc": "rpc:tools/call, rpc:resources/* - the JSON-RPC method; * is one or more characters",
    "tool": "tool:search - the tool of a tools/call (or prompt of prompts/get); * as in rpc:",
    "session": "session:ID - the MCP session (Mcp-Session-Id)",
    "client": "client:ID - the OAuth client (asked for, registered, or holding the token)",
}

#: The words and signs that combine terms, for the help screen.
OPERATORS: dict[str, str] = {
    "a b": "both (`a and b` too)",
    "a or b": "either",
    "not a, !a": "not a",
    "( )": "grouping; not binds tighter than and, and tighter than or",
    'word, "a phrase"': "free text: a substring of the path or URL, any case",
}

#: Fields that take no value.
FLAGS = frozenset({"invalid", "valid", "marked"})

#: The values of events.source.

_MAX_TERMS = 256
_MAX_DEPTH = 64

_ISO_MS = "%Y-%m-%dT%H:%M:%S"


class FilterError(ValueError):
    """A filter that cannot be read; `position` is the 0-based index of the problem."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message, position)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return f"{self.message} (at column {self.position + 1})"


# --- the tree -------------------------------------------------------------------------------


@dataclass(frozen=True)
class All:
    """The empty filter: every event."""


@dataclass(frozen=True)
class Term:
    """`name:value`; `quoted` when the value was written in double quotes."""

    name: str
    value: str
    quoted: bool = False
    position: int = field(default=0, compare=False)
    value_position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Flag:
    """`invalid`, `valid` or `marked`."""

    name: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Text:
    """Free text: a substring of the path or URL."""

    text: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Not:
    operand: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


Node = All | Term | Flag | Text | Not | And | Or


# --- reading --------------------------------------------------------------------------------

_FIELD = re.compile(r"([A-Za-z][A-Za-z_]*):")
_STOP = frozenset('()"') | frozenset(" \t\r\n\f\v")


@dataclass(frozen=True)
class _Token:
    kind: str  # ( ) not and or term flag text end
    position: int
    text: str = ""
    node: Node | None = None


def _quoted(expr: str, start: int) -> tuple[str, int]:
    """Read a "quoted string" starting at expr[start] == '"'; returns (text, index after it)."""
    out: list[str] = []
    i = start + 1
    while i < len(expr):
        ch = expr[i]
        if ch == "\\" and i + 1 < len(expr) and expr[i + 1] in '"\\':
            out.append(expr[i + 1])
            i += 2
        elif ch == '"':
            return "".join(out), i + 1
        else:
            out.append(ch)
            i += 1
    raise FilterError("unclosed quote", start)


def _suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _tokens(expr: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    n = len(expr)
    while i < n:
        ch = expr[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(ch, i))
            i += 1
        elif ch == "!":
            tokens.append(_Token("not", i))
            i += 1
        elif ch == '"':
            text, end = _quoted(expr, i)
            if not text:
                raise FilterError("empty quotes", i)
            tokens.append(_Token("text", i, node=Text(text, i)))
            i = end
        else:
            j = i
            while j < n and expr[j] not in _STOP:
                j += 1
            word = expr[i:j]
            m = _FIELD.match(word)
            if m:
                tokens.append(_term(expr, i, m.group(1), j))
                token = tokens[-1]
                assert isinstance(token.node, Term)
                j = token.node.value_position + len(token.text)
            elif word.lower() in ("or", "and", "not"):
                tokens.append(_Token(word.lower(), i, word))
            elif word.lower() in FLAGS:
                tokens.append(_Token("flag", i, node=Flag(word.lower(), i)))
            else:
                tokens.append(_Token("text", i, node=Text(word, i)))
            i = j
    tokens.append(_Token("end", n))
    return tokens


def _term(expr: str, start: int, name: str, word_end: int) -> _Token:
    """A `name:value` at expr[start]; the token's text is the raw value as written."""
    key = name.lower()
    if key in FLAGS:
        raise FilterError(f"{key} takes no value: write just '{key}'", start)
    if key not in FIELDS:
        raise FilterError(
            f"unknown field '{name}'{_suggest(key, list(FIELDS))}; quote text that has a colon",
            start,
        )
    value_at = start + len(name) + 1
    if value_at == word_end and value_at < len(expr) and expr[value_at] == '"':
        value, end = _quoted(expr, value_at)
        quoted = True
        raw = expr[value_at:end]
    else:
        value, quoted = expr[value_at:word_end], False
        raw = value
    if not value:
        raise FilterError(f"{key}: needs a value", value_at)
    node = Term(key, value, quoted, start, value_at)
    _check(node)
    return _Token("term", start, raw, node)


class _Parser:
    def __init__(self, expr: str) -> None:
        self.tokens = _tokens(expr)
        self.at = 0
        self.depth = 0
        self.terms = 0

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> Node:
        if self.peek().kind == "end":
            return All()
        node = self.or_expr()
        token = self.peek()
        if token.kind == ")":
            raise FilterError("unmatched ')'", token.position)
        return node

    def or_expr(self) -> Node:
        token = self.peek()
        if token.kind == "or":
            raise FilterError("'or' needs something before it", token.position)
        parts = [self.and_expr()]
        while self.peek().kind == "or":
            op = self.take()
            if self.peek().kind in ("end", ")", "or", "and"):
                raise FilterError("'or' needs something after it", op.position)
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self) -> Node:
        token = self.peek()
        if token.kind == "and":
            raise FilterError("'and' needs something before it", token.position)
        parts = [self.unary()]
        while self.peek().kind not in ("end", ")", "or"):
            if self.peek().kind == "and":
                op = self.take()
                if self.peek().kind in ("end", ")", "or", "and"):
                    raise FilterError("'and' needs something after it", op.position)
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self) -> Node:
        token = self.take()
        if token.kind == "not":
            if self.peek().kind in ("end", ")", "or", "and"):
                word = "!" if not token.text else "not"
                raise FilterError(f"'{word}' needs something after it", token.position)
            self.enter(token)
            negated = Not(self.unary(), token.position)
            self.depth -= 1
            return negated
        if token.kind == "(":
            if self.peek().kind == ")":
                raise FilterError("empty parentheses", token.position)
            if self.peek().kind == "end":
                raise FilterError("unclosed '('", token.position)
            self.enter(token)
            node = self.or_expr()
            self.depth -= 1
            if self.peek().kind != ")":
                raise FilterError("unclosed '('", token.position)
            self.take()
            return node
        if token.kind in ("term", "flag", "text"):
            self.terms += 1
            if self.terms > _MAX_TERMS:
                raise FilterError(f"too many terms (at most {_MAX_TERMS})", token.position)
            assert token.node is not None
            return token.node
        if token.kind == ")":
            raise FilterError("unmatched ')'", token.position)
        raise FilterError("unexpected end of filter", token.position)  # pragma: no cover

    def enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise FilterError(f"nested too deep (at most {_MAX_DEPTH})", token.position)


def parse(expr: str) -> Node:
    """The tree of a filter expression; raises FilterError with the position of a mistake."""
    return _Parser(expr).parse()


# --- values ---------------------------------------------------------------------------------


class _BadValue(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_STATUS_CLASS = re.compile(r"([1-5])([0-9x])x", re.IGNORECASE)
_STATUS_CMP = re.compile(r"(>=|<=|>|<|=)?([0-9]{3})")
_STATUS_RANGE = re.compile(r"([0-9]{3})-([0-9]{3})")
_DURATION = re.compile(r"([0-9]{1,6})([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _status_code(text: str) -> int:
    code = int(text)
    if not 100 <= code <= 599:
        raise _BadValue(f"status {code} is not an HTTP status (100-599)")
    return code


def _status_range(low: int, high: int) -> tuple[str, list[object]]:
    """low <= status <= high, with one bound for the index and the other (`+`) a plain check.

    A two-sided range makes SQLite read every match through the index and sort them all for
    `ORDER BY e.id DESC LIMIT 100`: over a second for status:2xx at 1M events. With one indexed
    bound it pages by scanning from the newest row instead, while a count still reads the index.
    The indexed bound is the one on the rarer side: the low one for 3xx and up.
    """
    if low >= 300:
        return "(e.status >= ? AND +e.status <= ?)", [low, high]
    return "(e.status <= ? AND +e.status >= ?)", [high, low]


def _status(value: str) -> tuple[str, list[object]]:
    if m := _STATUS_CLASS.fullmatch(value):
        first, second = m.group(1), m.group(2).lower()
        if second == "x":
            low = int(first) * 100
            return _status_range(low, low + 99)
        low = int(first + second) * 10
        return _status_range(low, low + 9)
    if m := _STATUS_RANGE.fullmatch(value):
        low, high = _status_code(m.group(1)), _status_code(m.group(2))
        if low > high:
            raise _BadValue(f"status range {value} is empty: write the lower code first")
        return _status_range(low, high)
    if m := _STATUS_CMP.fullmatch(value):
        code = _status_code(m.group(2))
        op = m.group(1) or "="
        return f"e.status {op} ?", [code]
    raise _BadValue(f"bad status '{value}': use 404, 4xx, 40x, >=400 or 400-499")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    moment = _utc(moment)
    return f"{moment.strftime(_ISO_MS)}.{moment.microsecond // 1000:03d}Z"


def _moment(value: str, now: datetime, *, end_of_day: bool) -> datetime:
    """`10m` before now, or an ISO date or date-time (UTC unless it says otherwise)."""
    if m := _DURATION.fullmatch(value.lower()):
        try:
            return _utc(now) - timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
        except OverflowError:
            raise _BadValue(f"'{value}' reaches back before year 1") from None
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            day = date.fromisoformat(value)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end_of_day else start
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+(Z|[+-][0-9:]+)?", value, re.I):
            return _utc(datetime.fromisoformat(value))
    except ValueError:
        pass
    raise _BadValue(
        f"bad time '{value}': use an age like 30s, 10m, 2h, 7d, 1w "
        "or a UTC date/time like 2026-11-25 or 2026-11-25T09:30"
    )


def _glob(pattern: str) -> str:
    """path:/a/* as a GLOB pattern: * is one or more characters, everything else literal."""
    out: list[str] = []
    for ch in re.sub(r"\*+", "*", pattern):
        if ch == "*":
            out.append("?*")
        elif ch in "?[":
            out.append(f"[{ch}]")
        else:
            out.append(ch)
    return "".join(out)


def _fts_phrase(text: str, prefix: bool) -> str:
    """A single FTS5 phrase: the text in double quotes (quotes doubled), so no query syntax."""
    phrase = '"' + text.replace('"', '""') + '"'
    return phrase + " *" if prefix else phrase


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Each compiled piece is (sql, params, may_be_null): the nullable columns need a NOT that
# counts NULL as false.
_Piece = tuple[str, list[object], bool]

_CODE_SQL = "e.id IN (SELECT event FROM event_codes WHERE code = ?)"


def _term_sql(term: Term, now: datetime) -> _Piece:
    name, value = term.name, term.value
    if name == "method":
        return "e.method = ?", [value.upper()], False
    if name == "status":
        sql, params = _status(value)
        return sql, params, True
    if name == "op":
        return "e.operation_id = ?", [value], True
    if name == "user":
        return "e.user_id = ?", [value], True
    if name == "plan":
        return "e.plan = ?", [value], True
    if name == "protocol":
        if value.lower() not in PROTOCOLS:
            raise _BadValue(
                f"unknown protocol '{value}'{_suggest(value.lower(), PROTOCOLS)}: "
                f"use {', '.join(PROTOCOLS)}"
            )
        return "e.protocol = ?", [value.lower()], False
    if name in ("rpc", "tool"):
        column = "e.rpc_method" if name == "rpc" else "e.tool"
        if "*" in value:
            return f"{column} GLOB ?", [_glob(value)], True
        return f"{column} = ?", [value], True
    if name == "session":
        return "e.session_id = ?", [value], True
    if name == "client":
        return "e.oauth_client_id = ?", [value], True
    if name == "source":
        if value.lower() not in SOURCES:
            raise _BadValue(
                f"unknown source '{value}'{_suggest(value.lower(), SOURCES)}: "
                f"use {', '.join(SOURCES)}"
            )
        return "e.source = ?", [value.lower()], False
    if name == "path":
        if not value.startswith(("/", "*")):
            raise _BadValue(f"paths start with '/': write path:/{value}")
        if "*" in value:
            return "e.path GLOB ?", [_glob(value)], False
        return "e.path = ?", [value], False
    if name == "code":
        if value not in CODES:
            raise _BadValue(f"unknown violation code '{value}'{_suggest(value, list(CODES))}")
        return _CODE_SQL, [value], False
    if name == "body":
        prefix = not term.quoted and value.endswith("*")
        text = value.rstrip("*") if prefix else value
        if not any(ch.isalnum() for ch in text):
            raise _BadValue("body search needs a word: it matches words, not punctuation")
        return (
            "e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)",
            [_fts_phrase(text, prefix)],
            False,
        )
    if name == "since":
        return "e.ts >= ?", [_iso(_moment(value, now, end_of_day=False))], False
    if name == "until":
        return "e.ts < ?", [_iso(_moment(value, now, end_of_day=True))], False
    if name == "until+":  # beside a since: (see _sql)
        return "+e.ts < ?", [_iso(_moment(value, now, end_of_day=True))], False
    raise AssertionError(name)  # pragma: no cover - _term rejects unknown names


_FLAG_SQL = {
    "invalid": "e.violation_count > 0",
    "valid": "e.violation_count = 0",
    "marked": "e.marked = 1",  # exactly the partial index's WHERE, so it is used
}


def _check(term: Term) -> None:
    try:
        _term_sql(term, datetime(2000, 1, 1, tzinfo=UTC))
    except _BadValue as bad:
        raise FilterError(bad.message, term.value_position) from None


def _is(node: Node, name: str) -> TypeGuard[Term]:
    return isinstance(node, Term) and node.name == name


def _grouped(sql: str) -> bool:
    """Whether sql is one parenthesised group (our SQL has no parentheses inside strings)."""
    if not sql.startswith("("):
        return False
    depth = 0
    for i, ch in enumerate(sql):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return i == len(sql) - 1
    return False  # pragma: no cover - unbalanced is impossible


def _sql(node: Node, now: datetime) -> _Piece:
    if isinstance(node, All):
        return "1", [], False
    if isinstance(node, Term):
        try:
            return _term_sql(node, now)
        except _BadValue as bad:
            raise FilterError(bad.message, node.value_position) from None
    if isinstance(node, Flag):
        return _FLAG_SQL[node.name], [], False
    if isinstance(node, Text):
        like = _like(node.text)
        return "(e.path LIKE ? ESCAPE '\\' OR e.url LIKE ? ESCAPE '\\')", [like, like], False
    if isinstance(node, Not):
        sql, params, nullable = _sql(node.operand, now)
        if not _grouped(sql):
            sql = f"({sql})"
        # NULL (say, no status) is "does not match", so its negation matches.
        return (f"{sql} IS NOT 1" if nullable else f"NOT {sql}"), params, False
    joiner = " AND " if isinstance(node, And) else " OR "
    operands = node.operands
    if isinstance(node, And) and any(_is(o, "since") for o in operands):
        # since and until together would be a two-sided range on ts, which SQLite answers by
        # sorting every match for the newest-first page; only since's bound goes to the index.
        operands = tuple(replace(o, name="until+") if _is(o, "until") else o for o in operands)
    parts = [_sql(operand, now) for operand in operands]
    params = [p for _, ps, _ in parts for p in ps]
    return "(" + joiner.join(s for s, _, _ in parts) + ")", params, any(n for *_, n in parts)


# --- compiling ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filter:
    """Which events: a WHERE fragment over `events e`, its parameters, and the text it was read
    from ('' when it was not written in the filter language, or selects everything)."""

    sql: str = "1"
    params: tuple[object, ...] = ()
    text: str = ""

    @property
    def everything(self) -> bool:
        return self.sql == "1"

    def __and__(self, other: Filter) -> Filter:
        """Both filters (the text says so as the language would)."""
        if self.everything:
            return other
        if other.everything:
            return self
        text = f"({self.text}) ({other.text})" if self.text and other.text else ""
        return Filter(f"({self.sql}) AND ({other.sql})", self.params + other.params, text)

    def highlight_sql(self) -> str:
        """An expression that is 1 for a matching row and 0 otherwise (same parameters)."""
        return f"CASE WHEN {self.sql} THEN 1 ELSE 0 END"


#: Every event.
EVERYTHING = Filter()


def compile_filter(expr: str, *, now: datetime | None = None) -> Filter:
    """Compile a filter to SQL; `now` anchors since:/until: ages (default: the current time)."""
    moment = _utc(now) if now is not None else datetime.now(UTC)
    sql, params, _ = _sql(parse(expr), moment)
    return Filter(sql, tuple(params), expr if expr.strip() else "")


def invalid() -> Filter:
    """Events with a contract violation (the `invalid` flag)."""
    return Filter(_FLAG_SQL["invalid"], (), "invalid")


def with_code(code: str) -> Filter:
    """Events with a violation of this code, known or not (the CLI's --code)."""
    return Filter(_CODE_SQL, (code,), f"code:{code}")
