"""`pluginlab-tui demo`: the board app's fault switch, and its traffic signing in when the app's
proxy asks for OAuth (the whole demo runs in tests/e2e/test_demo.py)."""

from __future__ import annotations

from pathlib import Path

from pluginlab_tui.commands.demo import APP_FAULT_HEADER, AppTraffic, app_faults
from pluginlab_tui.examples import Backend
from tests.conftest import stored_events
from tests.harness import wait_for
from tests.simulate.test_app_signin import oauth_proxy


def test_every_nth_step_asks_for_the_next_fault_of_its_method() -> None:
    fault = app_faults(2)
    steps = ["tools/list", "tools/list", "resources/list", "resources/list", "tools/call"]
    steps += ["tools/call", "tools/call", "tools/call", "tools/list", "tools/list"]
    asked = [fault(step, None).get(APP_FAULT_HEADER) for step in steps]
    # steps 2, 4, 6, 8, 10: resources/list has no fault, tools/call and tools/list take turns
    assert asked == [None, "unlisted_tool", None, None, None] + [
        "bad_structured",
        None,
        "undeclared_error",
        None,
        "catalogue_v2",
    ]


def test_no_fault_when_the_switch_is_off() -> None:
    fault = app_faults(0)
    assert [fault("tools/call", "add_card") for _ in range(5)] == [{}] * 5


def test_the_app_traffic_signs_in_when_the_app_s_proxy_asks_for_oauth(tmp_path: Path) -> None:
    with Backend("app") as board:  # its own: the traffic may stop between adding and deleting
        _signs_in(tmp_path, board)


def _signs_in(tmp_path: Path, board: Backend) -> None:
    proxy = oauth_proxy(tmp_path, board.url, auto_approve="alice")
    traffic = AppTraffic(proxy.url, proxy.db, interval=0.0, fault_every=0).start()
    try:
        calls = wait_for(
            lambda: [e for e in stored_events(proxy.db) if e.tool == "delete_card"] or None
        )
    finally:
        traffic.stop()
        proxy.stop()
    assert traffic.error is None
    assert calls and {(e.source, e.user_id, e.auth_result) for e in calls} == {
        ("simulate", "alice", "ok")
    }
    steps = [e.path for e in stored_events(proxy.db)][:5]
    assert steps == [
        "/mcp",
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-authorization-server",
        "/_pluginlab/oauth/register",
        "/_pluginlab/oauth/authorize",
    ]
