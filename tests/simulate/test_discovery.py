"""Finding the plugin: the proxy's store (its health route, loopback only), then its files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pluginlab_tui.examples import free_port
from pluginlab_tui.simulate.client import Call, Client, SimulationError
from pluginlab_tui.simulate.discovery import fetch_files, proxy_store
from pluginlab_tui.wire import HEALTH_ROUTE
from tests.harness import HealthServer
from tests.simulate.fake_plugin import BASE, SPEC, FakePlugin


@pytest.fixture
def health() -> Iterator[HealthServer]:
    with HealthServer() as server:
        yield server


def _client(url: str, transport: httpx.BaseTransport | None = None) -> Client:
    return Client(url, [], transport=transport)


def test_a_local_proxy_names_its_store(health: HealthServer, tmp_path: Path) -> None:
    health.answer = {"status": "ok", "version": 1, "store": str(tmp_path / "events.db")}
    client = _client(health.url)
    assert proxy_store(client) == (tmp_path / "events.db", None)
    client.close()
    assert health.paths == [HEALTH_ROUTE]
    assert client.calls == []  # the probe is not one of the run's calls


@pytest.mark.parametrize(
    "answer", [{"status": "ok"}, {"store": "relative/events.db"}, {"store": 3}, ["store"]]
)
def test_an_answer_without_an_absolute_store_is_said(health: HealthServer, answer: object) -> None:
    health.answer = answer
    client = _client(health.url)
    store, reason = proxy_store(client)
    client.close()
    assert store is None and reason is not None and "names no event store" in reason


def test_a_remote_target_is_not_asked() -> None:
    client = _client("http://192.0.2.1:9")  # TEST-NET: never reached
    store, reason = proxy_store(client)
    client.close()
    assert store is None and reason == "http://192.0.2.1:9 is not a local proxy"


def test_nothing_listening_is_left_to_the_run_to_say() -> None:
    client = _client(f"http://127.0.0.1:{free_port()}")
    assert proxy_store(client) == (None, None)
    client.close()


def test_the_spec_is_fetched_where_the_manifest_says_moved_onto_the_proxy() -> None:
    plugin = FakePlugin()
    client = _client(BASE, plugin.transport)
    files = fetch_files(client, "plugin")
    assert plugin.paths() == ["/.well-known/ai-plugin.json", "/spec/openapi.json"]
    assert files.manifest is not None and files.manifest["name_for_model"] == "notes"
    assert files.spec == SPEC
    assert sorted(files.validator.operation_ids()) == ["addNote", "getNote"]
    assert [c.step for c in client.calls] == ["manifest", "spec"]


def test_the_actions_profile_asks_for_no_manifest() -> None:
    plugin = FakePlugin()
    files = fetch_files(_client(BASE, plugin.transport), "actions")
    assert plugin.paths() == ["/openapi.yaml"] and files.manifest is None


def _answer(status: int, content: bytes) -> httpx.Response:
    return httpx.Response(status, content=content)


@pytest.mark.parametrize(
    ("route", "answer", "message"),
    [
        ("/.well-known/ai-plugin.json", _answer(404, b"{}"), "the manifest answered 404"),
        ("/.well-known/ai-plugin.json", _answer(200, b"<html>"), "the manifest is not JSON"),
        ("/.well-known/ai-plugin.json", _answer(200, b"[1]"), "not a JSON object"),
        ("/spec/openapi.json", _answer(500, b""), "the spec answered 500"),
        ("/spec/openapi.json", _answer(200, b"a: [b"), "the spec is not YAML or JSON"),
        ("/spec/openapi.json", _answer(200, b"- a"), "the spec is not a mapping"),
        ("/spec/openapi.json", _answer(200, b"swagger: '2.0'"), "cannot be used: Swagger 2.0"),
    ],
)
def test_files_that_cannot_be_used_stop_the_run_and_the_call_says_why(
    route: str, answer: httpx.Response, message: str
) -> None:
    plugin = FakePlugin()
    plugin.routes[("GET", route)] = lambda _: answer
    client = _client(BASE, plugin.transport)
    with pytest.raises(SimulationError, match=message):
        fetch_files(client, "plugin")
    last: Call = client.calls[-1]
    assert last.error is not None and last.broke_contract


def test_a_plugin_that_cannot_be_reached_is_said() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = _client(BASE, httpx.MockTransport(refuse))
    with pytest.raises(SimulationError, match="cannot fetch the manifest: ConnectError"):
        fetch_files(client, "plugin")
    assert [c.status for c in client.calls] == [None]
