"""The backend client against real loopback servers that answer as each test scripts them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from pluginlab_tui.examples import free_port
from pluginlab_tui.proxy.backend_client import (
    MAX_FIELDS,
    MAX_HEAD,
    BackendClient,
    BackendError,
    Unreachable,
    Upstream,
)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class Server:
    """A loopback server: each connection runs `handler`; what came is kept."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.heads: list[bytes] = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def head(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        self.heads.append(head)
        return head


@asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[tuple[Server, BackendClient]]:
    server = Server(handler)
    listening = await asyncio.start_server(server._serve, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    client = BackendClient(f"http://127.0.0.1:{port}")
    try:
        yield server, client
    finally:
        client.close()
        listening.close()


async def whole(upstream: Upstream) -> bytes:
    body = b""
    try:
        while piece := await upstream.read():
            body += piece
    finally:
        upstream.release()
    return body


def answering(*answers: bytes, server: list[Server]) -> Handler:
    """A handler that answers each request head on a connection with the next of `answers`."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for answer in answers:
            await server[0].head(reader)
            writer.write(answer)
            await writer.drain()
        await reader.read()  # until the client closes

    return handler


@asynccontextmanager
async def scripted(*answers: bytes) -> AsyncIterator[tuple[Server, BackendClient]]:
    box: list[Server] = []
    async with serving(answering(*answers, server=box)) as (server, client):
        box.append(server)
        yield server, client


async def test_a_request_goes_as_given_and_its_connection_serves_the_next() -> None:
    async with scripted(OK, OK) as (server, client):
        first = await client.request("GET", "/a?b=1", [(b"X-One", b"1"), (b"X-One", b"2")])
        assert (first.status, first.reason, await whole(first)) == (200, b"OK", b"ok")
        second = await client.request("POST", "/c", [], None)
        assert await whole(second) == b"ok"
    assert server.connections == 1
    port = client.port
    assert server.heads[0] == (
        f"GET /a?b=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-One: 1\r\nX-One: 2\r\n\r\n".encode()
    )
    # a POST without a body says so (a backend may wait for one otherwise)
    assert server.heads[1].endswith(b"\r\nContent-Length: 0\r\n\r\n")


async def test_a_body_is_sent_with_its_length() -> None:
    got: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        got.append(await reader.readexactly(5))
        writer.write(OK)
        await writer.drain()

    async with serving(handler) as (_, client):
        assert await whole(await client.request("PUT", "/x", [], b"hello")) == b"ok"
    assert got == [b"hello"]


async def test_chunked_and_close_delimited_bodies_are_read_whole() -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunked += b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    async with scripted(chunked, OK) as (server, client):
        answer = await client.request("GET", "/", [])
        assert answer.content_length is None
        assert await whole(answer) == b"abcde"
        assert await whole(await client.request("GET", "/", [])) == b"ok"
    assert server.connections == 1

    async def to_the_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\n\r\nall of it")
        await writer.drain()
        writer.close()

    async with serving(to_the_close) as (server, client):
        assert await whole(await client.request("GET", "/", [])) == b"all of it"
        assert await whole(await client.request("GET", "/", [])) == b"all of it"
    assert server.connections == 2  # a body that ends with its connection leaves none to reuse


async def test_an_answer_to_head_has_no_body_whatever_its_length_says() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
    async with scripted(head) as (_, client):
        answer = await asyncio.wait_for(client.request("HEAD", "/", []), 5)
        assert answer.content_length == 1000
        assert await asyncio.wait_for(whole(answer), 5) == b""


async def test_an_interim_answer_is_passed_over_for_the_final_one() -> None:
    interim = b"HTTP/1.1 100 Continue\r\n\r\n"
    interim += b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
    async with scripted(interim) as (_, client):
        answer = await client.request("POST", "/", [(b"Expect", b"100-continue")], b"x")
        assert (answer.status, answer.reason, await whole(answer)) == (201, b"Created", b"ok")
        assert answer.raw_headers == [(b"Content-Length", b"2")]


@pytest.mark.parametrize(("method", "again"), [("GET", True), ("POST", False)])
async def test_a_kept_connection_closed_as_the_request_leaves_is_replaced_only_when_safe(
    method: str, again: bool
) -> None:
    calls = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal calls
        calls += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(OK)
        await writer.drain()
        if calls == 1:  # the first connection: the next request on it meets a close
            await reader.readuntil(b"\r\n\r\n")
            return
        await reader.read()

    async with serving(handler) as (server, client):
        assert await whole(await client.request(method, "/", [])) == b"ok"
        if again:
            assert await whole(await client.request(method, "/", [])) == b"ok"
            assert server.connections == 2
        else:
            with pytest.raises(BackendError, match="Server disconnected"):
                await client.request(method, "/", [])
            assert server.connections == 1


async def test_what_is_not_http_or_ends_short_fails_and_is_not_reused() -> None:
    async with scripted(b"\x00\x01 not HTTP at all\r\n\r\n") as (_, client):
        with pytest.raises(BackendError, match="not HTTP/1.1"):
            await client.request("GET", "/", [])

    async def short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
        await writer.drain()

    async with serving(short) as (server, client):
        for _ in range(2):
            answer = await client.request("GET", "/", [])
            with pytest.raises(BackendError, match="Server disconnected"):
                await whole(answer)
        assert server.connections == 2


@pytest.mark.parametrize(
    ("field", "error"),
    [(b"X-Long: " + b"a" * 8000 + b"\r\n", "head is over"), (b"a: b\r\n", "header fields")],
)
async def test_a_head_past_its_bounds_is_refused_while_it_comes(field: bytes, error: str) -> None:
    sent = 0
    total = 4 * max(MAX_HEAD, MAX_FIELDS * len(field))

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\n")
        batch = field * max(1, 8192 // len(field))
        while sent < total:
            writer.write(batch)
            sent += len(batch)
            await writer.drain()
            await asyncio.sleep(0)  # the client reads as it comes

    async with serving(endless) as (_, client):
        with pytest.raises(BackendError, match=error):
            await asyncio.wait_for(client.request("GET", "/", []), 10)
        assert sent < total / 2  # refused while it came, not held to its end


async def test_a_reader_that_does_not_read_stops_the_backend_sending() -> None:
    sent = 0
    stopped = asyncio.Event()

    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        await reader.readuntil(b"\r\n\r\n")
        total = 256 * 1024 * 1024
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % total)
        piece = b"x" * 65536
        try:
            while sent < total:
                writer.write(piece)
                sent += len(piece)
                await asyncio.wait_for(writer.drain(), 1)
        except TimeoutError:
            stopped.set()

    async with serving(flood) as (_, client):
        answer = await client.request("GET", "/", [])
        await asyncio.wait_for(stopped.wait(), 20)  # the sender is held up: nothing is read
        held = sent
        assert held < 64 * 1024 * 1024, held  # what the sockets hold, not the whole body
        assert len(await answer.read(1000)) <= 1000
        answer.close()


async def test_a_field_that_would_break_the_head_is_not_sent() -> None:
    async with scripted(OK) as (server, client):
        for value in (b"a\r\nX-Injected: 1", b"a\nb", b"a\rb", b"a\x00b"):
            with pytest.raises(ValueError, match="is not sent"):
                await client.request("GET", "/", [(b"X-Bad", value)])
        assert await whole(await client.request("GET", "/", [])) == b"ok"
    assert len(server.heads) == 1 and b"Injected" not in server.heads[0]


async def test_bytes_sent_out_of_turn_retire_the_connection() -> None:
    async with scripted(OK + b"HTTP/1.1 200 OK\r\n", OK) as (server, client):
        assert await whole(await client.request("GET", "/", [])) == b"ok"
        assert await whole(await client.request("GET", "/", [])) == b"ok"
    assert server.connections == 2


async def test_a_request_cancelled_before_its_answer_closes_its_connection() -> None:
    closed = asyncio.Event()

    async def late(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        try:
            await asyncio.wait_for(reader.read(), 2)  # b"" once the client closes
            closed.set()
        except TimeoutError:
            pass
        writer.write(OK)

    async with serving(late) as (server, client):
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.request("GET", "/", []), 0.1)
        await asyncio.wait_for(closed.wait(), 1)  # not left open, nor kept for another request
        answer = await client.request("GET", "/", [])
        assert server.connections == 2
        answer.close()


async def test_no_server_is_unreachable() -> None:
    client = BackendClient(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(Unreachable):
        await client.request("GET", "/", [])
