"""Mock answers from the spec: the documented example, else a value generated from the schema.

Used when no backend is configured or with `serve --mock`. The answer is the operation's first
success response (2xx, else 2XX, else default); each candidate body (the example, then a generated
value) is checked against the spec, and the first that keeps the contract is sent. The answer is
marked with `X-PluginLab-Mock: example | generated | empty`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mitmproxy import http

from pluginlab_tui.contract.service import Served
from pluginlab_tui.contract.verdict import check_response
from pluginlab_tui.generate import generate, media_example, parameter_value, resolve
from pluginlab_tui.proxy.answers import error_response
from pluginlab_tui.proxy.exchange import Exchange
from pluginlab_tui.validation.validator import ContractValidator, HttpResponse, RequestCheck
from pluginlab_tui.wire import MOCK_HEADER


@dataclass(frozen=True)
class MockAnswer:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    #: example, generated or empty
    kind: str = "generated"


def success_status(responses: dict[str, Any]) -> str | None:
    """The documented status a mock answers with: lowest 2xx, else 2XX, else default."""
    codes = sorted(str(s) for s in responses)
    for code in codes:
        if code.isdigit() and code.startswith("2"):
            return code
    for code in codes:
        if code.upper() == "2XX":
            return code
    return "default" if "default" in codes else None


def _is_json(media_type: str) -> bool:
    base = media_type.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


def _encode(media_type: str, value: Any) -> bytes:
    if _is_json(media_type):
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _headers(response: dict[str, Any], spec: Any) -> list[tuple[str, str]]:
    """The response headers the spec documents, with example or generated values."""
    out: list[tuple[str, str]] = []
    declared = response.get("headers")
    if not isinstance(declared, dict):
        return out
    for name, header in declared.items():
        header = resolve(spec, header)
        if not isinstance(header, dict) or str(name).lower() == "content-type":
            continue
        value = parameter_value({**header, "name": name}, spec)
        if isinstance(value, bool):
            value = "true" if value else "false"
        out.append((str(name), value if isinstance(value, str) else json.dumps(value)))
    return out


def candidates(spec: Any, operation: dict[str, Any]) -> list[MockAnswer]:
    """The answers worth trying, best first."""
    responses = operation.get("responses")
    if not isinstance(responses, dict):
        return []
    status_key = success_status(responses)
    if status_key is None:
        return []
    status = int(status_key) if status_key.isdigit() else 200
    response = resolve(spec, responses[status_key])
    if not isinstance(response, dict):
        response = {}
    headers = _headers(response, spec)
    content = response.get("content")
    if not isinstance(content, dict) or not content or status in (204, 304):
        return [MockAnswer(status, b"", headers, "empty")]
    media_types = sorted(content, key=lambda m: not _is_json(str(m)))
    found: list[MockAnswer] = []
    for media_type in media_types:
        media = resolve(spec, content[media_type])
        media = media if isinstance(media, dict) else {}
        kind = "application/json" if str(media_type) in ("*/*", "application/*") else media_type
        typed = [("Content-Type", str(kind)), *headers]
        ok, example = media_example(media, spec)
        if ok:
            found.append(MockAnswer(status, _encode(str(kind), example), typed, "example"))
        schema = media.get("schema", {})
        for use_examples in (True, False):
            value = generate(schema, spec, direction="response", use_examples=use_examples)
            found.append(MockAnswer(status, _encode(str(kind), value), typed, "generated"))
    return found


def mock_answer(
    spec: Any,
    operation: dict[str, Any],
    validator: ContractValidator | None = None,
    check: RequestCheck | None = None,
) -> MockAnswer | None:
    """The first candidate answer that keeps the contract (else the first one); None if none."""
    found = candidates(spec, operation)
    if not found:
        return None
    if validator is None or check is None or check.operation is None:
        return found[0]
    for answer in found:
        broken = check_response(
            validator, check, HttpResponse(answer.status, answer.headers, answer.body), 0.0
        )
        if not broken:
            return answer
    return found[0]


def as_response(answer: MockAnswer) -> http.Response:
    headers: Sequence[tuple[bytes, bytes]] = [
        (k.encode("latin-1", "replace"), v.encode("latin-1", "replace"))
        for k, v in [*answer.headers, (MOCK_HEADER, answer.kind)]
    ]
    response = http.Response.make(answer.status, answer.body)
    response.headers = http.Headers(list(headers))
    response.headers["content-length"] = str(len(answer.body))
    return response


def mock_response(exchange: Exchange, served: Served) -> http.Response:
    """An answer for the matched operation of `served`, marked with X-PluginLab-Mock."""
    operation = served.files.operation(exchange.operation_id)
    if operation is None:
        response = error_response(404, "no_operation", "mock: no operation of the spec matches")
        response.headers[MOCK_HEADER] = "none"
        return response
    answer = mock_answer(served.files.spec, operation, served.validator, exchange.check)
    if answer is None:
        response = error_response(
            501, "no_success_response", "mock: the operation documents no success answer"
        )
        response.headers[MOCK_HEADER] = "none"
        return response
    return as_response(answer)
