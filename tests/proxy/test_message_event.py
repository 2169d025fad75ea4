"""A message's event built in the writer thread: its verdict, its facts, its HTTP parts."""

from __future__ import annotations

import json
from pathlib import Path

from pluginlab_tui.access.redaction import Redactor
from pluginlab_tui.mcp.catalogue import Catalogue
from pluginlab_tui.mcp.checks import Context
from pluginlab_tui.mcp.jsonrpc import classify
from pluginlab_tui.mcp.sessions import Pending
from pluginlab_tui.mcp.track import Record
from pluginlab_tui.mcp.versions import CatalogueVersions
from pluginlab_tui.proxy.message_event import Http, Part, PendingMessage
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import ITEM_BYTES
from pluginlab_tui.store.parts import Auth

TOOLS = Catalogue().with_list(
    "tools/list",
    None,
    {
        "tools": [
            {
                "name": "add",
                "inputSchema": {"type": "object", "properties": {"n": {"type": "integer"}}},
            }
        ]
    },
)
CALL = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "add"}}


def http(body: bytes, answer: bytes | None) -> Http:
    return Http(
        event_id="e",
        ts="2026-01-01T00:00:00.000Z",
        method="POST",
        url="http://proxy/mcp",
        path="/mcp",
        query="",
        request=Part([("Authorization", "Bearer secret-token-123")], body),
        response=None if answer is None else Part([("Content-Type", "application/json")], answer),
        status=200,
        duration_ms=12.0,
        auth=Auth("none", "ok"),
        source="live",
        replay_of=None,
        client_ip="127.0.0.1",
        error=None,
        exchange_id="e",
        frames=({"at_ms": 1.0, "id": None, "event": "message", "size": 10},),
    )


def pending(call: dict[str, object], answer: dict[str, object] | None) -> PendingMessage:
    asked = Pending("tools/call", "2025-11-25", 0.0, "client", "add")
    ctx = Context("client", "2025-11-25", catalogue=TOOLS)
    record: Record[None] = Record("e", classify(call), ctx, None, 0.0, "ts", pending=asked)
    if answer is not None:
        record.answer = classify(answer)
        record.answer_context = Context("server", "2025-11-25", request=asked, catalogue=TOOLS)
    body = json.dumps(call).encode()
    text = None if answer is None else json.dumps(answer).encode()
    return PendingMessage(record, http(body, text), 1024, Redactor())


def test_a_tools_call_and_its_answer_are_one_event_with_the_facts_and_the_verdict() -> None:
    wrong = {**CALL, "params": {"name": "add", "arguments": {"n": "two"}}}
    answer = {"jsonrpc": "2.0", "id": 3, "result": {"content": [], "isError": True}}
    event = pending(wrong, answer).finalize()
    assert event.protocol == "mcp" and event.rpc_method == "tools/call" and event.rpc_id == "3"
    assert event.rpc_direction == "client" and event.tool == "add" and event.is_error is True
    assert [v.code for v in event.violations] == ["mcp_invalid_arguments"]
    assert event.violations[0].where == "/n"
    assert event.protocol_version == "2025-11-25" and event.exchange_id == "e"
    assert event.frames[0]["event"] == "message" and event.status == 200
    assert "secret-token-123" not in json.dumps(event.request_headers)


def test_an_unanswered_request_says_why_and_an_error_answer_is_a_fact() -> None:
    item = pending(CALL, None)
    item.record.unanswered = "the stream ended"
    event = item.finalize()
    assert event.error == "the stream ended" and event.response_body is None
    error = {"jsonrpc": "2.0", "id": 3, "error": {"code": -32099, "message": "boom"}}
    failed = pending(CALL, error).finalize()
    assert failed.rpc_error == -32099 and not failed.violations


def test_the_fallback_keeps_what_is_certain() -> None:
    event = pending(CALL, None).fallback("RuntimeError: no")
    assert event.error is not None and "RuntimeError" in event.error
    assert event.rpc_method == "tools/call" and event.violations == []


def test_the_checks_skipped_are_on_the_event_and_what_the_proxy_did_is_a_notice(
    tmp_path: Path,
) -> None:
    item = pending(CALL, None)
    item.record.context = Context("client", "2025-11-25", catalogue_note="it timed out")
    item.record.notes.append("the proxy listed the server's tools itself (1 tool)")
    item.versions = CatalogueVersions()
    conn = open_store(tmp_path / "events.db", create=True)
    try:
        event = item.finalize_with(conn)
        told = [m for (m,) in conn.execute("SELECT message FROM notices WHERE kind = 'mcp'")]
    finally:
        conn.close()
    assert event.skipped == ["mcp_unknown_tool: no tools/list seen yet (it timed out)"]
    assert event.to_json()["skipped"] == event.skipped and event.violations == []
    assert "the proxy listed the server's tools itself (1 tool)" in told
    assert pending(CALL, None).finalize().skipped == []


def test_a_pending_message_counts_its_message_and_bodies_for_the_writers_byte_budget() -> None:
    answer = {
        "jsonrpc": "2.0",
        "id": 3,
        "result": {"content": [{"type": "text", "text": "x" * 900}]},
    }
    made = pending(CALL, answer)
    made.record.size = 5000
    body = len(json.dumps(CALL)) + len(json.dumps(answer))
    assert made.nbytes == ITEM_BYTES + 5000 + body
    assert pending(CALL, None).nbytes == ITEM_BYTES + len(json.dumps(CALL))
