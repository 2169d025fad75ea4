"""A recorded exchange to replay: POST /todos/alice with a redacted Authorization."""

from __future__ import annotations

from pluginlab_tui.store.event import Event


def recorded_event(**values: object) -> Event:
    base: dict[str, object] = {
        "event_id": "e1",
        "ts": "2026-11-25T09:00:00.000Z",
        "method": "POST",
        "url": "http://127.0.0.1:8787/todos/alice?x=1",
        "path": "/todos/alice",
        "query": "x=1",
        "status": 201,
        "request_headers": [
            ("Host", "127.0.0.1:8787"),
            ("Content-Type", "application/json"),
            ("Authorization", "[redacted]"),
            ("Content-Length", "17"),
        ],
        "request_body": '{"title": "milk"}',
        "response_headers": [
            ("Content-Type", "application/json"),
            ("Date", "Wed, 25 Nov 2026 09:00:00 GMT"),
            ("X-PluginLab-Event-Id", "e1"),
        ],
        "response_body": '{"id": 1, "title": "milk", "tags": ["a"]}',
    }
    base.update(values)
    return Event(**base)  # type: ignore[arg-type]
