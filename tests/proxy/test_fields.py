"""A message's head as text: the same pairs and URL as mitmproxy's own readings give."""

from __future__ import annotations

import pytest
from mitmproxy import http
from mitmproxy.test import tutils

from pluginlab_tui.proxy.fields import header_dict, header_pairs, host_header, pretty_url


def test_header_pairs_read_every_field_in_order_as_mitmproxy_does() -> None:
    headers = http.Headers(
        [
            (b"Host", b"p.test"),
            (b"Set-Cookie", b"a=1"),
            (b"set-cookie", b"b=2"),
            (b"X-Odd", b"caf\xc3\xa9 \xff\xfe"),  # UTF-8, then bytes that do not decode
            (b"X-Empty", b""),
        ]
    )
    pairs = header_pairs(headers)
    assert pairs == list(headers.items(multi=True))
    assert pairs[3] == ("X-Odd", "café \udcff\udcfe")  # the bytes survive, as surrogates


@pytest.mark.parametrize(
    "fields",
    [
        [],
        [(b"Host", b"p.test:8080")],
        [(b"host", b"a.test"), (b"X-Other", b"1"), (b"HOST", b"b.test")],  # two: joined
        [(b"Host", b"caf\xc3\xa9.test \xff")],
        [(b"X-Host", b"not.it")],
    ],
)
def test_host_header_is_mitmproxy_s(fields: list[tuple[bytes, bytes]]) -> None:
    request = tutils.treq(headers=http.Headers(fields))
    assert host_header(request) == request.host_header
    request.http_version = "HTTP/2.0"
    request.authority = "h2.test"
    assert host_header(request) == request.host_header == "h2.test"


def test_header_dict_is_mitmproxy_s_dict_of_items() -> None:
    headers = http.Headers(
        [
            (b"Mcp-Session-Id", b"s1"),
            (b"Accept", b"application/json"),
            (b"mcp-session-id", b"s2"),  # a repeated name: its values joined, the first casing
            (b"X-Odd", b"caf\xc3\xa9 \xff"),
            (b"ACCEPT", b"text/event-stream"),
            (b"X-Empty", b""),
        ]
    )
    found = header_dict(headers)
    assert found == dict(headers.items())
    assert list(found) == ["Mcp-Session-Id", "Accept", "X-Odd", "X-Empty"]
    assert found["Mcp-Session-Id"] == "s1, s2"
    assert header_dict(http.Headers()) == {}


@pytest.mark.parametrize(
    ("scheme", "host", "path"),
    [
        ("http", "127.0.0.1:8080", "/todos?limit=10"),
        ("http", "example.com:80", "/"),  # the default port is left out
        ("https", "example.com:443", "/a"),
        ("https", "example.com", "/a"),
        ("http", "[::1]:9000", "/mcp"),
        ("http", "BÜCHER.example", "/x"),  # not IDNA-encoded: kept as the caller wrote it
        ("http", "h:notaport", "/"),  # does not parse: mitmproxy keeps the header as it is
        ("http", "h" * 300 + ":81", "/long"),  # too long to be remembered, still right
        ("http", "p.test", "*"),
    ],
)
def test_pretty_url_is_mitmproxy_s(scheme: str, host: str, path: str) -> None:
    request = tutils.treq(scheme=scheme.encode(), path=path.encode(), headers=[(b"Host", b"")])
    request.headers["Host"] = host
    assert pretty_url(request) == request.pretty_url
    assert pretty_url(request) == request.pretty_url  # the remembered origin, the second time


def test_pretty_url_without_a_host_header_is_the_url() -> None:
    request = tutils.treq(host="10.0.0.1", port=8081, path=b"/p", headers=[(b"X", b"y")])
    assert pretty_url(request) == request.pretty_url == "http://10.0.0.1:8081/p"
