"""The SSE parser (any split, bounded), the frame writer and the endpoint rewrite."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pluginlab_tui.mcp.sse import Frame, Overflow, Parser, rewrite_endpoint, write_frame

STREAM = (
    b": keep-alive\n\n"
    b'event: message\r\nid: s1-1\r\ndata: {"jsonrpc":"2.0",\r\ndata: "method":"x"}\r\n\r\n'
    b"id: s1-2\ndata:\n\n"  # a priming event: an id, empty data
    b"retry: 1500\rdata: cr only\r\r"
    b"event: endpoint\ndata: /messages/?session_id=ab\n\n"
    b"data: caf\xc3\xa9\n\n"
)
EXPECTED = [
    Frame('{"jsonrpc":"2.0",\n"method":"x"}', "message", "s1-1"),
    Frame("", "message", "s1-2"),
    Frame("cr only", retry=1500),
    Frame("/messages/?session_id=ab", "endpoint"),
    Frame("café"),
]


def test_frames_come_out_whole_with_their_fields() -> None:
    assert Parser().feed(STREAM) == EXPECTED


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=8))
def test_any_split_gives_the_same_frames(cuts: list[int]) -> None:
    parser = Parser()
    out: list[Frame | Overflow] = []
    last = 0
    for cut in sorted(cuts):
        out.extend(parser.feed(STREAM[last:cut]))
        last = cut
    out.extend(parser.feed(STREAM[last:]))
    assert out == EXPECTED


def test_a_frame_is_given_only_once_it_is_complete() -> None:
    parser = Parser()
    assert parser.feed(b"data: half") == []
    assert parser.feed(b"\n") == []
    assert parser.feed(b"\n") == [Frame("half")]


def test_an_over_long_frame_is_an_error_and_the_stream_goes_on() -> None:
    parser = Parser(max_frame_bytes=64)
    out: list[Frame | Overflow] = []
    out += parser.feed(b"data: " + b"x" * 50 + b"\n")
    for _ in range(1000):  # a frame that never ends: memory stays bounded
        out += parser.feed(b"data: " + b"y" * 1000 + b"\n")
    assert len(parser._line) <= 64
    out += parser.feed(b"\ndata: after\n\n")
    assert len(out) == 2 and isinstance(out[0], Overflow)
    assert out[1] == Frame("after")


def test_the_writer_round_trips_through_the_parser() -> None:
    frames = [
        Frame('{"a": 1}'),
        Frame("two\nlines", "endpoint", "7", 100),
        Frame("", id="prime"),
        Frame("\nedge\n"),
    ]
    written = b"".join(write_frame(f) for f in frames)
    assert Parser().feed(written) == frames
    assert write_frame(Frame("x")) == b"data: x\n\n"


def test_the_endpoint_is_rewritten_to_the_public_url() -> None:
    upstream = "http://127.0.0.1:8000/sse"
    assert (
        rewrite_endpoint("/messages/?session_id=ab", upstream, "https://abc.ngrok.app")
        == "https://abc.ngrok.app/messages/?session_id=ab"
    )
    assert (
        rewrite_endpoint("http://127.0.0.1:8000/m?session_id=1", upstream, "http://localhost:8787/")
        == "http://localhost:8787/m?session_id=1"
    )
    assert rewrite_endpoint("messages?s=1", "http://h/app/sse", "https://p/base") == (
        "https://p/base/app/messages?s=1"
    )
