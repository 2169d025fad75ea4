"""mitmproxy's Response as the answer aiohttp's server sends (serve's front, proxy/front.py):
its status, reason and fields as they came, less what belongs to one connection; the bytes
aiohttp cannot write percent-encoded rather than the answer lost; no Server header of aiohttp's
own; a HEAD answer keeps the Content-Length a GET would have had."""

from __future__ import annotations

import re

from aiohttp import hdrs, web
from mitmproxy import http
from multidict import CIMultiDict

from pluginlab_tui.proxy.forward import HOP_BY_HOP

#: Head bytes that aiohttp's writer cannot send as they are: controls (but tab) and non-ASCII.
_UNWRITABLE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f-\xff]")
#: Of those, once decoded: the controls it refuses, and the bytes that were not UTF-8.
_ESCAPED = re.compile("[\x00-\x08\x0a-\x1f\x7f\udc80-\udcff]")


def _headers(response: http.Response) -> CIMultiDict[str]:
    return CIMultiDict(
        (_field(k), _field(v)) for k, v in response.headers.fields if k.lower() not in HOP_BY_HOP
    )


def _reason(response: http.Response) -> str | None:
    return _field(response.data.reason) or None


def _field(raw: bytes) -> str:
    """Head bytes as aiohttp writes them (text, as UTF-8): the bytes as they came, but for those
    it cannot write, percent-encoded: the controls it refuses (the whole answer would be lost),
    and bytes that are not UTF-8 (they would be dropped, or doubled as Latin-1)."""
    if _UNWRITABLE.search(raw) is None:
        return raw.decode("ascii")
    text = raw.decode("utf-8", "surrogateescape")
    return "".join(_wire(ch) for ch in text) if _ESCAPED.search(text) else text


def _wire(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as surrogateescape keeps it
        return f"%{code - 0xDC00:02X}"
    return f"%{code:02X}" if _ESCAPED.fullmatch(ch) else ch


class _Unbranded(web.StreamResponse):
    """An answer without aiohttp's own Server header (mitmproxy adds none): a backend's Server
    header passes, the proxy's own answers name no software."""

    async def _prepare_headers(self) -> None:
        given = hdrs.SERVER in self.headers
        await super()._prepare_headers()
        if not given:
            self.headers.popall(hdrs.SERVER, None)


class _UnbrandedWhole(_Unbranded, web.Response):
    pass


def prepared(response: http.Response) -> web.StreamResponse:
    return _Unbranded(
        status=response.status_code,
        reason=_reason(response),
        headers=_headers(response),
    )


def whole(response: http.Response, close: bool = False) -> web.StreamResponse:
    """The answer, sent whole. Without a body (HEAD) it keeps the Content-Length it was given:
    the length a GET would have had."""
    body = response.raw_content or b""
    answer: web.StreamResponse
    if body:
        answer = _UnbrandedWhole(
            status=response.status_code,
            reason=_reason(response),
            headers=_headers(response),
            body=body,
        )
    else:
        answer = _Unbranded(
            status=response.status_code, reason=_reason(response), headers=_headers(response)
        )
        length = response.headers.get("content-length")
        answer.content_length = int(length) if length and length.isdigit() else 0
    if close:
        answer.force_close()
    return answer
