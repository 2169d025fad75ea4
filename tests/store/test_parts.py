"""An exchange's parts make its event: bodies as stored, auth facts, the conversation id."""

from __future__ import annotations

from pluginlab_tui.store.parts import Auth, Message, event_from_parts, header


def test_the_messages_bodies_are_stored_as_their_content_type_says() -> None:
    request = Message.kept(
        [("Content-Type", "text/plain; charset=latin-1"), ("OpenAI-Conversation-ID", "c1")],
        "café".encode("latin-1"),
        cap=1024,
    )
    response = Message.kept([("content-type", "image/png")], b"\x89PNG\xff", cap=4)
    event = event_from_parts(
        event_id="e1",
        ts="2026-01-01T00:00:00.000Z",
        method="POST",
        url="http://x/notes",
        path="/notes",
        query="",
        request=request,
        response=response,
        status=200,
        auth=Auth("user_http", "ok", "ana", "pro"),
    )
    assert (event.request_body, event.request_binary, event.request_size) == ("café", False, 4)
    assert (event.response_binary, event.response_size, event.response_truncated) == (
        True,
        5,
        True,
    )
    assert event.conversation_id == "c1"
    assert (event.auth_mode, event.auth_result, event.user_id, event.plan) == (
        "user_http",
        "ok",
        "ana",
        "pro",
    )


def test_without_messages_the_event_has_no_headers_or_bodies() -> None:
    event = event_from_parts(
        event_id="e1", ts="t", method="GET", url="http://x/", path="/", query="", error="reset"
    )
    assert event.request_headers == [] and event.request_body is None
    assert event.response_size == 0 and event.conversation_id is None
    assert event.violations == [] and event.error == "reset"


def test_a_header_is_found_whatever_its_case() -> None:
    assert header([("X-A", "1"), ("x-a", "2")], "x-a") == "1"
    assert header([], "x-a") is None
