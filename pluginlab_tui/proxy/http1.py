"""The front's request parser: aiohttp's framing with mitmproxy's leniency about the head.

aiohttp's parsers refuse, with a 400 of their own, request lines and header fields that
mitmproxy takes: bytes that are not ASCII or are controls in the target, NUL or obs-text in a
value, a header name that is not a token, HTTP/1.1 without Host. mitmproxy hands such requests
to the addon, whose stages decide (a path made canonical or refused as ambiguous, a credential
refused by the gate) and record them: a debugger must see hostile bytes, not lose them in the
parser. (A header name that is not a token, and a malformed framing field, mitmproxy's server
then refuses with 400 and an event, before any stage: so does the front, proxy/front.py.) So
the head is read as mitmproxy's HTTP/1 reader reads it (split at whitespace, a header at its
first colon, a folded line joined to the one before, with a space), and everything that frames
the message (Content-Length, chunked, keep-alive, the limits on sizes) stays aiohttp's. Framing
that mitmproxy's server refuses with an event is not refused here: Content-Length with
Transfer-Encoding, or a coding other than chunked, is read as not chunked, on a connection that
closes; two lengths or two codings, by the first; a length that is no number (`3x`), as none.
The front refuses each, with an event, before it reads a byte of the body. A protocol upgrade
is not taken: the proxy answers the request itself, as any other.

A head is bounded on its own (max_head_bytes) and, with the others, by the front's budget
(proxy/budget.py): a connection's heads take their bytes from a share of its own as they
arrive, and give each back when its exchange ends (`head_ended`), or all of them when the
connection closes; past the budget the head is refused (HeadOverBudget: the front answers 503),
so that many connections sending large heads slowly cannot hold memory without bound.

The request target takes mitmproxy's forms only: origin-form (`/...`), `*`, absolute-form with
a valid authority (its path is the target), and CONNECT's authority-form (which the front
refuses, with an event, as mitmproxy's reverse mode does); any other target (`foo`, `@host/x`)
is refused here with 400, as mitmproxy refuses it, for the backend would read it otherwise than
the stages.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any

from aiohttp import http_parser
from aiohttp.http_exceptions import (
    BadHttpMessage,
    BadStatusLine,
    HttpProcessingError,
    InvalidHeader,
    LineTooLong,
)
from aiohttp.http_parser import HeadersParser, RawRequestMessage
from aiohttp.http_writer import HttpVersion
from aiohttp.streams import EMPTY_PAYLOAD
from aiohttp.web_protocol import _ErrInfo
from mitmproxy.net.http import url
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from pluginlab_tui.proxy.budget import OverBudget, Share

_VERSION = re.compile(rb"HTTP/(\d)\.(\d)")
#: A Content-Length aiohttp frames by (http_parser.DIGITS).
_LENGTH = re.compile(r"\d+", re.ASCII)


class LenientHeaders(HeadersParser):
    def parse_headers(self, lines: list[bytes]) -> tuple[CIMultiDictProxy[str], Any]:
        fields: list[tuple[bytes, bytes]] = []
        for line in lines:
            if not line:
                break
            if line[0] in b" \t":  # an obsolete folded line continues the field before
                if not fields:
                    raise InvalidHeader(line)
                name, value = fields[-1]
                fields[-1] = (name, value + b" " + line.strip(b" \t"))
                if len(fields[-1][1]) > self.max_field_size:
                    raise LineTooLong(name[:100] + b"...", self.max_field_size)
                continue
            name, colon, value = line.partition(b":")
            if not colon or not name:
                raise InvalidHeader(line)
            fields.append((name, value.strip(b" \t")))
        headers: CIMultiDict[str] = CIMultiDict()
        for name, value in fields:
            headers.add(
                name.decode("utf-8", "surrogateescape"), value.decode("utf-8", "surrogateescape")
            )
        return CIMultiDictProxy(headers), tuple(fields)


class HeadOverBudget(HttpProcessingError):
    """A head's bytes would take the front's budget past proxy.max_inflight_bytes."""


class LenientRequestParser(http_parser.HttpRequestParserPy):
    def __init__(self, *args: Any, max_head_bytes: int, heads: Share, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._headers_parser = LenientHeaders(
            self.max_line_size, self.max_headers, self.max_field_size
        )
        self.max_head_bytes = max_head_bytes
        #: Bytes received since the last head was complete, while one is being read.
        self._head_bytes = 0
        #: What this connection's heads hold of the budget: the one being read (its bytes so
        #: far are `_head_bytes`), and those read whose exchange has not ended (their sizes in
        #: `_read`, in order).
        self.heads = heads
        self._read: deque[int] = deque()

    @property
    def reading_head(self) -> bool:
        """Whether part of a head has come and not the rest."""
        return self._payload_parser is None and self._head_bytes > 0

    def head_ended(self) -> None:
        """The exchange of the oldest head read has ended: its bytes are free."""
        if self._read:
            self.heads.give(self._read.popleft())

    def release(self) -> None:
        """The connection has closed: every head's bytes are free."""
        self.heads.release()
        self._read.clear()

    def feed_data(self, data: bytes, *args: Any, **kwargs: Any) -> Any:
        """aiohttp's, with a head read apart from what follows it. aiohttp reads them in one go,
        and a body it cannot read (a bad chunk size) loses the request it belongs to: answered
        400, with no event. Read apart, the request reaches the front, which reads the failure
        from its body (and records it); a later request that cannot be read is answered 400
        after the ones before it."""
        end = data.find(b"\r\n\r\n") + 4 if self._payload_parser is None else 0
        if not 4 <= end < len(data):
            return self._feed(data, *args, **kwargs)
        messages, upgraded, tail = self._feed(data[:end], *args, **kwargs)
        if not messages:
            return self._feed(data[end:], *args, **kwargs)
        try:
            more, upgraded, tail = self._feed(data[end:], *args, **kwargs)
        except HttpProcessingError as exc:
            failed = _ErrInfo(status=400, exc=exc, message=exc.message)
            return [*messages, (failed, EMPTY_PAYLOAD)], False, b""
        return [*messages, *more], upgraded, tail

    def _feed(self, data: bytes, *args: Any, **kwargs: Any) -> Any:
        """aiohttp bounds a line and the count of fields, not the whole head: bounded here."""
        if self._payload_parser is None:
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes:
                raise LineTooLong(b"the request head", self.max_head_bytes)
            try:
                self.heads.take(len(data))
            except OverBudget as exc:
                raise HeadOverBudget(message=str(exc)) from None
        found = super().feed_data(data, *args, **kwargs)
        if found[0]:  # heads read (the tail begins the next): the bytes go to the first
            self._read.extend([self._head_bytes - len(self._tail)] + [0] * (len(found[0]) - 1))
        if found[0] or self._payload_parser is not None:
            self._head_bytes = len(self._tail)
        return found

    def parse_headers(self, lines: list[bytes]) -> Any:
        """aiohttp's, but framing it refuses (Content-Length with Transfer-Encoding, a coding
        other than chunked) is read as not chunked, on a connection that closes: the front
        refuses the message before it reads any body (proxy/front.py), and records it."""
        try:
            return super().parse_headers(lines)
        except BadHttpMessage as exc:
            if type(exc) is not BadHttpMessage:  # the fields themselves (InvalidHeader...)
                raise
            headers, raw = self._headers_parser.parse_headers(lines)
            return headers, raw, True, None, False, False

    def parse_message(self, lines: list[bytes]) -> RawRequestMessage:
        parts = lines[0].split()
        if len(parts) != 3:
            raise BadStatusLine(lines[0].decode("latin-1"))
        method, target, version = parts
        found = _VERSION.fullmatch(version)
        if found is None:
            raise BadStatusLine(lines[0].decode("latin-1"))
        target = _target(method, target, lines[0])
        path = target.decode("utf-8", "surrogateescape")
        headers, raw, close, compression, _upgrade, chunked = self.parse_headers(lines[1:])
        length = headers.get("Content-Length")
        if not chunked and length is not None and not _LENGTH.fullmatch(length):
            # A length aiohttp cannot frame by (`3x`) is not framed by: no body is read, on a
            # connection that closes. The field stays in the raw head, which the front refuses
            # (as mitmproxy's validate_headers does) with an event.
            headers = CIMultiDictProxy(
                CIMultiDict((k, v) for k, v in headers.items() if k.lower() != "content-length")
            )
            close = True
        http_version = HttpVersion(int(found.group(1)), int(found.group(2)))
        if close is None:
            close = http_version <= HttpVersion(1, 0)
        return RawRequestMessage(
            method.decode("latin-1"),
            path,
            http_version,
            headers,
            raw,
            close,
            compression,
            False,
            chunked,
            _URL,
        )


def _target(method: bytes, target: bytes, line: bytes) -> bytes:
    """The target the stages see, read as mitmproxy reads it; BadStatusLine for any other."""
    if target == b"*" or target.startswith(b"/"):
        return target
    try:
        if method == b"CONNECT":  # authority-form, with its port
            if url.parse_authority(target, check=True)[1] is None:
                raise ValueError(target)
            return target
        scheme, sep, rest = target.partition(b"://")  # absolute-form: its path
        authority, _, path = rest.partition(b"/")
        if not sep or scheme.lower() not in (b"http", b"https"):
            raise ValueError(target)
        url.parse_authority(authority, check=True)
    except ValueError:
        raise BadStatusLine(line.decode("latin-1")) from None
    return b"/" + path


#: aiohttp's URL of every request. The front reads the target as sent (raw_path) and nothing
#: reads this; a URL parsed from the target would be the attacker's to shape (`//ώ` names a
#: host that yarl cannot decode, and aiohttp's request then failed before the front saw it).
_URL = URL("/", encoded=True)
