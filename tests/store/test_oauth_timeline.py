"""The OAuth dance of a client, read back from a real store: the steps in order, the MCP calls
let through as one step, the refusals each with why, and a dance that stopped before any
client was known."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import Event, iso
from pluginlab_tui.store.oauth_timeline import WINDOW, Dance, dance_of
from pluginlab_tui.store.writer import insert_events

START = datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC)
CHATGPT, OTHER, STRANGER = "10.0.0.1", "10.0.0.2", "10.0.0.3"


def event(
    n: int,
    method: str,
    path: str,
    status: int,
    *,
    mode: str = "oauth",
    ip: str = CHATGPT,
    client: str | None = None,
    result: str | None = None,
    body: str | None = None,
    after: timedelta = timedelta(0),
) -> Event:
    mcp = path == "/mcp"
    return Event(
        event_id=f"e{n}",
        ts=iso(START + timedelta(seconds=n) + after),
        method=method,
        url=f"http://127.0.0.1:8787{path}",
        path=path,
        status=status,
        request_body=body,
        auth_mode=mode,
        auth_result=result,
        client_ip=ip,
        oauth_client_id=client,
        protocol="mcp" if mcp else "http",
    )


def chatgpt_dance() -> list[Event]:
    """ChatGPT's first sign-in, calls, an expired token, a refresh, more calls."""
    return [
        event(1, "POST", "/mcp", 401, result="missing"),
        event(2, "GET", "/.well-known/oauth-protected-resource/mcp", 200),
        event(3, "GET", "/.well-known/oauth-authorization-server", 200),
        event(4, "POST", "/_pluginlab/oauth/register", 201, client="c1", result="ok"),
        event(5, "GET", "/_pluginlab/oauth/authorize", 302, client="c1", result="ok"),
        event(
            6,
            "POST",
            "/_pluginlab/oauth/token",
            200,
            client="c1",
            result="ok",
            body="grant_type=authorization_code&code=[redacted]",
        ),
        *[event(n, "POST", "/mcp", 200, client="c1", result="ok") for n in (7, 8, 9)],
        event(10, "POST", "/mcp", 401, client="c1", result="expired"),
        event(
            11,
            "POST",
            "/_pluginlab/oauth/token",
            200,
            client="c1",
            result="ok",
            body='{"grant_type": "refresh_token", "refresh_token": "[redacted]"}',
        ),
        *[event(n, "POST", "/mcp", 200, client="c1", result="ok") for n in (12, 13)],
    ]


def stopped_dance() -> list[Event]:
    """Another client: discovery, then a registration the server refused."""
    return [
        event(20, "POST", "/mcp", 401, ip=OTHER, result="missing"),
        event(21, "GET", "/.well-known/oauth-protected-resource", 200, ip=OTHER),
        event(22, "POST", "/_pluginlab/oauth/register", 400, ip=OTHER),
        event(23, "GET", "/todos", 200, ip=OTHER),  # no step of any dance
        # the same steps from another address, and ours long before: not part of it
        event(24, "GET", "/.well-known/oauth-protected-resource", 200, ip=STRANGER),
        event(25, "GET", "/.well-known/oauth-protected-resource", 200, after=-WINDOW * 2),
        # MCP calls without OAuth (open mode, and a refused service token): no dance
        event(26, "POST", "/mcp", 200, ip=OTHER, mode="none", result="ok"),
        event(27, "POST", "/mcp", 401, ip=OTHER, mode="service_http", result="missing"),
    ]


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    store = open_store(tmp_path / "events.db", create=True)
    insert_events(store, chatgpt_dance() + stopped_dance())
    return store


def by_id(conn: sqlite3.Connection, event_id: str) -> Event:
    row = conn.execute("SELECT * FROM events WHERE event_id = ?", (event_id,)).fetchone()
    return Event.from_row(dict(row))


def shape(dance: Dance | None) -> list[tuple[str, int | None, str | None, int]]:
    assert dance is not None
    return [(s.step, s.status, s.auth_result, s.count) for s in dance.steps]


CHATGPT_STEPS = [
    ("challenge", 401, "missing", 1),
    ("resource-metadata", 200, None, 1),
    ("server-metadata", 200, None, 1),
    ("register", 201, "ok", 1),
    ("authorize", 302, "ok", 1),
    ("token", 200, "ok", 1),
    ("calls", 200, "ok", 3),
    ("refused", 401, "expired", 1),
    ("refresh", 200, "ok", 1),
    ("calls", 200, "ok", 2),
]


@pytest.mark.parametrize("selected", ["e1", "e2", "e6", "e8", "e13"])
def test_any_step_of_a_client_s_dance_shows_the_whole_of_it(
    conn: sqlite3.Connection, selected: str
) -> None:
    dance = dance_of(conn, by_id(conn, selected))
    assert dance is not None and dance.client_id == "c1"
    assert shape(dance) == CHATGPT_STEPS
    assert dance.steps[0].event_id == "e1" and dance.steps[-3].event_id == "e10"
    assert dance.last is not None and dance.last.event_id == "e12"  # a run names its first


def test_a_dance_that_stopped_before_a_client_was_known_is_its_steps_alone(
    conn: sqlite3.Connection,
) -> None:
    dance = dance_of(conn, by_id(conn, "e21"))
    assert dance is not None and dance.client_id is None
    assert shape(dance) == [
        ("challenge", 401, "missing", 1),
        ("resource-metadata", 200, None, 1),
        ("register", 400, None, 1),
    ]


@pytest.mark.parametrize("selected", ["e23", "e26", "e27"])
def test_an_exchange_that_is_no_step_of_a_dance_has_none(
    conn: sqlite3.Connection, selected: str
) -> None:
    assert dance_of(conn, by_id(conn, selected)) is None
