"""Strict mode's answers to MCP violations, as the version in force expects them.

Invalid tool arguments: a JSON-RPC error -32602 up to 2025-06-18, a CallToolResult with isError
from 2025-11-25 on (SEP-1303); an invalid result: -32603 naming the violations; an unknown method:
-32601; the other request codes their JSON-RPC error. HTTP statuses: the stateless era's table
(mcp's ERROR_CODE_HTTP_STATUS), 200 for JSON-RPC errors in the handshake era, 404 for an unknown
session and 400 for a missing one or a bad protocol version in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp.shared.inbound import ERROR_CODE_HTTP_STATUS
from mcp_types import CallToolResult, TextContent
from mcp_types.jsonrpc import (
    HEADER_MISMATCH,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    UNSUPPORTED_PROTOCOL_VERSION,
    ErrorData,
    JSONRPCError,
    JSONRPCResponse,
    RequestId,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from pluginlab_tui.mcp.sessions import Era, is_at_least
from pluginlab_tui.validation.violations import Violation

#: Where a tool result carries a WWW-Authenticate challenge (the Apps SDK's key).
WWW_AUTHENTICATE_META = "mcp/www_authenticate"
#: -32002 (resource not found) up to 2025-11-25; 2026-07-28 uses -32602.
RESOURCE_NOT_FOUND = -32002

#: Request codes in the order that picks the one answer.
_PRECEDENCE = (
    "mcp_invalid_message",
    "mcp_protocol_version",
    "mcp_session",
    "mcp_header_mismatch",
    "mcp_unknown_method",
    "mcp_unknown_tool",
    "mcp_unknown_resource",
    "mcp_invalid_arguments",
)


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP status and the JSON-RPC body sent in place of the server's (a batch's: a list)."""

    status: int
    body: Any


def _listing(violations: list[Violation]) -> str:
    return "; ".join(f"{v.code} at {v.where or 'root'}: {v.message}" for v in violations)


def _data(violations: list[Violation]) -> dict[str, Any]:
    return {"violations": [v.to_dict() for v in violations]}


def error(
    request_id: RequestId | None, code: int, message: str, data: Any, era: Era, status: int = 0
) -> Answer:
    """A JSON-RPC error answer built with mcp-types' envelope."""
    body = JSONRPCError(
        jsonrpc="2.0", id=request_id, error=ErrorData(code=code, message=message, data=data)
    ).model_dump(mode="json", exclude_none=True)
    if not status:
        status = ERROR_CODE_HTTP_STATUS.get(code, 200) if era == "stateless" else 200
    return Answer(status, body)


def invalid_arguments(
    request_id: RequestId, version: str, violations: list[Violation], era: Era
) -> Answer:
    """Bad tools/call arguments: -32602 before 2025-11-25, an isError CallToolResult after."""
    text = f"Invalid arguments: {_listing(violations)}"
    if not is_at_least(version, "2025-11-25"):
        return error(request_id, INVALID_PARAMS, text, _data(violations), era)
    return tool_error(request_id, version, text)


def tool_error(
    request_id: RequestId, version: str | None, text: str, meta: dict[str, Any] | None = None
) -> Answer:
    """A CallToolResult with isError, saying `text`, with `_meta` when given."""
    result = CallToolResult(
        content=[TextContent(type="text", text=text)], is_error=True, _meta=meta
    )
    dumped = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    if version in MODERN_PROTOCOL_VERSIONS:
        dumped["resultType"] = "complete"
    body = JSONRPCResponse(jsonrpc="2.0", id=request_id, result=dumped)
    return Answer(200, body.model_dump(mode="json", exclude_none=True))


def sign_in(request_id: RequestId, version: str | None, text: str, challenge: str) -> Answer:
    """A tools/call refused for want of a token or a scope, as ChatGPT's linking UI reads it:
    an isError result whose `_meta["mcp/www_authenticate"]` carries the challenge."""
    return tool_error(request_id, version, text, {WWW_AUTHENTICATE_META: [challenge]})


def invalid_result(request_id: RequestId, violations: list[Violation], era: Era) -> Answer:
    """A result that broke the contract, replaced by -32603 naming its violations."""
    text = f"The server's result broke the contract: {_listing(violations)}"
    return error(request_id, INTERNAL_ERROR, text, _data(violations), era)


def unknown_method(request_id: RequestId | None, method: str, era: Era) -> Answer:
    return error(request_id, METHOD_NOT_FOUND, f"Method not found: {method}", None, era)


def for_batch(
    messages: list[tuple[RequestId | None, bool, Answer | None]], era: Era
) -> Answer | None:
    """A batch (2025-03-26) is answered whole when any of its messages is refused: each
    message (its id, whether it awaits an answer, its own refusal) gets its refusal, or -32600
    "not sent" when it was fine; notifications get none. The server is not called. None: no
    message is refused. The status is the gravest of the refusals' (404 over 400 over 200)."""
    refused = [a for _, _, a in messages if a is not None]
    if not refused:
        return None
    body: list[Any] = []
    for n, (request_id, answered, answer) in enumerate(messages, start=1):
        if answer is not None:
            body.append(answer.body)
        elif answered:
            said = (
                f"Not sent: strict mode answers the whole batch, and another of its messages"
                f" broke the contract (this one, message {n}, did not)"
            )
            body.append(error(request_id, INVALID_REQUEST, said, None, era).body)
    return Answer(max(a.status for a in refused), body)


def for_request(
    request_id: RequestId | None, version: str | None, era: Era, violations: list[Violation]
) -> Answer | None:
    """The answer to a request with these violations (None: nothing strict mode answers)."""
    by_code = {code: [v for v in violations if v.code == code] for code in _PRECEDENCE}
    code = next((c for c in _PRECEDENCE if by_code[c]), None)
    if code is None:
        return None
    found = by_code[code]
    text = _listing(found)
    data = _data(found)
    if code == "mcp_invalid_message":
        return error(request_id, INVALID_REQUEST, f"Invalid request: {text}", data, era, 400)
    if code == "mcp_protocol_version":
        jsonrpc = UNSUPPORTED_PROTOCOL_VERSION if era == "stateless" else INVALID_REQUEST
        return error(request_id, jsonrpc, f"Bad protocol version: {text}", data, era, 400)
    if code == "mcp_session":
        missing = any("missing" in v.message for v in found)
        status = 400 if missing else 404
        return error(request_id, INVALID_REQUEST, f"Session: {text}", data, era, status)
    if code == "mcp_header_mismatch":
        return error(request_id, HEADER_MISMATCH, f"Header mismatch: {text}", data, era, 400)
    if code == "mcp_unknown_method":
        return error(request_id, METHOD_NOT_FOUND, f"Method not found: {text}", data, era)
    if code == "mcp_unknown_tool":
        return error(request_id, INVALID_PARAMS, f"Unknown tool: {text}", data, era)
    if code == "mcp_unknown_resource":
        jsonrpc = INVALID_PARAMS if era == "stateless" else RESOURCE_NOT_FOUND
        return error(request_id, jsonrpc, f"Resource not found: {text}", data, era)
    if request_id is None:
        return None
    return invalid_arguments(request_id, version or "", found, era)
