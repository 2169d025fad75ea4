"""benchmarks/profile_serve.py: py-spy's collapsed stacks put into the parts of an exchange.

py-spy itself needs ptrace (root or a lax yama scope): the profile is run by hand, its reading
of the samples is tested here on stacks of the shape py-spy writes.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.profile_serve import part_of, profile

LOOP = "_run_once (asyncio/base_events.py:1990);Handle._run (asyncio/events.py:88)"
STAGE = "Pipeline._run (pluginlab_tui/proxy/pipeline.py:62)"


def test_a_loop_sample_is_put_in_the_stage_under_the_pipelines_hook() -> None:
    frames = [
        *LOOP.split(";"),
        STAGE,
        "request_stage.<locals>.run_async (pluginlab_tui/proxy/exchange.py:120)",
        "Forward.request (pluginlab_tui/proxy/forward.py:90)",
        "ClientSession._request (aiohttp/client.py:500)",
    ]
    assert part_of("MainThread", frames) == "Forward.request (proxy/forward.py)"


def test_outside_the_stages_socket_work_is_told_from_mitmproxys_own() -> None:
    write = [*LOOP.split(";"), "_SelectorSocketTransport.write (asyncio/selector_events.py:1)"]
    parse = [*LOOP.split(";"), "read_request_head (mitmproxy/net/http/http1/read.py:70)"]
    assert part_of("MainThread", write).startswith("socket reads and writes")
    assert part_of("MainThread", parse).startswith("mitmproxy and asyncio")


def test_writer_samples_by_step_and_idle_waits_left_out(tmp_path: Path) -> None:
    writer = "thread (7): pluginlab-writer;EventWriter._run (pluginlab_tui/store/writer.py:280)"
    insert = ";EventWriter._write (pluginlab_tui/store/writer.py:310)"
    insert += ";EventWriter._insert (pluginlab_tui/store/writer.py:340)"
    insert += ";insert_events (pluginlab_tui/store/writer.py:420)"
    idle = ";Queue.get (queue.py:171)"
    raw = tmp_path / "raw.txt"
    raw.write_text(f"{writer}{insert} 30\n{writer}{idle} 70\n", encoding="utf-8")
    threads, parts = profile(raw)
    assert threads["pluginlab-writer"] == 30  # the 70 samples of waiting are not work
    assert parts["pluginlab-writer"] == {"insert_events (store/writer.py)": 30}
