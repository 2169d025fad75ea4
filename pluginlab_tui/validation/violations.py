"""Violations: what an exchange did against the contract, with a stable code."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Location = Literal["request", "response"]

#: The contract's codes, with where they are found and the status strict mode answers with.
CONTRACT_CODES: dict[str, tuple[Location, int]] = {
    "unknown_path": ("request", 404),
    "method_not_allowed": ("request", 405),
    "unsupported_media_type": ("request", 415),
    "security_missing": ("request", 401),
    "missing_parameter": ("request", 422),
    "invalid_parameter": ("request", 422),
    "missing_body": ("request", 422),
    "invalid_body": ("request", 422),
    "undocumented_status": ("response", 502),
    "missing_response_body": ("response", 502),
    "invalid_response_body": ("response", 502),
    "wrong_content_type": ("response", 502),
    "response_too_large": ("response", 502),
    "slow_response": ("response", 502),
}
#: The proxy's own codes: what it refused or could not do, whatever the contract says.
PROXY_CODES: dict[str, tuple[Location, int]] = {
    "proxy_error": ("request", 500),  # a stage raised: the exchange ended there
    "ambiguous_path": ("request", 400),  # an encoded slash or backslash inside a segment
    "body_too_large_to_check": ("request", 413),  # inflated past proxy.max_inflated_bytes
}
#: MCP's codes (slow_response is shared with the contract's). The status is the strict answer's
#: on the stateless (2026-07-28) wire; the handshake era sends JSON-RPC errors with 200.
MCP_CODES: dict[str, tuple[Location, int]] = {
    "mcp_invalid_message": ("request", 400),
    "mcp_unknown_method": ("request", 404),
    "mcp_header_mismatch": ("request", 400),
    "mcp_unknown_tool": ("request", 400),
    "mcp_invalid_arguments": ("request", 200),  # a CallToolResult with isError (2025-11-25 on)
    "mcp_unknown_resource": ("request", 400),
    "mcp_session": ("request", 404),
    "mcp_protocol_version": ("request", 400),
    "mcp_invalid_structured_content": ("response", 200),  # replaced by a -32603 error
    "mcp_missing_structured_content": ("response", 200),
    "apps_template_missing": ("response", 200),
    "apps_template_mime": ("response", 200),
}
#: Every code a violation can carry.
CODES = {**CONTRACT_CODES, **PROXY_CODES, **MCP_CODES}

#: Order of precedence when several request codes pick the strict answer's status.
_STRICT_PRECEDENCE = [
    "ambiguous_path",
    "unknown_path",
    "method_not_allowed",
    "unsupported_media_type",
    "security_missing",
    "body_too_large_to_check",
]


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule of the contract.

    `where` names the place: a parameter (`query.limit`, `path.id`, `header.X-Key`), a JSON
    pointer into a body (`body/items/0/name`, `body` for the whole body), or `status`,
    `content-type`, `duration`.
    """

    code: str
    location: Location
    where: str
    message: str
    keyword: str | None = None
    schema_path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Violation:
        return cls(
            code=str(data["code"]),
            location=data.get("location") or CODES.get(str(data["code"]), ("request", 0))[0],
            where=str(data.get("where") or ""),
            message=str(data.get("message") or ""),
            keyword=data.get("keyword"),
            schema_path=data.get("schema_path"),
        )


def strict_status(violations: list[Violation]) -> int:
    """The status strict mode answers with for a list of request violations."""
    codes = {v.code for v in violations}
    for code in _STRICT_PRECEDENCE:
        if code in codes:
            return CODES[code][1]
    return 422
