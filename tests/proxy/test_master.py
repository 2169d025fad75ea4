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


def test_where_uvloop_is_installed_it_runs_mitmproxy_s_eager_tasks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """uvloop 0.23 passes `eager_start` to the task factory, which Python 3.13.0's eager factory
    refuses: the chosen loop is still uvloop's, and a task still starts at once (eagerly)."""
    uvloop = pytest.importorskip("uvloop")
    monkeypatch.delenv("PLUGINLAB_UVLOOP", raising=False)
    seen: list[str] = []

    async def step() -> None:
        seen.append("ran")

    async def main() -> None:
        seen.append("uvloop" if isinstance(asyncio.get_running_loop(), uvloop.Loop) else "other")
        with asyncio_utils.set_eager_task_factory():
            task = asyncio_utils.create_task(step(), name="probe", keep_ref=True)
            seen.append("created")
            await task

    event_loop_runner()(main())
    assert seen == ["uvloop", "ran", "created"]
