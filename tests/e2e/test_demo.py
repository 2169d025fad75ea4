"""`pluginlab-tui demo --headless`: within seconds, exchanges, verdicts and violations, from the
todo plugin and the board app into one store; `demo --mcp` the app alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from pluginlab_tui.examples import free_port
from pluginlab_tui.store.event import Event
from tests.conftest import stored_events


def demo(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pluginlab_tui", "demo", "--headless", *args],
        capture_output=True,
        text=True,
        timeout=110,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done


def called_tools(events: list[Event]) -> set[str]:
    """The tools named by the tools/call messages in the events' request bodies."""
    tools: set[str] = set()
    for event in events:
        try:
            body: Any = json.loads(event.request_body or "null")
        except ValueError:
            continue
        for message in body if isinstance(body, list) else [body]:
            if isinstance(message, dict) and message.get("method") == "tools/call":
                tools.add(str(message.get("params", {}).get("name")))
    return tools


def test_demo_headless_records_both_examples_with_some_violations(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    listen = f"127.0.0.1:{free_port()}"
    out = demo("--seconds", "5", "--db", str(db), "--listen", listen, "--interval", "0.1").stdout
    first = out.splitlines()[0]
    assert f"store {db}" in first and f"todo plugin behind http://{listen}," in first
    assert "example app behind http://127.0.0.1:" in first
    assert "/todos/" in out and "violation(s)" in out  # one line per exchange
    assert "POST    /mcp" in out
    events = stored_events(db)
    assert {e.source for e in events} == {"simulate"}
    todo = [e for e in events if e.path.startswith("/todos/")]
    app = [e for e in events if e.path == "/mcp"]
    assert len(todo) >= 10 and len(app) >= 10
    assert {"list_cards", "add_card"} <= called_tools(app)
    invalid = [e for e in events if e.violations]
    assert invalid and len(invalid) < len(events)
    codes = {v.code for e in invalid for v in e.violations}
    assert codes & {"invalid_response_body", "undocumented_status"}
    assert f"{len(events)} exchange(s) recorded, {len(invalid)} with violations" in out


def test_demo_mcp_records_the_app_alone_driven_by_the_sdk_client(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    listen = f"127.0.0.1:{free_port()}"
    out = demo(
        "--mcp", "--seconds", "4", "--db", str(db), "--listen", listen, "--interval", "0.05"
    ).stdout
    assert out.splitlines()[0].startswith(
        f"pluginlab-tui demo: example app behind http://{listen}/mcp;"
    )
    assert "POST    /mcp" in out and "/todos/" not in out
    events = stored_events(db)
    assert events and {e.path for e in events} == {"/mcp"}
    assert {e.source for e in events} == {"simulate"}
    assert {e.method for e in events} >= {"POST", "DELETE"}  # sessions opened and ended
    assert called_tools(events) == {"list_cards", "add_card", "move_card", "delete_card"}
    assert f"{len(events)} exchange(s) recorded" in out


def test_demo_store_defaults_to_a_temporary_folder(tmp_path: Path) -> None:
    done = demo("--seconds", "1", "--listen", f"127.0.0.1:{free_port()}", cwd=tmp_path)
    first = done.stdout.splitlines()[0]
    assert "a temporary folder" in first and "pluginlab-demo-" in first
    store = Path(first.split("store ", 1)[1].split(" ", 1)[0])
    assert store.exists()
    assert not (tmp_path / ".pluginlab").exists()
    import shutil

    shutil.rmtree(store.parent)
