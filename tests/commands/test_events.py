"""`pluginlab-tui events` and `events prune`, on a store written by the real proxy.

One proxy (`pluginlab-tui serve` in front of the example backend) records a known set of
exchanges for the whole module and is stopped; each test reads that store, or a copy of it when
the test prunes.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pluginlab_tui.cli import main
from pluginlab_tui.examples import Backend
from tests.conftest import stored_events
from tests.harness import ProxyProcess, todo_sections, wait_for, write_config

#: The fields of DESIGN.md's event table, each with the JSON types it may take.
FIELDS: dict[str, tuple[type, ...]] = {
    "event_id": (str,),
    "ts": (str,),
    "source": (str,),
    "replay_of": (str, type(None)),
    "method": (str,),
    "url": (str,),
    "path": (str,),
    "query": (str,),
    "operation_id": (str, type(None)),
    "status": (int, type(None)),
    "duration_ms": (float,),
    "request_headers": (list,),
    "response_headers": (list,),
    "request_body": (str, type(None)),
    "response_body": (str, type(None)),
    "request_size": (int,),
    "response_size": (int,),
    "request_truncated": (bool,),
    "response_truncated": (bool,),
    "auth_mode": (str, type(None)),
    "auth_result": (str, type(None)),
    "user_id": (str, type(None)),
    "plan": (str, type(None)),
    "version": (int,),
    "violations": (list,),
    "violation_count": (int,),
    "error": (str, type(None)),
}
VIOLATION_KEYS = {"code", "location", "where", "keyword", "schema_path", "message"}


@dataclass(frozen=True)
class Recorded:
    db: Path
    #: Event ids by name, in the order the exchanges were sent.
    ids: dict[str, str]


CALLS: list[tuple[str, str, str, dict[str, str], Any]] = [
    ("valid list", "GET", "/todos/evan", {}, None),
    ("invalid body", "POST", "/todos/evan", {}, {"title": 5}),
    ("invalid limit", "GET", "/todos/evan?limit=0", {}, None),
    ("invalid response", "GET", "/todos/evan", {"X-Todo-Fault": "wrong_type"}, None),
    ("unknown path", "GET", "/nope", {}, None),
    ("valid add", "POST", "/todos/evan", {"Authorization": "Bearer s3cret"}, {"title": "Milk"}),
    ("two bad parameters", "GET", "/todos/evan?status=closed&limit=0", {}, None),
]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory, todo_backend: Backend) -> Iterator[Recorded]:
    folder = tmp_path_factory.mktemp("events-store")
    proxy = ProxyProcess(write_config(folder, todo_sections(folder, todo_backend.url)))
    ids: dict[str, str] = {}
    with proxy, proxy.client() as client:
        for name, method, path, headers, body in CALLS:
            answer = client.request(method, path, headers=headers, json=body)
            ids[name] = answer.headers["X-PluginLab-Event-Id"]
        assert wait_for(lambda: len(stored_events(proxy.db)) == len(CALLS))
    yield Recorded(proxy.db, ids)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def json_events(capsys: pytest.CaptureFixture[str], db: Path, *flags: str) -> list[dict[str, Any]]:
    code, out, err = run(capsys, "events", "--db", str(db), "--format", "json", *flags)
    assert code == 0 and err == ""
    return [json.loads(line) for line in out.splitlines()]


def names(recorded: Recorded, events: list[dict[str, Any]]) -> list[str]:
    by_id = {v: k for k, v in recorded.ids.items()}
    return [by_id[e["event_id"]] for e in events]


def copy_of(db: Path, folder: Path) -> Path:
    """A copy of the store (SQLite's backup, so the WAL comes along) for a test that prunes."""
    target = folder / "copy.db"
    source, copy = sqlite3.connect(db), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    return target


def test_all_events_oldest_first(recorded: Recorded, capsys: pytest.CaptureFixture[str]) -> None:
    assert names(recorded, json_events(capsys, recorded.db)) == [c[0] for c in CALLS]


def test_invalid_selects_exchanges_with_violations(
    recorded: Recorded, capsys: pytest.CaptureFixture[str]
) -> None:
    events = json_events(capsys, recorded.db, "--invalid")
    assert names(recorded, events) == [
        "invalid body",
        "invalid limit",
        "invalid response",
        "unknown path",
        "two bad parameters",
    ]
    assert all(e["violation_count"] > 0 for e in events)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("invalid_parameter", ["invalid limit", "two bad parameters"]),  # each event once
        ("invalid_body", ["invalid body"]),
        ("invalid_response_body", ["invalid response"]),
        ("unknown_path", ["unknown path"]),
        ("slow_response", []),
        ("no_such_code", []),
    ],
)
def test_code_selects_by_violation_code(
    recorded: Recorded, capsys: pytest.CaptureFixture[str], code: str, expected: list[str]
) -> None:
    assert names(recorded, json_events(capsys, recorded.db, "--code", code)) == expected


def test_invalid_and_code_and_limit_combine(
    recorded: Recorded, capsys: pytest.CaptureFixture[str]
) -> None:
    both = json_events(capsys, recorded.db, "--invalid", "--code", "invalid_parameter")
    assert names(recorded, both) == ["invalid limit", "two bad parameters"]
    newest = json_events(capsys, recorded.db, "--invalid", "--limit", "2")
    assert names(recorded, newest) == ["unknown path", "two bad parameters"]


def test_json_carries_every_field_of_the_event_table(
    recorded: Recorded, capsys: pytest.CaptureFixture[str]
) -> None:
    events = {e["event_id"]: e for e in json_events(capsys, recorded.db)}
    for event in events.values():
        for name, types in FIELDS.items():
            assert isinstance(event[name], types), (name, event[name])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["ts"])
        assert event["source"] == "live" and event["replay_of"] is None
        assert event["version"] == 1 and event["violation_count"] == len(event["violations"])
        for pair in event["request_headers"] + event["response_headers"]:
            assert isinstance(pair, list) and len(pair) == 2
    params = events[recorded.ids["two bad parameters"]]
    assert params["method"] == "GET" and params["path"] == "/todos/evan"
    assert params["query"] == "status=closed&limit=0"
    assert params["url"].endswith("/todos/evan?status=closed&limit=0")
    assert params["operation_id"] == "listTodos" and params["status"] == 400  # the backend agrees
    assert [(v["code"], v["where"]) for v in params["violations"]] == [
        ("invalid_parameter", "query.status"),
        ("invalid_parameter", "query.limit"),
    ]
    for violation in params["violations"]:
        assert set(violation) == VIOLATION_KEYS and violation["location"] == "request"
    bad_response = events[recorded.ids["invalid response"]]
    assert bad_response["violations"][0]["location"] == "response"
    assert bad_response["violations"][0]["where"] == "body/count"
    added = events[recorded.ids["valid add"]]
    assert json.loads(added["request_body"]) == {"title": "Milk"}
    assert json.loads(added["response_body"])["title"] == "Milk"
    assert added["request_size"] == len(added["request_body"].encode())
    assert not added["request_truncated"] and not added["response_truncated"]
    assert ["Authorization", "[redacted]"] in added["request_headers"]
    assert "s3cret" not in json.dumps(added)
    unknown = events[recorded.ids["unknown path"]]
    assert unknown["operation_id"] is None and unknown["status"] == 404


def test_table_is_one_line_per_event(
    recorded: Recorded, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "events", "--db", str(recorded.db), "--code", "invalid_parameter")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert recorded.ids["invalid limit"][:8] in lines[0] and "1 viol." in lines[0]
    assert recorded.ids["two bad parameters"][:8] in lines[1] and "2 viol." in lines[1]
    assert all("listTodos" in line and "/todos/evan" in line for line in lines)


def test_prune_keep_n(
    recorded: Recorded, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = copy_of(recorded.db, tmp_path)
    code, out, _ = run(capsys, "events", "prune", "--keep", "3", "--db", str(db))
    assert code == 0 and out.strip() == f"pruned {len(CALLS) - 3} event(s)"
    assert names(recorded, json_events(capsys, db)) == [c[0] for c in CALLS][-3:]
    # The pruned events' codes went with them.
    assert json_events(capsys, db, "--code", "invalid_body") == []
    assert names(recorded, json_events(capsys, db, "--code", "invalid_parameter")) == [
        "two bad parameters"
    ]
    code, out, _ = run(capsys, "events", "prune", "--keep", "0", "--db", str(db))
    assert out.strip() == "pruned 3 event(s)" and json_events(capsys, db) == []


def test_prune_older_than(
    recorded: Recorded, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = copy_of(recorded.db, tmp_path)
    code, out, _ = run(capsys, "events", "prune", "--older-than", "7d", "--db", str(db))
    assert code == 0 and out.strip() == "pruned 0 event(s)"  # all of today
    # Make the first two exchanges eight days old, as if recorded last week.
    conn = sqlite3.connect(db)
    with conn:
        for name in ("valid list", "invalid body"):
            conn.execute(
                "UPDATE events SET ts = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-8 days') "
                "WHERE event_id = ?",
                (recorded.ids[name],),
            )
    conn.close()
    code, out, _ = run(capsys, "events", "prune", "--older-than", "7d", "--db", str(db))
    assert code == 0 and out.strip() == "pruned 2 event(s)"
    assert names(recorded, json_events(capsys, db)) == [c[0] for c in CALLS][2:]
    assert json_events(capsys, db, "--code", "invalid_body") == []


def test_bad_input_is_one_line_and_exit_2(
    recorded: Recorded, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "events", "prune", "--older-than", "7x", "--db", str(recorded.db))
    assert code == 2 and "--older-than" in err and len(err.strip().splitlines()) == 1
    missing = tmp_path / "none.db"
    code, _, err = run(capsys, "events", "--db", str(missing))
    assert code == 2 and "no event store" in err and not missing.exists()
    code, _, err = run(
        capsys, "events", "prune", "--db", str(recorded.db)
    )  # no --keep, --older-than
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert len(stored_events(recorded.db)) == len(CALLS)  # nothing was touched


def test_events_through_the_installed_command(recorded: Recorded) -> None:
    """The same through a child process, the way a script calls it."""
    done = subprocess.run(
        [sys.executable, "-m", "pluginlab_tui", "events", "--db", str(recorded.db)]
        + ["--invalid", "--code", "unknown_path", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    assert json.loads(line)["event_id"] == recorded.ids["unknown path"]


def test_a_store_written_before_redaction_does_not_show_its_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pluginlab_tui.store.database import open_store
    from pluginlab_tui.store.event import Event
    from pluginlab_tui.store.writer import insert_events

    token, minted = "configured-svc-token-1", "plk_" + "m" * 43
    db = tmp_path / "old.db"
    conn = open_store(db, create=True)
    leaky = Event(
        event_id="0f0f0f0f-0000-4000-8000-000000000001",
        ts="2026-11-24T10:00:00.000Z",
        method="GET",
        url=f"http://127.0.0.1:8787/todos/a?access_token={minted}",
        path="/todos/a",
        query=f"access_token={minted}",
        request_headers=[("X-Token", token)],
        error=f"backend failed: url='http://b/todos/a?access_token={minted}'",
    )
    try:
        insert_events(conn, [leaky])
    finally:
        conn.close()
    config = write_config(tmp_path, {"auth": {"mode": "service_http", "service_token": token}})
    assert main(["events", "--config", str(config), "--db", str(db), "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert token not in out and minted not in out and out.count("[redacted]") >= 4
