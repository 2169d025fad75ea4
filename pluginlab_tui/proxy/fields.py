"""A request's or a response's head as text, read the way mitmproxy reads it, but cheaper.

mitmproxy's `headers.items()` yields its pairs through a generator and a call per name and
value (and looks each name up again), its `host_header` converts every field's name to find
one, and `Request.pretty_url` parses the Host header anew (with IDNA) on every call: all are on
the path of every exchange. These give the same text for less.
"""

from __future__ import annotations

import functools

from mitmproxy import http
from mitmproxy.net.http import url

#: Host headers longer than this are not remembered (the cache holds at most _ORIGINS of them).
_CACHED_HOST = 255
_ORIGINS = 256


def header_pairs(headers: http.Headers) -> list[tuple[str, str]]:
    """Every header field in order, repeated names included: `list(headers.items(multi=True))`."""
    return [
        (k.decode("utf-8", "surrogateescape"), v.decode("utf-8", "surrogateescape"))
        for k, v in headers.fields
    ]


def header_dict(headers: http.Headers) -> dict[str, str]:
    """`dict(headers.items())`: a name (as it first came) to its values joined by ", ", in one
    pass (mitmproxy's items() looks each name up again, 18 us a request head here)."""
    names: dict[str, str] = {}
    found: dict[str, list[str]] = {}
    for k, v in headers.fields:
        name = k.decode("utf-8", "surrogateescape")
        key = name.lower()
        values = found.get(key)
        if values is None:
            names[key] = name
            found[key] = [v.decode("utf-8", "surrogateescape")]
        else:
            values.append(v.decode("utf-8", "surrogateescape"))
    return {names[key]: ", ".join(values) for key, values in found.items()}


def host_header(request: http.Request) -> str | None:
    """`request.host_header`, for HTTP/1 read from the raw fields (mitmproxy's looks the name
    up through its multidict, converting every field's name on the way)."""
    if request.is_http2 or request.is_http3:
        return request.host_header
    fields = request.headers.fields
    values = [v.decode("utf-8", "surrogateescape") for k, v in fields if k.lower() == b"host"]
    return ", ".join(values) if values else None


def pretty_url(request: http.Request) -> str:
    """`request.pretty_url`: the URL with the host as the caller named it (its Host header)."""
    host = host_header(request)
    if request.first_line_format == "authority" or not host:
        return request.pretty_url
    path = request.path if request.path != "*" else ""
    if len(host) > _CACHED_HOST:
        return _origin.__wrapped__(request.scheme, host) + path
    return _origin(request.scheme, host) + path


@functools.lru_cache(maxsize=_ORIGINS)
def _origin(scheme: str, host_header: str) -> str:
    """`scheme://host[:port]` as mitmproxy's pretty_url begins (its default port left out)."""
    host, port = url.parse_authority(host_header, check=False)
    return url.unparse(scheme, host, port or url.default_port(scheme) or 443, "")
