"""Strict mode's answers, as the version in force expects them, built with mcp-types' types."""

from __future__ import annotations

import pytest
from mcp_types import CallToolResult
from mcp_types.jsonrpc import JSONRPCError, JSONRPCResponse
from mcp_types.methods import validate_server_result

from pluginlab_tui.mcp import strict
from pluginlab_tui.mcp.sessions import Era
from pluginlab_tui.validation.violations import Violation

INVALID = Violation("mcp_invalid_message", "request", "message", "not JSON-RPC")
BAD_ARG = Violation("mcp_invalid_arguments", "request", "/a", "arguments/a must be an integer")


@pytest.mark.parametrize("version", ["2024-11-05", "2025-03-26", "2025-06-18"])
def test_invalid_arguments_are_a_32602_error_up_to_2025_06_18(version: str) -> None:
    answer = strict.invalid_arguments(4, version, [BAD_ARG], "handshake")
    error = JSONRPCError.model_validate(answer.body)
    assert (answer.status, error.id, error.error.code) == (200, 4, -32602)
    assert "/a" in error.error.message
    assert error.error.data["violations"][0]["code"] == "mcp_invalid_arguments"


@pytest.mark.parametrize(
    ("version", "era"), [("2025-11-25", "handshake"), ("2026-07-28", "stateless")]
)
def test_invalid_arguments_are_an_is_error_result_from_2025_11_25(version: str, era: str) -> None:
    answer = strict.invalid_arguments("r", version, [BAD_ARG], era)  # type: ignore[arg-type]
    response = JSONRPCResponse.model_validate(answer.body)
    assert answer.status == 200 and response.id == "r"
    assert response.result["isError"] is True
    assert "must be an integer" in response.result["content"][0]["text"]
    validate_server_result("tools/call", version, response.result)


def test_an_invalid_result_becomes_32603_naming_the_violations() -> None:
    v = Violation("mcp_invalid_structured_content", "response", "/sum", "must be a number")
    answer = strict.invalid_result(1, [v], "stateless")
    error = JSONRPCError.model_validate(answer.body)
    assert (answer.status, error.error.code) == (200, -32603)
    assert "mcp_invalid_structured_content at /sum" in error.error.message


def test_the_answer_to_a_request_by_code_and_era() -> None:
    def for_(
        code: str, era: Era, where: str = "method", message: str = "x"
    ) -> strict.Answer | None:
        return strict.for_request(
            1,
            "2026-07-28" if era == "stateless" else "2025-11-25",
            era,
            [Violation(code, "request", where, message)],
        )

    cases: dict[tuple[str, Era], tuple[int, int]] = {
        ("mcp_unknown_method", "stateless"): (404, -32601),
        ("mcp_unknown_method", "handshake"): (200, -32601),
        ("mcp_header_mismatch", "stateless"): (400, -32020),
        ("mcp_protocol_version", "stateless"): (400, -32022),
        ("mcp_protocol_version", "handshake"): (400, -32600),
        ("mcp_session", "handshake"): (404, -32600),
        ("mcp_invalid_message", "handshake"): (400, -32600),
        ("mcp_unknown_tool", "stateless"): (400, -32602),
        ("mcp_unknown_tool", "handshake"): (200, -32602),
        ("mcp_unknown_resource", "handshake"): (200, -32002),
        ("mcp_unknown_resource", "stateless"): (400, -32602),
    }
    for (code, era), (status, rpc) in cases.items():
        answer = for_(code, era)
        assert answer is not None, code
        assert (answer.status, answer.body["error"]["code"]) == (status, rpc), (code, era)
    missing = for_("mcp_session", "handshake", message="missing: the server issued sessions")
    assert missing is not None and missing.status == 400
    assert for_("slow_response", "handshake") is None
    assert strict.unknown_method(2, "x/y", "stateless").status == 404


def test_the_first_code_in_precedence_picks_the_answer() -> None:
    violations = [
        Violation("mcp_invalid_arguments", "request", "/a", "bad"),
        Violation("mcp_session", "request", "header.Mcp-Session-Id", "unknown session 'x'"),
    ]
    answer = strict.for_request(1, "2025-11-25", "handshake", violations)
    assert answer is not None and answer.status == 404


def test_a_batch_with_a_refused_message_is_answered_whole() -> None:
    refused = strict.for_request(2, "2025-03-26", "handshake", [BAD_ARG])
    unknown = strict.unknown_method(3, "tools/explode", "handshake")
    answer = strict.for_batch(
        [(1, True, None), (2, True, refused), (None, False, None), (3, True, unknown)],
        "handshake",
    )
    assert answer is not None and answer.status == 200
    errors = [JSONRPCError.model_validate(item) for item in answer.body]
    # the notification gets no answer; the valid request is not sent, and says so
    assert [(e.id, e.error.code) for e in errors] == [(1, -32600), (2, -32602), (3, -32601)]
    assert "Not sent" in errors[0].error.message and "message 1" in errors[0].error.message


def test_a_batch_takes_the_gravest_status_and_none_when_nothing_is_refused() -> None:
    session = Violation("mcp_session", "request", "header.Mcp-Session-Id", "unknown session 'x'")
    lost = strict.for_request(1, "2025-03-26", "handshake", [session])
    assert lost is not None and lost.status == 404
    invalid = strict.for_request(None, "2025-03-26", "handshake", [INVALID])
    answer = strict.for_batch([(None, False, invalid), (1, True, lost)], "handshake")
    assert answer is not None and answer.status == 404 and len(answer.body) == 2
    assert strict.for_batch([(1, True, None), (None, False, None)], "handshake") is None


def test_a_sign_in_answer_carries_the_challenge_where_chatgpt_reads_it() -> None:
    answer = strict.sign_in(
        7, "2025-06-18", "sign in to add cards", 'Bearer error="insufficient_scope"'
    )
    assert answer.status == 200 and answer.body["id"] == 7
    result = CallToolResult.model_validate(answer.body["result"])
    assert result.is_error and result.meta == {
        "mcp/www_authenticate": ['Bearer error="insufficient_scope"']
    }
