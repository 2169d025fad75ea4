"""The proxy end to end: a real `pluginlab-tui serve` in front of the real example backend."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pluginlab_tui.examples import Backend, free_port
from tests.conftest import ProxyFactory, events_since, stored_events
from tests.harness import ProxyProcess, Traffic, todo_sections, wait_for, write_config


@pytest.fixture(scope="module")
def shared(start_module_proxy: ProxyFactory) -> ProxyProcess:
    """One proxy with the default config for the tests that find their own events."""
    return start_module_proxy()


def test_manifest_and_spec_are_answered_by_the_proxy(shared: ProxyProcess) -> None:
    proxy = shared
    earlier = {e.event_id for e in stored_events(proxy.db)}
    with proxy.client() as client:
        manifest = client.get("/.well-known/ai-plugin.json")
        spec_yaml = client.get("/openapi.yaml")
        spec_json = client.get("/openapi.json")
        logo = client.get("/_pluginlab/logo.png")
    assert manifest.status_code == 200
    public = proxy.url.replace("127.0.0.1", "localhost")
    assert manifest.json()["api"]["url"] == public + "/openapi.yaml"
    assert manifest.json()["logo_url"] == public + "/_pluginlab/logo.png"
    assert yaml.safe_load(spec_yaml.text)["servers"] == [{"url": public}]
    assert spec_json.json()["paths"].keys() == yaml.safe_load(spec_yaml.text)["paths"].keys()
    assert logo.headers["content-type"] == "image/png" and logo.content.startswith(b"\x89PNG")
    events = wait_for(lambda: len(e := events_since(proxy.db, earlier)) == 4 and e)
    assert [e.path for e in events] == [
        "/.well-known/ai-plugin.json",
        "/openapi.yaml",
        "/openapi.json",
        "/_pluginlab/logo.png",
    ]


def test_calls_are_forwarded_with_bodies_intact_and_each_is_one_row(
    shared: ProxyProcess,
) -> None:
    proxy = shared
    earlier = {e.event_id for e in stored_events(proxy.db)}
    sent = {"title": "Grüße & milk ☕", "priority": "high", "due": "2026-12-24"}
    with proxy.client() as client:
        added = client.post("/todos/bodies", json=sent)
        assert added.status_code == 201
        assert {k: added.json()[k] for k in sent} == sent
        event_id = added.headers["X-PluginLab-Event-Id"]
        assert added.headers["X-PluginLab-Violations"] == "0"
        for _ in range(9):
            assert client.get("/todos/bodies", params={"status": "open"}).status_code == 200
    events = wait_for(lambda: (e := events_since(proxy.db, earlier)) and len(e) >= 10 and e)
    assert len(events) == 10
    first = events[0]
    assert first.event_id == event_id
    assert json.loads(first.request_body or "") == sent
    assert json.loads(first.response_body or "")["title"] == sent["title"]
    assert first.operation_id == "addTodo" and first.status == 201
    assert all(e.operation_id == "listTodos" and e.query == "status=open" for e in events[1:])


def test_a_backend_that_is_down_gives_502_and_a_row(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    config = write_config(tmp_path, todo_sections(tmp_path, dead))
    with ProxyProcess(config) as proxy, proxy.client() as client:
        answer = client.get("/todos/alice")
        assert answer.status_code == 502
        assert answer.json()["error"] == "backend_unreachable"
        events = wait_for(lambda: stored_events(proxy.db))
    assert len(events) == 1
    assert events[0].status == 502 and "unreachable" in (events[0].error or "")


def test_a_backend_that_stops_midway_gives_502_then_recovers(tmp_path: Path) -> None:
    backend = Backend("todo").start()
    again = Backend("todo", port=backend.port)  # the same port, once the first one is gone
    try:
        config = write_config(tmp_path, todo_sections(tmp_path, backend.url))
        with ProxyProcess(config) as proxy, proxy.client() as client:
            assert client.get("/todos/bob").status_code == 200
            backend.stop()
            assert client.get("/todos/bob").status_code == 502
            again.start()
            assert wait_for(lambda: client.get("/todos/bob").status_code == 200)
            events = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) >= 3 and e)
    finally:  # neither is left running, whatever failed
        backend.stop()
        again.stop()
    assert [e.status for e in events][:2] == [200, 502]


def test_a_slow_backend_gives_504_after_the_timeout(start_proxy: ProxyFactory) -> None:
    proxy = start_proxy(proxy={"timeout_s": 0.5})
    with proxy.client() as client:
        answer = client.get("/todos/slow", headers={"X-Todo-Delay": "3"})
    assert answer.status_code == 504
    assert answer.json()["error"] == "backend_timeout"
    events = wait_for(lambda: stored_events(proxy.db))
    assert events[0].status == 504 and "0.5 s" in (events[0].error or "")


def test_sigterm_during_traffic_loses_no_row_and_stops_cleanly(start_proxy: ProxyFactory) -> None:
    proxy = start_proxy()
    with Traffic(proxy, "/todos/term") as traffic:
        wait_for(lambda: len(traffic.answered) >= 100, timeout=30)
        assert proxy.stop(signal.SIGTERM) == 0
    stored = {e.event_id for e in stored_events(proxy.db)}
    assert len(traffic.answered) >= 100
    assert set(traffic.answered) <= stored
    assert "Traceback" not in proxy.output
    assert "CancelledError" not in proxy.output


def test_port_in_use_and_missing_files_are_one_line_and_exit_2(
    shared: ProxyProcess, tmp_path: Path
) -> None:
    proxy = shared
    busy = subprocess.run(
        [sys.executable, "-m", "pluginlab_tui", "serve", "--config", str(proxy.config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert busy.returncode == 2
    assert "already in use" in busy.stderr and "Traceback" not in busy.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "pluginlab_tui", "serve", "--config", str(proxy.config)]
        + ["--spec", str(tmp_path / "nope.yaml"), "--listen", f"127.0.0.1:{free_port()}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2
    assert "nope.yaml: file not found" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
