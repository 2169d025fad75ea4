from __future__ import annotations

import json

import pytest

from pluginlab_tui.access.oauth_errors import OAuthError
from pluginlab_tui.access.params import (
    MAX_BODY_BYTES,
    MAX_PARAMS,
    MAX_VALUE_BYTES,
    body_params,
    form_params,
    json_params,
)


def test_good_parameters_are_read() -> None:
    assert form_params(b"a=1&b=x+y&c=%C3%A9&&d=") == {"a": "1", "b": "x y", "c": "é", "d": ""}
    assert json_params(b' {"a": "1", "b": null} ') == {"a": "1"}
    assert json_params(b"") == {}
    assert body_params(b'{"a": "x"}', "") == {"a": "x"}
    assert body_params(b"a=x", "application/x-www-form-urlencoded; charset=utf-8") == {"a": "x"}
    assert body_params(b'{"a": "x"}', "application/x-www-form-urlencoded") == {'{"a": "x"}': ""}


FORMS = {
    b"client_id=%FF": "UTF-8",
    b"client_id=\xff": "UTF-8",
    b"%FF=x": "UTF-8",
    b"code=%ED%A0%80": "UTF-8",
    b"code=a%00b": "control",
    b"code=a%0Ab": "control",
    b"code=1&code=2": "more than once",
    b"code=" + b"x" * (MAX_VALUE_BYTES + 1): "bytes",
    b"&".join(b"p%d=1" % i for i in range(MAX_PARAMS + 1)): "parameters",
    b"a=" + b"x" * MAX_BODY_BYTES: "bytes",
}
JSONS = {
    b'{"code": "\\ud800"}': "surrogate",
    b'{"\\udcff": "x"}': "UTF-8",
    b'{"code": "\xff"}': "UTF-8",
    b'{"code": 1}': "string",
    b'{"code": true}': "string",
    b'{"code": ["a"]}': "string",
    b'{"code": {"a": "b"}}': "string",
    b'{"code": "a\\u0000"}': "control",
    b'{"code": "a", "code": "b"}': "more than once",
    b"[" * 100_000: "bytes",
    # Deeper than the parser goes (3.12), or a list that is no object (3.13 parses deeper).
    b"[" * 5_000 + b"]" * 5_000: "not valid JSON|JSON object",
    b"{" + b'"a":{' * 10_000 + b"}" * 10_001: "not valid JSON",
    b'"code"': "JSON object",
    b"{nope": "not valid JSON",
    b'{"code": NaN}': "string",
}


@pytest.mark.parametrize("raw", FORMS, ids=lambda r: repr(r[:30]))
def test_hostile_forms_are_invalid_requests(raw: bytes) -> None:
    with pytest.raises(OAuthError, match=FORMS[raw]) as caught:
        form_params(raw)
    assert caught.value.error == "invalid_request" and caught.value.status == 400
    json.dumps(caught.value.description).encode("ascii")  # describable as JSON, whatever came


@pytest.mark.parametrize("raw", JSONS, ids=lambda r: repr(r[:30]))
def test_hostile_json_bodies_are_invalid_requests(raw: bytes) -> None:
    with pytest.raises(OAuthError, match=JSONS[raw]) as caught:
        body_params(raw, "application/json")
    assert caught.value.error == "invalid_request"
    caught.value.description.encode("utf-8")
