"""Undecodable fields: readable text for the columns, the original bytes kept in `raw`."""

from __future__ import annotations

import base64
import uuid

import pytest

from pluginlab_tui.store.event import Event, iso_now
from pluginlab_tui.store.lossless import decodable, encode, make_storable, original, readable
from pluginlab_tui.validation.violations import Violation


def escaped(data: bytes) -> str:
    """What mitmproxy makes of bytes that are not UTF-8."""
    return data.decode("utf-8", "surrogateescape")


def test_escaped_bytes_and_lone_surrogates_encode_back_to_what_came_in() -> None:
    assert encode(escaped(b"/todos/\xff\xfe")) == b"/todos/\xff\xfe"
    assert encode("a\ud800b") == "a\ud800b".encode("utf-8", "surrogatepass")
    assert encode(escaped(b"\xff") + "\ud800") == b"\xff\xed\xa0\x80"  # both kinds at once
    assert encode("caf\u00e9") == "caf\u00e9".encode()


def test_readable_replaces_each_lone_surrogate() -> None:
    assert readable(escaped(b"/todos/\xff\xfe")) == "/todos/\ufffd\ufffd"
    assert decodable("caf\u00e9") and not decodable(escaped(b"\xff"))


def test_every_text_field_is_made_storable_and_its_bytes_kept() -> None:
    event = Event(
        event_id=str(uuid.uuid4()),
        ts=iso_now(),
        method="GET",
        url=escaped(b"http://x/todos/\xff"),
        path=escaped(b"/todos/\xff"),
        query=escaped(b"q=\xfe"),
        request_headers=[("Host", "x"), (escaped(b"X-\xff"), escaped(b"caf\xe9"))],
        request_body='{"title": "\ud800"}',
        error=escaped(b"reset \x80"),
        user_id=escaped(b"al\xffce"),
        violations=[Violation("invalid_parameter", "request", "path.user", escaped(b"bad \xff"))],
    )
    make_storable(event)
    assert event.path == "/todos/\ufffd" and event.user_id == "al\ufffdce"
    assert event.request_headers == [("Host", "x"), ("X-\ufffd", "caf\ufffd")]
    assert event.violations[0].message == "bad \ufffd"
    assert sorted(event.raw) == [
        "error",
        "path",
        "query",
        "request_body",
        "request_headers/1/0",
        "request_headers/1/1",
        "url",
        "user_id",
        "violations/0/message",
    ]
    assert original(event, "path") == b"/todos/\xff"
    assert original(event, "request_headers/1/0") == b"X-\xff"
    assert original(event, "request_headers/1/1") == b"caf\xe9"
    assert original(event, "violations/0/message") == b"bad \xff"
    assert base64.b64decode(event.raw["request_body"]) == b'{"title": "\xed\xa0\x80"}'
    assert original(event, "request_headers/0/1") == b"x"  # a field that decoded: as it is
    assert original(event, "method") == b"GET"


def test_an_event_that_decodes_is_left_as_it_is() -> None:
    event = Event(event_id="e", ts=iso_now(), method="GET", url="http://x/caf\u00e9", path="/")
    make_storable(event)
    assert event.raw == {} and event.url == "http://x/caf\u00e9"


@pytest.mark.parametrize("name", ["session_id", "response_body", "comment", "response_headers"])
def test_one_undecodable_field_among_plain_ones_is_still_caught(name: str) -> None:
    bad = escaped(b"\xff")
    event = Event(
        event_id="e",
        ts=iso_now(),
        method="GET",
        url="http://x/",
        path="/",
        request_headers=[("Host", "x")],
        skipped=["mcp_unknown_tool: no tools/list seen yet"],
    )
    setattr(event, name, [("X-Id", bad)] if name == "response_headers" else bad)
    make_storable(event)
    key = "response_headers/0/1" if name == "response_headers" else name
    assert list(event.raw) == [key] and original(event, key) == b"\xff"
    assert event.skipped == ["mcp_unknown_tool: no tools/list seen yet"]
