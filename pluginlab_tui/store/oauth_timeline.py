"""The OAuth dance of one client, as the TUI's Auth tab shows it: each step with its time, its
name, its status and the auth_result of its event, so a builder sees where the dance stopped.

The client of an event is its own `oauth_client_id` (proxy/oauth_routes.py and the auth gate
record it). An event without one that is a step of a dance (a discovery document, the 401 that
starts it, a registration that was refused) belongs to the first client its address
(`client_ip`) went on to within WINDOW; with none, the dance is those steps alone (it stopped
before a client was known). The dance of a client is every event of that client and the steps
without a client from its address, from WINDOW before its first event to its last. A run of MCP
calls the gate let through is one step (`calls`, with their count); a refused call is a step
of its own (`challenge` when no token came, else `refused`), its auth_result saying why.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from pluginlab_tui.store.event import Event, iso
from pluginlab_tui.wire import OAUTH_PREFIX, TOKEN_ROUTE, oauth_step

#: How far apart the steps of one dance may be (a user may take minutes on a consent page).
WINDOW = timedelta(minutes=10)
#: The most events one timeline reads (the newest of them).
MAX_EVENTS = 2000

_COLUMNS = (
    "id, event_id, ts, method, path, status, auth_mode, auth_result, protocol, client_ip,"
    " oauth_client_id,"
    f" CASE WHEN path = '{TOKEN_ROUTE}' THEN request_body END AS token_body"
)
#: The steps an event without a client can be (wire.oauth_step decides among them).
_ANONYMOUS = (
    "oauth_client_id IS NULL AND client_ip IS ? AND ts BETWEEN ? AND ? AND ("
    "path LIKE '/.well-known/oauth-%' OR path LIKE '%/.well-known/openid-configuration%'"
    f" OR path LIKE '{OAUTH_PREFIX}%'"
    " OR (protocol = 'mcp' AND auth_mode = 'oauth' AND auth_result != 'ok'))"
)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a dance: an event, or a run of `count` MCP calls let through."""

    ts: str
    step: str
    status: int | None
    auth_result: str | None
    event_id: str
    count: int = 1


@dataclass(frozen=True, slots=True)
class Dance:
    """The steps of one client's dance, oldest first (client_id None: none was known)."""

    client_id: str | None
    steps: list[Step]

    @property
    def last(self) -> Step | None:
        return self.steps[-1] if self.steps else None


def dance_of(conn: sqlite3.Connection, event: Event) -> Dance | None:
    """The dance the event is a step of; None when it is no step of one."""
    client = event.oauth_client_id
    if client is None:
        if _step(_row_of(event)) in (None, "calls"):  # a call let through without OAuth
            return None
        client = _client_after(conn, event)
        if client is None:
            start, end = _moment(event.ts) - WINDOW, _moment(event.ts) + WINDOW
            return Dance(None, _steps(_anonymous(conn, event.client_ip, start, end)))
    return dance(conn, client)


def dance(conn: sqlite3.Connection, client_id: str) -> Dance:
    """Every step of the client's dance (its newest MAX_EVENTS events and the steps without a
    client from its address around them)."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM events WHERE oauth_client_id = ? ORDER BY ts DESC, id DESC"
        " LIMIT ?",
        (client_id, MAX_EVENTS),
    ).fetchall()
    own = [dict(r) for r in reversed(rows)]
    if not own:
        return Dance(client_id, [])
    found: dict[int, dict[str, Any]] = {r["id"]: r for r in own}
    start, end = _moment(own[0]["ts"]) - WINDOW, _moment(own[-1]["ts"])
    for address in dict.fromkeys(r["client_ip"] for r in own):
        for row in _anonymous(conn, address, start, end):
            found.setdefault(row["id"], row)
    ordered = sorted(found.values(), key=lambda r: (r["ts"], r["id"]))
    return Dance(client_id, _steps(ordered))


def _client_after(conn: sqlite3.Connection, event: Event) -> str | None:
    """The first client the event's address went on to within WINDOW of it."""
    end = iso(_moment(event.ts) + WINDOW)
    row = conn.execute(
        "SELECT oauth_client_id FROM events WHERE oauth_client_id IS NOT NULL"
        " AND client_ip IS ? AND ts BETWEEN ? AND ? ORDER BY ts, id LIMIT 1",
        (event.client_ip, event.ts, end),
    ).fetchone()
    return None if row is None else str(row[0])


def _anonymous(
    conn: sqlite3.Connection, address: str | None, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM events WHERE {_ANONYMOUS} ORDER BY ts, id LIMIT ?",
        (address, iso(start), iso(end), MAX_EVENTS),
    ).fetchall()
    return [dict(r) for r in rows]


def _steps(rows: list[dict[str, Any]]) -> list[Step]:
    """The rows as steps; a run of MCP calls let through is one."""
    steps: list[Step] = []
    for row in rows:
        name = _step(row)
        if name is None:
            continue
        last = steps[-1] if steps else None
        if name == "calls" and last is not None and last.step == "calls":
            steps[-1] = Step(last.ts, "calls", row["status"], "ok", last.event_id, last.count + 1)
            continue
        steps.append(Step(row["ts"], name, row["status"], row["auth_result"], row["event_id"]))
    return steps


def _step(row: dict[str, Any]) -> str | None:
    """The step an event is: an OAuth route's, or an MCP call's (let through or refused)."""
    path = str(row["path"]).split("?", 1)[0]
    found = oauth_step(str(row["method"]), path, _grant_type(row.get("token_body")))
    if found is not None:
        return found
    if row["protocol"] != "mcp" or row["auth_mode"] != "oauth" or row["auth_result"] is None:
        return None
    if row["auth_result"] == "ok":
        return "calls"
    return "challenge" if row["auth_result"] == "missing" else "refused"


def _row_of(event: Event) -> dict[str, Any]:
    token_body = event.request_body if event.path == TOKEN_ROUTE else None
    return {
        "method": event.method,
        "path": event.path,
        "protocol": event.protocol,
        "auth_mode": event.auth_mode,
        "auth_result": event.auth_result,
        "token_body": token_body,
    }


def _grant_type(body: Any) -> str | None:
    """A token request's grant_type, from its form or JSON body as stored."""
    if not isinstance(body, str):
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return dict(parse_qsl(body)).get("grant_type")
    found = parsed.get("grant_type") if isinstance(parsed, dict) else None
    return found if isinstance(found, str) else None


def _moment(ts: str) -> datetime:
    return datetime.fromisoformat(ts)
