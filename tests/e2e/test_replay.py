"""Replay end to end: a real proxy and backend, the store read back, the CLI's exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pluginlab_tui.cli import main
from pluginlab_tui.config import load_config
from pluginlab_tui.examples import Backend
from pluginlab_tui.replay.document import parse_document, to_document
from pluginlab_tui.replay.request import ReplayRequest
from pluginlab_tui.replay.runner import Replayer
from pluginlab_tui.store.event import Event
from tests.conftest import ProxyFactory, stored_events
from tests.harness import ProxyProcess, wait_for


def _events(proxy: ProxyProcess, count: int) -> list[Event]:
    found = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) >= count and e)
    assert found, f"fewer than {count} events in {proxy.db}"
    return list(found)


def test_round_trip_through_the_proxy_is_recorded_linked_and_compared(
    start_proxy: ProxyFactory,
) -> None:
    proxy = start_proxy()
    with proxy.client() as client:
        added = client.post("/todos/replay-rt", json={"title": "milk"})
        todo_id = added.json()["id"]
        assert client.get(f"/todos/replay-rt/{todo_id}").status_code == 200
    add_event, get_event = _events(proxy, 2)
    with Replayer.for_config(load_config(proxy.config)) as replayer:
        same = replayer.replay(get_event)
        changed = replayer.replay(add_event)
    assert same.status == 200 and same.checked_by == "proxy"
    assert same.event is not None and same.event.event_id == same.event_id
    assert same.event.source == "replay" and same.event.replay_of == get_event.event_id
    assert not same.differs and not same.broke_contract
    # POST again: a new todo, with a new id and creation time; everything else the same.
    assert changed.status == 201 and changed.differs
    assert {c.where for c in changed.diff.changes} == {"$.id", "$.created_at"}  # type: ignore[union-attr]
    stored = _events(proxy, 4)
    assert [(e.source, e.replay_of) for e in stored[2:]] == [
        ("replay", get_event.event_id),
        ("replay", add_event.event_id),
    ]
    ignoring = Replayer.for_config(load_config(proxy.config), ignore_paths=["$.id", "$.created_at"])
    with ignoring:
        assert not ignoring.replay(add_event).differs


def test_an_edited_request_is_sent_as_edited(start_proxy: ProxyFactory) -> None:
    proxy = start_proxy()
    with proxy.client() as client:
        client.post("/todos/replay-edit", json={"title": "milk"})
    (original,) = _events(proxy, 1)
    text = to_document(ReplayRequest.from_event(original)).replace("milk", "bread")
    text = text.replace("/todos/replay-edit", "/todos/replay-edited")
    with Replayer.for_config(load_config(proxy.config)) as replayer:
        result = replayer.replay(original, parse_document(text))
    assert result.status == 201 and json.loads(result.body)["title"] == "bread"
    assert result.event is not None and result.event.path == "/todos/replay-edited"
    assert result.event.replay_of == original.event_id


def test_batch_replay_by_filter_exits_1_only_when_the_contract_breaks(
    start_proxy: ProxyFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    proxy = start_proxy()
    with proxy.client() as client:
        client.post("/todos/batch", json={"title": "one"})
        for _ in range(3):
            client.get("/todos/batch")
        client.get("/todos/batch", headers={"X-Todo-Fault": "wrong_type"})
    _events(proxy, 5)
    config = str(proxy.config)
    code = main(
        [
            "replay",
            "--config",
            config,
            "--filter",
            "op:listTodos source:live valid",
            "--format",
            "json",
        ]
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0 and len(lines) == 3
    assert all(r["status"] == 200 and r["checked_by"] == "proxy" for r in lines)
    assert all(not r["differs"] for r in lines)  # nothing changed in between
    code = main(["replay", "--config", config, "--filter", "op:listTodos source:live"])
    out = capsys.readouterr().out
    assert code == 1, out  # the faulty one still breaks the contract
    assert "4 replayed, 1 broke the contract" in out and "invalid_response_body" in out
    # With --compare, an answer that changed is a failure too.
    with proxy.client() as client:
        client.post("/todos/batch", json={"title": "two"})
    code = main(
        ["replay", "--config", config, "--compare", "--filter", "op:listTodos source:live valid"]
    )
    out = capsys.readouterr().out
    assert code == 1 and "~ $.count: 1 -> 2" in out
    assert main(["replay", "--config", config, "--filter", "op:listTodos source:live valid"]) == 0


def test_replay_straight_to_a_target_is_checked_here(
    start_proxy: ProxyFactory, todo_backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    proxy = start_proxy()
    with proxy.client() as client:
        event_id = client.get("/todos/target").headers["X-PluginLab-Event-Id"]
    _events(proxy, 1)
    code = main(
        ["replay", "--config", str(proxy.config), "--target", todo_backend.url, event_id[:8]]
        + ["--format", "json"]
    )
    (result,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0 and result["status"] == 200 and result["checked_by"] == "here"
    assert result["event_id"] is None  # the backend does not record
    assert len(stored_events(proxy.db)) == 1


def test_usage_errors_are_one_line_and_exit_2(
    start_proxy: ProxyFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proxy = start_proxy()
    config = str(proxy.config)
    assert main(["replay", "--config", config]) == 2
    assert main(["replay", "--config", config, "nope-nope"]) == 2
    assert main(["replay", "--config", config, "--filter", "status:"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "event IDs" in err and "no event" in err


def test_a_replay_acts_as_the_original_user(start_proxy: ProxyFactory) -> None:
    from pluginlab_tui.access.users import add_user
    from pluginlab_tui.store.database import open_store

    proxy = start_proxy(auth={"mode": "user_http"})
    conn = open_store(proxy.db)
    try:
        key = add_user(conn, "alice", "pro")
    finally:
        conn.close()
    with proxy.client() as client:
        assert client.get("/todos/alice", headers={"Authorization": f"Bearer {key}"}).is_success
        assert client.get("/todos/alice").status_code == 401
    signed_in, refused = _events(proxy, 2)
    assert signed_in.user_id == "alice"
    assert ("Authorization", "[redacted]") in signed_in.request_headers
    with Replayer.for_config(load_config(proxy.config)) as replayer:
        again = replayer.replay(signed_in)
        still_refused = replayer.replay(refused)
    assert again.status == 200 and again.event is not None
    assert (again.event.user_id, again.event.plan, again.event.auth_result) == (
        "alice",
        "pro",
        "ok",
    )
    assert still_refused.status == 401
