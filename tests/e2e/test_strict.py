"""Strict mode end to end: the proxy answers contract violations itself, like Prism's --errors.

Two strict proxies serve the module: `serve --strict` for the example plugin in front of its real
backend, and `proxy.strict = true` for the lab plugin in front of the lab backend (lab.py), which
logs every call it gets, so that "the backend was not called" is seen, not assumed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pluginlab_tui.examples import Backend
from pluginlab_tui.store.event import Event
from tests.conftest import stored_events
from tests.e2e.lab import LabBackend, lab_sections
from tests.harness import ProxyProcess, todo_sections, wait_for, write_config

PROBLEM = "application/problem+json"
SLOW_MS = 800
TIMEOUT_S = 2.5


@pytest.fixture(scope="module")
def todo_strict(
    tmp_path_factory: pytest.TempPathFactory, todo_backend: Backend
) -> Iterator[ProxyProcess]:
    folder = tmp_path_factory.mktemp("todo-strict")
    config = write_config(folder, todo_sections(folder, todo_backend.url))
    with ProxyProcess(config, "--strict") as proxy:  # the flag, not the config key
        yield proxy


@pytest.fixture(scope="module")
def lab() -> Iterator[LabBackend]:
    with LabBackend() as backend:
        yield backend


@pytest.fixture(scope="module")
def lab_strict(tmp_path_factory: pytest.TempPathFactory, lab: LabBackend) -> Iterator[ProxyProcess]:
    folder = tmp_path_factory.mktemp("lab-strict")
    extra = lab_sections(proxy={"strict": True, "slow_ms": SLOW_MS, "timeout_s": TIMEOUT_S})
    with ProxyProcess(write_config(folder, todo_sections(folder, lab.url, **extra))) as proxy:
        yield proxy


def event_of(proxy: ProxyProcess, answer: httpx.Response) -> Event:
    event_id = answer.headers["X-PluginLab-Event-Id"]

    def stored() -> Event | None:
        return next((e for e in stored_events(proxy.db) if e.event_id == event_id), None)

    found: Event | None = wait_for(stored)
    assert found is not None, f"no event {event_id} in the store"
    return found


def problem(answer: httpx.Response, status: int) -> list[tuple[str, str]]:
    """Checks a problem answer; returns its violations as (code, where)."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    body: dict[str, Any] = answer.json()
    assert body["status"] == status and body["title"]
    listed = [(v["code"], v["where"]) for v in body["violations"]]
    assert answer.headers["X-PluginLab-Violations"] == str(len(listed))
    for violation in body["violations"]:
        assert set(violation) == {"code", "location", "where", "keyword", "schema_path", "message"}
        assert violation["message"]
    return listed


def as_pairs(event: Event) -> list[tuple[str, str]]:
    return [(v.code, v.where) for v in event.violations]


TODO_REFUSALS = [
    ("GET", "/todo/sam", {}, None, 404, [("unknown_path", "path")]),
    ("PUT", "/todos/sam", {}, {"title": "x"}, 405, [("method_not_allowed", "method")]),
    (
        "POST",
        "/todos/sam",
        {"Content-Type": "text/plain"},
        b"Buy milk",
        415,
        [("unsupported_media_type", "content-type")],
    ),
    ("POST", "/todos/sam", {}, {"title": 5}, 422, [("invalid_body", "body/title")]),
    ("POST", "/todos/sam", {}, b"", 422, [("missing_body", "body")]),
    ("GET", "/todos/sam?limit=0", {}, None, 422, [("invalid_parameter", "query.limit")]),
    (
        "POST",
        "/todos/bad.name",
        {"Content-Type": "text/plain"},
        b"Buy milk",
        415,  # unsupported_media_type decides the status over the 422 codes
        [("invalid_parameter", "path.username"), ("unsupported_media_type", "content-type")],
    ),
    (
        "POST",
        "/todos/bad.name",
        {},
        {"title": 5, "colour": "red"},
        422,
        [
            ("invalid_parameter", "path.username"),
            ("invalid_body", "body/title"),
            ("invalid_body", "body/colour"),
        ],
    ),
]


def request(
    client: httpx.Client, method: str, path: str, headers: dict[str, str], body: Any
) -> httpx.Response:
    if body is None or isinstance(body, bytes):
        return client.request(method, path, headers=headers, content=body)
    return client.request(method, path, headers=headers, json=body)


def test_invalid_requests_are_answered_by_the_proxy_and_not_forwarded(
    todo_strict: ProxyProcess,
) -> None:
    with todo_strict.client() as client:
        answers = [request(client, m, p, h, b) for m, p, h, b, _, _ in TODO_REFUSALS]
        # Nothing reached the backend: sam's list is still empty, and bad.name has none.
        after = client.get("/todos/sam")
    for answer, (_, _, _, _, status, expected) in zip(answers, TODO_REFUSALS, strict=True):
        assert problem(answer, status) == expected
        assert "server" not in answer.headers  # uvicorn's header: the backend never answered
        event = event_of(todo_strict, answer)
        assert event.status == status
        assert as_pairs(event) == expected
        assert json.loads(event.response_body or "")["violations"] == answer.json()["violations"]
    assert after.status_code == 200 and after.json() == {"todos": [], "count": 0}


def test_an_invalid_body_creates_nothing_a_valid_one_passes_untouched(
    todo_strict: ProxyProcess, todo_backend: Backend
) -> None:
    with todo_strict.client() as client:
        refused = client.post("/todos/strictx", json={"title": "Milk", "colour": "red"})
        empty = client.get("/todos/strictx")
        added = client.post("/todos/strictx", json={"title": "Milk", "priority": "high"})
        listed = client.get("/todos/strictx")
    direct = httpx.get(f"{todo_backend.url}/todos/strictx", trust_env=False)
    assert problem(refused, 422) == [("invalid_body", "body/colour")]
    assert empty.json() == {"todos": [], "count": 0}
    assert added.status_code == 201 and added.headers["content-type"] == "application/json"
    assert added.headers["server"] == "uvicorn"
    assert added.headers["X-PluginLab-Violations"] == "0"
    assert listed.json()["count"] == 1
    assert listed.content == direct.content  # the backend's bytes, as they were
    event = event_of(todo_strict, added)
    assert event.status == 201 and event.violations == [] and event.operation_id == "addTodo"
    assert event_of(todo_strict, refused).operation_id == "addTodo"


def test_invalid_responses_are_replaced_by_a_502_problem(todo_strict: ProxyProcess) -> None:
    with todo_strict.client() as client:
        for title in ("one", "two"):
            assert client.post("/todos/tia", json={"title": title}).status_code == 201
        wrong_type = client.get("/todos/tia", headers={"X-Todo-Fault": "wrong_type"})
        missing = client.get("/todos/tia", headers={"X-Todo-Fault": "missing_field"})
        teapot = client.get("/todos/tia", headers={"X-Todo-Fault": "undocumented_status"})
        fine = client.get("/todos/tia")
    assert problem(wrong_type, 502) == [
        ("invalid_response_body", "body/todos/0/id"),
        ("invalid_response_body", "body/todos/1/id"),
        ("invalid_response_body", "body/count"),
    ]
    # Strict mode counts every violation known when the answer leaves: the response's too.
    assert wrong_type.headers["X-PluginLab-Violations"] == "3"
    assert problem(missing, 502) == [
        ("invalid_response_body", "body/todos/0"),
        ("invalid_response_body", "body/todos/1"),
    ]
    assert problem(teapot, 502) == [("undocumented_status", "status")]
    assert fine.status_code == 200 and fine.json()["count"] == 2
    for answer in (wrong_type, missing, teapot):
        event = event_of(todo_strict, answer)
        assert event.status == 502 and event.operation_id == "listTodos"
        assert as_pairs(event) == [(v["code"], v["where"]) for v in answer.json()["violations"]]
        assert all(v.location == "response" for v in event.violations)


def test_lab_refusals_and_replacements(lab_strict: ProxyProcess, lab: LabBackend) -> None:
    """401 for missing credentials; 502 for wrong types, empty, huge and slow answers."""
    before = len(lab.calls)
    with lab_strict.client() as client:
        no_token = client.get("/v1/secure")
        no_key = client.get("/v1/keyed")
        two_missing = client.get("/v1/search")
        read_only = client.put("/v1/notes/4", json={"id": 4, "text": "hi"})
        refused = [no_token, no_key, two_missing, read_only]
        refused_calls = list(lab.calls[before:])
        token = client.get("/v1/secure", headers={"Authorization": "Bearer t0ken"})
        text = client.get("/v1/report?mode=text")
        empty = client.get("/v1/report?mode=empty")
        big = client.get("/v1/report?mode=big")
        slow = client.get("/v1/report?mode=slow")
        good = client.get("/v1/report?mode=good")
    assert refused_calls == []  # not one of the refused requests reached the backend
    assert problem(no_token, 401) == [("security_missing", "header.Authorization")]
    assert problem(no_key, 401) == [("security_missing", "query.api_key")]
    assert problem(two_missing, 422) == [
        ("missing_parameter", "query.q"),
        ("missing_parameter", "header.X-Trace"),
    ]
    assert problem(read_only, 422) == [("invalid_body", "body/id")]
    assert token.status_code == 200 and token.json() == {"ok": True}
    assert problem(text, 502) == [("wrong_content_type", "content-type")]
    assert problem(empty, 502) == [("missing_response_body", "body")]
    assert problem(big, 502) == [("response_too_large", "body")]
    assert problem(slow, 502) == [("slow_response", "duration")]
    assert good.status_code == 200 and good.headers["X-PluginLab-Violations"] == "0"
    for answer in (*refused, text, empty, big, slow):
        event = event_of(lab_strict, answer)
        assert event.status == answer.status_code
        assert as_pairs(event) == [(v["code"], v["where"]) for v in answer.json()["violations"]]


def test_the_proxy_s_own_answers_stay_what_they_are(lab_strict: ProxyProcess) -> None:
    """A backend timeout stays a 504 (and is recorded slow); the manifest is served as usual."""
    with lab_strict.client() as client:
        manifest = client.get("/.well-known/ai-plugin.json")
        hung = client.get("/v1/report?mode=hang")
        cut = client.get("/v1/report?mode=cut")
    assert manifest.status_code == 200 and manifest.json()["name_for_model"] == "contractlab"
    assert manifest.headers["X-PluginLab-Violations"] == "0"
    assert hung.status_code == 504 and hung.json()["error"] == "backend_timeout"
    assert hung.headers["X-PluginLab-Violations"] == "1"
    assert as_pairs(event_of(lab_strict, hung)) == [("slow_response", "duration")]
    assert cut.status_code == 502 and cut.json()["error"] == "backend_failed"
    assert cut.headers["X-PluginLab-Violations"] == "0"
    assert event_of(lab_strict, cut).violations == []
    assert event_of(lab_strict, manifest).status == 200
