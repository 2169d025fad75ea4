"""`pluginlab-tui demo --headless`: within seconds, exchanges, verdicts and violations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pluginlab_tui.examples import free_port
from tests.conftest import stored_events


def test_demo_headless_records_traffic_with_some_violations(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    listen = f"127.0.0.1:{free_port()}"
    done = subprocess.run(
        [sys.executable, "-m", "pluginlab_tui", "demo", "--headless", "--seconds", "5"]
        + ["--db", str(db), "--listen", listen, "--interval", "0.1"],
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    out = done.stdout
    assert f"store {db}" in out and f"http://{listen}" in out
    assert "/todos/" in out and "violation(s)" in out  # one line per exchange
    events = stored_events(db)
    assert len(events) >= 10
    assert {e.source for e in events} == {"simulate"}
    invalid = [e for e in events if e.violations]
    assert invalid and len(invalid) < len(events)
    codes = {v.code for e in invalid for v in e.violations}
    assert codes & {"invalid_response_body", "undocumented_status"}
    assert f"{len(events)} exchange(s) recorded, {len(invalid)} with violations" in out


def test_demo_store_defaults_to_a_temporary_folder(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pluginlab_tui", "demo", "--headless", "--seconds", "1"]
        + ["--listen", f"127.0.0.1:{free_port()}"],
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert "a temporary folder" in first and "pluginlab-demo-" in first
    store = Path(first.split("store ", 1)[1].split(" ", 1)[0])
    assert store.exists()
    assert not (tmp_path / ".pluginlab").exists()
    import shutil

    shutil.rmtree(store.parent)
