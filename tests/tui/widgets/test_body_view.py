"""Body view: `/` search with n and N, raw and pretty, the pager hand-off."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from pluginlab_tui.tui.widgets.body_view import BodySearch, BodyView
from tests.tui.conftest import burst, make_app, settle, shown


async def test_search_in_a_body_with_n_and_previous(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("k")  # exchange 38: {"todos": [{... "done": false}], "count": 1}
        await settle(pilot)
        await pilot.press("2")
        view = app.screen.query_one("#response-body", BodyView)
        await pilot.press("slash")
        assert view.query_one(BodySearch).has_focus
        await pilot.press(*"o", "enter")
        await settle(pilot)
        assert len(view.hits) > 2 and view.hit == 0
        status = view.query_one(".body-status", Static)
        assert f"1 of {len(view.hits)}" in shown(status)
        await pilot.press("n", "n")
        assert view.hit == 2
        await pilot.press("N")
        assert view.hit == 1
        await pilot.press("N", "N")
        assert view.hit == len(view.hits) - 1  # wraps around
        await pilot.press("slash", "ctrl+u", *"nowhere", "enter")
        await settle(pilot)
        assert view.hits == [] and "not found" in shown(status)


async def test_a_search_typed_in_one_burst_lands_in_the_search(store: Path) -> None:
    """/ and the needle behind it in one burst (a slow link to the web view): every letter goes
    to the search, f and / among them (keys of their own elsewhere)."""
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("k")
        await settle(pilot)
        await pilot.press("2")
        view = app.screen.query_one("#response-body", BodyView)
        await burst(pilot, "slash", *"false", "enter")
        assert view.needle == "false" and len(view.hits) == 1
        await burst(pilot, "slash", "ctrl+u", *"a/f", "enter")
        assert view.needle == "a/f" and view.hits == []


async def test_raw_and_pretty(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        view = app.screen.query_one("#response-body", BodyView)
        assert view.shown.language == "json" and "\n" in view.shown.text
        await pilot.press("v")
        assert "\n" not in view.shown.text and view.shown.text == view.raw_body
        await pilot.press("v")
        assert "\n" in view.shown.text


async def test_pager_without_a_terminal_says_so(store: Path) -> None:
    app = make_app(
        store,
    )
    messages: list[str] = []
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("2", "o")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
    assert any("$PAGER" in m for m in messages)
