"""The gate's decisions on plain values: header fields as bytes, the operation, the plan."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pluginlab_tui.access.gate import Gate, answer, ip_denied
from pluginlab_tui.access.state import AuthState
from pluginlab_tui.access.users import add_user
from pluginlab_tui.config import load_config
from pluginlab_tui.store.database import open_store


@pytest.fixture
def make_gate(tmp_path: Path) -> Iterator[Any]:
    conns = []

    def make(**overrides: Any) -> Gate:
        config = load_config(None, {"store.path": tmp_path / "s.db", **overrides})
        conn = open_store(config.store_path, create=True)
        conns.append(conn)
        return Gate(config, AuthState(config, conn))

    yield make
    for conn in conns:
        conn.close()


def test_a_service_token_is_checked_on_the_bytes_sent(make_gate: Any) -> None:
    gate = make_gate(**{"auth.mode": "service_http", "auth.service_token": "tok"})
    assert gate.authenticate([(b"Authorization", b"Bearer tok")]).result == "ok"
    wrong = gate.authenticate([(b"authorization", b"Bearer tok\xff")])
    assert (wrong.result, wrong.status) == ("invalid", 401)
    twice = gate.authenticate([(b"Authorization", b"Bearer tok")] * 2)
    assert twice.result == "invalid" and "2 times" in twice.message
    missing = gate.authenticate([])
    status, body, headers = answer(missing, "service_http")
    assert (status, body["error"], body["auth_mode"]) == (401, "missing", "service_http")
    assert headers == {"WWW-Authenticate": 'Bearer realm="pluginlab"'}


def test_a_user_key_names_the_user_and_the_plan(make_gate: Any) -> None:
    gate = make_gate(**{"auth.mode": "user_http", "plans": {"free": {"quota": 5}}})
    key = add_user(gate.state.conn, "rex", "free")
    verdict = gate.authenticate([(b"Authorization", f"Bearer {key}".encode())])
    assert (verdict.result, verdict.user_id, verdict.plan) == ("ok", "rex", "free")


def test_a_plan_that_lists_operations_refuses_the_others_and_names_who_may(
    make_gate: Any,
) -> None:
    gate = make_gate(
        plans={"free": {"operations": ["listTodos"]}, "pro": {}}, **{"auth.default_plan": "free"}
    )
    verdict = gate.authenticate([])
    assert gate.gates_operations(verdict)
    assert gate.allow(verdict, "listTodos") is verdict
    refused = gate.allow(verdict, "deleteTodo")
    assert (refused.result, refused.status) == ("forbidden_plan", 403)
    assert refused.extra["upgrade_to"] == "pro"
    assert "no operation matches" in gate.allow(verdict, None).message


def test_a_replayed_caller_gets_the_user_s_plan(make_gate: Any) -> None:
    gate = make_gate(**{"auth.mode": "user_http", "plans": {"gold": {}}})
    add_user(gate.state.conn, "ann", "gold")
    assert gate.replayed("ann", None).plan == "gold"
    assert gate.replayed("ann", "other").plan == "other"


def test_the_allow_list_refuses_addresses_outside_it(make_gate: Any) -> None:
    gate = make_gate(**{"auth.allow_ips": ["10.0.0.0/8"]})
    assert ip_denied(gate.state, "10.1.2.3") is None
    refused = ip_denied(gate.state, "192.0.2.1")
    assert refused is not None and (refused.result, refused.status) == ("ip_denied", 403)
