"""Chunked messages with trailer fields: mitmproxy 11's HTTP/1 layer raises on them.

It raises NotImplementedError("HTTP trailers are not implemented yet.") when a chunked body ends
with trailer fields, which kills the connection: the caller gets no answer and no event is
recorded. The proxy forwards with aiohttp, which cannot send trailers anyway, so the trailers
are discarded when the chunked coding is removed, as RFC 9110 (section 6.5.1) allows a recipient
to do; the body and the exchange go on as if the message had none.

`install()` swaps mitmproxy's chunked body reader for one that does this; it is idempotent and
runs when the pluginlab addon is built (embedded or under stock mitmdump).
"""

from __future__ import annotations

import h11
from h11._readers import ChunkedReader
from h11._receivebuffer import ReceiveBuffer
from mitmproxy.proxy.layers.http import _http1


class TrailerDroppingReader(ChunkedReader):
    """h11's chunked reader, ending the message without its trailer fields."""

    def __call__(self, buf: ReceiveBuffer) -> h11.Data | h11.EndOfMessage | None:
        event = super().__call__(buf)
        if isinstance(event, h11.EndOfMessage) and event.headers:
            return h11.EndOfMessage()
        return event


_original = _http1.make_body_reader


def _make_body_reader(expected_size: int | None) -> _http1.TBodyReader:
    if expected_size is None:
        return TrailerDroppingReader()
    return _original(expected_size)


def install() -> None:
    """Make mitmproxy's HTTP/1 layer read chunked bodies with TrailerDroppingReader."""
    _http1.make_body_reader = _make_body_reader
