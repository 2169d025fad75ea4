"""Chunked bodies with trailer fields are read (the trailers dropped), not an exception."""

from __future__ import annotations

import h11
from h11._receivebuffer import ReceiveBuffer
from mitmproxy.proxy.layers.http import _http1

from pluginlab_tui.proxy import trailers


def read_all(reader: trailers.TrailerDroppingReader, raw: bytes) -> list[object]:
    buf = ReceiveBuffer()
    buf += raw
    events: list[object] = []
    while (event := reader(buf)) is not None:
        events.append(event)
        if isinstance(event, h11.EndOfMessage):
            break
    return events


def test_trailers_are_dropped_and_the_body_kept() -> None:
    events = read_all(
        trailers.TrailerDroppingReader(), b"5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n"
    )
    assert b"".join(bytes(e.data) for e in events if isinstance(e, h11.Data)) == b"hello"
    assert isinstance(events[-1], h11.EndOfMessage) and list(events[-1].headers) == []


def test_install_makes_mitmproxy_read_chunked_bodies_with_it() -> None:
    trailers.install()
    trailers.install()  # idempotent
    assert isinstance(_http1.make_body_reader(None), trailers.TrailerDroppingReader)
    assert not isinstance(_http1.make_body_reader(10), trailers.TrailerDroppingReader)
