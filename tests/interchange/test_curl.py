"""Copy as curl: the command, run by a shell, gets the same answer from the live proxy."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pluginlab_tui.cli import main
from pluginlab_tui.examples import Backend
from pluginlab_tui.interchange.curl import curl_command, curl_commands
from pluginlab_tui.replay.request import ReplayRequest
from pluginlab_tui.store.event import Event
from tests.conftest import ProxyFactory, stored_events
from tests.harness import wait_for
from tests.replay.recorded import recorded_call

CURL = shutil.which("curl")
needs_curl = pytest.mark.skipif(CURL is None, reason="curl is not installed on this machine")


def _event(**values: object) -> Event:
    base: dict[str, object] = {
        "event_id": "e1",
        "ts": "2026-11-25T09:00:00.000Z",
        "method": "POST",
        "url": "http://h/todos/a",
        "path": "/todos/a",
        "query": "q=it's%20$HOME",
        "request_headers": [
            ("Host", "h"),
            ("Content-Type", "application/json"),
            ("Authorization", "[redacted]"),
            ("X-Api-Key", "[redacted]"),
            ("X-Quote", 'it\'s "$HOME" `x`'),
        ],
        "request_body": '{"title": "it\'s $HOME"}',
    }
    base.update(values)
    return Event(**base)  # type: ignore[arg-type]


def test_the_command_quotes_everything_and_leaves_a_token_placeholder() -> None:
    command = curl_command(_event(), "http://127.0.0.1:8787", auth_scheme="Basic", multiline=False)
    assert command.startswith(
        "curl -sS -X POST 'http://127.0.0.1:8787/todos/a?q=it'\"'\"'s%20$HOME'"
    )
    assert '-H "Authorization: Basic $PLUGINLAB_TOKEN"' in command
    assert '-H "X-Api-Key: $PLUGINLAB_TOKEN"' in command
    assert "Host:" not in command
    get = curl_command(_event(method="GET", request_body=""), "http://x", multiline=False)
    assert " -X " not in get and "--data" not in get


@needs_curl
def test_the_command_does_what_it_says_in_a_shell(tmp_path: Path) -> None:
    """Run through sh with `echo` in place of curl: the arguments arrive as written."""
    fake = tmp_path / "curl"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n', encoding="utf-8")
    fake.chmod(0o755)
    command = curl_command(_event(), "http://h")
    done = subprocess.run(
        ["sh", "-c", command],
        capture_output=True,
        text=True,
        env={"PATH": f"{tmp_path}:/usr/bin:/bin", "PLUGINLAB_TOKEN": "t0k", "HOME": "/home/x"},
        check=True,
    )
    args = done.stdout.splitlines()
    assert "http://h/todos/a?q=it's%20$HOME" in args
    assert "Authorization: Bearer t0k" in args and "X-Api-Key: t0k" in args
    assert 'X-Quote: it\'s "$HOME" `x`' in args
    assert '{"title": "it\'s $HOME"}' in args


@needs_curl
def test_exported_curl_gets_the_same_answer_from_the_live_proxy(
    start_proxy: ProxyFactory, tmp_path: Path
) -> None:
    proxy = start_proxy()
    with proxy.client() as client:
        client.post("/todos/curl", json={"title": "Grüße ☕"})
        listed = client.get("/todos/curl", params={"status": "open"})
    recorded = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) >= 2 and e)
    command = curl_command(recorded[1], proxy.url)
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == listed.json()
    # `export curl` writes a script of such commands; its POST adds the same todo again.
    script = tmp_path / "calls.sh"
    assert main(["export", "curl", "--config", str(proxy.config), "--filter", "method:POST"]
                + ["-o", str(script)]) == 0  # fmt: skip
    lines = script.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#!/bin/sh" and sum(1 for line in lines if line.startswith("curl")) == 1
    ran = subprocess.run(["sh", str(script)], capture_output=True, text=True, check=True)
    added = json.loads(ran.stdout)
    assert added["title"] == "Grüße ☕" and added["id"] != listed.json()["todos"][0]["id"]


def test_binary_bodies_go_through_base64() -> None:
    request = ReplayRequest("PUT", "/blob", "", [("Content-Type", "application/octet-stream")])
    request.body = b"\x00\xff\x10"
    command = curl_command(request, "http://h", multiline=False)
    assert command.startswith("printf %s AP8Q | base64 -d | curl")
    assert "--data-binary @-" in command


def _answer(output: str) -> dict[str, object]:
    """The JSON-RPC answer in a JSON body or the data line of an SSE stream."""
    text = output.strip()
    if not text.startswith("{"):
        text = next(line[5:] for line in text.splitlines() if line.startswith("data: {"))
    answer: dict[str, object] = json.loads(text)
    return answer


@needs_curl
def test_a_handshake_era_mcp_call_runs_in_a_session_of_its_own(
    app_backend: Backend, tmp_path: Path
) -> None:
    """initialize (the session id taken from its answer's header), the notification, the call,
    the DELETE: run by bash against the real app, the call's answer is printed."""
    recorded = recorded_call("list_cards", {"column": "todo"}, version="2025-06-18")
    script = curl_commands(recorded, app_backend.url)
    flat = script.replace(" \\\n  ", " ")  # each command on one line
    assert flat.startswith("MCP_SESSION=$(curl -sS -X POST")
    assert flat.count("curl -sS") == 4 and '-H "Mcp-Session-Id: $MCP_SESSION"' in flat
    assert "recorded-session-that-ended" not in script
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    answer = _answer(done.stdout)
    assert answer["id"] == 7
    result = answer["result"]
    assert isinstance(result, dict) and not result["isError"]
    columns = [c["column"] for c in result["structuredContent"]["cards"]]
    assert columns and set(columns) == {"todo"}  # the shared app may hold other tests' cards


@needs_curl
def test_a_stateless_mcp_call_is_one_command(app_backend: Backend) -> None:
    recorded = recorded_call("list_cards", version="2026-07-28")
    command = curl_commands(recorded, app_backend.url)
    assert command.count("curl") == 1 and "Mcp-Session-Id" not in command
    assert "-H 'Mcp-Name: list_cards'" in command
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=True)
    answer = _answer(done.stdout)
    assert answer["id"] == 7 and "structuredContent" in answer["result"]  # type: ignore[operator]
