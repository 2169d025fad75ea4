"""Answers the proxy makes itself: JSON bodies, problem+json, served files."""

from __future__ import annotations

import json
from typing import Any

from mitmproxy import http

from pluginlab_tui.validation.violations import Violation


def json_response(
    status: int,
    body: Any,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> http.Response:
    try:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (an undecodable byte echoed): escaped instead
        payload = json.dumps(body).encode("ascii")
    return http.Response.make(status, payload, {"Content-Type": content_type, **(headers or {})})


def error_response(status: int, error: str, message: str, **extra: Any) -> http.Response:
    """The proxy's own error: `{"error": code, "message": text, ...}`."""
    return json_response(status, {"error": error, "message": message, **extra})


def problem_response(status: int, title: str, violations: list[Violation]) -> http.Response:
    """Strict mode's answer: application/problem+json listing the violations."""
    return json_response(
        status,
        {
            "type": "https://pluginlab-tui.dev/problems/contract-violation",
            "title": title,
            "status": status,
            "violations": [v.to_dict() for v in violations],
        },
        content_type="application/problem+json",
    )


def file_response(content: bytes, content_type: str) -> http.Response:
    return http.Response.make(200, content, {"Content-Type": content_type})
