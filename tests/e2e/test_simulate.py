"""The ChatGPT simulator against the real example plugin, in each auth mode and in mock mode."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pluginlab_tui.cli import main
from pluginlab_tui.examples import Backend
from pluginlab_tui.simulate.identity import USER_AGENT
from pluginlab_tui.simulate.simulator import Simulator
from pluginlab_tui.wire import HEALTH_ROUTE
from tests.conftest import ProxyFactory, stored_events
from tests.harness import wait_for

OPERATIONS = {"listTodos", "addTodo", "getTodo", "updateTodo", "deleteTodo"}


def _simulate(proxy: Any, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list[Any]]:
    code = main(["simulate", "--config", str(proxy.config), "--format", "json", *extra])
    calls = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return code, calls


def _recorded(proxy: Any, count: int) -> list[Any]:
    found = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) >= count and e)
    assert found
    return list(found)


def test_no_auth_calls_every_operation_with_chatgpt_headers(
    start_proxy: ProxyFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    proxy = start_proxy()
    code, calls = _simulate(proxy, capsys)
    assert code == 0, calls
    assert [c["step"] for c in calls[:2]] == ["manifest", "spec"]
    assert {c["operation_id"] for c in calls[2:]} == OPERATIONS
    assert all(c["status"] and c["status"] < 300 for c in calls), calls  # ids learned from answers
    events = _recorded(proxy, len(calls))
    assert {e.source for e in events} == {"simulate"}
    conversations = {e.conversation_id for e in events if e.operation_id}
    assert len(conversations) == 1 and None not in conversations
    call = events[-1]
    headers = {k.lower(): v for k, v in call.request_headers}
    assert headers["user-agent"] == USER_AGENT
    assert headers["openai-subdivision-1-iso-code"] == "US-CA"
    assert "openai-ephemeral-user-id" in headers and "openai-gpt-id" not in headers
    assert "x-pluginlab-replay" not in headers  # the grant is stripped
    assert all(e.violation_count == 0 for e in events)


def test_a_backend_out_of_contract_gives_exit_1_and_says_what_broke(
    start_proxy: ProxyFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    with Backend("todo", env={"TODO_FAULT": "wrong_type"}) as faulty:
        proxy = start_proxy(backend=faulty.url)
        code = main(["simulate", "--config", str(proxy.config)])
    out = capsys.readouterr().out
    assert code == 1
    assert "what broke:" in out and "invalid_response_body" in out
    assert "broke the contract or failed" in out


def test_service_http_uses_the_configured_token(
    start_proxy: ProxyFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    proxy = start_proxy(auth={"mode": "service_http", "service_token": "svc-secret-1"})
    code, calls = _simulate(proxy, capsys)
    assert code == 0, calls
    events = _recorded(proxy, len(calls))
    operations = [e for e in events if e.operation_id]
    assert len(operations) == 5 and all(e.auth_result == "ok" for e in operations)
    code, calls = _simulate(proxy, capsys, "--token", "wrong")
    assert code == 1 and any(c["status"] == 401 for c in calls)


def test_user_http_with_a_user_key(
    start_proxy: ProxyFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    from pluginlab_tui.access.users import add_user
    from pluginlab_tui.store.database import open_store

    proxy = start_proxy(auth={"mode": "user_http"})
    conn = open_store(proxy.db)
    try:
        key = add_user(conn, "bob", "free")
    finally:
        conn.close()
    code, calls = _simulate(proxy, capsys, "--token", key)
    assert code == 0, calls
    events = _recorded(proxy, len(calls))
    assert {e.user_id for e in events if e.operation_id} == {"bob"}
    assert main(["simulate", "--config", str(proxy.config)]) == 1  # no key: said, not a traceback
    assert "needs credentials" in capsys.readouterr().err


@pytest.mark.parametrize("auto_approve", [True, False], ids=["auto-approve", "sign-in-page"])
def test_oauth_dance_then_calls_as_the_signed_in_user(
    start_proxy: ProxyFactory, capsys: pytest.CaptureFixture[str], auto_approve: bool
) -> None:
    oauth: dict[str, Any] = {"client_secret": "dev-client-secret"}
    if auto_approve:
        oauth["auto_approve"] = "carol"
    proxy = start_proxy(auth={"mode": "oauth"}, auth__oauth=oauth)
    code, calls = _simulate(proxy, capsys, "--user", "dave")
    assert code == 0, calls
    steps = [c["step"] for c in calls]
    expected = ["manifest", "spec", "oauth:authorize"]
    expected += [] if auto_approve else ["oauth:sign-in"]
    assert steps[: len(expected) + 1] == [*expected, "oauth:token"]
    events = _recorded(proxy, len(calls))
    user = "carol" if auto_approve else "dave"
    assert {e.user_id for e in events if e.operation_id} == {user}
    assert all(e.auth_result == "ok" for e in events if e.operation_id)
    token = next(e for e in events if e.path.endswith("/oauth/token"))
    assert "dev-client-secret" not in (token.request_body or "")


def test_the_actions_profile_sends_a_gpt_id(start_proxy: ProxyFactory) -> None:
    proxy = start_proxy()
    with Simulator(proxy.url, profile="actions") as simulator:
        simulator.run()
        assert not simulator.failures, [c.line() for c in simulator.failures]
        steps = [c.step for c in simulator.session.calls]
    assert steps[0] == "spec"  # no manifest for GPT Actions
    events = _recorded(proxy, len(steps))
    headers = {k.lower(): v for k, v in events[-1].request_headers}
    assert headers["openai-gpt-id"].startswith("g-") and len(headers["openai-gpt-id"]) == 34
    assert "openai-subdivision-1-iso-code" not in headers


def test_mock_mode_answers_the_simulator_within_the_contract(
    start_proxy: ProxyFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    proxy = start_proxy(backend=None)
    code, calls = _simulate(proxy, capsys)
    assert code == 0, calls
    events = _recorded(proxy, len(calls))
    answered = [e for e in events if e.operation_id]
    assert {e.operation_id for e in answered} == OPERATIONS
    assert all(("X-PluginLab-Mock" in dict(e.response_headers)) for e in answered)


def test_nothing_listening_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    from pluginlab_tui.examples import free_port

    code = main(["simulate", "--target", f"http://127.0.0.1:{free_port()}"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach" in err and len(err.splitlines()) == 1


def test_a_target_on_this_machine_is_recorded_as_simulate_without_naming_its_store(
    start_proxy: ProxyFactory,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = start_proxy()
    monkeypatch.chdir(tmp_path)  # no pluginlab.toml here: only --target says where the proxy is
    code = main(["simulate", "--target", proxy.url, "--format", "json"])
    captured = capsys.readouterr()
    calls = [json.loads(line) for line in captured.out.splitlines()]
    assert code == 0, calls
    assert captured.err == ""
    events = {e.event_id: e for e in _recorded(proxy, len(calls) + 1)}
    ran = [events[c["event_id"]] for c in calls]
    assert {e.source for e in ran} == {"simulate"}
    assert {e.operation_id for e in ran if e.operation_id} == OPERATIONS
    # the one probe that asked the health route where the store is, before it could sign
    others = [e for e in events.values() if e.event_id not in {c["event_id"] for c in calls}]
    assert [(e.path, e.source) for e in others] == [(HEALTH_ROUTE, "live")]
