"""Snapshots of the main screens at 120x36 on the fixed store (tests/tui/__snapshots__)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.tui.conftest import make_app, settle

SIZE = (120, 36)
Snap = Callable[..., bool]


def _keys(*keys: str) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot, 0.3)

    return run


def test_main_screen(snap_compare: Snap, store: Path) -> None:
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=_keys())


def test_validation_tab(snap_compare: Snap, store: Path) -> None:
    run = _keys("f", *"code:invalid_body", "enter", "3")
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=run)


def test_broken_filter(snap_compare: Snap, store: Path) -> None:
    run = _keys("f", *"status:5xx and (op:addTodo or")
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=run)


def test_highlight_mode(snap_compare: Snap, store: Path) -> None:
    run = _keys("f", *"user:alice", "enter", "H", "k", "k")
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=run)


def test_help_screen(snap_compare: Snap, store: Path) -> None:
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=_keys("f1"))


def test_plugin_versions_diff(snap_compare: Snap, store: Path) -> None:
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=_keys("p", "4"))


def test_stats_screen(snap_compare: Snap, store: Path) -> None:
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=_keys("s"))


def test_jsonrpc_tab(snap_compare: Snap, mcp_store: Path) -> None:
    assert snap_compare(make_app(mcp_store), terminal_size=SIZE, run_before=_keys("6"))
