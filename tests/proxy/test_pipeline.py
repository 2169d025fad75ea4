"""The pipeline fails closed: a stage that raises ends the exchange, in every auth mode.

A real mitmproxy proxy runs in this process (so that a stage can be made to raise) on a loopback
port, in front of the lab backend, which logs every call it receives.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mitmproxy import http
from mitmproxy.proxy.layers.http import HttpRequestHook, HttpResponseHook
from mitmproxy.test import taddons, tflow

from pluginlab_tui.access.users import add_user
from pluginlab_tui.config import load_config
from pluginlab_tui.proxy.addon import PluginLab
from pluginlab_tui.proxy.checks import RequestChecks, ResponseChecks
from pluginlab_tui.proxy.cors import Cors
from pluginlab_tui.proxy.forward import Forward
from pluginlab_tui.proxy.gate import AuthGate, IpGate
from pluginlab_tui.proxy.head import HeadAnswers
from pluginlab_tui.proxy.intake import Intake
from pluginlab_tui.proxy.master import ProxyServer
from pluginlab_tui.proxy.oauth_routes import OAuthRoutes
from pluginlab_tui.proxy.pipeline import describe
from pluginlab_tui.proxy.recorder import Recorder
from pluginlab_tui.proxy.routes import Routes
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.store.event import Event
from tests.conftest import stored_events, stored_notices
from tests.e2e.lab import LabBackend, lab_sections
from tests.harness import todo_sections, wait_for, write_config
from tests.store.test_writer import Held
from tests.store.test_writer import event as make_event

CALLBACK = "https://chat.openai.com/aip/plugin-abc/oauth/callback"
SECRET = "svc-token-for-the-fault-test"
MODES: dict[str, dict[str, Any]] = {
    "none": {"mode": "none"},
    "service_http": {"mode": "service_http", "service_token": SECRET},
    "user_http": {"mode": "user_http"},
    "oauth": {"mode": "oauth"},
    "api_key": {"mode": "api_key", "api_key": SECRET, "api_key_header": "X-Api-Key"},
}
#: The stages with a request hook, in order (the backend is called by Forward), then those with
#: a response hook.
REQUEST_STAGES: list[type] = [
    Intake,
    IpGate,
    Cors,
    Routes,
    OAuthRoutes,
    AuthGate,
    RequestChecks,
    Forward,
]
RESPONSE_STAGES: list[type] = [Cors, ResponseChecks, HeadAnswers, Recorder]


class Fault:
    """Which stage's hook raises now (None: none)."""

    stage: type | None = None
    hook: str = "request"


def _raising(cls: type, hook: str) -> Callable[..., Any]:
    original = getattr(cls, hook)

    def check() -> None:
        if Fault.stage is cls and Fault.hook == hook:
            raise RuntimeError(f"injected into {cls.__name__}.{hook}")

    if asyncio.iscoroutinefunction(original):

        async def async_hook(self: object, flow: http.HTTPFlow) -> Any:
            check()
            return await original(self, flow)

        return async_hook

    def sync_hook(self: object, flow: http.HTTPFlow) -> Any:
        check()
        return original(self, flow)

    return sync_hook


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Fault]]:
    """Every stage's request and response hook, made to raise when Fault names it."""
    for cls in REQUEST_STAGES:
        monkeypatch.setattr(cls, "request", _raising(cls, "request"))
    for cls in RESPONSE_STAGES:
        monkeypatch.setattr(cls, "response", _raising(cls, "response"))
    Fault.stage = None
    yield Fault
    Fault.stage = None


class InProcessProxy:
    """ProxyServer on its own loop in a thread: `.url`, `.runtime`; a context manager."""

    def __init__(self, config_path: Path) -> None:
        self.config = load_config(config_path)
        self.server = ProxyServer(self.config, Runtime(self.config))
        self.url = "http://" + self.config.proxy.listen
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.loop.run_until_complete(self.server.run())

    def __enter__(self) -> InProcessProxy:
        self.thread.start()
        assert wait_for(self.server.ready.is_set, timeout=20), "the proxy did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.server.shutdown)
        self.thread.join(30)


def _credentials(mode: str, runtime: Runtime) -> dict[str, str]:
    if mode == "service_http":
        return {"Authorization": f"Bearer {SECRET}"}
    if mode == "api_key":
        return {"X-Api-Key": SECRET}
    if mode == "user_http":
        return {"Authorization": f"Bearer {add_user(runtime.auth.conn, 'alice')}"}
    if mode == "oauth":
        provider = runtime.auth.oauth
        checked = provider.check_authorize(
            {
                "response_type": "code",
                "client_id": "pluginlab-dev-client",
                "redirect_uri": CALLBACK,
                "scope": "todos",
                "state": "s",
            }
        )
        code = provider.issue_code(checked, "alice")
        tokens = provider.exchange_code("pluginlab-dev-client", code, CALLBACK)
        return {"Authorization": f"Bearer {tokens.access_token}"}
    return {}


def _event(db: Path, event_id: str) -> Event | None:
    found = [e for e in stored_events(db) if e.event_id == event_id]
    return found[0] if found else None


@pytest.mark.parametrize("mode", list(MODES))
def test_every_stage_that_raises_ends_the_exchange_closed(
    mode: str, tmp_path: Path, faults: type[Fault]
) -> None:
    with LabBackend() as backend:
        sections = todo_sections(tmp_path, backend.url, **lab_sections())
        sections["auth"] = MODES[mode]
        sections["auth.oauth"] = {"client_secret": "client-secret-of-the-fault-test"}
        with InProcessProxy(write_config(tmp_path, sections)) as proxy:
            headers = _credentials(mode, proxy.server.runtime)
            with httpx.Client(base_url=proxy.url, trust_env=False, timeout=30) as client:
                healthy = client.get("/v1/search", params={"q": "ok"}, headers=headers)
                assert healthy.status_code == 200, healthy.text  # the credentials are right
                for stage in REQUEST_STAGES:
                    faults.stage, faults.hook = stage, "request"
                    name = stage.__name__
                    calls = len(backend.calls)
                    answer = client.get("/v1/search", params={"q": name}, headers=headers)
                    assert answer.status_code == 500, (name, answer.text)
                    problem = answer.json()
                    assert answer.headers["content-type"] == "application/problem+json"
                    assert [v["code"] for v in problem["violations"]] == ["proxy_error"]
                    assert "Traceback" not in answer.text
                    assert len(backend.calls) == calls, f"{name} failed, the backend was called"
                    event_id = answer.headers["X-PluginLab-Event-Id"]
                    event = wait_for(lambda i=event_id: _event(proxy.config.store_path, i))
                    assert event is not None, f"no event when {name} failed"
                    assert event.status == 500
                    assert event.error == f"RuntimeError: injected into {name}.request"
                    assert "proxy_error" in [v.code for v in event.violations]
                for stage in RESPONSE_STAGES:
                    faults.stage, faults.hook = stage, "response"
                    name = stage.__name__
                    answer = client.get("/v1/search", params={"q": name}, headers=headers)
                    assert answer.status_code == 500, (name, answer.text)
                    event_id = answer.headers["X-PluginLab-Event-Id"]
                    event = wait_for(lambda i=event_id: _event(proxy.config.store_path, i))
                    assert event is not None, f"no event when {name} failed"
                    assert event.error == f"RuntimeError: injected into {name}.response"
                faults.stage = None
                again = client.get("/v1/search", params={"q": "after"}, headers=headers)
                assert again.status_code == 200  # the proxy is still up and serving


def test_describe_is_one_line() -> None:
    assert describe(ValueError("two\nlines")) == "ValueError: two lines"
    assert describe(KeyError()) == "KeyError"


async def test_the_last_resort_says_which_limit_refused_its_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sections = todo_sections(tmp_path, None, store={"queue_max_bytes": 2000})
    runtime = Runtime(load_config(write_config(tmp_path, sections)))
    runtime.start()
    held = Held()
    assert runtime.writer.offer(held) and held.entered.wait(10)
    filler = make_event(path="/todos/filler", request_body="f" * 1000)
    assert runtime.writer.offer(filler)  # its 2,024 bytes wait alone: nothing more fits

    async def broken(self: Recorder, flow: http.HTTPFlow) -> None:
        raise RuntimeError("the recorder is down")

    monkeypatch.setattr(Recorder, "response", broken)
    with taddons.context(PluginLab(runtime)) as tctx:
        flow = tflow.tflow()
        flow.request.path = "/todos/alice"
        await tctx.master.addons.handle_lifecycle(HttpRequestHook(flow))
        await tctx.master.addons.handle_lifecycle(HttpResponseHook(flow))
    assert flow.response is not None and flow.response.status_code == 500
    held.release.set()
    runtime.close()
    assert [e.path for e in stored_events(runtime.config.store_path)] == ["/held", "/todos/filler"]
    told = stored_notices(runtime.config.store_path, "not_stored")
    assert told == [
        "1 event(s) not stored: the recorder failed and the writer's queue was over its byte budget"
        " (store.queue_max_bytes=2000)"
    ]
