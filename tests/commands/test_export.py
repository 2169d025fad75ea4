"""`pluginlab-tui export`: what leaves the store passes through the config's redactor."""

from __future__ import annotations

from pathlib import Path

import pytest

from pluginlab_tui.cli import main
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import Event
from pluginlab_tui.store.writer import insert_events
from tests.harness import write_config

TOKEN = "configured-api-key-42"
MINTED = "pla_" + "q" * 43


@pytest.mark.parametrize("kind", ["har", "curl"])
def test_exports_of_a_store_written_before_redaction_hold_no_secret(
    tmp_path: Path, kind: str
) -> None:
    db = tmp_path / "old.db"
    conn = open_store(db, create=True)
    try:
        insert_events(
            conn,
            [
                Event(
                    event_id="0f0f0f0f-0000-4000-8000-000000000002",
                    ts="2026-11-24T10:00:00.000Z",
                    method="POST",
                    url=f"http://127.0.0.1:8787/todos/a?key={TOKEN}",
                    path="/todos/a",
                    query=f"key={TOKEN}",
                    status=502,
                    request_headers=[("Authorization", f"Bearer {MINTED}"), ("X-K", TOKEN)],
                    request_body=f'{{"title": "x{MINTED}"}}',
                    error=f"backend failed: url='http://b/todos/a?access_token={MINTED}'",
                )
            ],
        )
    finally:
        conn.close()
    config = write_config(tmp_path, {"auth": {"mode": "api_key", "api_key": TOKEN}})
    out = tmp_path / f"out.{kind}"
    assert main(["export", kind, "--config", str(config), "--db", str(db), "-o", str(out)]) == 0
    data = out.read_bytes()
    assert TOKEN.encode() not in data and MINTED.encode() not in data
    assert b"[redacted]" in data or b"$PLUGINLAB_TOKEN" in data
