"""The bundled examples' backends: the board app's tools and faults, through the SDK client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import TextResourceContents

from pluginlab_tui.errors import UsageError
from pluginlab_tui.examples import EXAMPLES, Backend, example_dir

WIDGET = "ui://board/board.html"


async def _session(url: str, headers: dict[str, str], work: Any, **options: Any) -> Any:
    async with httpx2.AsyncClient(headers=headers) as http:
        transport = streamable_http_client(url, http_client=http)
        async with Client(transport, cache=None, **options) as client:
            return await work(client)


def call(url: str, work: Any, fault: str | None = None, **options: Any) -> Any:
    headers = {"X-App-Fault": fault} if fault else {}
    return anyio.run(lambda: _session(url, headers, work, **options))


@pytest.fixture(scope="module")
def mcp_url(app_backend: Backend) -> str:
    return app_backend.url + "/mcp"


async def _tool_names(client: Client) -> list[str]:
    return [t.name for t in (await client.list_tools()).tools]


def test_both_examples_are_found() -> None:
    assert set(EXAMPLES) == {"todo", "app"}
    assert (example_dir("app") / "app.py").is_file()
    with pytest.raises(UsageError, match="no example named 'nope'"):
        example_dir("nope")


def test_the_board_lists_its_tools_and_calls_them(mcp_url: str) -> None:
    async def work(client: Client) -> Any:
        added = await client.call_tool("add_card", {"title": "Test the app"})
        moved = await client.call_tool(
            "move_card", {"card_id": added.structured_content["id"], "column": "done"}
        )
        board = await client.call_tool("list_cards", {"column": "done"})
        missing = await client.call_tool("delete_card", {"card_id": 9999})
        prompt = await client.get_prompt("triage", {"column": "doing"})
        card = await client.read_resource(f"board://cards/{added.structured_content['id']}")
        return await _tool_names(client), added, moved, board, missing, prompt, card

    names, added, moved, board, missing, prompt, card = call(mcp_url, work)
    assert names == ["list_cards", "add_card", "move_card", "delete_card"]
    assert (
        added.structured_content["title"] == "Test the app"
        and added.structured_content["column"] == "todo"
    )
    assert moved.structured_content["column"] == "done"
    assert added.structured_content["id"] in [c["id"] for c in board.structured_content["cards"]]
    assert board.structured_content["count"] == len(board.structured_content["cards"])
    assert missing.is_error and "no card 9999" in missing.content[0].text
    assert "doing column" in prompt.messages[0].content.text
    assert '"title":"Test the app"' in card.contents[0].text


async def _list_cards(client: Client) -> Any:
    """The call's result, or the error it raised (kept inside the client's task group)."""
    try:
        return await client.call_tool("list_cards", {})
    except (MCPError, RuntimeError) as exc:
        return exc


def test_bad_structured_breaks_the_output_schema(mcp_url: str) -> None:
    broken = call(mcp_url, _list_cards, "bad_structured")
    assert isinstance(broken, RuntimeError)
    assert "Invalid structured content returned by tool list_cards" in str(broken)
    assert call(mcp_url, _list_cards).structured_content["count"] >= 0


def test_unlisted_tool_hides_delete_card_which_stays_callable(mcp_url: str) -> None:
    async def work(client: Client) -> Any:
        names = await _tool_names(client)
        added = await client.call_tool("add_card", {"title": "doomed"})
        deleted = await client.call_tool("delete_card", {"card_id": added.structured_content["id"]})
        return names, deleted

    names, deleted = call(mcp_url, work, "unlisted_tool")
    assert "delete_card" not in names and "list_cards" in names
    assert not deleted.is_error and deleted.structured_content["deleted"] >= 1
    assert "delete_card" in call(mcp_url, _tool_names)


def test_undeclared_error_answers_a_json_rpc_error_the_spec_does_not_define(mcp_url: str) -> None:
    error = call(mcp_url, _list_cards, "undeclared_error")
    assert isinstance(error, MCPError)
    assert error.code == -32099
    assert error.data == {"exception": "ZeroDivisionError"}
    assert not call(mcp_url, _list_cards).is_error


def test_catalogue_v2_changes_the_tools_and_the_widget(mcp_url: str) -> None:
    async def work(client: Client) -> Any:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        content = (await client.read_resource(WIDGET)).contents[0]
        assert isinstance(content, TextResourceContents)
        widget = content.text
        return tools, widget

    v1_tools, v1_widget = call(mcp_url, work)
    v2_tools, v2_widget = call(mcp_url, work, "catalogue_v2")
    assert v1_tools["add_card"].input_schema["required"] == ["title"]
    assert v2_tools["add_card"].input_schema["required"] == ["title", "board"]
    assert v2_tools["list_cards"].description != v1_tools["list_cards"].description
    assert set(v2_tools) == set(v1_tools)
    assert 'data-version="1"' in v1_widget and 'data-version="2"' in v2_widget


@pytest.fixture(scope="module")
def faulty_backend() -> Iterator[Backend]:
    with Backend("app", env={"APP_FAULT": "unlisted_tool"}) as backend:
        yield backend


def test_app_fault_applies_to_every_request(faulty_backend: Backend) -> None:
    assert "delete_card" not in call(faulty_backend.url + "/mcp", _tool_names)


def test_app_delay_holds_the_answer(mcp_url: str) -> None:
    async def delay_calls(request: httpx2.Request) -> None:
        if b'"tools/call"' in request.content:
            request.headers["X-App-Delay"] = "10"

    async def work(client: Client) -> Any:
        try:
            return await client.call_tool("list_cards", {}, read_timeout_seconds=1)
        except MCPError as exc:
            return exc

    async def delayed() -> Any:
        async with httpx2.AsyncClient(event_hooks={"request": [delay_calls]}) as http:
            transport = streamable_http_client(mcp_url, http_client=http)
            async with Client(transport, cache=None) as client:
                return await work(client)

    late = anyio.run(delayed)
    assert isinstance(late, MCPError) and late.code == -32001  # REQUEST_TIMEOUT
    assert not call(mcp_url, work).is_error


def test_a_foreign_host_is_refused_unless_allowed(mcp_url: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"Accept": "application/json, text/event-stream", "Host": "tunnel.example:443"}
    refused = httpx.post(mcp_url, json=body, headers=headers, trust_env=False)
    assert refused.status_code == 421
    with Backend("app", env={"APP_ALLOWED_HOSTS": "tunnel.example:443"}) as allowed:
        answer = httpx.post(allowed.url + "/mcp", json=body, headers=headers, trust_env=False)
    assert answer.status_code != 421
