"""The simulator's client: each request kept as a Call, the grant signed, URLs moved home."""

from __future__ import annotations

import httpx

from pluginlab_tui.access.grant import verify
from pluginlab_tui.simulate.client import Call, Client, summary
from pluginlab_tui.wire import GRANT_HEADER
from tests.simulate.fake_plugin import BASE


def _client(handler: httpx.MockTransport, secret: bytes | None = None) -> Client:
    return Client(BASE + "/", [], grant_secret=secret, transport=handler)


def test_with_a_secret_every_request_carries_a_simulate_grant() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204, headers={"X-PluginLab-Event-Id": "ev-1"})

    client = _client(httpx.MockTransport(answer), secret=b"k" * 32)
    call, response = client.send("spec", "GET", BASE + "/openapi.yaml")
    grant = verify(seen[0].headers[GRANT_HEADER], b"k" * 32)
    assert grant is not None and grant.source == "simulate"
    assert response is not None and (call.status, call.event_id) == (204, "ev-1")
    assert client.calls == [call]
    client.grant_secret = None
    client.send("spec", "GET", BASE + "/openapi.yaml")
    assert GRANT_HEADER not in seen[1].headers


def test_a_request_without_an_answer_is_kept_with_its_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = _client(httpx.MockTransport(refuse))
    call, response = client.send("manifest", "GET", BASE + "/.well-known/ai-plugin.json")
    assert response is None and call.error == "ConnectError: refused"
    assert client.calls == [call] and call.broke_contract
    assert "FAILED: ConnectError: refused" in call.line()
    assert summary(client.calls) == "1 request(s), 1 broke the contract or failed"


def test_urls_that_point_at_the_plugin_are_moved_onto_the_base_url() -> None:
    client = _client(httpx.MockTransport(lambda _: httpx.Response(200)))
    manifest = {"api": {"url": "https://notes.example.com/openapi.yaml"}}
    assert client.local("/oauth/token", manifest) == BASE + "/oauth/token"
    assert client.local("oauth/token", None) == BASE + "/oauth/token"
    assert client.local("https://notes.example.com/a?b=1", manifest) == BASE + "/a?b=1"
    assert client.local("http://localhost:9/a", None) == BASE + "/a"
    assert client.local("https://auth.example.org/token", manifest) == (
        "https://auth.example.org/token"
    )


def test_a_call_line_names_its_violations_and_fault() -> None:
    ok = Call("getNote", "GET", BASE + "/v1/notes/1?x=1", status=200)
    assert ok.line().split() == ["getNote", "GET", "/v1/notes/1", "200", "ok"]
    assert ok.to_json()["status"] == 200 and not ok.broke_contract
