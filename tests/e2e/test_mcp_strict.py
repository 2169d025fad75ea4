"""Strict mode for MCP (`serve --strict --mcp`): answers as the version in force expects, the
server not called for a request that breaks the contract; a result that breaks it replaced by
-32603, in a JSON body and in an SSE frame."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from pluginlab_tui.examples import Backend
from tests.e2e.test_mcp_events import ACCEPT, mcp_events, run_session, session_headers
from tests.e2e.test_mcp_mode import Proxy
from tests.harness import wait_for


@pytest.fixture(scope="module")
def app() -> Iterator[Backend]:
    with Backend("app") as backend:
        yield backend


@pytest.fixture
def proxy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app: Backend) -> Iterator[Proxy]:
    monkeypatch.chdir(tmp_path)
    with Proxy(tmp_path, "--strict", "--mcp", "/mcp", "--backend", app.url) as proxy:
        yield proxy


def opened(client: httpx.Client, version: str) -> dict[str, str]:
    init = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"},
        },
    }
    session = client.post("/mcp", json=init, headers=ACCEPT).headers["mcp-session-id"]
    headers = {**ACCEPT, **session_headers(session, version)}
    client.post(
        "/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers
    )
    client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=headers)
    return headers


def answer_of(response: httpx.Response) -> dict[str, Any]:
    """The JSON-RPC answer of a POST: its JSON body, or its SSE stream's last frame."""
    if response.headers["content-type"].startswith("application/json"):
        value: dict[str, Any] = response.json()
        return value
    frames = [line[5:].strip() for line in response.text.splitlines() if line.startswith("data:")]
    last: dict[str, Any] = json.loads(frames[-1])
    return last


def call(rid: int, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": rid,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


@pytest.mark.parametrize("version", ["2025-06-18", "2025-11-25"])
def test_invalid_arguments_are_answered_as_the_version_expects(proxy: Proxy, version: str) -> None:
    with proxy.client() as client:
        headers = opened(client, version)
        bad = client.post("/mcp", json=call(2, "add_card", {"title": 5}), headers=headers)
        good = client.post("/mcp", json=call(3, "add_card", {"title": "ok"}), headers=headers)
    refused = answer_of(bad)
    if version == "2025-06-18":
        assert refused["error"]["code"] == -32602
        assert "Invalid arguments" in refused["error"]["message"]
    else:
        assert refused["result"]["isError"] is True
        assert "Invalid arguments" in refused["result"]["content"][0]["text"]
    assert bad.headers["content-type"].startswith(
        "application/json"
    )  # the proxy's, not the app's SSE
    assert answer_of(good)["result"]["structuredContent"]["title"] == "ok"


def test_an_unknown_method_session_and_version_get_their_answers(proxy: Proxy) -> None:
    with proxy.client() as client:
        headers = opened(client, "2025-11-25")
        unknown = client.post(
            "/mcp", json={"jsonrpc": "2.0", "id": 4, "method": "tools/explode"}, headers=headers
        )
        stranger = client.post(
            "/mcp", json=call(5, "list_cards", {}), headers={**headers, "Mcp-Session-Id": "nobody"}
        )
        version = client.post(
            "/mcp",
            json=call(6, "list_cards", {}),
            headers={**headers, "MCP-Protocol-Version": "1999-01-01"},
        )
    assert unknown.status_code == 200 and unknown.json()["error"]["code"] == -32601
    assert stranger.status_code == 404
    assert version.status_code == 400


def test_a_result_that_breaks_the_contract_is_replaced_in_an_sse_frame(proxy: Proxy) -> None:
    with proxy.client() as client:
        headers = opened(client, "2025-11-25")
        broken = client.post(
            "/mcp",
            json=call(2, "list_cards", {}),
            headers={**headers, "X-App-Fault": "bad_structured"},
        )
    assert broken.headers["content-type"].startswith("text/event-stream")
    answer = answer_of(broken)
    assert answer["id"] == 2 and answer["error"]["code"] == -32603
    assert "mcp_invalid_structured_content" in answer["error"]["message"]
    events = wait_for(lambda: mcp_events(proxy.db, "tools/call"))
    assert events is not None
    (event,) = [e for e in events if e.rpc_method == "tools/call"]
    assert {v.code for v in event.violations} == {"mcp_invalid_structured_content"}
    assert "-32603" in (event.response_body or "")  # what the caller got


def test_a_result_that_breaks_the_contract_is_replaced_in_a_json_body(proxy: Proxy) -> None:
    async def work(client: Client) -> str:
        await client.list_tools()
        try:
            await client.call_tool("list_cards", {})
        except MCPError as exc:
            return f"{exc.error.code} {exc.error.message}"
        return "no error"

    said = run_session(proxy.url + "/mcp", "auto", work, {"X-App-Fault": "bad_structured"})
    assert said.startswith("-32603") and "mcp_invalid_structured_content" in said


def test_a_batch_with_a_message_that_breaks_the_contract_is_answered_whole(proxy: Proxy) -> None:
    """2025-03-26 allows batches: one refused message and the batch is the proxy's to answer,
    each message its own answer, the server not called (the valid card is never added)."""
    with proxy.client() as client:
        headers = opened(client, "2025-03-26")
        batch = [
            call(2, "add_card", {"title": "never added"}),
            call(3, "add_card", {"title": 5}),
            {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 9}},
        ]
        answer = client.post("/mcp", json=batch, headers=headers)
        cards = client.post("/mcp", json=call(4, "list_cards", {}), headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    first, second = answer.json()  # the notification gets no answer
    assert first["id"] == 2 and first["error"]["code"] == -32600
    assert "Not sent" in first["error"]["message"]
    assert second["id"] == 3 and second["error"]["code"] == -32602
    titles = [c["title"] for c in answer_of(cards)["result"]["structuredContent"]["cards"]]
    assert "never added" not in titles  # the server never saw the batch
    events = wait_for(lambda: mcp_events(proxy.db, "tools/call", "tools/call", "tools/call"))
    assert events is not None
    by_id = {e.rpc_id: e for e in events if e.rpc_method == "tools/call"}
    assert {v.code for v in by_id["3"].violations} == {"mcp_invalid_arguments"}
    assert by_id["2"].violations == [] and "Not sent" in (by_id["2"].response_body or "")
