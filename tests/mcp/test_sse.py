"""The SSE parser (any split, bounded), the frame writer and the endpoint rewrite."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pluginlab_tui.mcp.sse import (
    Endpoint,
    Frame,
    Overflow,
    Parser,
    endpoint_target,
    first_event_end,
    rewrite_endpoint,
    write_frame,
)

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


def test_the_endpoint_is_pointed_at_the_public_url() -> None:
    upstream = "http://127.0.0.1:8000/sse"
    relative = endpoint_target("/messages/?session_id=ab", upstream)
    assert relative == Endpoint("/messages/", "session_id=ab")
    assert rewrite_endpoint(relative, "https://abc.ngrok.app") == (
        "https://abc.ngrok.app/messages/?session_id=ab"
    )
    named = endpoint_target("http://127.0.0.1:8000/m?session_id=1", upstream)
    assert named is not None
    assert (
        rewrite_endpoint(named, "http://localhost:8787/") == "http://localhost:8787/m?session_id=1"
    )
    below = endpoint_target("messages?s=1", "http://h/app/sse")
    assert below is not None
    assert rewrite_endpoint(below, "https://p/base") == "https://p/base/app/messages?s=1"
    assert rewrite_endpoint(below, "https://p/base", absolute=False) == "/base/app/messages?s=1"


def test_an_endpoint_on_another_origin_is_not_taken() -> None:
    upstream = "http://127.0.0.1:8000/sse"
    assert endpoint_target("http://evil.example/messages/", upstream) is None
    assert endpoint_target("https://127.0.0.1:8000/messages/", upstream) is None
    assert endpoint_target("//127.0.0.1:9/messages/", upstream) is None


def test_the_session_is_read_from_the_endpoint_query() -> None:
    assert Endpoint("/m/", "session_id=ab&x=1").session_id == "ab"
    assert Endpoint("/m/", "sessionId=cd").session_id == "cd"
    assert Endpoint("/m/", "").session_id is None


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_the_first_event_ends_at_its_blank_line(eol: bytes) -> None:
    start = b": a comment" + eol + eol + b"event: endpoint" + eol + b"data: /m" + eol + eol
    more = b"data: next" + eol
    assert first_event_end(start + more) == len(start)
    assert first_event_end(start[:-1]) is None
    assert first_event_end(b": only a comment" + eol + eol) is None


@given(st.integers(min_value=0, max_value=len(STREAM)))
def test_the_first_event_ends_where_the_parser_gives_its_first_frame(cut: int) -> None:
    end = first_event_end(STREAM[:cut])
    first = Parser().feed(STREAM[:cut])
    if end is None:  # not yet given, or given on a CR that may be half of a CRLF
        assert not first or (len(first) == 1 and STREAM[:cut].endswith(b"\r"))
    else:
        assert Parser().feed(STREAM[:end]) == EXPECTED[:1] and first[:1] == EXPECTED[:1]


def test_a_cr_at_the_end_may_be_half_a_crlf() -> None:
    assert first_event_end(b"data: x\r\n\r") is None
    assert first_event_end(b"data: x\r\n\r\n") == 11
