"""Replay and export of MCP traffic end to end: the real proxy in front of the example app, the
official SDK client calling a tool, then `replay --compare` and `export curl` of that call."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from pluginlab_tui.cli import main
from pluginlab_tui.examples import Backend
from pluginlab_tui.store.event import Event
from tests.conftest import stored_events
from tests.e2e.test_mcp_mode import Proxy
from tests.harness import wait_for, write_config

#: The SDK client's modes: the stateless era (2026-07-28), and a handshake-era session.
MODES = ["auto", "legacy"]


@pytest.fixture
def proxy(tmp_path: Path, app_backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[Proxy]:
    monkeypatch.chdir(tmp_path)
    write_config(
        tmp_path,
        {
            "mcp": {"endpoint": "/mcp"},
            "proxy": {"backend": app_backend.url},
            "store": {"path": str(tmp_path / ".pluginlab" / "events.db")},
        },
    )
    with Proxy(tmp_path, "--config", "pluginlab.toml") as running:
        yield running


async def _list_cards(url: str, mode: str) -> None:
    async with httpx2.AsyncClient() as http:
        async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:
            listed = await client.call_tool("list_cards", {})
            assert not listed.is_error and listed.structured_content is not None


def _is_call(event: Event) -> bool:
    return event.method == "POST" and '"tools/call"' in (event.request_body or "")


def recorded_call(proxy: Proxy, mode: str) -> Event:
    """The tools/call event of a list_cards call by the official client through the proxy."""
    anyio.run(_list_cards, proxy.url + "/mcp", mode)
    found: list[Event] | None = wait_for(
        lambda: [e for e in stored_events(proxy.db) if _is_call(e)]
    )
    assert found, "the tools/call was not recorded"
    return found[0]


def _replays(proxy: Proxy, count: int) -> list[Event]:
    found = wait_for(
        lambda: (
            (e := [e for e in stored_events(proxy.db) if e.source == "replay"])
            and len(e) >= count
            and e
        )
    )
    assert found, f"fewer than {count} replayed exchanges recorded"
    return list(found)


def _replay(proxy: Proxy, *args: str) -> int:
    return main(["replay", "--config", "pluginlab.toml", "--proxy", proxy.url, *args])


@pytest.mark.parametrize("mode", MODES)
def test_a_recorded_tool_call_replays_the_same_and_is_recorded_as_a_replay(
    proxy: Proxy, mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    original = recorded_call(proxy, mode)
    capsys.readouterr()
    assert _replay(proxy, "--compare", original.event_id) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "tools/call" in out and "differs" not in out
    # the handshake era opens a session first: initialize, the notification, the call, DELETE
    replayed = _replays(proxy, 1 if mode == "auto" else 4)
    (call,) = [e for e in replayed if e.replay_of == original.event_id]
    assert _is_call(call) and call.status == 200
    assert json.loads(call.request_body or "")["params"]["name"] == "list_cards"
    if mode == "legacy":
        opening = [e for e in replayed if '"initialize"' in (e.request_body or "")]
        assert opening and all(e.replay_of is None for e in opening)
        assert any(e.method == "DELETE" for e in replayed)


def test_straight_to_the_app_the_call_is_compared_not_checked(
    proxy: Proxy, app_backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    original = recorded_call(proxy, "legacy")
    capsys.readouterr()
    target = ["--target", app_backend.url, "--compare", original.event_id]
    assert _replay(proxy, *target) == 0
    captured = capsys.readouterr()
    assert "MCP answers are checked only through the proxy" in captured.err
    assert "cannot read the spec" not in captured.err
    assert "not checked" in captured.out and "differs" not in captured.out
    assert not [e for e in stored_events(proxy.db) if e.source == "replay"]


@pytest.mark.parametrize(
    ("mode", "fault", "where"),
    [
        ("legacy", "bad_structured", "$.result.structuredContent.count"),
        ("auto", "undeclared_error", "$.error"),
    ],
)
def test_with_a_fault_switched_on_the_compare_reports_the_difference(
    proxy: Proxy,
    mode: str,
    fault: str,
    where: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`replay --edit --compare`: the editor adds the app's X-App-Fault header to the call."""
    original = recorded_call(proxy, mode)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"sed -i '/^POST /a X-App-Fault: {fault}'")
    capsys.readouterr()
    assert _replay(proxy, "--edit", "--compare", original.event_id) == 1
    out = capsys.readouterr().out
    assert "differs" in out and where in out
    (call,) = [e for e in _replays(proxy, 1) if e.replay_of == original.event_id]
    assert ("X-App-Fault", fault) in call.request_headers


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed on this machine")
@pytest.mark.parametrize("mode", MODES)
def test_the_exported_curl_of_a_tool_call_runs_through_the_proxy(
    proxy: Proxy, mode: str, tmp_path: Path
) -> None:
    recorded_call(proxy, mode)
    script = tmp_path / "calls.sh"
    exported = main(["export", "curl", "--config", "pluginlab.toml", "--base-url", proxy.url]
                    + ["--filter", 'body:"tools/call"', "-o", str(script)])  # fmt: skip
    assert exported == 0
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=True)
    text = done.stdout.strip()
    if not text.startswith("{"):  # an SSE answer: its data line
        text = next(line[5:] for line in text.splitlines() if line.startswith("data: {"))
    answer = json.loads(text)
    assert answer["result"]["structuredContent"]["count"] >= 2
    assert not answer["result"]["isError"]
