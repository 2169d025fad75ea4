"""The app simulator against real official-SDK servers on loopback, in both protocol eras, and
against the example app for the long runs the demo makes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from pluginlab_tui.examples import Backend
from pluginlab_tui.simulate.app import MAX_CONVERSATIONS, AppSimulator
from pluginlab_tui.simulate.client import Call, SimulationError
from tests.mcp.servers import WIDGET, Patch, lax_echo, serving, widget_server


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with serving(widget_server().streamable_http_app()) as base:
        yield base + "/mcp"


def patched(patch: Patch) -> Any:
    return serving(widget_server(patch).streamable_http_app())


@pytest.mark.parametrize("era", ["handshake", "stateless"])
def test_a_conversation_lists_reads_and_calls_everything_and_all_is_well(
    server_url: str, era: Any
) -> None:
    calls = AppSimulator(server_url, era=era).run()
    steps = [c.step for c in calls]
    assert steps[0] == ("initialize" if era == "handshake" else "server/discover")
    assert {"tools/list", "resources/list", "resources/templates/list"} <= set(steps)
    assert [c.subject for c in calls if c.step == "resources/read"] == [WIDGET]
    assert sorted(c.subject or "" for c in calls if c.step == "tools/call") == [
        "echo",
        "get_weather",
    ]
    assert not [c for c in calls if c.broke_contract], [c.line() for c in calls]
    assert all(c.status == 200 for c in calls)


def _spoil_weather(method: str, result: dict[str, Any]) -> dict[str, Any]:
    if method == "tools/call" and isinstance(result.get("structuredContent"), dict):
        result["structuredContent"] = {"city": "Paris"}  # celsius left out
    return result


def test_a_result_against_its_output_schema_breaks_the_contract() -> None:
    with patched(_spoil_weather) as base:
        calls = AppSimulator(base + "/mcp").run()
    (weather,) = [c for c in calls if c.subject == "get_weather"]
    assert weather.broke_contract
    assert [v.code for v in weather.violations] == ["mcp_invalid_structured_content"]
    assert "celsius" in weather.violations[0].message


def test_fuzz_lists_the_invalid_arguments_a_server_accepted() -> None:
    with patched(lax_echo) as base:
        calls = AppSimulator(base + "/mcp", fuzz=3).run()
    fuzzed = [c for c in calls if c.step == "fuzz" and c.subject == "echo"]
    assert len(fuzzed) == 3
    accepted = [c for c in fuzzed if c.broke_contract]
    assert len(accepted) == 1  # the wrong types were refused, as they should be
    assert (accepted[0].error or "").startswith("accepted invalid arguments ('lang' left out): ")
    assert not [c for c in calls if c.step == "tools/call" and c.broke_contract]


def test_a_fault_header_goes_with_the_step_it_was_given_for(server_url: str) -> None:
    def fault(method: str, subject: str | None) -> dict[str, str]:
        return {"X-Test": subject or ""} if method == "tools/call" else {}

    calls = AppSimulator(server_url, fault=fault).run()
    assert {c.fault for c in calls if c.step == "tools/call"} == {
        "X-Test: echo",
        "X-Test: get_weather",
    }
    assert {c.fault for c in calls if c.step != "tools/call"} == {None}


def test_a_server_that_is_not_there_is_one_error() -> None:
    with serving(widget_server().streamable_http_app()) as base:
        pass
    with pytest.raises(SimulationError, match="cannot open an MCP session"):
        AppSimulator(base + "/mcp", timeout_s=5).run()


# -- long runs, as the demo drives them, against the example app --------------------------------


@pytest.fixture(scope="module")
def board() -> Iterator[Backend]:
    """An app of its own: the simulator adds and deletes cards."""
    with Backend("app") as backend:
        yield backend


def test_a_conversation_moves_and_deletes_the_card_it_added(board: Backend) -> None:
    calls = AppSimulator(board.url + "/mcp", era="handshake", conversations=2).run()
    called = [c.subject for c in calls if c.step == "tools/call"]
    assert called == ["list_cards", "add_card", "move_card", "delete_card"] * 2
    # the card add_card made is the one moved and deleted: no call fails
    assert not [c for c in calls if c.broke_contract], [c.line() for c in calls]


def test_a_tool_once_listed_is_still_called_when_a_later_listing_leaves_it_out(
    board: Backend,
) -> None:
    listings = iter(range(10))

    def fault(method: str, _subject: str | None) -> dict[str, str]:
        if method == "tools/list" and next(listings) == 1:
            return {"X-App-Fault": "unlisted_tool"}
        return {}

    simulator = AppSimulator(board.url + "/mcp", conversations=2, fault=fault)
    calls = simulator.run()
    second = calls[[c.step for c in calls].index("tools/list", 2) :]
    assert second[0].fault == "X-App-Fault: unlisted_tool"
    assert "delete_card" not in [t["name"] for t in simulator.catalogue.tools or ()]
    assert [c.subject for c in second if c.step == "tools/call"][-1] == "delete_card"


def test_the_stop_flag_ends_the_run_between_steps(board: Backend) -> None:
    stop = threading.Event()
    seen: list[Call] = []

    def note(call: Call) -> None:
        seen.append(call)
        if len(seen) == 3:
            stop.set()

    simulator = AppSimulator(
        board.url + "/mcp", conversations=MAX_CONVERSATIONS, stop=stop, on_call=note
    )
    assert simulator.run() == []  # handed to on_call, not kept
    assert len(seen) == 3 and simulator.done == 0
