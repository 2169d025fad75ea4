"""What a replay sends: the recorded request without connection headers, credentials put in."""

from __future__ import annotations

import base64
import json

from pluginlab_tui.config import Config
from pluginlab_tui.replay.request import (
    Credentials,
    ReplayRequest,
    event_body,
    outgoing_headers,
    redacted_credentials,
)
from tests.replay.recorded import recorded_call, recorded_event


def test_the_request_of_an_event_leaves_out_connection_headers() -> None:
    request = ReplayRequest.from_event(recorded_event())
    assert request.target == "/todos/alice?x=1"
    assert [k for k, _ in request.headers] == ["Content-Type", "Authorization"]
    assert request.body == b'{"title": "milk"}'
    assert request.header("content-type") == "application/json"
    assert request.header("x-missing") is None


def test_redacted_credentials_are_dropped_or_replaced() -> None:
    request = ReplayRequest.from_event(recorded_event())
    assert redacted_credentials(request) == ["Authorization"]
    assert ("Authorization", "[redacted]") not in outgoing_headers(request)
    with_token = outgoing_headers(request, Credentials("t0k", scheme="Basic"))
    assert ("Authorization", "Basic t0k") in with_token
    custom = outgoing_headers(request, Credentials("k", header="X-Api-Key", scheme=None))
    assert ("X-Api-Key", "k") in custom


def test_credentials_follow_the_config_auth_mode() -> None:
    api_key = Config.model_validate({"auth": {"mode": "api_key", "api_key_header": "X-Key"}})
    assert Credentials.for_config("k", api_key).value() == "k"
    assert Credentials.for_config("k", api_key).header == "X-Key"
    basic = Config.model_validate({"auth": {"mode": "user_http", "authorization_type": "basic"}})
    assert Credentials.for_config("u:p", basic) == Credentials("u:p", "Authorization", "Basic")


def test_a_binary_body_is_stored_as_base64() -> None:
    raw = bytes(range(256))
    assert event_body(base64.b64encode(raw).decode("ascii"), binary=True) == raw
    assert event_body("plain", binary=False) == b"plain"
    assert event_body(None, binary=True) is None


def test_an_mcp_message_of_a_batch_is_replayed_alone() -> None:
    batch = ReplayRequest.from_event(recorded_call(batch=True, version="2025-03-26"))
    assert json.loads(batch.body or b"")["method"] == "tools/call"
    # an HTTP event's array body, or a batch without the event's id, is sent as recorded
    whole = recorded_call(batch=True, version="2025-03-26", rpc_id="99")
    assert json.loads(ReplayRequest.from_event(whole).body or b"")[0]["method"] == "ping"
    plain = recorded_event(request_body='[{"id": 7, "method": "x"}]', rpc_id="7")
    assert ReplayRequest.from_event(plain).body == b'[{"id": 7, "method": "x"}]'
