"""The MCP player against the real example app (its own uvicorn process): conversations, faults,
the id a result made, tools kept once shown, stopping, and a server that is not there."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from pluginlab_tui.examples import Backend, free_port
from pluginlab_tui.simulate.mcp_player import McpPlayer, Step, tool_arguments

TOOLS = ["list_cards", "add_card", "move_card", "delete_card"]
CONVERSATION = ["tools/list", "resources/list", "resources/read"] + ["tools/call"] * len(TOOLS)


@pytest.fixture(scope="module")
def board() -> Iterator[Backend]:
    """An app of its own: the player adds and deletes cards."""
    with Backend("app") as backend:
        yield backend


def play(
    url: str,
    conversations: int,
    faults: dict[str, list[str]] | None = None,
    fault_every: int = 0,
    timeout_s: float = 30.0,
) -> tuple[McpPlayer, list[Step]]:
    """`conversations` conversations without pauses; the player and every step it took."""
    steps: list[Step] = []
    player = McpPlayer(
        url,
        interval=0,
        fault_every=fault_every,
        fault_header="X-App-Fault",
        faults=faults,
        on_step=steps.append,
        timeout_s=timeout_s,
    )
    player.run(threading.Event(), conversations)
    return player, steps


def test_a_conversation_lists_reads_the_widget_and_calls_every_tool_with_the_id_it_made(
    board: Backend,
) -> None:
    player, steps = play(board.url + "/mcp", 2)
    assert player.error is None and player.conversations == 2
    assert [s.method for s in steps] == CONVERSATION * 2
    assert [s.name for s in steps if s.method == "resources/read"] == ["ui://board/board.html"] * 2
    assert [s.name for s in steps if s.method == "tools/call"] == TOOLS * 2
    # move_card and delete_card take the card add_card made, so every call succeeds
    assert {s.outcome for s in steps} == {"ok"}
    assert all(s.fault is None for s in steps)


def test_every_nth_step_carries_a_fault_of_its_method_and_a_json_rpc_error_is_an_answer(
    board: Backend,
) -> None:
    faults = {"tools/call": ["undeclared_error"], "tools/list": ["unlisted_tool"]}
    player, steps = play(board.url + "/mcp", 2, faults, fault_every=7)
    assert player.error is None and len(steps) == 14
    faulted = [(s.method, s.name, s.fault, s.outcome) for s in steps if s.fault]
    # steps 7 and 14 are the last tools/call of each conversation
    assert (
        faulted == [("tools/call", "delete_card", "undeclared_error", "JSON-RPC error -32099")] * 2
    )


def test_a_tool_once_listed_is_still_called_when_a_later_listing_leaves_it_out(
    board: Backend,
) -> None:
    faults = {"tools/list": ["unlisted_tool"], "tools/call": []}
    _, steps = play(board.url + "/mcp", 2, faults, fault_every=8)
    assert steps[7].method == "tools/list" and steps[7].fault == "unlisted_tool"
    assert [s.name for s in steps[8:] if s.method == "tools/call"] == TOOLS


def test_arguments_come_from_the_input_schema_with_the_learned_id() -> None:
    tool = {
        "name": "move_card",
        "inputSchema": {
            "type": "object",
            "properties": {
                "card_id": {"type": "integer", "minimum": 1},
                "column": {"type": "string", "enum": ["todo", "doing", "done"]},
            },
            "required": ["card_id", "column"],
        },
    }
    assert tool_arguments(tool, {}) == {"card_id": 1, "column": "todo"}
    assert tool_arguments(tool, {"id": 7}) == {"card_id": 7, "column": "todo"}
    assert tool_arguments({"name": "bare"}, {"id": 7}) == {}


def test_the_stop_flag_ends_the_run_between_steps(board: Backend) -> None:
    stop = threading.Event()
    steps: list[Step] = []

    def seen(step: Step) -> None:
        steps.append(step)
        if len(steps) == 3:
            stop.set()

    player = McpPlayer(board.url + "/mcp", interval=0, on_step=seen)
    player.run(stop)
    assert len(steps) == 3 and player.error is None and player.conversations == 0


def test_a_server_that_is_not_there_ends_the_run_with_the_reason() -> None:
    player, steps = play(f"http://127.0.0.1:{free_port()}/mcp", 3, timeout_s=5)
    assert steps == [] and player.conversations == 0
    assert player.error is not None and "Connect" in player.error
