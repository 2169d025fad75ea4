"""The embedded master: the event loop it runs on."""

from __future__ import annotations

import asyncio

import pytest
from mitmproxy.utils import asyncio_utils

from pluginlab_tui.proxy.master import event_loop_runner


def test_the_chosen_loop_runs_tasks_the_way_mitmproxy_starts_them() -> None:
    answers: list[str] = []

    async def answer() -> str:
        return "up"

    async def main() -> None:
        with asyncio_utils.set_eager_task_factory():  # what mitmproxy's Master.run does
            task = asyncio_utils.create_task(answer(), name="probe", keep_ref=True)
            answers.append(await task)

    event_loop_runner()(main())
    assert answers == ["up"]


def test_pluginlab_uvloop_0_chooses_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLUGINLAB_UVLOOP", "0")
    assert event_loop_runner() is asyncio.run
