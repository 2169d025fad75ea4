"""Calling operations: a conversation's order, the body the spec accepts, ids carried on."""

from __future__ import annotations

import json

import httpx

from pluginlab_tui.simulate.calls import base_path, call_operation, plan
from pluginlab_tui.simulate.client import Call, Client
from pluginlab_tui.simulate.verdicts import spec_contract
from tests.simulate.fake_plugin import BASE, SPEC, FakePlugin

CHATGPT = {"User-Agent": "ChatGPT-User/1.0", "openai-conversation-id": "c1"}


def _call(
    plugin: FakePlugin,
    label: str,
    learned: dict[str, object],
    *,
    authorization: tuple[str, str] | None = None,
    extra_headers: dict[str, str] | None = None,
) -> Call:
    client = Client(BASE, [], transport=plugin.transport)
    operation = next(op for op in plan(SPEC) if op.label == label)
    return call_operation(
        client,
        operation,
        spec=SPEC,
        validator=spec_contract(SPEC, "plugin"),
        headers=CHATGPT,
        learned=learned,
        authorization=authorization,
        extra_headers=extra_headers,
    )


def test_the_plan_creates_before_it_reads() -> None:
    assert [op.label for op in plan(SPEC)] == ["addNote", "getNote"]
    assert base_path(SPEC) == "/v1"
    assert base_path({"servers": [{"url": "https://api.test/{version}"}]}) == ""
    assert base_path({}) == ""


def test_a_call_sends_a_valid_body_and_what_it_made_is_read_back() -> None:
    plugin = FakePlugin()
    learned: dict[str, object] = {}
    made = _call(plugin, "addNote", learned, authorization=("Authorization", "Bearer at-1"))
    sent = plugin.requests[0]
    assert (sent.method, sent.url.path) == ("POST", "/v1/notes")
    assert isinstance(json.loads(sent.content)["text"], str)  # not the spec's wrong example
    assert sent.headers["authorization"] == "Bearer at-1"
    assert sent.headers["openai-conversation-id"] == "c1"
    assert made.status == 201 and made.violations == [] and made.operation_id == "addNote"
    assert learned == {"id": 1}
    read = _call(plugin, "getNote", learned)
    assert plugin.requests[1].url.path == "/v1/notes/1"
    assert read.status == 200 and not read.broke_contract


def test_an_answer_out_of_contract_is_a_violation_shown_with_its_fault() -> None:
    plugin = FakePlugin()
    plugin.routes[("POST", "/v1/notes")] = lambda _: httpx.Response(201, json={"id": "x"})
    learned: dict[str, object] = {}
    call = _call(plugin, "addNote", learned, extra_headers={"X-Todo-Fault": "wrong_type"})
    assert {v.code for v in call.violations} == {"invalid_response_body"}
    assert call.fault == "wrong_type"
    assert plugin.requests[0].headers["x-todo-fault"] == "wrong_type"
    assert learned == {"id": "x"}  # a 2xx answer's id is still carried on


def test_an_error_answer_teaches_no_id() -> None:
    plugin = FakePlugin()
    plugin.routes[("POST", "/v1/notes")] = lambda _: httpx.Response(500, json={"id": 9})
    learned: dict[str, object] = {}
    call = _call(plugin, "addNote", learned)
    assert learned == {} and call.broke_contract
