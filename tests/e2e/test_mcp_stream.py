"""MCP event streams through `serve --mcp`: frames reach the caller as the server sends them,
an idle stream ends after mcp.stream_idle_s, and each streamed exchange is one event."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pluginlab_tui.examples import free_port
from pluginlab_tui.store.event import Event
from pluginlab_tui.wire import EVENT_HEADER
from tests.conftest import stored_events
from tests.e2e.test_mcp_mode import Proxy
from tests.harness import wait_for
from tests.rogue import CUT_FRAME, RogueBackend
from tests.sse_servers import FRAME_1, FRAME_2, Gated, two_frames


@pytest.fixture
def sse_server() -> Iterator[Gated]:
    with Gated(two_frames) as server:
        yield server


def _events(db: Path, method: str, rpc: str | None = None) -> list[Event] | None:
    """The events of `method` exchanges on /mcp: the stream's own (rpc None), or a message's."""
    found = [
        e
        for e in stored_events(db)
        if e.method == method and e.path == "/mcp" and e.rpc_method == rpc
    ]
    return found or None


def _frames(lines: Iterator[bytes]) -> Iterator[bytes]:
    """The SSE frames of a stream, one at a time, as they arrive."""
    frame = b""
    for chunk in lines:
        frame += chunk
        while b"\n\n" in frame:
            done, _, frame = frame.partition(b"\n\n")
            yield done + b"\n\n"


def test_a_post_answer_stream_reaches_the_caller_frame_by_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sse_server: Gated
) -> None:
    monkeypatch.chdir(tmp_path)
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call"}
    accept = {"Accept": "application/json, text/event-stream"}
    with Proxy(tmp_path, "--mcp", "/mcp", "--backend", sse_server.url) as proxy:
        with (
            proxy.client() as client,
            client.stream("POST", "/mcp", json=call, headers=accept) as answer,
        ):
            frames = _frames(answer.iter_raw())
            # The server holds frame 2 until `go`: frame 1 came through on its own.
            first = next(frames)
            sse_server.go.set()
            rest = b"".join(frames)
            event_id = answer.headers.get(EVENT_HEADER)
        events = wait_for(lambda: _events(proxy.db, "POST", "tools/call"))
        progress = wait_for(lambda: _events(proxy.db, "POST", "notifications/progress"))
    assert first == FRAME_1 and rest == FRAME_2
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert events is not None and len(events) == 1
    event = events[0]
    assert event.event_id == event_id and event.status == 200 and event.error is None
    assert (event.response_body or "").encode() == FRAME_1 + FRAME_2
    assert '"tools/call"' in (event.request_body or "")
    # the server's notification on the stream is an event of its own, of the same exchange
    assert progress is not None and progress[0].rpc_direction == "server"
    assert progress[0].exchange_id == event.event_id
    assert [f["event"] for f in event.frames] == ["message", "message"]


def test_an_idle_get_stream_ends_after_stream_idle_s_and_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sse_server: Gated
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"PLUGINLAB_MCP__STREAM_IDLE_S": "1", "PLUGINLAB_PROXY__TIMEOUT_S": "0.5"}
    with Proxy(tmp_path, "--mcp", "/mcp", "--backend", sse_server.url, env=env) as proxy:
        received = b""
        ended = None
        with proxy.client() as client:
            try:
                with client.stream("GET", "/mcp", headers={"Accept": "text/event-stream"}) as s:
                    for chunk in s.iter_raw():
                        received += chunk
            except httpx.HTTPError as exc:  # cut mid-stream: the chunked body never ends
                ended = exc
        events = wait_for(lambda: _events(proxy.db, "GET"))
    # The server never sends more (nor ends) before the test is over: the proxy ended it.
    assert not sse_server.go.is_set()
    assert received == FRAME_1, ended
    assert events is not None and len(events) == 1
    event = events[0]
    assert event.status == 200
    # proxy.timeout_s (0.5 s) does not cut a stream; mcp.stream_idle_s (1 s) does.
    assert event.error is not None and "mcp.stream_idle_s" in event.error
    assert (event.response_body or "").encode() == FRAME_1


def test_a_stream_the_caller_leaves_is_recorded_with_what_was_relayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sse_server: Gated
) -> None:
    monkeypatch.chdir(tmp_path)
    with Proxy(tmp_path, "--mcp", "/mcp", "--backend", sse_server.url) as proxy:
        with (
            proxy.client() as client,
            client.stream("GET", "/mcp", headers={"Accept": "text/event-stream"}) as stream,
        ):
            first = next(_frames(stream.iter_raw()))
        # the caller has gone; the server is still holding its stream open
        events = wait_for(lambda: _events(proxy.db, "GET"))
    assert first == FRAME_1 and not sse_server.go.is_set()
    assert events is not None and len(events) == 1
    event = events[0]
    assert event.status == 200 and event.error is not None
    assert (event.response_body or "").encode() == FRAME_1


def test_an_unreachable_mcp_backend_is_a_502_and_one_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    nowhere = f"http://127.0.0.1:{free_port()}"
    with Proxy(tmp_path, "--mcp", "/mcp", "--backend", nowhere) as proxy:
        with proxy.client() as client:
            answer = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        # the POST's one message is its event: unanswered, with the exchange's error
        events = wait_for(lambda: _events(proxy.db, "POST", "ping"))
    # mitmproxy forwards MCP traffic and answers this 502 itself (not the proxy's problem+json)
    assert answer.status_code == 502
    assert events is not None and len(events) == 1
    assert events[0].error is not None and nowhere.rsplit(":", 1)[1] in events[0].error


#: The call both rogue-stream tests send, and what it accepts.
_CALL = {"jsonrpc": "2.0", "id": 1, "method": "tools/call"}
_ACCEPT = {"Accept": "application/json, text/event-stream"}


@pytest.fixture
def rogue_proxy(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Proxy, httpx.Client]]:
    """serve --mcp in front of a RogueBackend of the mode the test is parametrized with."""
    monkeypatch.chdir(tmp_path)
    with (
        RogueBackend(request.param) as backend,
        Proxy(tmp_path, "--mcp", "/mcp", "--backend", backend.url) as proxy,
        proxy.client() as client,
    ):
        yield proxy, client


@pytest.mark.parametrize("rogue_proxy", ["cut_stream"], indirect=True)
def test_a_frame_sent_just_before_the_backend_cuts_its_stream_reaches_the_caller_and_the_store(
    rogue_proxy: tuple[Proxy, httpx.Client],
) -> None:
    proxy, client = rogue_proxy
    got = b""
    with client.stream("POST", "/mcp", json=_CALL, headers=_ACCEPT) as answer:
        with pytest.raises(httpx.RemoteProtocolError):  # the caller sees the stream end short
            for chunk in answer.iter_raw():
                got += chunk
    events = wait_for(lambda: _events(proxy.db, "POST", "tools/call"))
    assert got == CUT_FRAME
    # the answer came whole before the cut: the call's event holds it, paired with its request
    assert events is not None and len(events) == 1
    assert (events[0].response_body or "").encode() == CUT_FRAME
    assert events[0].status == 200 and [f["event"] for f in events[0].frames] == ["message"]


@pytest.mark.parametrize("rogue_proxy", ["whole_stream"], indirect=True)
def test_a_last_frame_that_comes_with_the_end_of_its_stream_reaches_the_caller_and_the_store(
    rogue_proxy: tuple[Proxy, httpx.Client],
) -> None:
    proxy, client = rogue_proxy  # the backend sends the frame and the last chunk in one write
    answer = client.post("/mcp", json=_CALL, headers=_ACCEPT)
    events = wait_for(lambda: _events(proxy.db, "POST", "tools/call"))
    assert answer.status_code == 200 and answer.content == CUT_FRAME  # the stream ended well
    assert events is not None and len(events) == 1 and events[0].error is None
    assert (events[0].response_body or "").encode() == CUT_FRAME
