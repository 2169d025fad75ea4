"""serve's full collections: Python's own turned off, one on serve's clock instead."""

from __future__ import annotations

import asyncio
import gc
import weakref

from pluginlab_tui.proxy.collection import full_collections_every


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def _garbage_cycle() -> weakref.ref[_Node]:
    """A cycle no one can reach, that only a collection frees."""
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_python_s_full_collections_are_off_within_and_as_they_were_after() -> None:
    before = gc.get_threshold()

    async def main() -> tuple[int, int, int]:
        with full_collections_every(60):
            return gc.get_threshold()

    within = asyncio.run(main())
    assert within[:2] == before[:2] and within[2] > 1_000_000
    assert gc.get_threshold() == before


def test_cycles_left_unreachable_are_freed_by_the_clock_tick_after_tick_and_not_before() -> None:
    async def main() -> list[bool]:
        with full_collections_every(0.5):
            first = _garbage_cycle()
            await asyncio.sleep(0.02)
            seen = [first() is not None]  # the first tick is 0.5 s away
            await asyncio.sleep(0.6)
            seen.append(first() is None)
            second = _garbage_cycle()  # each tick schedules the next
            await asyncio.sleep(0.6)
            seen.append(second() is None)
        return seen

    automatic = gc.isenabled()
    gc.disable()  # only the clock may collect here
    try:
        seen = asyncio.run(main())
    finally:
        if automatic:
            gc.enable()
    assert seen == [True, True, True]


def test_the_clock_stops_on_exit() -> None:
    async def main() -> weakref.ref[_Node]:
        with full_collections_every(0.05):
            pass
        cycle = _garbage_cycle()
        await asyncio.sleep(0.2)
        return cycle

    automatic = gc.isenabled()
    gc.disable()
    try:
        cycle = asyncio.run(main())
        assert cycle() is not None  # no collection ran after the block
    finally:
        if automatic:
            gc.enable()
        gc.collect()
