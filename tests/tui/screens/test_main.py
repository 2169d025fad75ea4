"""The main screen: filter, follow, selection, tabs, marks and comments, with Pilot."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static, TabbedContent

from pluginlab_tui.tui.screens.comment import CommentScreen
from pluginlab_tui.tui.screens.main import MainScreen
from pluginlab_tui.tui.widgets.detail import DetailPane
from pluginlab_tui.tui.widgets.event_list import EventList
from pluginlab_tui.tui.widgets.filter_bar import FilterBar
from tests.tui.conftest import burst, fill, make_app, settle, shown


def _main(app: object) -> MainScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, MainScreen)
    return screen


def _text(widget: Static) -> str:
    return shown(widget)


async def test_opens_on_the_newest_exchange_following(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = _main(app)
        events = main.query_one(EventList)
        assert events.has_focus and events.follow
        assert events.cursor == 39
        assert main.detail.event is not None and main.detail.event.event_id.endswith("39")
        assert "40 exchanges" in _text(main.query_one("#status-line", Static))


async def test_valid_filter_hides_the_rest(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f", *"status:5xx", "enter")
        await settle(pilot)
        main = _main(app)
        assert main.rows.total == 4
        assert all(main.rows.row(i).status == 500 for i in range(4))  # type: ignore[union-attr]
        assert "4 exchanges matching the filter" in _text(main.query_one("#status-line", Static))
        assert main.query_one(EventList).has_focus


async def test_a_filter_typed_in_one_burst_lands_in_the_filter(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """f and the filter behind it in one burst (a slow link to the web view): every letter goes
    to the filter, none to the list's keys (x would export, m mark, r replay)."""
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await burst(pilot, "f", *"status:5xx or marked", "enter")
        main = _main(app)
        assert main.query_one("#filter-input", Input).value == "status:5xx or marked"
        rows = [main.rows.row(i) for i in range(main.rows.total)]
        assert [row.status for row in rows if row] == [500] * 4
        assert not any(row.marked for row in rows if row)
        assert main.query_one(EventList).has_focus
    assert list((tmp_path / "cwd").iterdir()) == []  # no HAR written by a stray x


async def test_the_filter_s_own_keys_run_in_turn_with_the_letters(store: Path) -> None:
    """home and ctrl+k between letters, in one burst, act where they were typed (Textual runs a
    binding once its key has bubbled up to the app: a letter behind it went in first, #6605)."""
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await burst(pilot, *"ab", "home", "ctrl+k", "c", "left", "d")
        assert _main(app).query_one("#filter-input", Input).value == "dc"


async def test_a_comment_typed_in_one_burst_behind_c_is_saved(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await burst(pilot, "c", *"flaky", "backspace", "e", "enter")
        main = _main(app)
        assert main.detail.event is not None and main.detail.event.comment == "flake"
        assert main.query_one("#filter-input", Input).value == ""


async def test_broken_filter_shows_where_and_changes_nothing(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f", *"status:5xx or (", "enter")
        await settle(pilot)
        main = _main(app)
        error = main.query_one("#filter-error", Static)
        assert error.display
        text = _text(error)
        assert "^" in text and "'('" in text
        # the caret sits under the '(' (prompt of 7 + 1, then position 14)
        assert text.index("^") == len("filter ") + 1 + len("status:5xx or ")
        assert main.rows.total == 40
        assert main.query_one(FilterBar).has_class("-error")
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        await settle(pilot)
        assert not error.display


async def test_filter_history_and_toggle(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f", *"user:alice", "enter")
        await pilot.press("f", "ctrl+u", *"method:POST", "enter")
        await settle(pilot)
        main = _main(app)
        posts = main.rows.total
        assert posts < 40
        await pilot.press("t")  # off: everything again, the text kept
        await settle(pilot)
        assert main.rows.total == 40
        assert main.query_one("#filter-input", Input).value == "method:POST"
        await pilot.press("t")
        await settle(pilot)
        assert main.rows.total == posts
        await pilot.press("f", "up")
        assert main.query_one("#filter-input", Input).value == "method:POST"
        await pilot.press("up")
        assert main.query_one("#filter-input", Input).value == "user:alice"
        await pilot.press("down", "down")
        assert main.query_one("#filter-input", Input).value == "method:POST"
        await pilot.press("escape")
        assert main.query_one(EventList).has_focus


async def test_highlight_mode_keeps_every_row(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f", *"user:alice", "enter", "H")
        await settle(pilot)
        main = _main(app)
        assert main.rows.total == 40
        hits = [main.rows.row(i) for i in range(40)]
        assert sum(1 for r in hits if r and r.hit) == 14
        assert "highlight" in _text(main.query_one("#filter-mode", Static))
        await pilot.press("H")
        await settle(pilot)
        assert main.rows.total == 14


async def test_follow_toggle_and_pending_count(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = _main(app)
        events = main.query_one(EventList)
        await pilot.press("F")
        assert not events.follow
        fill(store, count=3, start=40)
        await settle(pilot, 0.3)
        assert events.pending == 3 and events.cursor == 39
        assert "▼ 3 new" in _text(main.query_one("#status-line", Static))
        await pilot.press("F")
        await settle(pilot)
        assert events.follow and events.pending == 0 and events.cursor == 42
        fill(store, count=2, start=43)
        await settle(pilot, 0.3)
        assert events.cursor == 44
        assert main.detail.event is not None and main.detail.event.event_id.endswith("44")


async def test_moving_up_stops_following_and_selects(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("k", "k", "k")
        await settle(pilot)
        main = _main(app)
        events = main.query_one(EventList)
        assert not events.follow and events.cursor == 36
        assert main.detail.event is not None and main.detail.event.event_id.endswith("36")
        await pilot.press("g")
        await settle(pilot)
        assert events.cursor == 0
        assert main.detail.event is not None and main.detail.event.event_id.endswith("00")
        await pilot.press("G")
        await settle(pilot)
        assert events.follow and events.cursor == 39


async def test_tabs_by_number_and_validation_content(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f", *"code:invalid_body", "enter")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        main = _main(app)
        assert main.query_one(TabbedContent).active == "validation"
        text = _text(main.query_one("#validation-text", Static))
        assert "invalid_body" in text and "body/title" in text
        assert "schema at #/components/schemas/NewTodo/properties/title" in text
        assert "type: string" in text
        for key, tab in (("1", "request"), ("2", "response"), ("4", "auth"), ("5", "timing")):
            await pilot.press(key)
            await settle(pilot)
            assert main.query_one(TabbedContent).active == tab
        assert "decision" in _text(main.query_one("#auth-text", Static))
        await pilot.press("escape")
        assert main.query_one(EventList).has_focus


async def test_mark_and_comment(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        main = _main(app)
        row = main.rows.row(39)
        assert row is not None and row.marked
        assert main.detail.event is not None and main.detail.event.marked
        await pilot.press("c")
        assert isinstance(app.screen, CommentScreen)
        await pilot.press(*"flaky", "enter")
        await settle(pilot)
        assert main.detail.event is not None and main.detail.event.comment == "flaky"
        await pilot.press("f", *"marked", "enter")
        await settle(pilot)
        assert main.rows.total == 1
        await pilot.press("m")  # unmarked: it leaves the marked list
        await settle(pilot)
        assert main.rows.total == 0
        assert main.query_one(DetailPane).event is None


async def test_stats_and_plugin_screens_open_and_close(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await settle(pilot)
        assert type(app.screen).__name__ == "StatsScreen"
        await pilot.press("escape", "p")
        await settle(pilot)
        assert type(app.screen).__name__ == "PluginScreen"
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_the_screen_reads_its_settings_and_one_view_model(store: Path) -> None:
    app = make_app(store, note="read-only")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = _main(app)
        assert main.settings.note == "read-only" and main.settings.poll_interval == 0.05
        assert "read-only" in _text(main.query_one("#status-line", Static))
        assert main.settings.config is None and not main.check_action("replay", ())
        # the list and the filter prompt draw the screen's model, not copies of it
        assert main.query_one(EventList).model is main.model
        assert main.query_one(FilterBar).model is main.model
        await pilot.press("f", *"user:alice", "enter", "H")
        await settle(pilot)
        assert main.model.mode == "highlight"
        assert "highlight" in _text(main.query_one("#filter-mode", Static))
        await pilot.press("t")
        await settle(pilot)
        assert main.model.mode == "off" and main.rows.total == 40
        assert "off" in _text(main.query_one("#filter-mode", Static))
