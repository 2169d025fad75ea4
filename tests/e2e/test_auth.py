"""Auth modes through the real proxy and the real example backend: the credential matrix.

The backend is reached only with the right credentials: each test counts the todos the backend
holds for a fresh user name, and every refusal is the proxy's own JSON on the stored event.
"""

from __future__ import annotations

import base64

import httpx

from pluginlab_tui.examples import Backend
from tests.access.helpers import (
    add_user,
    assert_no_secrets,
    body,
    by_id,
    cli,
    events_when,
    todo_count,
    unique,
)
from tests.conftest import ProxyFactory

NEW = {"title": "check the gate"}


def _post(client: httpx.Client, who: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.post(f"/todos/{who}", json=NEW, headers=headers or {})


def test_service_http_matrix(start_proxy: ProxyFactory, todo_backend: Backend) -> None:
    token = "svc-" + unique("tok")
    proxy = start_proxy(
        auth={"mode": "service_http", "service_token": token, "verification_token": "vt123"}
    )
    who = unique()
    with proxy.client() as client:
        manifest = client.get("/.well-known/ai-plugin.json").json()
        answers = {
            "none": _post(client, who),
            "malformed": _post(client, who, {"Authorization": "Bearer"}),
            "wrong_scheme": _post(client, who, {"Authorization": f"Token {token}"}),
            "wrong": _post(client, who, {"Authorization": "Bearer not-" + token}),
            "right": _post(client, who, {"Authorization": f"Bearer {token}"}),
        }
    assert manifest["auth"] == {
        "type": "service_http",
        "authorization_type": "bearer",
        "verification_tokens": {"openai": "vt123"},
    }
    assert {k: a.status_code for k, a in answers.items()} == {
        "none": 401,
        "malformed": 401,
        "wrong_scheme": 401,
        "wrong": 401,
        "right": 201,
    }
    assert answers["none"].headers["WWW-Authenticate"] == 'Bearer realm="pluginlab"'
    assert answers["none"].json()["error"] == "missing"
    assert "Authorization: Bearer" in answers["none"].json()["message"]
    assert answers["wrong"].json()["error"] == "invalid"
    assert todo_count(todo_backend, who) == 1
    events = by_id(events_when(proxy, 6))
    results = [
        (
            events[a.headers["X-PluginLab-Event-Id"]].auth_result,
            events[a.headers["X-PluginLab-Event-Id"]].status,
        )
        for a in answers.values()
    ]
    assert results == [
        ("missing", 401),
        ("invalid", 401),
        ("invalid", 401),
        ("invalid", 401),
        ("ok", 201),
    ]
    refused = events[answers["wrong"].headers["X-PluginLab-Event-Id"]]
    assert refused.auth_mode == "service_http" and body(refused)["error"] == "invalid"
    assert refused.operation_id is None  # never reached the contract checks or the backend
    assert_no_secrets(proxy, [token])


def test_service_http_basic(start_proxy: ProxyFactory, todo_backend: Backend) -> None:
    token = unique("basic")
    proxy = start_proxy(
        auth={"mode": "service_http", "service_token": token, "authorization_type": "basic"}
    )
    who = unique()
    encoded = base64.b64encode(f"{token}:".encode()).decode()
    with proxy.client() as client:
        raw = _post(client, who, {"Authorization": f"Basic {token}"})
        enc = _post(client, who, {"Authorization": f"Basic {encoded}"})
        bearer = _post(client, who, {"Authorization": f"Bearer {token}"})
        none = _post(client, who)
    assert (raw.status_code, enc.status_code, bearer.status_code) == (201, 201, 401)
    assert none.headers["WWW-Authenticate"] == 'Basic realm="pluginlab"'
    assert "expected Authorization: Basic" in bearer.json()["message"]
    assert todo_count(todo_backend, who) == 2
    events_when(proxy, 4)
    assert_no_secrets(proxy, [token, encoded])


def test_user_http_matrix(start_proxy: ProxyFactory, todo_backend: Backend) -> None:
    proxy = start_proxy(
        auth={"mode": "user_http", "default_plan": "free"},
        plans__free={"rate_per_minute": 1000},
        plans__pro={"rate_per_minute": 1000},
    )
    alice = add_user(proxy, "alice", plan="pro")
    bob = add_user(proxy, "bob")
    assert alice.startswith("plk_") and len(alice) > 40
    code, out, _ = cli("users", "revoke", "bob", "--config", str(proxy.config))
    assert code == 0 and "revoked" in out
    who = unique()
    with proxy.client() as client:
        manifest = client.get("/.well-known/ai-plugin.json").json()
        answers = {
            "none": _post(client, who),
            "malformed": _post(client, who, {"Authorization": "Bearer two words"}),
            "wrong": _post(client, who, {"Authorization": "Bearer plk_" + "x" * 43}),
            "revoked": _post(client, who, {"Authorization": f"Bearer {bob}"}),
            "right": _post(client, who, {"Authorization": f"Bearer {alice}"}),
        }
        # a key revoked while the proxy runs fails at once
        assert cli("users", "revoke", "alice", "--config", str(proxy.config))[0] == 0
        late = _post(client, who, {"Authorization": f"Bearer {alice}"})
    assert manifest["auth"] == {"type": "user_http", "authorization_type": "bearer"}
    assert {k: a.status_code for k, a in answers.items()} == {
        "none": 401,
        "malformed": 401,
        "wrong": 401,
        "revoked": 401,
        "right": 201,
    }
    assert late.status_code == 401 and late.json()["error"] == "revoked"
    assert todo_count(todo_backend, who) == 1
    events = by_id(events_when(proxy, 7))
    seen = [events[a.headers["X-PluginLab-Event-Id"]] for a in answers.values()]
    assert [(e.auth_mode, e.auth_result, e.user_id, e.plan) for e in seen] == [
        ("user_http", "missing", None, None),
        ("user_http", "invalid", None, None),
        ("user_http", "invalid", None, None),
        ("user_http", "revoked", None, None),
        ("user_http", "ok", "alice", "pro"),
    ]
    code, listing, _ = cli("users", "list", "--config", str(proxy.config))
    assert code == 0 and "alice" in listing and "revoked" in listing
    assert_no_secrets(proxy, [alice, bob])


def test_user_http_basic_and_default_plan(start_proxy: ProxyFactory, todo_backend: Backend) -> None:
    proxy = start_proxy(
        auth={"mode": "user_http", "authorization_type": "basic", "default_plan": "free"},
        plans__free={"quota": 100},
    )
    key = add_user(proxy, "carol")
    who = unique()
    encoded = base64.b64encode(f"carol:{key}".encode()).decode()
    with proxy.client() as client:
        answer = _post(client, who, {"Authorization": f"Basic {encoded}"})
        raw = _post(client, who, {"Authorization": f"Basic {key}"})
    assert (answer.status_code, raw.status_code) == (201, 201)
    event = by_id(events_when(proxy, 2))[answer.headers["X-PluginLab-Event-Id"]]
    assert (event.user_id, event.plan, event.auth_result) == ("carol", "free", "ok")
    assert todo_count(todo_backend, who) == 2
    assert_no_secrets(proxy, [key, encoded])


def test_api_key_modes(start_proxy: ProxyFactory, todo_backend: Backend) -> None:
    key = unique("key")
    custom = start_proxy(auth={"mode": "api_key", "api_key": key, "api_key_header": "X-Api-Key"})
    who = unique()
    with custom.client() as client:
        none = _post(client, who)
        wrong = _post(client, who, {"X-Api-Key": "nope"})
        empty = _post(client, who, {"X-Api-Key": ""})
        in_authorization = _post(client, who, {"Authorization": f"Bearer {key}"})
        right = _post(client, who, {"X-Api-Key": key})
    assert [a.status_code for a in (none, wrong, empty, in_authorization, right)] == [
        401,
        401,
        401,
        401,
        201,
    ]
    assert "WWW-Authenticate" not in none.headers  # a custom header has no challenge
    assert "X-Api-Key" in none.json()["message"]
    assert todo_count(todo_backend, who) == 1
    events = events_when(custom, 5)
    assert [e.auth_result for e in events] == ["missing", "invalid", "missing", "missing", "ok"]
    assert all(e.auth_mode == "api_key" for e in events)
    assert_no_secrets(custom, [key])

    bearer = start_proxy(auth={"mode": "api_key", "api_key": key})
    who = unique()
    with bearer.client() as client:
        results = [
            _post(client, who, {"Authorization": f"Bearer {key}"}).status_code,
            _post(client, who, {"Authorization": f"Basic {key}"}).status_code,
            _post(client, who, {"Authorization": "Bearer x"}).status_code,
            _post(client, who).status_code,
        ]
    assert results == [201, 401, 401, 401]
    assert todo_count(todo_backend, who) == 1
    events_when(bearer, 4)
    assert_no_secrets(bearer, [key])


def test_none_mode_records_ok_and_proxy_routes_are_never_gated(
    start_proxy: ProxyFactory, todo_backend: Backend
) -> None:
    open_proxy = start_proxy()
    who = unique()
    with open_proxy.client() as client:
        assert _post(client, who).status_code == 201
    event = events_when(open_proxy, 1)[0]
    assert (event.auth_mode, event.auth_result, event.user_id) == ("none", "ok", None)

    token = unique("tok")
    proxy = start_proxy(auth={"mode": "service_http", "service_token": token})
    with proxy.client() as client:
        owned = [
            client.get("/.well-known/ai-plugin.json"),
            client.get("/openapi.yaml"),
            client.get("/_pluginlab/health"),
            client.options(
                "/todos/x",
                headers={"Origin": "https://chatgpt.com", "Access-Control-Request-Method": "POST"},
            ),
        ]
        unknown = client.post("/_pluginlab/anything")
    assert [a.status_code for a in owned] == [200, 200, 200, 204]
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    events = events_when(proxy, 5)
    assert all(e.auth_result is None for e in events)


def test_a_mode_without_its_secret_is_one_clear_line(start_proxy: ProxyFactory) -> None:
    import pytest

    with pytest.raises(RuntimeError, match="auth.service_token: required"):
        start_proxy(auth={"mode": "service_http"})
