"""Mock answers from the spec: the documented example of the first success response."""

from __future__ import annotations

from typing import Any

from mitmproxy import http

from pluginlab_tui.proxy.answers import error_response, json_response
from pluginlab_tui.proxy.exchange import Exchange

MOCK_HEADER = "X-PluginLab-Mock"


def _example(media: dict[str, Any]) -> tuple[bool, Any]:
    if "example" in media:
        return True, media["example"]
    examples = media.get("examples")
    if isinstance(examples, dict):
        for item in examples.values():
            if isinstance(item, dict) and "value" in item:
                return True, item["value"]
    schema = media.get("schema")
    if isinstance(schema, dict) and "example" in schema:
        return True, schema["example"]
    return False, None


def mock_response(exchange: Exchange) -> http.Response:
    """An answer for the matched operation, marked with X-PluginLab-Mock."""
    operation = exchange.served.files.operation(exchange.operation_id)
    if operation is None:
        return error_response(404, "no_operation", "mock: no operation of the spec matches")
    responses = operation.get("responses") or {}
    for status in sorted(str(s) for s in responses):
        if not status.startswith("2"):
            continue
        response = responses[status] or {}
        content = response.get("content") or {}
        code = int(status) if status.isdigit() else 200
        if not content:
            return http.Response.make(code, b"", {MOCK_HEADER: "example"})
        for media_type, media in content.items():
            found, value = _example(media or {})
            if found:
                return json_response(code, value, {MOCK_HEADER: "example"}, content_type=media_type)
        return json_response(code, None, {MOCK_HEADER: "empty"})
    return error_response(501, "no_success_response", "mock: the operation documents no 2xx answer")
