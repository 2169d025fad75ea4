"""`pluginlab-tui demo`'s fault switch for the board app (the runs themselves: tests/e2e)."""

from __future__ import annotations

from pluginlab_tui.commands.demo import APP_FAULT_HEADER, app_faults


def test_every_nth_step_asks_for_the_next_fault_of_its_method() -> None:
    fault = app_faults(2)
    steps = ["tools/list", "tools/list", "resources/list", "resources/list", "tools/call"]
    steps += ["tools/call", "tools/call", "tools/call", "tools/list", "tools/list"]
    asked = [fault(step, None).get(APP_FAULT_HEADER) for step in steps]
    # steps 2, 4, 6, 8, 10: resources/list has no fault, tools/call and tools/list take turns
    assert asked == [None, "unlisted_tool", None, None, None] + [
        "bad_structured",
        None,
        "undeclared_error",
        None,
        "catalogue_v2",
    ]


def test_no_fault_when_the_switch_is_off() -> None:
    fault = app_faults(0)
    assert [fault("tools/call", "add_card") for _ in range(5)] == [{}] * 5
