"""The catalogue screen, with Pilot over a real store holding two catalogue versions."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Select, Static, TabbedContent

from pluginlab_tui.config import load_config
from pluginlab_tui.mcp.catalogue import Catalogue
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.queries import add_notice
from pluginlab_tui.tui.app import PluginLabApp
from pluginlab_tui.tui.screens.catalogue import CatalogueScreen
from pluginlab_tui.tui.screens.main import MainScreen
from tests.tui.conftest import TOOLS, add_catalogue, board, make_app, settle, shown


async def _open(app: PluginLabApp, pilot: object) -> CatalogueScreen:
    await pilot.press("C")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, CatalogueScreen)
    return screen


def _text(screen: CatalogueScreen, name: str) -> str:
    return shown(screen.query_one(f"#catalogue-{name}", Static))


async def test_it_lists_the_tools_of_the_newest_version(catalogue_store: Path) -> None:
    app = make_app(catalogue_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot)
        assert screen.query_one(TabbedContent).active == "tools"
        tools = _text(screen, "tools")
        assert "Version 4 (newest)" in tools
        assert "2 tools, 1 resource, 1 template, 1 prompt" in tools
        assert "list_cards  List cards" in tools and "add_card" in tools
        assert "delete_card" not in tools
        assert "readOnlyHint=true, destructiveHint=false, openWorldHint=false" in tools
        assert "widget template: ui://board/board.html" in tools
        assert "inputSchema" in tools and "outputSchema" in tools and '"minLength": 1' in tools


async def test_the_diff_shows_a_removed_tool_as_breaking(catalogue_store: Path) -> None:
    app = make_app(catalogue_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("5")
        assert screen.query_one(TabbedContent).active == "versions"
        diff = _text(screen, "diff")
        assert "Version 3 → 4" in diff and "1 catalogue change(s), 1 breaking" in diff
        (row,) = [line for line in diff.splitlines() if "delete_card" in line]
        assert row.split()[0] == "breaking" and "tool 'delete_card' was removed" in row
        listed = _text(screen, "versions")
        assert [line.split()[0] for line in listed.splitlines() if "│" in line] == ["4", "3"]
        assert "3 tools, 1 resource" in listed and "2 tools, 1 resource" in listed
        # the older version, picked: the tabs show it, and it is the first one
        screen.query_one("#catalogue-version", Select).value = 3
        await settle(pilot)
        assert "the first catalogue version" in _text(screen, "diff")
        tools = _text(screen, "tools")
        assert "Version 3," in tools and "delete_card" in tools
        assert "annotations: destructiveHint=true" in tools


async def test_resources_templates_prompts_and_lint(catalogue_store: Path) -> None:
    # version 5: the widget no longer listed nor read, which the checks find
    unlisted = board(TOOLS[:2]).with_list("resources/list", None, {"resources": []})
    add_catalogue(catalogue_store, Catalogue(unlisted.lists))
    app = make_app(catalogue_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("2")
        resources = _text(screen, "resources")
        assert "Version 5 (newest)" in resources and "0 resources" in resources
        assert "board://cards/{card_id}" in resources and "application/json" in resources
        await pilot.press("3")
        assert "triage(column*, tone)" in _text(screen, "prompts")
        await pilot.press("4")
        lint = _text(screen, "lint")
        assert "Lint of version 5: 2 error" in lint
        assert lint.count("apps_template_missing") == 2 and "tools/list_cards/_meta" in lint
        await pilot.press("5")
        diff = _text(screen, "diff")
        assert "Version 4 → 5" in diff and "resource 'ui://board/board.html' was removed" in diff
        # version 4, picked: its widget listed and read
        screen.query_one("#catalogue-version", Select).value = 4
        await settle(pilot)
        resources = _text(screen, "resources")
        (row,) = [line for line in resources.splitlines() if "ui://board/board.html" in line]
        assert "text/html;profile=mcp-app" in row and "7 bytes, sha256 " in row


async def test_a_new_version_and_a_notice_show_up_while_it_is_open(catalogue_store: Path) -> None:
    app = make_app(catalogue_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot)
        assert "Version 4 (newest)" in _text(screen, "tools")
        add_catalogue(catalogue_store, board(TOOLS))
        conn = open_store(catalogue_store)
        add_notice(
            conn,
            "2026-11-25T09:01:00.000Z",
            "catalogue",
            "session s1 listed tools at version 4; the catalogue is now version 5",
        )
        conn.close()
        await settle(pilot, 1.3)
        assert "Version 5 (newest)" in _text(screen, "tools")
        assert "delete_card" in _text(screen, "tools")
        assert "Version 4 → 5" in _text(screen, "diff")
        notices = _text(screen, "notices")
        assert "session s1 listed tools at version 4" in notices
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


def _footer_keys(app: PluginLabApp) -> dict[str, bool]:
    return {b.binding.action: b.enabled for b in app.screen.active_bindings.values()}


async def test_the_key_is_there_only_with_catalogue_versions_or_in_mcp_mode(
    store: Path, tmp_path: Path
) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "catalogue" not in _footer_keys(app) and "plugin" in _footer_keys(app)
        await pilot.press("C")
        assert isinstance(app.screen, MainScreen)
        add_catalogue(store, board(TOOLS))
        await settle(pilot, 0.3)
        assert _footer_keys(app)["catalogue"] is True
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, CatalogueScreen)
    empty = tmp_path / "empty.db"
    open_store(empty, create=True).close()
    config = load_config(None, {"mcp.endpoint": "/mcp"})
    app = make_app(empty, config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert _footer_keys(app)["catalogue"] is True
        screen = await _open(app, pilot)
        assert "No catalogue version recorded yet" in _text(screen, "tools")
