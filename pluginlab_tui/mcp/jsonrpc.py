"""A POST body's bytes to JSON-RPC messages, each classified; bad input is an invalid message."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import pydantic
from mcp_types import DEFAULT_NEGOTIATED_VERSION
from mcp_types.jsonrpc import JSONRPCError, JSONRPCNotification, JSONRPCRequest, JSONRPCResponse

from pluginlab_tui.mcp.first_error import first_error

Kind = Literal["request", "notification", "result", "error", "invalid"]
RequestId = int | str

#: Nesting deeper than this is refused before anything walks it.
MAX_DEPTH = 256
#: The largest integer id every peer can echo exactly (JavaScript's safe integers).
SAFE_ID = 2**53 - 1
#: Messages in one batch.
MAX_BATCH = 1000
#: Versions whose bodies may be JSON arrays (batches came in 2025-03-26, left in 2025-06-18).
BATCH_VERSIONS = frozenset({"2025-03-26"})


@dataclass(frozen=True, slots=True)
class Message:
    """One JSON-RPC message as received; `problem` says why an invalid one is invalid."""

    kind: Kind
    value: Any
    id: RequestId | None = None
    method: str | None = None
    params: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    problem: str | None = None

    @property
    def error_code(self) -> int | None:
        code = self.error.get("code") if self.error else None
        return code if isinstance(code, int) and not isinstance(code, bool) else None


def invalid(problem: str, value: Any = None) -> Message:
    return Message("invalid", value, problem=problem)


class _Refused(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) < len(pairs):
        key = next(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
        raise _Refused(f"duplicate key {key[:60]!r}")
    return out


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not JSON")


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether objects and arrays nest deeper than `limit` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def decode(body: bytes) -> tuple[Any, str | None]:
    """(value, None) for strict JSON in UTF-8 (no NaN, no duplicate keys), or (None, why not)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"the body is not UTF-8 (byte {exc.start})"
    return decode_text(text)


def decode_text(text: str) -> tuple[Any, str | None]:
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)
    except _Refused as exc:
        return None, f"the body is not valid JSON: {exc}"
    except RecursionError:
        return None, f"the body nests deeper than {MAX_DEPTH} levels"
    except ValueError as exc:
        return None, f"the body is not valid JSON: {str(exc)[:120]}"
    # Each level opens a bracket: a text with no more of them than the limit cannot be too deep
    # (brackets in strings only make the count higher), and needs no walk.
    if text.count("{") + text.count("[") > MAX_DEPTH and too_deep(value):
        return None, f"the body nests deeper than {MAX_DEPTH} levels"
    return value, None


def allows_batch(version: str | None) -> bool:
    """Whether a JSON array body is allowed at this version (None: the default, 2025-03-26)."""
    return (version or DEFAULT_NEGOTIATED_VERSION) in BATCH_VERSIONS


def parse_body(body: bytes, version: str | None) -> list[Message]:
    """The messages of one POST body (a batch only where the version allows it)."""
    value, problem = decode(body)
    return _messages(value, problem, version)


def parse_text(text: str) -> Message:
    """The one message of an SSE frame's data (never a batch)."""
    value, problem = decode_text(text)
    return (
        _messages(value, problem, None)[0]
        if not isinstance(value, list)
        else invalid("a batch on an SSE stream", value)
    )


def _messages(value: Any, problem: str | None, version: str | None) -> list[Message]:
    if problem is not None:
        return [invalid(problem)]
    if isinstance(value, list):
        if not allows_batch(version):
            return [invalid(f"a batch (JSON array) is not allowed in {version}", value)]
        if not value:
            return [invalid("an empty batch", value)]
        if len(value) > MAX_BATCH:
            return [invalid(f"a batch of {len(value)} messages (at most {MAX_BATCH})", value)]
        return [classify(item) for item in value]
    return [classify(value)]


def _unsafe_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > SAFE_ID


def classify(value: Any) -> Message:
    """One decoded JSON value as a request, notification, result, error or invalid message."""
    if not isinstance(value, dict):
        return invalid("a JSON-RPC message is an object", value)
    if value.get("jsonrpc") != "2.0":
        return invalid('"jsonrpc" must be "2.0"', value)
    raw_id = value.get("id")
    try:
        if "method" in value:
            if "result" in value or "error" in value:
                return invalid("a message with both method and result/error", value)
            if "id" in value:
                if _unsafe_id(raw_id):
                    return invalid(f"an integer id beyond ±{SAFE_ID} (peers cannot echo it)", value)
                req = JSONRPCRequest.model_validate(value)
                return Message("request", value, req.id, req.method, req.params)
            note = JSONRPCNotification.model_validate(value)
            return Message("notification", value, None, note.method, note.params)
        if "result" in value and "error" in value:
            return invalid("a response with both result and error", value)
        if "result" in value:
            res = JSONRPCResponse.model_validate(value)
            return Message("result", value, res.id, result=res.result)
        if "error" in value:
            err = JSONRPCError.model_validate(value)
            return Message("error", value, err.id, error=err.error.model_dump(exclude_none=True))
    except pydantic.ValidationError as exc:
        msg = invalid(f"not a JSON-RPC 2.0 message ({first_error(exc).text()})", value)
        if isinstance(raw_id, int | str) and not isinstance(raw_id, bool):
            return Message("invalid", value, raw_id, problem=msg.problem)
        return msg
    return invalid("neither a request, a notification nor a response", value)


def same_id(a: Any, b: Any) -> bool:
    """JSON-RPC ids are equal: same value and same type (7 and "7" differ, True is no id)."""
    return type(a) is type(b) and a == b and not isinstance(a, bool)


def batch_member(body: bytes, rpc_id: str) -> bytes | None:
    """The message of a batch body whose id is `rpc_id` (JSON text), re-encoded; None if absent."""
    value, _ = decode(body)
    wanted, problem = decode_text(rpc_id)
    if not isinstance(value, list) or problem is not None:
        return None
    for item in value:
        if isinstance(item, dict) and "method" in item and same_id(item.get("id"), wanted):
            return json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return None
