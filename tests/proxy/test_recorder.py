"""The Recorder stage: events go to the writer; a full queue holds the exchange, not the loop."""

from __future__ import annotations

import asyncio
from pathlib import Path

from mitmproxy import http
from mitmproxy.proxy.layers.http import HttpRequestHook, HttpResponseHook
from mitmproxy.test import taddons, tflow

from pluginlab_tui.config import load_config
from pluginlab_tui.proxy.addon import PluginLab
from pluginlab_tui.proxy.recorder import PendingEvent
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.store.event import ITEM_BYTES
from tests.conftest import stored_events, stored_notices
from tests.harness import todo_sections, write_config
from tests.store.test_writer import Held, event


async def test_a_full_queue_makes_the_exchange_wait_then_counts_it_not_stored(
    tmp_path: Path,
) -> None:
    sections = todo_sections(tmp_path, None, store={"queue_max": 1, "queue_wait_ms": 200})
    runtime = Runtime(load_config(write_config(tmp_path, sections)))
    runtime.start()
    held = Held()
    assert runtime.writer.offer(held) and held.entered.wait(10)
    assert runtime.writer.offer(event(path="/todos/filler"))  # the queue is full now
    ticks, answered = 0, False

    async def tick() -> None:  # other work on the loop, while the exchange waits
        nonlocal ticks
        while not answered:
            ticks += 1
            await asyncio.sleep(0.01)

    with taddons.context(PluginLab(runtime)) as tctx:
        flow = tflow.tflow()
        flow.request.path = "/todos/alice"
        await tctx.master.addons.handle_lifecycle(HttpRequestHook(flow))

        async def respond() -> None:
            nonlocal answered
            await tctx.master.addons.handle_lifecycle(HttpResponseHook(flow))
            answered = True

        await asyncio.gather(respond(), tick())
    assert flow.response is not None and flow.response.status_code == 200
    assert ticks > 1  # the loop went on with other work while the exchange waited
    assert runtime.writer.health()["events_not_stored"] == 1
    held.release.set()
    runtime.close()
    assert [e.path for e in stored_events(runtime.config.store_path)] == ["/held", "/todos/filler"]
    told = stored_notices(runtime.config.store_path, "not_stored")
    assert told == [
        "1 event(s) not stored: the writer's queue was full (store.queue_max=1)"
        " for store.queue_wait_ms=200"
    ]


async def test_an_exchange_that_finds_room_is_recorded(tmp_path: Path) -> None:
    runtime = Runtime(load_config(write_config(tmp_path, todo_sections(tmp_path, None))))
    runtime.start()
    with taddons.context(PluginLab(runtime)) as tctx:
        flow = tflow.tflow()
        flow.request.path = "/todos/alice"
        await tctx.master.addons.handle_lifecycle(HttpRequestHook(flow))
        await tctx.master.addons.handle_lifecycle(HttpResponseHook(flow))
    runtime.close()
    assert [e.path for e in stored_events(runtime.config.store_path)] == ["/todos/alice"]
    assert runtime.writer.health()["events_not_stored"] == 0


async def handed_over(tmp_path: Path, body: bytes, cap: int) -> tuple[http.HTTPFlow, PendingEvent]:
    """A POST with `body` through the stages (the spec's mock answers); the pending event queued."""
    sections = todo_sections(tmp_path, None, store={"body_cap_bytes": cap})
    runtime = Runtime(load_config(write_config(tmp_path, sections)))
    runtime.start()
    offered: list[object] = []
    offer = runtime.writer.offer

    def seen(item: object) -> bool:
        offered.append(item)
        return offer(item)  # type: ignore[arg-type]

    runtime.writer.offer = seen  # type: ignore[method-assign]
    with taddons.context(PluginLab(runtime)) as tctx:
        flow = tflow.tflow()
        flow.request.method, flow.request.path = "POST", "/todos/alice"
        flow.request.headers["content-type"] = "application/json"
        flow.request.content = body
        await tctx.master.addons.handle_lifecycle(HttpRequestHook(flow))
        await tctx.master.addons.handle_lifecycle(HttpResponseHook(flow))
    runtime.close()
    [pending] = offered
    assert isinstance(pending, PendingEvent) and flow.response is not None
    return flow, pending


async def test_a_pending_event_counts_each_body_it_holds_once(tmp_path: Path) -> None:
    body = b'{"title": "oat milk"}'
    flow, pending = await handed_over(tmp_path, body, cap=1000)
    answer = flow.response.raw_content if flow.response is not None else None
    assert answer  # the mock's example
    # the decoded bodies are the bodies as received (nothing to undo, under the cap): once each
    assert pending.nbytes == ITEM_BYTES + len(body) + len(answer)


async def test_a_pending_event_counts_its_raw_body_and_at_most_the_cap_decoded(
    tmp_path: Path,
) -> None:
    body = b'{"title": "' + b"x" * 300_000 + b'"}'
    flow, pending = await handed_over(tmp_path, body, cap=1000)
    answer = flow.response.raw_content if flow.response is not None else None
    assert answer
    held = ITEM_BYTES + len(body) + len(answer)
    assert held < pending.nbytes <= held + 2 * 1000  # + the decoded copies, cut at the cap
