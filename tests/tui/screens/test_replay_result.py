"""Edit and replay (E): $EDITOR edits the request, the proxy answers, the diff is shown."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from textual.widgets import Static

from pluginlab_tui.config import load_config
from pluginlab_tui.tui.data import ReplayOutcome
from pluginlab_tui.tui.screens.main import MainScreen
from pluginlab_tui.tui.screens.replay_result import ReplayResultScreen, outcome_text
from tests.conftest import ProxyFactory
from tests.tui.conftest import make_app, settle, shown


def _editor(tmp_path: Path, script: str) -> str:
    path = tmp_path / "editor.sh"
    path.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


async def test_edit_and_replay_through_the_proxy(
    start_proxy: ProxyFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = start_proxy()
    with httpx.Client(base_url=proxy.url, trust_env=False, timeout=30) as client:
        assert client.post("/todos/tui", json={"title": "Buy milk"}).status_code == 201
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", _editor(tmp_path, "sed -i 's/Buy milk/Buy bread/' \"$1\""))
    app = make_app(proxy.db, config=load_config(proxy.config))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot, 0.4)
        main = app.screen
        assert isinstance(main, MainScreen)
        assert main.detail.event is not None and main.detail.event.request_body is not None
        assert "Buy milk" in main.detail.event.request_body
        await pilot.press("E")
        for _ in range(100):
            await settle(pilot, 0.1)
            if isinstance(app.screen, ReplayResultScreen):
                break
        assert isinstance(app.screen, ReplayResultScreen), [n.message for n in app._notifications]
        outcome = app.screen.outcome
        assert outcome.error is None and outcome.status == 201 and outcome.original_status == 201
        assert outcome.request_line == "POST /todos/tui"
        assert any("Buy bread" in line and "Buy milk" in line for line in outcome.diff)
        text = shown(app.screen.query_one("#replay-text", Static))
        assert "keeps the contract" in text and "Buy bread" in text
        await pilot.press("escape")
        assert app.screen is main  # type: ignore[comparison-overlap]  # mypy kept the narrowing
        # the replay was recorded by the proxy: the list takes it in
        await settle(pilot, 0.5)
        newest = main.rows.row(main.rows.total - 1)
        assert newest is not None and main.rows.total == 2
        recorded = main.data.event(newest.id)
        assert recorded is not None and recorded.source == "replay"
        assert recorded.request_body is not None and "Buy bread" in recorded.request_body


async def test_a_broken_edit_is_not_sent(
    start_proxy: ProxyFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = start_proxy()
    with httpx.Client(base_url=proxy.url, trust_env=False, timeout=30) as client:
        assert client.get("/todos/tui").status_code == 200
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", _editor(tmp_path, "printf 'not a request\\n' > \"$1\""))
    app = make_app(proxy.db, config=load_config(proxy.config))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot, 0.4)
        await pilot.press("E")
        await settle(pilot, 0.3)
        assert isinstance(app.screen, MainScreen)
        assert any("not sent" in n.message and "line 1" in n.message for n in app._notifications)
        assert app.screen.rows.total == 1


async def test_edit_and_replay_is_offered_only_with_a_proxy(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        assert not main.check_action("edit_replay", ())
        await pilot.press("E")
        await settle(pilot)
        assert app.screen is main


def test_outcome_text_names_the_changes_and_violations() -> None:
    outcome = ReplayOutcome(
        "POST /todos",
        422,
        201,
        12.0,
        ["invalid_body at body/title: 42 is not of type 'string'"],
        ["~ status: 201 -> 422"],
    )
    text = outcome_text(outcome).plain
    assert "422 in 12 ms" in text and "the original: 201" in text
    assert "1 violation(s)" in text and "~ status: 201 -> 422" in text
