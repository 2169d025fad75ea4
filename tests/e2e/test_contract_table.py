"""The contract table: exchanges through the real proxy, each breaking one rule, each with its twin.

Two proxies (`pluginlab-tui serve` child processes) serve the whole module: one for the example
plugin in front of its real backend, one for the lab plugin (tests/e2e/fixtures/lab.yaml) in
front of the lab backend (tests/e2e/lab.py), which can break the response rules the example
cannot. Every exchange is sent once, then each case checks the answer's headers and the event
the proxy stored: the exact violation codes, where they are and the keyword that failed.
"""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from pluginlab_tui.examples import Backend
from pluginlab_tui.store.event import Event
from pluginlab_tui.validation.violations import CODES, CONTRACT_CODES
from tests.bombs import gzip_bomb
from tests.conftest import stored_events
from tests.e2e.lab import BIG_CHARS, LabBackend, as_json, lab_sections, report
from tests.harness import ProxyProcess, todo_sections, wait_for, write_config

EVENT_HEADER = "X-PluginLab-Event-Id"
COUNT_HEADER = "X-PluginLab-Violations"
JSON = (("Content-Type", "application/json"),)
TRACE = (("X-Trace", "deadbeef"),)
#: The lab proxy flags answers slower than this, and gives up on the backend after that.
SLOW_MS = 800
TIMEOUT_S = 2.5
#: The lab proxy stores bodies up to this many bytes (gzip test: validation sees them whole).
BODY_CAP = 64


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None


def get(path: str, *headers: tuple[str, str]) -> Call:
    return Call("GET", path, headers)


def send(method: str, path: str, body: Any, *headers: tuple[str, str]) -> Call:
    """A call with a JSON body (or raw bytes as given), Content-Type JSON unless headers say."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    return Call(method, path, headers or JSON, raw)


def bare(method: str, path: str, body: bytes | None = None, *headers: tuple[str, str]) -> Call:
    """A call with exactly these headers (none by default) and body."""
    return Call(method, path, headers, body)


Expected = tuple[tuple[str, str, str | None], ...]


@dataclass(frozen=True)
class Case:
    name: str
    plugin: str  # "todo" or "lab"
    broken: Call
    twin: Call
    expected: Expected


def todo(name: str, broken: Call, twin: Call, *expected: tuple[str, str, str | None]) -> Case:
    return Case(name, "todo", broken, twin, expected)


def lab(name: str, broken: Call, twin: Call, *expected: tuple[str, str, str | None]) -> Case:
    return Case(name, "lab", broken, twin, expected)


def fault(kind: str) -> tuple[str, str]:
    return ("X-Todo-Fault", kind)


NEW = {"title": "Buy milk"}
GZ_NOTE = gzip.compress(json.dumps({"text": "zipped", "id": 9}).encode("utf-8"))
GZ_NOTE_OK = gzip.compress(json.dumps({"text": "zipped"}).encode("utf-8"))
GZ = (("Content-Type", "application/json"), ("Content-Encoding", "gzip"))
GZ_BOMB = gzip_bomb(32 * 1024 * 1024)  # 32 MiB of zeros: over the 16 MiB checked
BAD_UTF8 = b'{"title": "\xff\xfe"}'
LONG_NOTE = {"text": "x" * 300, "id": 8}

CASES = [
    # -- routing --------------------------------------------------------------------------
    todo("unknown path", get("/todo/ann"), get("/todos/ann"), ("unknown_path", "path", None)),
    todo(
        "unknown path: extra segment",
        get("/todos/ann/1/extra"),
        get("/todos/ann/1"),
        ("unknown_path", "path", None),
    ),
    todo(
        "encoded slash inside a segment",
        get("/todos/ann%2F1"),
        get("/todos/ann/1"),
        ("ambiguous_path", "path", None),
    ),
    todo(
        "method not allowed on the list",
        send("PUT", "/todos/ben", NEW),
        send("POST", "/todos/ben", NEW),
        ("method_not_allowed", "method", None),
    ),
    todo(
        "method not allowed on one todo",
        send("POST", "/todos/ben/1", {"done": True}),
        send("PATCH", "/todos/ben/1", {"done": True}),
        ("method_not_allowed", "method", None),
    ),
    # -- media type -----------------------------------------------------------------------
    todo(
        "text/plain body",
        send("POST", "/todos/cy", b"Buy milk", ("Content-Type", "text/plain")),
        send("POST", "/todos/cy", NEW),
        ("unsupported_media_type", "content-type", None),
    ),
    todo(
        "form body where JSON is documented",
        send(
            "POST",
            "/todos/cy",
            b"title=Buy+milk",
            ("Content-Type", "application/x-www-form-urlencoded"),
        ),
        send("POST", "/todos/cy", NEW, ("Content-Type", "application/json; charset=utf-8")),
        ("unsupported_media_type", "content-type", None),
    ),
    todo(
        "a body without Content-Type",
        bare("POST", "/todos/cy", b'{"title": "Buy milk"}'),
        send("POST", "/todos/cy", NEW),
        ("unsupported_media_type", "content-type", None),
    ),
    # -- body presence --------------------------------------------------------------------
    todo(
        "no body where one is required (add)",
        bare("POST", "/todos/dee"),
        send("POST", "/todos/dee", NEW),
        ("missing_body", "body", "required"),
    ),
    todo(
        "no body where one is required (patch)",
        bare("PATCH", "/todos/dee/1"),
        send("PATCH", "/todos/dee/1", {"done": True}),
        ("missing_body", "body", "required"),
    ),
    # -- path parameters ------------------------------------------------------------------
    todo(
        "path parameter breaks its pattern",
        get("/todos/bad.name"),
        get("/todos/good_name"),
        ("invalid_parameter", "path.username", "pattern"),
    ),
    todo(
        "path parameter too long for its pattern",
        get("/todos/" + "a" * 41),
        get("/todos/" + "a" * 40),
        ("invalid_parameter", "path.username", "pattern"),
    ),
    todo(
        "integer path parameter under its minimum",
        get("/todos/eve/0"),
        get("/todos/eve/1"),
        ("invalid_parameter", "path.todo_id", "minimum"),
    ),
    # -- query parameters -----------------------------------------------------------------
    todo(
        "query parameter outside its enum",
        get("/todos/fay?status=closed"),
        get("/todos/fay?status=done"),
        ("invalid_parameter", "query.status", "enum"),
    ),
    todo(
        "query parameter not an integer",
        get("/todos/fay?limit=ten"),
        get("/todos/fay?limit=10"),
        ("invalid_parameter", "query.limit", "type"),
    ),
    todo(
        "query parameter a fraction where an integer is documented",
        get("/todos/fay?limit=2.5"),
        get("/todos/fay?limit=2"),
        ("invalid_parameter", "query.limit", "type"),
    ),
    todo(
        "query parameter under its minimum",
        get("/todos/fay?limit=0"),
        get("/todos/fay?limit=1"),
        ("invalid_parameter", "query.limit", "minimum"),
    ),
    todo(
        "query parameter over its maximum",
        get("/todos/fay?limit=101"),
        get("/todos/fay?limit=100"),
        ("invalid_parameter", "query.limit", "maximum"),
    ),
    lab(
        "query parameter under its minLength",
        get("/v1/search?q=", *TRACE),
        get("/v1/search?q=milk", *TRACE),
        ("invalid_parameter", "query.q", "minLength"),
    ),
    lab(
        "form array item outside its enum",
        get("/v1/search?q=milk&tags=a,z", *TRACE),
        get("/v1/search?q=milk&tags=a,c", *TRACE),
        ("invalid_parameter", "query.tags", "enum"),
    ),
    lab(
        "form array over maxItems",
        get("/v1/search?q=milk&tags=a,b,c,a", *TRACE),
        get("/v1/search?q=milk&tags=a,b,c", *TRACE),
        ("invalid_parameter", "query.tags", "maxItems"),
    ),
    lab(
        "boolean query parameter not a boolean",
        get("/v1/notes/3?leak=yes"),
        get("/v1/notes/3?leak=false"),
        ("invalid_parameter", "query.leak", "type"),
    ),
    # -- required parameters and headers -------------------------------------------------
    lab(
        "required query parameter missing",
        get("/v1/search", *TRACE),
        get("/v1/search?q=milk", *TRACE),
        ("missing_parameter", "query.q", "required"),
    ),
    lab(
        "required header missing",
        get("/v1/search?q=milk"),
        get("/v1/search?q=milk", *TRACE),
        ("missing_parameter", "header.X-Trace", "required"),
    ),
    lab(
        "header parameter breaks its pattern",
        get("/v1/search?q=milk", ("X-Trace", "not-hex")),
        get("/v1/search?q=milk", ("X-Trace", "0123abcd")),
        ("invalid_parameter", "header.X-Trace", "pattern"),
    ),
    # -- security -------------------------------------------------------------------------
    lab(
        "bearer token missing",
        get("/v1/secure"),
        get("/v1/secure", ("Authorization", "Bearer t0ken")),
        ("security_missing", "header.Authorization", "security"),
    ),
    lab(
        "basic credentials where bearer is required",
        get("/v1/secure", ("Authorization", "Basic dXNlcjpwYXNz")),
        get("/v1/secure", ("Authorization", "Bearer t0ken")),
        ("security_missing", "header.Authorization", "security"),
    ),
    lab(
        "API key missing from the query",
        get("/v1/keyed"),
        get("/v1/keyed?api_key=k3y"),
        ("security_missing", "query.api_key", "security"),
    ),
    # -- request bodies -------------------------------------------------------------------
    todo(
        "malformed JSON",
        send("POST", "/todos/gus", b'{"title": '),
        send("POST", "/todos/gus", b'{"title": "Buy milk"}'),
        ("invalid_body", "body", "json"),
    ),
    todo(
        "body not UTF-8",
        send("POST", "/todos/gus", BAD_UTF8),
        send("POST", "/todos/gus", {"title": "Grüße ☕"}),
        ("invalid_body", "body", "encoding"),
    ),
    todo(
        "field of the wrong type",
        send("POST", "/todos/gus", {"title": 5}),
        send("POST", "/todos/gus", {"title": "5"}),
        ("invalid_body", "body/title", "type"),
    ),
    todo(
        "null where the field is not nullable",
        send("POST", "/todos/gus", {"title": None}),
        send("POST", "/todos/gus", {"title": "x", "due": None}),
        ("invalid_body", "body/title", "type"),
    ),
    todo(
        "array where an object is documented",
        send("POST", "/todos/gus", []),
        send("POST", "/todos/gus", NEW),
        ("invalid_body", "body", "type"),
    ),
    todo(
        "required field missing",
        send("POST", "/todos/hal", {"priority": "low"}),
        send("POST", "/todos/hal", {"priority": "low", "title": "Buy milk"}),
        ("invalid_body", "body", "required"),
    ),
    todo(
        "field not allowed (additionalProperties)",
        send("POST", "/todos/hal", {"title": "Buy milk", "colour": "red"}),
        send("POST", "/todos/hal", {"title": "Buy milk"}),
        ("invalid_body", "body/colour", "additionalProperties"),
    ),
    todo(
        "value outside its enum",
        send("POST", "/todos/hal", {"title": "Buy milk", "priority": "urgent"}),
        send("POST", "/todos/hal", {"title": "Buy milk", "priority": "high"}),
        ("invalid_body", "body/priority", "enum"),
    ),
    todo(
        "string under its minLength",
        send("POST", "/todos/hal", {"title": ""}),
        send("POST", "/todos/hal", {"title": "x"}),
        ("invalid_body", "body/title", "minLength"),
    ),
    todo(
        "not a date",
        send("POST", "/todos/ida", {"title": "Buy milk", "due": "tomorrow"}),
        send("POST", "/todos/ida", {"title": "Buy milk", "due": "2026-12-24"}),
        ("invalid_body", "body/due", "format"),
    ),
    todo(
        "a date that does not exist",
        send("POST", "/todos/ida", {"title": "Buy milk", "due": "2026-02-30"}),
        send("POST", "/todos/ida", {"title": "Buy milk", "due": "2026-02-28"}),
        ("invalid_body", "body/due", "format"),
    ),
    todo(
        "empty patch (minProperties)",
        send("PATCH", "/todos/ida/1", {}),
        send("PATCH", "/todos/ida/1", {"title": "x"}),
        ("invalid_body", "body", "minProperties"),
    ),
    todo(
        "patch field of the wrong type",
        send("PATCH", "/todos/ida/1", {"done": "yes"}),
        send("PATCH", "/todos/ida/1", {"done": False}),
        ("invalid_body", "body/done", "type"),
    ),
    lab(
        "readOnly property in a request",
        send("PUT", "/v1/notes/7", {"id": 7, "text": "hi"}),
        send("PUT", "/v1/notes/7", {"text": "hi", "secret": "writeOnly is fine here"}),
        ("invalid_body", "body/id", "readOnly"),
    ),
    lab(
        "readOnly property past the storage cap",
        send("PUT", "/v1/notes/8", LONG_NOTE),
        send("PUT", "/v1/notes/8", {"text": LONG_NOTE["text"]}),
        ("invalid_body", "body/id", "readOnly"),
    ),
    lab(
        "gzip-encoded request body, checked decoded",
        send("PUT", "/v1/notes/9", GZ_NOTE, *GZ),
        send("PUT", "/v1/notes/9", GZ_NOTE_OK, *GZ),
        ("invalid_body", "body/id", "readOnly"),
    ),
    lab(
        "gzip request body over proxy.max_inflated_bytes once decoded: not checked",
        send("PUT", "/v1/notes/9", GZ_BOMB, *GZ),
        send("PUT", "/v1/notes/9", GZ_NOTE_OK, *GZ),
        ("body_too_large_to_check", "body", None),
    ),
    # -- responses from the example backend (X-Todo-Fault) --------------------------------
    todo(
        "response field of the wrong type (list)",
        get("/todos/jo", fault("wrong_type")),
        get("/todos/jo"),
        ("invalid_response_body", "body/count", "type"),
    ),
    todo(
        "response field of the wrong type (add)",
        send("POST", "/todos/kim", NEW, *JSON, fault("wrong_type")),
        send("POST", "/todos/kim", NEW),
        ("invalid_response_body", "body/id", "type"),
    ),
    todo(
        "response lacks a required field",
        send("POST", "/todos/kim", NEW, *JSON, fault("missing_field")),
        send("POST", "/todos/kim", NEW),
        ("invalid_response_body", "body", "required"),
    ),
    todo(
        "undocumented status (list)",
        get("/todos/lou", fault("undocumented_status")),
        get("/todos/lou"),
        ("undocumented_status", "status", None),
    ),
    todo(
        "undocumented status (add)",
        send("POST", "/todos/lou", NEW, *JSON, fault("undocumented_status")),
        send("POST", "/todos/lou", NEW),
        ("undocumented_status", "status", None),
    ),
    # -- responses from the lab backend ---------------------------------------------------
    lab(
        "response as text/plain",
        get("/v1/report?mode=text"),
        get("/v1/report?mode=good"),
        ("wrong_content_type", "content-type", None),
    ),
    lab(
        "response without Content-Type",
        get("/v1/report?mode=untyped"),
        get("/v1/report?mode=good"),
        ("wrong_content_type", "content-type", None),
    ),
    lab(
        "response without a body",
        get("/v1/report?mode=empty"),
        get("/v1/report?mode=good"),
        ("missing_response_body", "body", None),
    ),
    lab(
        "response over 100,000 characters (the twin is over 100,000 bytes, not characters)",
        get("/v1/report?mode=big"),
        get("/v1/report?mode=big_multibyte"),
        ("response_too_large", "body", None),
    ),
    lab(
        "gzip-encoded response over 100,000 characters once decoded",
        get("/v1/report?mode=big_gzip"),
        get("/v1/report?mode=gzip"),
        ("response_too_large", "body", None),
    ),
    lab(
        "gzip-encoded response, wrong type deep inside",
        get("/v1/report?mode=gzip_bad"),
        get("/v1/report?mode=gzip"),
        ("invalid_response_body", "body/items/70/n", "type"),
    ),
    lab(
        "brotli-encoded response, wrong type deep inside",
        get("/v1/report?mode=br_bad"),
        get("/v1/report?mode=br"),
        ("invalid_response_body", "body/items/70/n", "type"),
    ),
    lab(
        "writeOnly property in a response",
        get("/v1/notes/3?leak=true"),
        get("/v1/notes/3?leak=false"),
        ("invalid_response_body", "body/secret", "writeOnly"),
    ),
    lab(
        "response not in its declared charset",
        get("/v1/report?mode=latin1_mislabelled"),
        get("/v1/report?mode=latin1"),
        ("invalid_response_body", "body", "encoding"),
    ),
    lab(
        "slow response",
        get("/v1/report?mode=slow"),
        get("/v1/report?mode=good"),
        ("slow_response", "duration", None),
    ),
]


@dataclass
class Seen:
    """One exchange as the caller saw it and as the proxy stored it."""

    status: int
    headers: httpx.Headers
    event: Event


@pytest.fixture(scope="module")
def todo_proxy(
    tmp_path_factory: pytest.TempPathFactory, todo_backend: Backend
) -> Iterator[ProxyProcess]:
    folder = tmp_path_factory.mktemp("todo-proxy")
    with ProxyProcess(write_config(folder, todo_sections(folder, todo_backend.url))) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def lab_backend() -> Iterator[LabBackend]:
    with LabBackend() as backend:
        yield backend


@pytest.fixture(scope="module")
def lab_proxy(
    tmp_path_factory: pytest.TempPathFactory, lab_backend: LabBackend
) -> Iterator[ProxyProcess]:
    folder = tmp_path_factory.mktemp("lab-proxy")
    sections = todo_sections(
        folder,
        lab_backend.url,
        **lab_sections(
            proxy={"slow_ms": SLOW_MS, "timeout_s": TIMEOUT_S},
            store={"body_cap_bytes": BODY_CAP},
        ),
    )
    with ProxyProcess(write_config(folder, sections)) as proxy:
        yield proxy


def exchange(client: httpx.Client, call: Call) -> httpx.Response:
    return client.request(call.method, call.path, headers=list(call.headers), content=call.body)


def stored_by_id(proxy: ProxyProcess, event_ids: list[str]) -> dict[str, Event]:
    """The events of these ids, once the writer has stored all of them."""

    def ready() -> dict[str, Event] | None:
        found = {e.event_id: e for e in stored_events(proxy.db)}
        return found if all(i in found for i in event_ids) else None

    stored: dict[str, Event] | None = wait_for(ready, timeout=20)
    assert stored, "the proxy did not store every exchange"
    return stored


@pytest.fixture(scope="module")
def outcomes(todo_proxy: ProxyProcess, lab_proxy: ProxyProcess) -> dict[tuple[str, str], Seen]:
    """Every case sent through its proxy: {(case name, "broken" | "twin"): Seen}."""
    proxies = {"todo": todo_proxy, "lab": lab_proxy}
    answers: dict[tuple[str, str], httpx.Response] = {}
    for plugin, proxy in proxies.items():
        with proxy.client() as client:
            for case in CASES:
                if case.plugin == plugin:
                    answers[(case.name, "broken")] = exchange(client, case.broken)
                    answers[(case.name, "twin")] = exchange(client, case.twin)
    events: dict[str, Event] = {}
    for plugin, proxy in proxies.items():
        ids = [
            answer.headers[EVENT_HEADER]
            for (name, _), answer in answers.items()
            if next(c for c in CASES if c.name == name).plugin == plugin
        ]
        events.update(stored_by_id(proxy, ids))
    return {
        key: Seen(answer.status_code, answer.headers, events[answer.headers[EVENT_HEADER]])
        for key, answer in answers.items()
    }


def found(event: Event) -> list[tuple[str, str, str | None]]:
    return [(v.code, v.where, v.keyword) for v in event.violations]


def test_the_table_covers_every_code_with_at_least_40_cases() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)
    covered = {code for case in CASES for code, _, _ in case.expected}
    assert covered >= set(CONTRACT_CODES) and covered <= set(CODES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_and_its_valid_twin(
    case: Case, outcomes: dict[tuple[str, str], Seen], lab_backend: LabBackend
) -> None:
    broken, twin = outcomes[(case.name, "broken")], outcomes[(case.name, "twin")]
    assert found(broken.event) == list(case.expected)
    for violation in broken.event.violations:
        assert violation.location == CODES[violation.code][0]
        assert violation.message
    assert broken.event.violation_count == len(case.expected)
    # Default mode: the answer counts the violations known when it left, the request's.
    request_side = sum(1 for code, _, _ in case.expected if CODES[code][0] == "request")
    assert broken.headers[COUNT_HEADER] == str(request_side)
    assert broken.event.status == broken.status
    routed = case.expected[0][0] not in ("unknown_path", "method_not_allowed", "ambiguous_path")
    assert (broken.event.operation_id is not None) == routed

    assert found(twin.event) == [], f"the twin of {case.name!r} is not valid"
    assert twin.headers[COUNT_HEADER] == "0"
    assert twin.event.status == twin.status
    assert twin.event.operation_id is not None
    if routed:
        assert twin.event.operation_id == broken.event.operation_id
    assert broken.event.event_id != twin.event.event_id
    if case.plugin == "lab":  # default mode holds nothing back: both went to the backend
        assert {broken.event.event_id, twin.event.event_id} <= set(lab_backend.event_ids)


def test_validation_sees_the_whole_decoded_body_before_the_storage_cap(
    outcomes: dict[tuple[str, str], Seen],
) -> None:
    whole = as_json(report(items=100, note="zipped", bad_at=70))
    seen = outcomes[("gzip-encoded response, wrong type deep inside", "broken")]
    event = seen.event
    assert seen.headers["content-encoding"] == "gzip"
    assert len(whole) > 10 * BODY_CAP
    assert found(event) == [("invalid_response_body", "body/items/70/n", "type")]
    assert event.response_truncated and not event.response_binary
    assert event.response_body == whole[:BODY_CAP].decode("utf-8")  # stored decoded, then cut
    assert event.response_size == len(whole)
    big = outcomes[("gzip-encoded response over 100,000 characters once decoded", "broken")].event
    assert big.response_size > BIG_CHARS > 100_000 and big.response_truncated
    assert f"{len(as_json(report(note='x' * BIG_CHARS))):,} characters" in big.violations[0].message
    request = outcomes[("gzip-encoded request body, checked decoded", "broken")].event
    assert request.request_size == len(gzip.decompress(GZ_NOTE)) and not request.request_binary
    long = outcomes[("readOnly property past the storage cap", "broken")].event
    sent = json.dumps(LONG_NOTE)
    assert long.request_truncated and long.request_size == len(sent)
    assert long.request_body == sent[:BODY_CAP] and '"id"' not in long.request_body


def test_every_answer_carries_its_event_id_and_the_count(
    todo_proxy: ProxyProcess, lab_proxy: ProxyProcess, lab_backend: LabBackend
) -> None:
    """Answers the proxy makes itself too: the plugin files, health, CORS, 502 and 504."""
    preflight = {
        "Origin": "https://chatgpt.com",
        "Access-Control-Request-Method": "POST",
    }
    with todo_proxy.client() as client:
        own = [
            client.get("/.well-known/ai-plugin.json"),
            client.get("/openapi.yaml"),
            client.get("/openapi.json"),
            client.get("/_pluginlab/health"),
            client.get("/_pluginlab/logo.png"),
            client.options("/todos/ann", headers=preflight),
        ]
    with lab_proxy.client() as client:
        cut = client.get("/v1/report?mode=cut")
        hung = client.get("/v1/report?mode=hang")
    assert [a.status_code for a in own][:5] == [200] * 5
    assert own[5].status_code in (200, 204)
    assert cut.status_code == 502 and cut.json()["error"] == "backend_failed"
    assert hung.status_code == 504 and hung.json()["error"] == "backend_timeout"
    answers = [*own, cut, hung]
    ids = [a.headers[EVENT_HEADER] for a in answers]
    assert all(str(uuid.UUID(i)) == i for i in ids) and len(set(ids)) == len(ids)
    assert [a.headers[COUNT_HEADER] for a in answers] == ["0"] * len(answers)
    events = stored_by_id(todo_proxy, ids[:6]) | stored_by_id(lab_proxy, ids[6:])
    for answer in answers[:7]:
        event = events[answer.headers[EVENT_HEADER]]
        assert event.status == answer.status_code
        # What the proxy says itself is not the backend's answer: nothing to hold against it.
        assert event.violations == [], (event.path, found(event))
    assert "backend failed" in (events[ids[6]].error or "")
    timed_out = events[ids[7]]
    assert timed_out.status == 504 and f"{TIMEOUT_S:g} s" in (timed_out.error or "")
    # ...except the backend's slowness: a timeout past slow_ms is a slow response, too.
    assert found(timed_out) == [("slow_response", "duration", None)]
    assert ("GET", "/v1/report?mode=cut") in lab_backend.calls
