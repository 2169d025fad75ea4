"""Detail pane: its tabs are filled when first shown, and still follow the selection; the Auth
tab's timeline of the OAuth dance."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from textual.widgets import Static

from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.writer import insert_events
from pluginlab_tui.tui.screens.main import MainScreen
from pluginlab_tui.tui.widgets.detail import DetailPane
from tests.store.test_oauth_timeline import chatgpt_dance, stopped_dance
from tests.tui.conftest import make_app, mcp_events, settle, shown


async def test_lazy_tabs_show_the_selected_exchange(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        detail = main.query_one(DetailPane)
        assert detail.filled("request") and not detail.filled("timing")
        assert not main.query("#timing-text")  # nothing composed for a tab never shown
        await pilot.press("5")
        await settle(pilot)
        assert detail.filled("timing")
        newest = detail.event
        assert newest is not None and newest.event_id in shown(
            main.query_one("#timing-text", Static)
        )
        await pilot.press("escape", "k")
        await settle(pilot)
        before = detail.event
        assert before is not None and before.event_id != newest.event_id
        assert before.event_id in shown(main.query_one("#timing-text", Static))
        await pilot.press("2")
        await settle(pilot)
        body = detail.body_view("response")
        assert body is not None and body.raw_body == before.response_body


def _rpc_tab_shown(detail: DetailPane) -> bool:
    return not detail.tabs.get_tab("jsonrpc").has_class("-hidden")


async def test_the_json_rpc_tab_of_an_mcp_message(mcp_store: Path) -> None:
    app = make_app(mcp_store)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        detail = main.query_one(DetailPane)
        assert _rpc_tab_shown(detail)  # the newest exchange is a tools/call
        assert detail.border_title is not None and "tools/call search" in detail.border_title
        await pilot.press("enter")  # the detail, on its request tab
        await settle(pilot)
        assert detail.active == "request" and not main.events.has_focus
        await pilot.press("6")
        await settle(pilot)
        text = shown(main.query_one("#jsonrpc-text", Static))
        assert '"query": "milk"' in text  # the request's params
        assert '"structuredContent"' in text and "Buy milk" in text  # the result
        assert "client → server" in text and "2025-06-18" in text and "5f1c0e7a9b2d4c3e" in text
        assert "+12.2 ms" in text and "+30.5 ms" in text  # the SSE frames with their times
        await pilot.press("escape", "k", "k")  # the server's roots/list, then add_todo isError
        await settle(pilot)
        text = shown(main.query_one("#jsonrpc-text", Static))
        assert "isError: the tool failed" in text and "database locked" in text
        for _ in range(8):
            await pilot.press("k")  # up to the HTTP exchanges, still on the JSON-RPC tab
        await settle(pilot)
        assert detail.event is not None and detail.event.protocol == "http"
        assert _rpc_tab_shown(detail) and detail.active == "jsonrpc"
        assert "Not an MCP message" in shown(main.query_one("#jsonrpc-text", Static))
        await pilot.press("1")  # another tab: an HTTP exchange has no JSON-RPC tab
        await settle(pilot)
        assert not _rpc_tab_shown(detail)


async def test_no_json_rpc_tab_among_http_exchanges(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        detail = app.screen.query_one(DetailPane)
        assert not _rpc_tab_shown(detail)
        await pilot.press("6")  # asked for: it says why it is empty
        await settle(pilot)
        assert detail.active == "jsonrpc"
        assert "Not an MCP message" in shown(app.screen.query_one("#jsonrpc-text", Static))


async def test_the_auth_tab_shows_the_oauth_dance_of_the_selected_exchange_s_client(
    tmp_path: Path,
) -> None:
    db = tmp_path / "dance.db"
    conn = open_store(db, create=True)
    try:
        insert_events(conn, stopped_dance() + chatgpt_dance())
    finally:
        conn.close()
    app = make_app(db)
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        detail = main.query_one(DetailPane)
        await pilot.press("4")
        await settle(pilot)
        assert detail.event is not None and detail.event.event_id == "e13"
        text = shown(main.query_one("#auth-text", Static))
        assert "oauth client  c1" in text
        assert "OAuth dance of client c1 (10 steps)" in text
        steps = [line.split()[1:4] for line in text.splitlines() if line[:3] == "09:"]
        assert steps[:6] == [
            ["challenge", "401", "missing"],
            ["resource-metadata", "200", "-"],
            ["server-metadata", "200", "-"],
            ["register", "201", "ok"],
            ["authorize", "302", "ok"],
            ["token", "200", "ok"],
        ]
        assert steps[6:] == [
            ["calls", "×3", "200"],
            ["refused", "401", "expired"],
            ["refresh", "200", "ok"],
            ["calls", "×2", "200"],
        ]
        assert text.rstrip().endswith("signed in: the calls go through")
        await pilot.press("escape")  # back to the list
        for _ in range(40):  # up to the registration the other client was refused
            if detail.event is not None and detail.event.event_id == "e22":
                break
            await pilot.press("k")
            await settle(pilot, 0.1)
        text = shown(main.query_one("#auth-text", Static))
        assert "OAuth dance, no client known yet (3 steps)" in text
        assert text.rstrip().endswith("stopped at register: 400")
        await pilot.press("j")  # GET /todos: no step of a dance, no timeline
        await settle(pilot)
        text = shown(main.query_one("#auth-text", Static))
        assert detail.event is not None and detail.event.path == "/todos"
        assert "OAuth dance" not in text and "decision" in text


async def test_the_validation_tab_says_which_checks_were_skipped_and_why(tmp_path: Path) -> None:
    db = tmp_path / "skipped.db"
    why = "mcp_unknown_tool: no tools/list seen yet (the proxy's own tools/list failed: HTTP 500)"
    call = replace(mcp_events()[-1], event_id="skipped-call", skipped=[why], violations=[])
    conn = open_store(db, create=True)
    try:
        insert_events(conn, [call])
    finally:
        conn.close()
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        await pilot.press("enter", "3")
        await settle(pilot)
        text = shown(main.query_one("#validation-text", Static))
        assert "Checks skipped (1)" in text and "HTTP 500" in text
        assert "keeps the contract" not in text  # not while a check could not run
