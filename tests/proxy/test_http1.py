"""The front's request parser: heads read as leniently as mitmproxy reads them, framing kept
strict (aiohttp's), the whole head bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from aiohttp.base_protocol import BaseProtocol
from aiohttp.http_exceptions import BadHttpMessage, BadStatusLine, LineTooLong
from aiohttp.http_parser import RawRequestMessage

from pluginlab_tui.proxy.budget import FLOOR, Budget, Share
from pluginlab_tui.proxy.http1 import HeadOverBudget, LenientRequestParser


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    running = asyncio.new_event_loop()
    yield running
    running.close()


def parser(
    loop: asyncio.AbstractEventLoop, head_bytes: int = 1 << 20, heads: Share | None = None
) -> LenientRequestParser:
    return LenientRequestParser(
        BaseProtocol(loop),
        loop,
        2**16,
        max_line_size=1 << 20,
        max_field_size=1 << 20,
        max_headers=1000,
        max_head_bytes=head_bytes,
        heads=Budget(1 << 30).share() if heads is None else heads,
        auto_decompress=False,
    )


def parse(loop: asyncio.AbstractEventLoop, data: bytes) -> list[RawRequestMessage]:
    messages, _upgraded, _tail = parser(loop).feed_data(data)
    return [message for message, _payload in messages]


def test_hostile_bytes_in_the_target_and_the_fields_reach_the_stages_byte_for_byte(
    loop: asyncio.AbstractEventLoop,
) -> None:
    target = b"/todos/\xff\x7f?q=%FF\xfe"
    (message,) = parse(
        loop,
        b"GET " + target + b" HTTP/1.1\r\n"
        b"Authorization: Bearer tok\x00en\r\n"
        b"User-Agent: \xff\xfe ChatGPT\r\n"
        b"X Note: not a token\r\n\r\n",
    )
    assert message.path.encode("utf-8", "surrogateescape") == target
    assert message.raw_headers == (
        (b"Authorization", b"Bearer tok\x00en"),
        (b"User-Agent", b"\xff\xfe ChatGPT"),
        (b"X Note", b"not a token"),
    )
    assert "Host" not in message.headers  # HTTP/1.1 without Host: the stages decide


def test_a_folded_field_is_joined_with_a_space_and_absolute_form_keeps_its_path(
    loop: asyncio.AbstractEventLoop,
) -> None:
    (message,) = parse(
        loop,
        b"GET http://elsewhere.example:81/todos/x?limit=1 HTTP/1.1\r\n"
        b"X-Long: first\r\n   second\r\nHost: x\r\n\r\n",
    )
    assert message.path == "/todos/x?limit=1"
    assert message.headers["X-Long"] == "first second"


@pytest.mark.parametrize(
    ("head", "error"),
    [
        (b"GET /only-two-parts\r\n\r\n", BadStatusLine),
        (b"GET / SPDY/3\r\n\r\n", BadStatusLine),
        (b"GET / HTTP/1.1\r\n: no name\r\n\r\n", BadHttpMessage),
        (b"GET / HTTP/1.1\r\n folded-first: x\r\n\r\n", BadHttpMessage),
    ],
)
def test_what_frames_the_message_stays_strict(
    loop: asyncio.AbstractEventLoop, head: bytes, error: type[Exception]
) -> None:
    with pytest.raises(error):
        parse(loop, head)


@pytest.mark.parametrize("length", [b"3x", b"+3", b"-1", b"\xd9\xa3", b"3, 3"])
def test_a_length_that_is_no_number_frames_no_body_on_a_connection_that_closes(
    loop: asyncio.AbstractEventLoop, length: bytes
) -> None:
    """The front refuses such a message, with an event (its raw head keeps the length)."""
    (message,) = parse(
        loop, b"POST /todos/a HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\n\r\n{}"
    )
    assert message.path == "/todos/a" and message.should_close and not message.chunked
    assert "Content-Length" not in message.headers
    assert (b"Content-Length", length) in message.raw_headers


@pytest.mark.parametrize(
    "fields",
    [
        b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: gzip\r\n",
        b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
    ],
)
def test_framing_aiohttp_refuses_is_read_as_not_chunked_on_a_connection_that_closes(
    loop: asyncio.AbstractEventLoop, fields: bytes
) -> None:
    """The front refuses such a message, with an event, before it reads its body."""
    (message,) = parse(loop, b"POST /todos/a HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
    assert message.path == "/todos/a" and message.should_close and not message.chunked


def test_the_whole_head_is_bounded_even_when_each_line_is_within_its_own_bound(
    loop: asyncio.AbstractEventLoop,
) -> None:
    reading = parser(loop, head_bytes=100_000)
    reading.feed_data(b"GET / HTTP/1.1\r\n")
    with pytest.raises(LineTooLong):
        for i in range(100):
            reading.feed_data(b"X-Field-%d: " % i + b"v" * 5000 + b"\r\n")


def test_the_bound_starts_again_with_each_request_on_a_connection(
    loop: asyncio.AbstractEventLoop,
) -> None:
    reading = parser(loop, head_bytes=10_000)
    request = b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 4000 + b"\r\n\r\n"
    found = [reading.feed_data(request)[0] for _ in range(10)]  # 40 KB in all, 4 KB a head
    assert all(len(messages) == 1 for messages in found)


def test_heads_hold_the_budget_from_their_first_byte_until_their_exchange_ends(
    loop: asyncio.AbstractEventLoop,
) -> None:
    budget = Budget(1 << 30)
    reading = parser(loop, heads=budget.share())
    first = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
    second = b"GET /b HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 500 + b"\r\n\r\n"
    reading.feed_data(first[:10])
    assert budget.held == 10  # a head half sent holds what came of it
    messages, _upgraded, _tail = reading.feed_data(first[10:] + second + b"GET /c HT")
    assert len(messages) == 2
    assert budget.held == len(first) + len(second) + len(b"GET /c HT")
    reading.head_ended()  # /a's exchange ended
    assert budget.held == len(second) + len(b"GET /c HT")
    reading.head_ended()
    assert budget.held == len(b"GET /c HT")
    reading.head_ended()  # no more than were read: harmless
    assert budget.held == len(b"GET /c HT")
    reading.release()  # the connection closed
    assert budget.held == 0


def test_a_head_past_the_budget_is_refused(loop: asyncio.AbstractEventLoop) -> None:
    budget = Budget(FLOOR * 2)
    budget.share().take(FLOOR * 2)  # a large body in flight
    reading = parser(loop, heads=budget.share())
    reading.feed_data(b"GET / HTTP/1.1\r\nX-Pad: " + b"p" * (FLOOR - 100))  # within its floor
    with pytest.raises(HeadOverBudget, match="proxy.max_inflight_bytes"):
        reading.feed_data(b"p" * 200)


@pytest.mark.parametrize(
    "target",
    [
        b"foo",
        b"@evil.example/x",
        b"ftp://x/y",
        b"http:///x",
        b"http://x:99999/",
        b"evil.example:443",
    ],
)
def test_a_target_mitmproxy_cannot_read_is_refused(
    loop: asyncio.AbstractEventLoop, target: bytes
) -> None:
    with pytest.raises(BadStatusLine):
        parse(loop, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")


def test_the_targets_mitmproxy_reads_reach_the_front_as_it_reads_them(
    loop: asyncio.AbstractEventLoop,
) -> None:
    heads = [
        b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET HTTP://[::1]:81/todos/x HTTP/1.1\r\nHost: x\r\n\r\n",
        b"CONNECT evil.example:443 HTTP/1.1\r\nHost: x\r\n\r\n",  # the front refuses it
    ]
    assert [parse(loop, head)[0].path for head in heads] == ["*", "/todos/x", "evil.example:443"]
    with pytest.raises(BadStatusLine):  # CONNECT names a port
        parse(loop, b"CONNECT evil.example HTTP/1.1\r\nHost: x\r\n\r\n")


def test_a_body_that_cannot_be_read_keeps_its_request_and_the_error_is_the_body_s(
    loop: asyncio.AbstractEventLoop,
) -> None:
    head = b"POST /todos/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    messages, _upgraded, _tail = parser(loop).feed_data(head + b"-2\r\n{}\r\n0\r\n\r\n")
    (message, payload), (failed, _) = messages
    assert message.path == "/todos/a"
    assert isinstance(payload.exception(), BadHttpMessage)  # what the front reads from the body
    assert failed.status == 400


def test_a_request_that_cannot_be_read_is_answered_after_those_before_it(
    loop: asyncio.AbstractEventLoop,
) -> None:
    messages, _upgraded, _tail = parser(loop).feed_data(
        b"GET /todos/first HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP AT ALL\r\n\r\n"
    )
    (first, _), (failed, _) = messages
    assert first.path == "/todos/first"
    assert failed.status == 400 and isinstance(failed.exc, BadStatusLine)
