from __future__ import annotations

from mitmproxy.test import tutils

from pluginlab_tui.proxy.relay import Tee, is_event_stream


def test_the_tee_passes_every_chunk_on_and_keeps_at_most_its_limit() -> None:
    tee = Tee(limit=5)
    passed = [tee(b"abc"), tee(b"defg"), tee(b"")]
    assert passed == [[b"abc"], [b"defg"], []]
    assert bytes(tee.kept) == b"abcde" and tee.size == 7 and not tee.complete


def test_a_listener_may_replace_a_chunk_or_hold_it_back() -> None:
    tee = Tee(limit=100)
    held: list[bytes] = []

    def listener(chunk: bytes) -> bytes | None:
        if chunk == b"b":
            return b"".join(held) + b"B"
        held.append(chunk)
        return b""

    tee.listener = listener
    assert [tee(b"a"), tee(b"b")] == [[], [b"aB"]]
    assert bytes(tee.kept) == b"aB" and tee.size == 2


def test_a_tee_under_its_limit_is_complete() -> None:
    tee = Tee(limit=100)
    tee(b"data: 1\n\n")
    assert bytes(tee.kept) == b"data: 1\n\n" and tee.complete


def test_only_text_event_stream_answers_are_streamed() -> None:
    sse = tutils.tresp(headers=[(b"content-type", b"Text/Event-Stream; charset=utf-8")])
    json = tutils.tresp(headers=[(b"content-type", b"application/json")])
    bare = tutils.tresp(headers=[])
    assert is_event_stream(sse) and not is_event_stream(json) and not is_event_stream(bare)
