"""HEAD is answered with headers only, whoever made the answer (the proxy's routes, the mock)."""

from __future__ import annotations

from mitmproxy import http


class HeadAnswers:
    def response(self, flow: http.HTTPFlow) -> None:
        response = flow.response
        if flow.request.method != "HEAD" or response is None or not response.raw_content:
            return
        length = len(response.raw_content)
        response.raw_content = b""  # a body here would be read as the next answer on the connection
        response.headers["content-length"] = str(length)
