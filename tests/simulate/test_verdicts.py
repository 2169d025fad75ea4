"""The simulator's checks: the body the spec accepts, and the verdict of one call."""

from __future__ import annotations

import httpx

from pluginlab_tui.simulate.client import Call
from pluginlab_tui.simulate.verdicts import check_call, first_valid, spec_contract
from tests.simulate.fake_plugin import SPEC

JSON = {"Content-Type": "application/json"}


def test_the_first_body_the_spec_accepts_is_chosen() -> None:
    validator = spec_contract(SPEC, "plugin")
    bodies = [b'{"text": 7}', b'{"text": ""}', b'{"text": "milk"}']
    assert first_valid(validator, "POST", "/v1/notes", "", JSON, bodies) == b'{"text": "milk"}'
    assert first_valid(validator, "POST", "/v1/notes", "", JSON, bodies[:2]) == bodies[0]
    assert first_valid(None, "POST", "/v1/notes", "", JSON, bodies) == bodies[0]


def test_a_call_is_checked_on_both_sides() -> None:
    validator = spec_contract(SPEC, "plugin")
    call = Call("addNote", "POST", "http://127.0.0.1:8787/v1/notes", duration_ms=3.0)
    fine = httpx.Response(201, json={"id": 1, "text": "milk"})
    assert check_call(validator, call, "/v1/notes", "", JSON, b'{"text": "milk"}', fine) == []
    wrong = httpx.Response(201, json={"id": "one", "text": "milk"})
    codes = [v.code for v in check_call(validator, call, "/v1/notes", "", JSON, b"{}", wrong)]
    assert codes == ["invalid_body", "invalid_response_body"]
