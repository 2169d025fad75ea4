"""HTTP/1.1 to the backend: the proxy's own kept-alive connections, answers read by httptools.

On the proxy's one event loop the client's cost is every exchange's: aiohttp's took 72 to 87 us
of CPU for a GET to a loopback backend here, this one (a protocol per connection, llhttp through
httptools for the answer, the request written in one piece) 26. It sends what the proxy gives
it as given (no headers of its own but Host and the body's length, no cookies, no redirects, no
decompression), and reads an answer as it arrives, buffering at most `_HIGH_WATER` bytes of
body the reader has not taken (the connection stops reading until it does).
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from collections.abc import Iterable
from typing import cast

import httptools
import yarl

#: Methods that may be sent again when a kept-alive connection turned out closed before any
#: byte of the answer came (the backend closed it as the request left): RFC 9110's idempotent.
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
#: Methods sent without a Content-Length when they have no body (aiohttp's choice too).
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: Body bytes held for the reader before the connection stops reading.
_HIGH_WATER = 256 * 1024
#: An answer's head (its line and fields) in bytes: past it, the answer is refused.
MAX_HEAD = 1024 * 1024
#: An answer's header fields: past these, the answer is refused.
MAX_FIELDS = 10_000
#: Connections kept open for later requests when nothing uses them.
_IDLE = 64


class BackendError(Exception):
    """The backend's answer did not come, or not as HTTP/1.1: the proxy answers 502."""


class Unreachable(BackendError):
    """No connection to the backend could be made."""


#: What a request to the backend raises when the backend fails it: the client's own errors, the
#: socket's, and what could not be read as a value (a Content-Length, say).
BACKEND_FAILURES = (BackendError, OSError, ValueError)


class Unsendable(ValueError):
    """A request field holds what would end or cut its line (CR, LF, NUL): it is not sent. The
    caller's fault, not the backend's: the proxy answers 400."""


class _Connection(asyncio.Protocol):
    """One connection to the backend and the answer being read on it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.reused = False
        self._parser = httptools.HttpResponseParser(self)
        self._parser.set_dangerous_leniencies(lenient_headers=True)  # odd bytes in a value
        self._head: asyncio.Future[None] | None = None
        self._wake: asyncio.Future[None] | None = None
        self._body: collections.deque[bytes] = collections.deque()
        self._held = 0
        self._paused = False
        self._error: BaseException | None = None
        self._complete = False
        self._head_bytes = 0
        self._bodiless = False
        self._keep_alive = False
        self.status = 0
        self.reason = b""
        self.fields: list[tuple[bytes, bytes]] = []
        self.got_bytes = False

    # -- asyncio ----------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        if self._head is None or self._complete:  # talking out of turn: not used again
            self._fail(BackendError("the backend sent bytes no request asked for"))
            return
        if not self._head.done():
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD:
                self._fail(BackendError(f"the answer's head is over {MAX_HEAD:,} bytes"))
                return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._message_complete()
        except httptools.HttpParserError as exc:
            raised = exc.__context__  # what a callback below raised, if one did
            if isinstance(raised, _HeadOnly):
                self._message_complete()
            elif isinstance(raised, BackendError):
                self._fail(raised)
            else:
                self._fail(BackendError(f"the answer is not HTTP/1.1: {_reason(exc)}"))

    def eof_received(self) -> bool:
        self._ended()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if exc is not None and self._error is None and not self._complete:
            self._fail(exc)
        self._ended()

    # -- httptools ------------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._complete:  # a second answer, in the bytes of the first: not used again
            self._fail(BackendError("the backend sent bytes no request asked for"))

    def on_status(self, status: bytes) -> None:
        self.reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(self.fields) >= MAX_FIELDS:
            raise BackendError(f"the answer has over {MAX_FIELDS:,} header fields")
        self.fields.append((name, value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200 and status != 101:  # an interim answer (100 Continue): skipped
            self.reason = b""
            self.fields = []
            return
        self.status = status
        self._keep_alive = self._parser.should_keep_alive()  # known here, not at the end
        assert self._head is not None
        if not self._head.done():
            self._head.set_result(None)
        if self._bodiless or status == 101:
            raise _HeadOnly  # llhttp would wait for the body a HEAD's answer announces

    def on_body(self, body: bytes) -> None:
        self._body.append(body)
        self._held += len(body)
        if self._held > _HIGH_WATER and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wakeup()

    def on_message_complete(self) -> None:
        if self.status:  # not an interim answer's end
            self._message_complete()

    # -- the exchange -----------------------------------------------------------------------------

    def send(self, request: bytes, bodiless: bool) -> asyncio.Future[None]:
        """Write a request; the future is done when its answer's head has come."""
        assert self.transport is not None
        self._head = asyncio.get_running_loop().create_future()
        self._bodiless = bodiless
        self.transport.write(request)
        return self._head

    async def read(self, n: int) -> bytes:
        """Up to `n` bytes of the body as they come; b"" at its end."""
        while not self._body:
            if self._complete:
                return b""
            if self._error is not None:
                raise self._error
            self._wake = asyncio.get_running_loop().create_future()
            try:
                await self._wake
            finally:
                self._wake = None
        piece = self._body.popleft()
        if len(piece) > n:
            self._body.appendleft(piece[n:])
            piece = piece[:n]
        self._held -= len(piece)
        if self._paused and self._held <= _HIGH_WATER // 2 and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return piece

    @property
    def drained(self) -> bool:
        """The answer has come to its end and the reader has taken all of it."""
        return self._complete and not self._body

    @property
    def reusable(self) -> bool:
        """The answer was read to its end, and both sides keep the connection open."""
        return (
            self._complete
            and self._error is None
            and not self._body
            and not self.closed
            and not self._bodiless
            and self.status != 101
            and self._keep_alive
        )

    def reset(self) -> None:
        """Ready for the next request."""
        self._head = None
        self._complete = False
        self._head_bytes = 0
        self._keep_alive = False
        self.status = 0
        self.reason = b""
        self.fields = []
        self.got_bytes = False
        self.reused = True

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.closed = True
        if not self._complete:
            self._fail(BackendError("the connection to the backend was closed"))

    # -- within ---------------------------------------------------------------------------------

    def _message_complete(self) -> None:
        self._complete = True
        self._wakeup()

    def _ended(self) -> None:
        """The backend closed its side: the end of a body that runs to the close, else short."""
        if self._complete or self._error is not None:
            return
        if self._head is not None and self._head.done() and _runs_to_close(self.fields):
            self._message_complete()
            return
        self._fail(BackendError("Server disconnected"))

    def _fail(self, exc: BaseException) -> None:
        if self._error is None:
            self._error = exc
        if self._head is not None and not self._head.done():
            self._head.set_exception(exc)
        self._wakeup()
        if self.transport is not None and not self.closed:
            self.transport.close()
            self.closed = True

    def _wakeup(self) -> None:
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)


class _HeadOnly(Exception):
    """An answer that has no body whatever its head says (to HEAD, or 101): it ends there."""


class Upstream:
    """The backend's answer: its head at once, its body as it is read."""

    def __init__(self, client: BackendClient, connection: _Connection) -> None:
        self._client = client
        self._connection: _Connection | None = connection
        self.status = connection.status
        self.reason = connection.reason
        self.raw_headers = connection.fields
        length = self.header(b"content-length")
        self.content_length = int(length) if length.isascii() and length.isdigit() else None

    def header(self, name: bytes) -> str:
        """The first field named `name` (in lower case), as text; "" when there is none."""
        for field, value in self.raw_headers:
            if field.lower() == name:
                return value.decode("latin-1")
        return ""

    @property
    def ended(self) -> bool:
        """The body has been read to its end: the next read gives b"" at once."""
        return self._connection is None or self._connection.drained

    async def read(self, n: int = _HIGH_WATER) -> bytes:
        """Up to `n` bytes of the body as they come; b"" at its end."""
        if self._connection is None:
            return b""
        return await self._connection.read(n)

    def close(self) -> None:
        """Cut the connection (the reader then fails): it is not used again."""
        if self._connection is not None:
            self._connection.close()

    def release(self) -> None:
        """Done with the answer: the connection goes back for the next request when the body
        was read to its end, else it is closed."""
        connection, self._connection = self._connection, None
        if connection is not None:
            self._client._give_back(connection)


class BackendClient:
    """Requests to one backend (`http://` or `https://`, its certificate checked), over
    connections kept open between them."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        base = yarl.URL(backend)
        self.tls = base.scheme == "https"
        self.host = base.raw_host or ""
        self.port = base.port or (443 if self.tls else 80)
        #: The Host header of every request: the backend's own name (MCP SDK servers refuse
        #: another on loopback with 421).
        self.authority = base.raw_authority.encode()
        self._idle: list[_Connection] = []
        self._ssl: ssl.SSLContext | None = None
        self._closed = False

    async def request(
        self,
        method: str,
        target: str,
        headers: Iterable[tuple[bytes, bytes]],
        body: bytes | None = None,
    ) -> Upstream:
        """Send `method target` (the path and query as they go on the request line) and wait
        for its answer's head."""
        wire = self._assemble(method, target, headers, body)
        bodiless = method == "HEAD"
        while True:
            connection = await self._connection()
            try:
                await connection.send(wire, bodiless)
            except BaseException as exc:
                connection.close()
                if _again(connection, method, exc):
                    continue
                raise
            return Upstream(self, connection)

    def close(self) -> None:
        """Close the idle connections; those in use close when released."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _assemble(
        self, method: str, target: str, headers: Iterable[tuple[bytes, bytes]], body: bytes | None
    ) -> bytes:
        """The request in one piece; Unsendable for a field that would break the head."""
        line = f"{method} {target} HTTP/1.1".encode("utf-8", "surrogateescape")
        lines = [line, b"Host: " + self.authority]
        lines += [name + b": " + value for name, value in headers]
        if body or method not in _BODILESS:
            lines.append(b"Content-Length: %d" % len(body or b""))
        head = b"\r\n".join(lines)
        if head.count(b"\n") != len(lines) - 1 or head.count(b"\r") != len(lines) - 1:
            raise Unsendable("a request field holds a line break: it is not sent")
        if b"\x00" in head:
            raise Unsendable("a request field holds a NUL byte: it is not sent")
        return head + b"\r\n\r\n" + (body or b"")

    async def _connection(self) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:  # the backend may have closed it since
                return connection
            connection.close()
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(
                _Connection,
                self.host,
                self.port,
                ssl=self._tls(),
                server_hostname=self.host if self.tls else None,
            )
        except OSError as exc:  # ssl.SSLError among them
            raise Unreachable(str(exc) or type(exc).__name__) from exc
        return connection

    def _tls(self) -> ssl.SSLContext | None:
        if self.tls and self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    def _give_back(self, connection: _Connection) -> None:
        if self._closed or not connection.reusable or len(self._idle) >= _IDLE:
            connection.close()
            return
        connection.reset()
        self._idle.append(connection)


def client_for(client: BackendClient | None, backend: str) -> BackendClient:
    """`client` when it is the client of `backend`, else a new one (the old one closed)."""
    if client is not None and client.backend == backend:
        return client
    if client is not None:
        client.close()
    return BackendClient(backend)


def _again(connection: _Connection, method: str, exc: BaseException) -> bool:
    """Whether a request that failed may go again on a new connection: a kept-alive one the
    backend had closed, before any byte of the answer, for a method that may be repeated."""
    return (
        isinstance(exc, BackendError)
        and connection.reused
        and not connection.got_bytes
        and method in _IDEMPOTENT
    )


def _runs_to_close(fields: list[tuple[bytes, bytes]]) -> bool:
    """A body framed by neither Content-Length nor chunked coding: it ends with the connection."""
    names = {name.lower() for name, _ in fields}
    return b"content-length" not in names and b"transfer-encoding" not in names


def _reason(exc: httptools.HttpParserError) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]
