"""Plans (rate limits, quotas, operation gating), the IP allow-list, and identity to the backend."""

from __future__ import annotations

import jwt

from pluginlab_tui.examples import Backend
from tests.access.helpers import (
    add_user,
    assert_no_secrets,
    by_id,
    echo_backend,
    events_when,
    todo_count,
    unique,
)
from tests.conftest import ProxyFactory, stored_events
from tests.harness import ProxyProcess

PLANS = {
    "plans__free": {"rate_per_minute": 2, "operations": ["listTodos", "getTodo"]},
    "plans__pro": {"quota": 3, "quota_period": "day"},
}


def test_rate_limit_gating_and_quota(start_proxy: ProxyFactory, todo_backend: Backend) -> None:
    proxy = start_proxy(auth={"mode": "user_http"}, **PLANS)
    free = {"Authorization": "Bearer " + add_user(proxy, "fay", plan="free")}
    pro = {"Authorization": "Bearer " + add_user(proxy, "pat", plan="pro")}
    who = unique()
    with proxy.client() as client:
        forbidden = client.post(f"/todos/{who}", json={"title": "x"}, headers=free)
        listed = [client.get(f"/todos/{who}", headers=free) for _ in range(3)]
        added = [client.post(f"/todos/{who}", json={"title": "x"}, headers=pro) for _ in range(4)]
    assert forbidden.status_code == 403
    assert forbidden.json() == {
        "error": "forbidden_plan",
        "message": "plan 'free' may not call operation addTodo; plan 'pro' allows it",
        "auth_mode": "user_http",
        "operation_id": "addTodo",
        "plan": "free",
        "allowed_plans": ["pro"],
        "upgrade_to": "pro",
    }
    assert [a.status_code for a in listed] == [200, 200, 429]
    limited = listed[2]
    assert limited.json()["error"] == "rate_limited" and limited.json()["retry_after"] == 30
    assert limited.headers["Retry-After"] == "30"
    assert [a.status_code for a in added] == [201, 201, 201, 429]
    over = added[3]
    assert over.json()["error"] == "quota_exceeded"
    assert 0 < int(over.headers["Retry-After"]) <= 86400
    assert todo_count(todo_backend, who) == 3
    events = by_id(events_when(proxy, 8))
    decided = [events[a.headers["X-PluginLab-Event-Id"]] for a in [forbidden, *listed, *added]]
    assert [(e.auth_result, e.user_id, e.plan, e.status) for e in decided] == [
        ("forbidden_plan", "fay", "free", 403),
        ("ok", "fay", "free", 200),
        ("ok", "fay", "free", 200),
        ("rate_limited", "fay", "free", 429),
        ("ok", "pat", "pro", 201),
        ("ok", "pat", "pro", 201),
        ("ok", "pat", "pro", 201),
        ("quota_exceeded", "pat", "pro", 429),
    ]
    assert decided[0].operation_id == "addTodo"  # the gate's contract check is reused

    # the quota survives a restart of the proxy on the same store
    proxy.stop()
    with ProxyProcess(proxy.config) as again, again.client() as client:
        still = client.post(f"/todos/{who}", json={"title": "x"}, headers=pro)
        assert still.status_code == 429 and still.json()["error"] == "quota_exceeded"
    assert todo_count(todo_backend, who) == 3
    assert_no_secrets(proxy, [free["Authorization"][7:], pro["Authorization"][7:]])


def test_ip_allow_list_covers_every_route(start_proxy: ProxyFactory, todo_backend: Backend) -> None:
    closed = start_proxy(auth={"allow_ips": ["10.0.0.0/8"]})
    with closed.client() as client:
        denied = [
            client.get("/.well-known/ai-plugin.json"),
            client.get("/_pluginlab/health"),
            client.post(f"/todos/{unique()}", json={"title": "x"}),
        ]
    assert [a.status_code for a in denied] == [403, 403, 403]
    assert denied[0].json()["error"] == "ip_denied"
    assert [e.auth_result for e in events_when(closed, 3)] == ["ip_denied"] * 3

    tunnel = start_proxy(
        auth={"allow_ips": ["10.0.0.0/8"]}, proxy={"trusted_proxies": ["127.0.0.1/32"]}
    )
    who = unique()
    with tunnel.client() as client:
        inside = client.post(
            f"/todos/{who}", json={"title": "x"}, headers={"X-Forwarded-For": "10.1.2.3"}
        )
        outside = client.post(
            f"/todos/{who}", json={"title": "x"}, headers={"X-Forwarded-For": "11.1.2.3"}
        )
    assert (inside.status_code, outside.status_code) == (201, 403)
    assert todo_count(todo_backend, who) == 1
    events = by_id(events_when(tunnel, 2))
    assert events[outside.headers["X-PluginLab-Event-Id"]].client_ip == "11.1.2.3"


def test_the_backend_verifies_the_jwt_with_the_served_jwks(start_proxy: ProxyFactory) -> None:
    with echo_backend() as backend:
        proxy = start_proxy(
            backend=backend,
            auth={"mode": "user_http"},
            auth__jwt={"enabled": True, "alg": "PS256"},
            plans__pro={},
        )
        key = add_user(proxy, "ivy", plan="pro")
        chatgpt = {
            "openai-conversation-id": "c0nv-1",
            "openai-ephemeral-user-id": "eph-1",
            "openai-subdivision-1-iso-code": "US-CA",
            "openai-gpt-id": "g-0123",
        }
        with proxy.client() as client:
            answer = client.get("/todos/ivy", headers={"Authorization": f"Bearer {key}", **chatgpt})
            no_key = client.get("/todos/ivy")
        assert answer.status_code == 200 and no_key.status_code == 401
        seen = {k.lower(): v for k, v in answer.json()["headers"]}
        assert seen["x-pluginlab-user-id"] == "ivy" and seen["x-pluginlab-plan"] == "pro"
        assert seen["x-pluginlab-event-id"] == answer.headers["X-PluginLab-Event-Id"]
        assert all(seen[k] == v for k, v in chatgpt.items())
        scheme, token = seen["authorization"].split(" ", 1)
        assert scheme == "Bearer" and key not in seen["authorization"]
        public = proxy.url.replace("127.0.0.1", "localhost")
        signing_key = jwt.PyJWKClient(proxy.url + "/_pluginlab/jwks.json").get_signing_key_from_jwt(
            token
        )
        claims = jwt.decode(
            token,
            signing_key.key,
            algorithms=["PS256"],
            audience="plugin:todolab",
            issuer=public,
        )
        assert claims["uid"] == "ivy" and claims["plan"] == "pro"
        assert claims["exp"] - claims["iat"] == 3600
        event = by_id(events_when(proxy, 3))[answer.headers["X-PluginLab-Event-Id"]]
        assert event.conversation_id == "c0nv-1"
        recorded = {k.lower(): v for k, v in event.request_headers}
        assert recorded["openai-gpt-id"] == "g-0123" and recorded["authorization"] == "[redacted]"
        # (the JWT itself is in the stored response: this test backend echoes it back)
        assert_no_secrets(proxy, [key])
    assert stored_events(proxy.db)


def test_a_replay_grant_stands_for_the_original_user(
    start_proxy: ProxyFactory, todo_backend: Backend
) -> None:
    import sqlite3

    from pluginlab_tui.access.grant import Grant, sign, store_secret
    from pluginlab_tui.wire import GRANT_HEADER

    proxy = start_proxy(auth={"mode": "user_http"}, plans__free={"quota": 1})
    key = add_user(proxy, "rex", plan="free")
    conn = sqlite3.connect(proxy.db)
    try:
        secret = store_secret(conn)
    finally:
        conn.close()
    who = unique()
    grant = sign(Grant(source="replay", replay_of="e-1", user_id="rex", plan="free"), secret)
    with proxy.client() as client:
        live = client.post(
            f"/todos/{who}", json={"title": "x"}, headers={"Authorization": f"Bearer {key}"}
        )
        replayed = client.post(f"/todos/{who}", json={"title": "x"}, headers={GRANT_HEADER: grant})
        forged = client.post(f"/todos/{who}", json={"title": "x"}, headers={GRANT_HEADER: "x.y"})
    assert (live.status_code, replayed.status_code, forged.status_code) == (201, 201, 401)
    event = by_id(events_when(proxy, 3))[replayed.headers["X-PluginLab-Event-Id"]]
    assert (event.source, event.auth_result, event.user_id, event.plan) == (
        "replay",
        "ok",
        "rex",
        "free",
    )
    assert todo_count(todo_backend, who) == 2  # the replay is not counted against the quota
    assert_no_secrets(proxy, [key])
