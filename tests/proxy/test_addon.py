"""The addon with mitmproxy's own test helpers, and under stock mitmdump."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mitmproxy.proxy.layers.http import HttpErrorHook, HttpRequestHook, HttpResponseHook
from mitmproxy.test import taddons, tflow

from pluginlab_tui.config import load_config
from pluginlab_tui.examples import Backend, free_port
from pluginlab_tui.proxy.addon import PluginLab
from pluginlab_tui.proxy.exchange import exchange_of
from pluginlab_tui.proxy.runtime import Runtime
from tests.conftest import stored_events
from tests.harness import todo_sections, wait_for, write_config


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    config = load_config(write_config(tmp_path, todo_sections(tmp_path, None)))
    runtime = Runtime(config)
    runtime.start()
    yield runtime
    runtime.close()


async def test_the_manifest_is_answered_and_recorded(runtime: Runtime) -> None:
    addon = PluginLab(runtime)
    with taddons.context(addon) as tctx:
        flow = tflow.tflow()
        flow.request.path = "/.well-known/ai-plugin.json"
        await tctx.master.addons.handle_lifecycle(HttpRequestHook(flow))
        assert flow.response is not None and flow.response.status_code == 200
        await tctx.master.addons.handle_lifecycle(HttpResponseHook(flow))
        exchange = exchange_of(flow)
        assert exchange is not None and exchange.answered_by == "proxy"
        assert flow.response.headers["X-PluginLab-Event-Id"] == exchange.event_id
        assert flow.response.json()["name_for_model"] == "todolab"
    runtime.close()
    assert [e.path for e in stored_events(runtime.config.store_path)] == [
        "/.well-known/ai-plugin.json"
    ]


async def test_without_a_backend_the_mock_answers_from_the_spec(runtime: Runtime) -> None:
    addon = PluginLab(runtime)
    with taddons.context(addon) as tctx:
        flow = tflow.tflow()
        flow.request.path = "/todos/alice"
        await tctx.master.addons.handle_lifecycle(HttpRequestHook(flow))
        assert flow.response is not None and flow.response.status_code == 200
        assert "X-PluginLab-Mock" in flow.response.headers
        assert exchange_of(flow).operation_id == "listTodos"  # type: ignore[union-attr]


async def test_a_flow_that_fails_is_still_one_event(runtime: Runtime) -> None:
    addon = PluginLab(runtime)
    with taddons.context(addon) as tctx:
        flow = tflow.tflow(err=True)
        flow.request.path = "/todos/alice"
        await tctx.master.addons.handle_lifecycle(HttpErrorHook(flow))
    runtime.close()
    events = stored_events(runtime.config.store_path)
    assert len(events) == 1 and events[0].status is None and events[0].error


def test_the_addon_runs_under_stock_mitmdump(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with Backend("todo") as backend:
        sections = todo_sections(tmp_path, backend.url)
        config = write_config(tmp_path, sections)
        port = int(sections["proxy"]["listen"].rsplit(":", 1)[1])
        script = Path(__file__).resolve().parents[2] / "addons" / "pluginlab.py"
        mitmdump = Path(sys.executable).parent / "mitmdump"
        command = [str(mitmdump), "-q", "--mode", f"reverse:{dead}", "--listen-host", "127.0.0.1"]
        command += ["--listen-port", str(port), "-s", str(script)]
        command += ["--set", f"pluginlab_config={config}"]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"

            def up() -> bool:
                try:
                    return (
                        httpx.get(base + "/_pluginlab/health", trust_env=False).status_code == 200
                    )
                except httpx.HTTPError:
                    return False

            assert wait_for(up, timeout=30), "mitmdump did not come up"
            with httpx.Client(base_url=base, trust_env=False) as client:
                assert (
                    client.get("/.well-known/ai-plugin.json").json()["name_for_model"] == "todolab"
                )
                answer = client.post("/todos/stock", json={"title": "from mitmdump"})
                assert answer.status_code == 201 and "X-PluginLab-Event-Id" in answer.headers
            db = tmp_path / "events.db"
            assert wait_for(lambda: len(stored_events(db)) >= 3, timeout=10)
        finally:
            proc.terminate()
            proc.wait(30)
    time.sleep(0.1)
    events = stored_events(tmp_path / "events.db")
    assert [e.status for e in events if e.path == "/todos/stock"] == [201]


def test_request_bodies_are_limited_to_max_body_bytes(tmp_path: Path) -> None:
    """Embedded or under mitmdump, mitmproxy stops reading past proxy.max_body_bytes."""
    from mitmproxy.addons.proxyserver import Proxyserver

    sections = todo_sections(tmp_path, None, proxy={"max_body_bytes": 12345})
    runtime = Runtime(load_config(write_config(tmp_path, sections)))
    runtime.start()
    try:
        addon = PluginLab(runtime)
        with taddons.context(Proxyserver(), addon) as tctx:
            tctx.configure(addon)
            assert tctx.options.body_size_limit == "12345"
    finally:
        runtime.close()
