"""The plugin panel: manifest, spec, lint findings, and a diff between any two versions."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Select, Static, TabbedContent

from pluginlab_tui.store import versions
from pluginlab_tui.store.database import open_store
from pluginlab_tui.tui.screens.plugin import PluginScreen
from tests.tui.conftest import make_app, settle, shown


async def test_versions_diff_between_any_two(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("p")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PluginScreen)
        await pilot.press("4")
        assert screen.query_one(TabbedContent).active == "versions"
        diff = screen.query_one("#diff-text", Static)
        text = shown(diff)
        assert "Version 1 → 2" in text and "1 breaking" in text
        assert "property 'due' is now required" in text
        screen.query_one("#diff-from", Select).value = 2
        await settle(pilot)
        assert "Version 2 → 2" in shown(diff) and "0 spec change" in shown(diff)


async def test_manifest_spec_and_lint(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("p")
        await settle(pilot)
        screen = app.screen
        assert "name_for_model" in shown(screen.query_one("#manifest-text", Static))
        assert "operationId: addTodo" in shown(screen.query_one("#spec-text", Static))
        # the newest version (2) has no findings; a new lint of it shows up by itself
        assert "no findings" in shown(screen.query_one("#lint-text", Static))
        conn = open_store(store)
        record = versions.latest(conn)
        assert record is not None and record.spec_hash is not None and record.spec_text is not None
        versions.register(
            conn,
            manifest_hash=record.manifest_hash,
            spec_hash=record.spec_hash,
            manifest_text=record.manifest_text,
            spec_text=record.spec_text,
            lint_summary={"warning": 1},
            lint_findings=[
                {
                    "rule": "x-rule",
                    "severity": "warning",
                    "file": "openapi.yaml",
                    "line": 3,
                    "column": 1,
                    "pointer": "",
                    "message": "a new finding",
                }
            ],
        )
        await settle(pilot, 1.3)
        assert "a new finding" in shown(screen.query_one("#lint-text", Static))


async def test_the_prompt_tab_shows_the_models_view_with_its_size(store: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("p")
        await settle(pilot)
        screen = app.screen
        await pilot.press("5")
        assert screen.query_one(TabbedContent).active == "prompt"
        text = shown(screen.query_one("#prompt-text", Static))
        assert "The model's view:" in text and "characters" in text and "tokens" in text
        assert "namespace" in text and "addTodo" in text
