"""Server-sent events: an incremental, bounded parser, a frame writer, the legacy transport's
`endpoint` event read and pointed at the proxy.

The parser follows the WHATWG event-stream rules (lines end in CRLF, LF or CR; `field: value`;
comments start with `:`), with one difference a proxy needs: a frame with an id and no data
(MCP's priming event) is kept, not dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

#: A frame (its field lines together) longer than this is an error, not a bigger buffer.
MAX_FRAME_BYTES = 1024 * 1024
_EOL = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Frame:
    """One event: `id` is the one this frame set (None when it set none)."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


@dataclass(frozen=True, slots=True)
class Overflow:
    """A frame over the size limit: skipped up to its end, reported instead of kept."""

    size: int
    limit: int

    @property
    def message(self) -> str:
        return f"an SSE frame of over {self.limit} bytes (skipped)"


class Parser:
    """Feed chunks split anywhere; get every complete frame (or Overflow) once."""

    def __init__(self, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        self.limit = max_frame_bytes
        self._line = bytearray()
        self._cr = False  # the last chunk ended in CR: an LF starting the next one belongs to it
        self._size = 0
        self._skipping = False
        self._line_len = 0
        self._reset()

    def _reset(self) -> None:
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self._retry: int | None = None
        self._fields = False
        self._size = 0

    @property
    def idle(self) -> bool:
        """Nothing is buffered: the bytes fed so far ended on a frame's end."""
        return not self._line and not self._fields and not self._skipping and not self._cr

    def feed(self, chunk: bytes) -> list[Frame | Overflow]:
        out: list[Frame | Overflow] = []
        if not chunk:
            return out
        start = 1 if self._cr and chunk[:1] == b"\n" else 0
        self._cr = False
        for match in _EOL.finditer(chunk, start):
            self._grow(chunk[start : match.start()], out)
            self._end_line(out)
            start = match.end()
        self._grow(chunk[start:], out)
        self._cr = chunk.endswith(b"\r")
        return out

    def _grow(self, part: bytes, out: list[Frame | Overflow]) -> None:
        if not part:
            return
        self._line_len += len(part)
        self._size += len(part)
        if self._skipping:
            return
        if self._size > self.limit:
            self._skipping = True
            self._line.clear()
        else:
            self._line += part

    def _end_line(self, out: list[Frame | Overflow]) -> None:
        blank = self._line_len == 0
        self._line_len = 0
        self._size += 1
        if self._skipping:
            if blank:
                out.append(Overflow(self._size, self.limit))
                self._skipping = False
                self._reset()
            return
        line = bytes(self._line)
        self._line.clear()
        if blank:
            if self._fields:
                frame = Frame(
                    "\n".join(self._data), self._event or "message", self._id, self._retry
                )
                out.append(frame)
            self._reset()
            return
        self._field(line.decode("utf-8", "replace"))

    def _field(self, line: str) -> None:
        if line.startswith(":"):
            return
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry":
            if value.isascii() and value.isdigit():
                self._retry = int(value)
        else:
            return
        self._fields = True


def _clean(value: str, name: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError(f"an SSE {name} cannot hold a line break")
    return value


def write_frame(frame: Frame) -> bytes:
    """The bytes of one frame, ending in the blank line that dispatches it."""
    lines: list[str] = []
    if frame.event != "message":
        lines.append(f"event: {_clean(frame.event, 'event name')}")
    if frame.id is not None:
        lines.append(f"id: {_clean(frame.id, 'id')}")
    if frame.retry is not None:
        lines.append(f"retry: {int(frame.retry)}")
    for part in frame.data.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        lines.append(f"data: {part}" if part else "data:")
    return ("\n".join(lines) + "\n\n").encode("utf-8")


_FIELDS = frozenset({b"data", b"event", b"id", b"retry"})


def first_event_end(buffer: bytes) -> int | None:
    """Where the first event of a stream's start ends (just past its blank line), or None while
    it has not ended in `buffer`: comment-only blocks are skipped, as the parser skips them."""
    fields = False
    start = 0
    for match in _EOL.finditer(buffer):
        if match.group() == b"\r" and match.end() == len(buffer):
            return None  # a CR at the end may be the first half of a CRLF
        line = buffer[start : match.start()]
        start = match.end()
        if not line:
            if fields:
                return start
        elif line.split(b":", 1)[0] in _FIELDS:
            fields = True
    return None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where the legacy transport's `endpoint` event tells the client to POST its messages: a
    path and query on the server that sent it."""

    path: str
    query: str

    @property
    def session_id(self) -> str | None:
        """The session the path names (`session_id`, as the SDK spells it, or `sessionId`)."""
        found = parse_qs(self.query)
        for name in ("session_id", "sessionId"):
            if found.get(name):
                return found[name][0]
        return None


def endpoint_target(data: str, stream_url: str) -> Endpoint | None:
    """The `endpoint` event's data resolved against the SSE URL the client opened upstream;
    None when it names another origin (scheme, host, port) than that URL's."""
    target = urlsplit(urljoin(stream_url, data.strip()))
    stream = urlsplit(stream_url)
    if (target.scheme, target.netloc.lower()) != (stream.scheme, stream.netloc.lower()):
        return None
    return Endpoint(target.path or "/", target.query)


def rewrite_endpoint(target: Endpoint, public_url: str, *, absolute: bool = True) -> str:
    """The endpoint's data pointed at the proxy: the public URL (whose path, if any, is the
    prefix the proxy is reached under) with the target's path and query; with `absolute`
    False, only that path and query, which the client resolves against the URL it opened."""
    public = urlsplit(public_url)
    path = public.path.rstrip("/") + target.path
    if not absolute:
        return urlunsplit(("", "", path, target.query, ""))
    return urlunsplit((public.scheme, public.netloc, path, target.query, ""))
