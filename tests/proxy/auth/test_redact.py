from __future__ import annotations

import json

from pluginlab_tui.proxy.auth.redact import (
    OAUTH_SECRETS,
    redact_body,
    redact_event,
    redact_query,
    redact_url,
)
from pluginlab_tui.store.event import Event

CODE = "plc_" + "A" * 43


def test_query_keeps_other_parameters_byte_for_byte() -> None:
    query = "code=abc&state=x%20y&Code=z&scope"
    assert redact_query(query, OAUTH_SECRETS) == "code=[redacted]&state=x%20y&Code=[redacted]&scope"
    assert redact_url("https://h/cb?code=abc&state=s#frag", OAUTH_SECRETS) == (
        "https://h/cb?code=[redacted]&state=s#frag"
    )
    assert redact_url("https://h/cb", OAUTH_SECRETS) == "https://h/cb"


def test_bodies_json_form_and_text() -> None:
    body = json.dumps({"grant_type": "authorization_code", "code": "abc", "client_secret": "s"})
    assert json.loads(redact_body(body) or "") == {
        "grant_type": "authorization_code",
        "code": "[redacted]",
        "client_secret": "[redacted]",
    }
    assert redact_body("grant_type=refresh_token&refresh_token=r1") == (
        "grant_type=refresh_token&refresh_token=[redacted]"
    )
    assert redact_body(f"<p>{CODE}</p>") == "<p>[redacted]</p>"
    assert redact_body(None) is None and redact_body("") == ""


def test_oauth_events_lose_codes_everywhere() -> None:
    event = Event(
        event_id="e",
        ts="t",
        method="POST",
        url=f"http://p/_pluginlab/oauth/token?code={CODE}",
        path="/_pluginlab/oauth/token",
        query=f"code={CODE}",
        request_body=f"code={CODE}&grant_type=authorization_code",
        response_body=json.dumps({"access_token": "pla_x", "refresh_token": "plr_y"}),
        response_headers=[("Location", f"https://cb?code={CODE}&state=s")],
    )
    redact_event(event)
    text = json.dumps(event.to_json()) if hasattr(event, "to_json") else repr(event)
    assert CODE not in text and "pla_x" not in text and "plr_y" not in text
    assert event.response_headers == [("Location", "https://cb?code=[redacted]&state=s")]


def test_other_events_keep_their_code_parameters_but_lose_tokens() -> None:
    event = Event(
        event_id="e",
        ts="t",
        method="GET",
        url="http://p/todos/a?code=42&access_token=t0k",
        path="/todos/a",
        query="code=42&access_token=t0k",
        request_body='{"code": "42"}',
    )
    redact_event(event)
    assert event.query == "code=42&access_token=[redacted]"
    assert event.url.endswith("?code=42&access_token=[redacted]")
    assert event.request_body == '{"code": "42"}'
