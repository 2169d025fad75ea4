"""mitmproxy's Response as aiohttp sends it: fields as they came, unwritable bytes escaped,
nothing of aiohttp's own, and a HEAD answer's length kept."""

from __future__ import annotations

from mitmproxy import http

from pluginlab_tui.proxy.aiohttp_answer import prepared, whole


def response(fields: list[tuple[bytes, bytes]], body: bytes = b"{}") -> http.Response:
    return http.Response(
        http_version=b"HTTP/1.1",
        status_code=201,
        reason=b"Made",
        headers=http.Headers(fields),
        content=body,
        trailers=None,
        timestamp_start=0.0,
        timestamp_end=0.0,
    )


def test_fields_pass_as_they_came_less_what_belongs_to_one_connection() -> None:
    answer = whole(
        response(
            [
                (b"Content-Type", b"application/json"),
                (b"Set-Cookie", b"a=1"),
                (b"Set-Cookie", b"b=2"),
                (b"X-Caf\xc3\xa9", b"caf\xc3\xa9"),  # UTF-8: kept as it is, not doubled
                (b"Connection", b"keep-alive"),
                (b"Transfer-Encoding", b"chunked"),
            ]
        )
    )
    assert answer.status == 201 and answer.reason == "Made"
    assert answer.headers.getall("Set-Cookie") == ["a=1", "b=2"]
    assert answer.headers["X-Café"] == "café"
    assert "Connection" not in answer.headers and "Transfer-Encoding" not in answer.headers


def test_bytes_aiohttp_cannot_write_are_percent_encoded_not_the_answer_lost() -> None:
    answer = prepared(response([(b"X-Odd", b"a\x01b\x7fc\xffd\tTab")]))
    assert answer.headers["X-Odd"] == "a%01b%7Fc%FFd\tTab"


def test_a_head_answer_keeps_the_length_a_get_would_have_had() -> None:
    empty = whole(response([(b"Content-Length", b"1234")], body=b""))
    assert empty.content_length == 1234
    assert whole(response([], body=b"")).content_length == 0


def test_the_answer_is_closed_when_asked() -> None:
    assert whole(response([]), close=True).keep_alive is False
    assert whole(response([])).keep_alive is None  # as the request asks
