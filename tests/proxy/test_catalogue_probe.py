"""The proxy's own tools/list, through the real proxy in front of an official-SDK server: a
tools/call before any tools/list is checked against the tools the proxy listed itself (once per
session), and where the listing cannot be made the event says which checks were skipped and why.
The server keeps the methods it was sent, so a test proves what the proxy did (not) send."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pluginlab_tui.cli import main
from tests.conftest import stored_events
from tests.e2e.test_mcp_checks import ERAS, Wire, codes, stored
from tests.e2e.test_mcp_mode import Proxy
from tests.mcp.servers import http_app, serving, widget_server, with_header_faults

#: The proxy's proxy.timeout_s here: under the server's SLOW_LIST_S.
TIMEOUT_S = 1


@contextmanager
def proxied(
    folder: Path, monkeypatch: pytest.MonkeyPatch, *flags: str
) -> Iterator[tuple[Proxy, list[str]]]:
    """A fresh proxy (no catalogue seen) in front of the widget server; the server's log."""
    seen: list[str] = []
    monkeypatch.chdir(folder)
    env = {"PLUGINLAB_PROXY__TIMEOUT_S": str(TIMEOUT_S)}
    with serving(http_app(with_header_faults(widget_server(), seen))) as base:
        with Proxy(folder, *flags, "--mcp", "/mcp", "--backend", base, env=env) as proxy:
            yield proxy, seen


def weather(wire: Wire, city: str = "Lyon", **headers: str) -> str:
    return wire.send(
        "tools/call", {"name": "get_weather", "arguments": {"city": city}}, headers=headers
    )


def notices(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [str(m) for (m,) in conn.execute("SELECT message FROM notices WHERE kind = 'mcp'")]
    finally:
        conn.close()


@pytest.mark.parametrize("era", ERAS)
def test_a_call_before_any_tools_list_is_checked_against_the_tools_the_proxy_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, era: str
) -> None:
    with proxied(tmp_path, monkeypatch) as (proxy, seen), Wire(proxy, era) as wire:
        unknown = wire.send("tools/call", {"name": "no_such_tool", "arguments": {}})
        known = weather(wire)
        flagged, passed = stored(proxy, unknown), stored(proxy, known)
    assert codes(flagged) == {"mcp_unknown_tool"} and flagged.skipped == []
    assert passed.violations == [] and passed.skipped == []  # its structuredContent was checked
    assert flagged.version is not None and passed.version == flagged.version
    # once, before the first call, in the caller's session
    assert seen.count("tools/list") == 1
    assert seen.index("tools/list") < seen.index("tools/call")
    told = [n for n in notices(proxy.db) if "the proxy listed the server's tools itself" in n]
    assert len(told) == 1 and "(2 tools)" in told[0]
    if era == "handshake":
        assert f"in session {wire.session}" in told[0]


@pytest.mark.parametrize(
    ("fault", "why"),
    [
        ("tools_error", "the server answered JSON-RPC error -32000"),
        ("tools_invalid", "the tools/list result is not valid: tools"),
        ("tools_slow", f"did not answer the proxy's tools/list within {TIMEOUT_S} s"),
    ],
)
@pytest.mark.parametrize("era", ERAS)
def test_where_the_proxy_cannot_list_the_tools_the_event_says_what_was_skipped_and_why(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    era: str,
    fault: str,
    why: str,
) -> None:
    with proxied(tmp_path, monkeypatch) as (proxy, seen), Wire(proxy, era) as wire:
        first = stored(proxy, weather(wire, **{"X-Test-Fault": fault}))
        # stateless: a session header is the caller's word, and makes no new session to try
        made_up = {"Mcp-Session-Id": "made-up"} if era == "stateless" else {}
        again = stored(proxy, weather(wire, "Oslo", **{"X-Test-Fault": fault}, **made_up))
    assert first.violations == [] and first.status == 200
    (skipped,) = [s for s in first.skipped if s.startswith("mcp_unknown_tool: ")]
    assert "no tools/list seen yet" in skipped and why in skipped
    assert any(s.startswith("mcp_invalid_structured_content: ") for s in first.skipped)
    # tried once for the session: the second call says so, and nothing more was sent
    assert any("tried once for this session" in s and why in s for s in again.skipped)
    assert seen.count("tools/list") == 1 and seen.count("tools/call") >= 1
    # `events --format json` shows it
    assert main(["events", "--db", str(proxy.db), "--format", "json"]) == 0
    shown = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (listed,) = [e for e in shown if e["event_id"] == first.event_id]
    assert listed["skipped"] == first.skipped


def test_a_call_that_breaks_the_contract_is_not_listed_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with proxied(tmp_path, monkeypatch) as (proxy, seen), Wire(proxy, "handshake") as wire:
        stranger = weather(wire, **{"Mcp-Session-Id": "not-a-session"})
        event = stored(proxy, stranger)
    assert codes(event) == {"mcp_session"}
    assert event.skipped == ["mcp_unknown_tool: no tools/list seen yet"]
    assert "tools/list" not in seen


def test_in_strict_mode_an_unknown_tool_before_any_list_is_refused_and_never_called(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with proxied(tmp_path, monkeypatch, "--strict") as (proxy, seen), Wire(proxy, "handshake") as w:
        body = w.body("tools/call", {"name": "no_such_tool", "arguments": {}})
        answer = w.http.post("/mcp", json=body, headers=w.headers(body))
        w.sent.append(answer.headers["X-PluginLab-Event-Id"])
    assert answer.json()["error"]["code"] == -32602
    assert "mcp_unknown_tool" in answer.json()["error"]["message"]
    assert seen.count("tools/list") == 1 and "tools/call" not in seen
    (event,) = [e for e in stored_events(proxy.db) if e.rpc_method == "tools/call"]
    assert codes(event) == {"mcp_unknown_tool"}
