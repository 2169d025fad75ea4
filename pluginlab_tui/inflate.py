"""Bounded inflation of HTTP bodies: Content-Encoding undone, never past a limit.

`inflate(raw, "gzip, br", limit)` undoes the codings in reverse order of application (gzip,
x-gzip, deflate as zlib or raw, br, zstd; identity is none), streaming: each coding hands the
next one pieces of at most `PIECE` bytes, and the result stops at `limit` bytes, so a 1 MB body
that would inflate to 1 GiB costs about `limit` bytes of memory and the time to inflate that
much. Brotli (1.1) cannot bound its output per call, so it is fed a few bytes at a time; one
call may still yield up to one meta-block (16 MiB at most) beyond the limit before it is cut.

A body that cannot be decoded (an unknown coding, a corrupt or truncated stream) is not an
error for the caller: it comes back as its raw bytes (cut at the limit), with `error` saying
why, as mitmproxy's `get_content(strict=False)` does.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import brotli  # mitmproxy depends on it
import zstandard

#: The most any coding hands on at once.
PIECE = 256 * 1024
#: Input bytes given to the brotli and zstd decoders per call (their output is not bounded).
_FEED = 64
#: RFC 9659: a zstd content coding needs at most an 8 MiB window.
_ZSTD_WINDOW = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Inflated:
    """A body with its content codings undone, as far as the limit allows."""

    #: The decoded bytes, at most the limit (the raw bytes when decoding failed).
    content: bytes
    #: True when `content` is the whole body; False when it was cut at the limit.
    complete: bool
    #: Why the body could not be decoded, or None.
    error: str | None = None
    #: Bytes decoded (at most the limit), when `content` holds only the start of them.
    size: int | None = None

    @property
    def too_large(self) -> bool:
        """The body is bigger than the limit (decoded, or raw when it did not decode)."""
        return not self.complete

    @property
    def decoded_size(self) -> int:
        """How many bytes were decoded (at most the limit)."""
        return len(self.content) if self.size is None else self.size

    def kept(self, cap: int) -> Inflated:
        """The same verdict holding only the first `cap` bytes (what the store keeps)."""
        if len(self.content) <= cap:
            return self
        return Inflated(self.content[:cap], self.complete, self.error, self.decoded_size)


class InflateError(Exception):
    """A coded stream that does not decode."""


Decoder = Callable[[Iterator[bytes]], Iterator[bytes]]


def codings(content_encoding: str | None) -> list[str]:
    """The codings named by a Content-Encoding header, in the order they were applied."""
    names = [c.strip().lower() for c in (content_encoding or "").split(",")]
    return [n for n in names if n and n != "identity"]


def inflate(raw: bytes, content_encoding: str | None, limit: int) -> Inflated:
    """Undo the body's content codings, stopping at `limit` decoded bytes."""
    applied = codings(content_encoding)
    if not applied:
        return _raw(raw, limit)
    unknown = [c for c in applied if c not in DECODERS]
    if unknown:
        return _raw(raw, limit, f"unsupported content-encoding {unknown[0]!r}")
    stream: Iterator[bytes] = _pieces(raw)
    for name in reversed(applied):
        stream = DECODERS[name](stream)
    out: list[bytes] = []
    room = limit
    try:
        for piece in stream:
            if len(piece) > room:
                out.append(piece[:room])
                return Inflated(b"".join(out), complete=False)
            out.append(piece)
            room -= len(piece)
    except (InflateError, zlib.error, brotli.error, zstandard.ZstdError) as exc:
        name = "+".join(reversed(applied))
        return _raw(raw, limit, f"the {name} body does not decode: {exc}")
    return Inflated(b"".join(out), complete=True)


def _raw(raw: bytes, limit: int, error: str | None = None) -> Inflated:
    if len(raw) <= limit:
        return Inflated(raw, complete=True, error=error)
    return Inflated(raw[:limit], complete=False, error=error)


def _pieces(raw: bytes) -> Iterator[bytes]:
    view = memoryview(raw)
    for start in range(0, len(raw), PIECE):
        yield bytes(view[start : start + PIECE])


def _zlib(chunks: Iterator[bytes], wbits: int, members: bool) -> Iterator[bytes]:
    """zlib, raw deflate or gzip (`members`: concatenated gzip members, as gzip reads them)."""
    decoder = zlib.decompressobj(wbits)
    for chunk in chunks:
        data = chunk
        while data:
            out = decoder.decompress(data, PIECE)
            if out:
                yield out
            if decoder.eof:
                rest = decoder.unused_data
                if not (members and rest.strip(b"\x00")):
                    return  # trailing bytes after the stream are ignored
                decoder = zlib.decompressobj(wbits)
                data = rest
                continue
            data = decoder.unconsumed_tail
    while not decoder.eof:  # drain what the last input left inside the decoder
        out = decoder.decompress(b"", PIECE)
        if not out:
            raise InflateError("the stream ends before its end marker")
        yield out


def _gzip(chunks: Iterator[bytes]) -> Iterator[bytes]:
    return _zlib(chunks, 16 + zlib.MAX_WBITS, members=True)


def _deflate(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """HTTP's deflate is zlib (RFC 9110); raw deflate is sent too, so both are read."""
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= 2:
            break
    rest = _prepend(head, chunks)
    zlib_header = len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
    return _zlib(rest, zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS, members=False)


def _prepend(first: bytes, chunks: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from chunks


def _brotli(chunks: Iterator[bytes]) -> Iterator[bytes]:
    decoder = brotli.Decompressor()
    for chunk in chunks:
        for start in range(0, len(chunk), _FEED):
            out = decoder.process(chunk[start : start + _FEED])
            for piece in range(0, len(out), PIECE):
                yield out[piece : piece + PIECE]
    if not decoder.is_finished():
        raise InflateError("the stream ends before its end marker")


def _zstd(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Concatenated frames, as zstd reads them; fed a few bytes a call like brotli (a zstd block
    holds at most 128 KiB, so one call yields at most a few MiB)."""
    decompressor = zstandard.ZstdDecompressor(max_window_size=_ZSTD_WINDOW)
    decoder = decompressor.decompressobj()
    started = False
    for chunk in chunks:
        pending = [chunk]
        while pending:
            data = pending.pop()
            for start in range(0, len(data), _FEED):
                started = True
                out = decoder.decompress(data[start : start + _FEED])
                for piece in range(0, len(out), PIECE):
                    yield out[piece : piece + PIECE]
                if decoder.eof:  # the next frame starts in what is left
                    pending.append(decoder.unused_data + data[start + _FEED :])
                    decoder = decompressor.decompressobj()
                    started = False
                    break
    if started:
        raise InflateError("the stream ends before its end marker")


DECODERS: dict[str, Decoder] = {
    "gzip": _gzip,
    "x-gzip": _gzip,
    "deflate": _deflate,
    "br": _brotli,
    "zstd": _zstd,
}
