"""HAR 1.2: exports that keep the format, round trips, and captures saved by other tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pluginlab_tui.cli import main
from pluginlab_tui.interchange.har import HarError, ImportOptions, from_har, to_har
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import Event
from pluginlab_tui.store.writer import insert_events
from pluginlab_tui.validation.violations import Violation
from tests.conftest import ProxyFactory, stored_events
from tests.harness import TODO, wait_for, write_config
from tests.replay.recorded import recorded_call, recorded_event

FIXTURES = Path(__file__).parent / "fixtures"

# -- a structural checker for HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) ------

_OBJECTS: dict[str, tuple[dict[str, type | tuple[type, ...]], set[str]]] = {
    # name: (required fields and their types, optional fields); custom fields start with "_"
    "log": ({"version": str, "creator": dict, "entries": list}, {"browser", "pages", "comment"}),
    "creator": ({"name": str, "version": str}, {"comment"}),
    "entry": (
        {
            "startedDateTime": str,
            "time": (int, float),
            "request": dict,
            "response": dict,
            "cache": dict,
            "timings": dict,
        },
        {"pageref", "serverIPAddress", "connection", "comment"},
    ),
    "request": (
        {
            "method": str,
            "url": str,
            "httpVersion": str,
            "cookies": list,
            "headers": list,
            "queryString": list,
            "headersSize": int,
            "bodySize": int,
        },
        {"postData", "comment"},
    ),
    "response": (
        {
            "status": int,
            "statusText": str,
            "httpVersion": str,
            "cookies": list,
            "headers": list,
            "content": dict,
            "redirectURL": str,
            "headersSize": int,
            "bodySize": int,
        },
        {"comment"},
    ),
    "content": ({"size": int, "mimeType": str}, {"compression", "text", "encoding", "comment"}),
    "postData": ({"mimeType": str}, {"params", "text", "comment"}),
    "pair": ({"name": str, "value": str}, {"comment"}),
    "cookie": (
        {"name": str, "value": str},
        {"path", "domain", "expires", "httpOnly", "secure", "comment"},
    ),
    "timings": (
        {"send": (int, float), "wait": (int, float), "receive": (int, float)},
        {"blocked", "dns", "connect", "ssl", "comment"},
    ),
}


def har_problems(har: Any) -> list[str]:
    problems: list[str] = []

    def obj(kind: str, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            problems.append(f"{where}: not an object")
            return
        required, optional = _OBJECTS[kind]
        for key, typ in required.items():
            if key not in value:
                problems.append(f"{where}.{key}: missing")
            elif not isinstance(value[key], typ) or isinstance(value[key], bool):
                problems.append(f"{where}.{key}: {type(value[key]).__name__}")
        for key in value:
            if key not in required and key not in optional and not key.startswith("_"):
                problems.append(f"{where}.{key}: not a HAR 1.2 field")

    if not isinstance(har, dict) or set(har) != {"log"}:
        return ["top level: one 'log' object expected"]
    obj("log", har["log"], "log")
    obj("creator", har["log"].get("creator"), "log.creator")
    if har["log"].get("version") != "1.2":
        problems.append("log.version: not 1.2")
    for i, entry in enumerate(har["log"].get("entries", [])):
        at = f"entries[{i}]"
        obj("entry", entry, at)
        if "T" not in entry.get("startedDateTime", "") or "+" not in entry["startedDateTime"]:
            problems.append(f"{at}.startedDateTime: not ISO 8601 with an offset")
        obj("request", entry["request"], f"{at}.request")
        obj("response", entry["response"], f"{at}.response")
        obj("timings", entry["timings"], f"{at}.timings")
        obj("content", entry["response"]["content"], f"{at}.response.content")
        if "postData" in entry["request"]:
            obj("postData", entry["request"]["postData"], f"{at}.request.postData")
        for part in ("request", "response"):
            for j, pair in enumerate(entry[part]["headers"]):
                obj("pair", pair, f"{at}.{part}.headers[{j}]")
            for j, cookie in enumerate(entry[part]["cookies"]):
                obj("cookie", cookie, f"{at}.{part}.cookies[{j}]")
        for j, pair in enumerate(entry["request"]["queryString"]):
            obj("pair", pair, f"{at}.request.queryString[{j}]")
    return problems


def _traffic(start_proxy: ProxyFactory) -> tuple[Path, list[Event]]:
    proxy = start_proxy()
    with proxy.client() as client:
        client.post("/todos/har", json={"title": "Grüße ☕"}, headers={"Authorization": "Bearer s"})
        client.get("/todos/har", params={"status": "open"}, headers={"Cookie": "a=b"})
        client.get("/todos/har", headers={"X-Todo-Fault": "missing_field"})
        client.get("/todos/har/99999")
        client.get("/nowhere")
    events = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) >= 5 and e)
    return proxy.config, list(events)


def test_export_keeps_the_har_structure_verdicts_and_redactions(
    start_proxy: ProxyFactory, tmp_path: Path
) -> None:
    config, events = _traffic(start_proxy)
    out = tmp_path / "all.har"
    assert main(["export", "har", "--config", str(config), "-o", str(out)]) == 0
    har = json.loads(out.read_text(encoding="utf-8"))
    assert har_problems(har) == []
    entries = har["log"]["entries"]
    assert [e["_pluginlab"]["event_id"] for e in entries] == [e.event_id for e in events]
    post = entries[0]
    assert post["request"]["postData"]["text"] == events[0].request_body
    assert {"name": "Authorization", "value": "[redacted]"} in post["request"]["headers"]
    assert "Bearer s" not in out.read_text(encoding="utf-8")
    assert entries[1]["request"]["queryString"] == [{"name": "status", "value": "open"}]
    broken = entries[2]["_pluginlab"]
    assert broken["violation_count"] >= 1
    assert {v["code"] for v in broken["violations"]} == {"invalid_response_body"}
    assert entries[4]["_pluginlab"]["violations"][0]["code"] == "unknown_path"
    # Nothing the user wrote is overwritten; a filter selects.
    assert main(["export", "har", "--config", str(config), "-o", str(out)]) == 2
    assert (
        main(["export", "har", "--config", str(config), "--invalid", "-o", str(out), "--force"])
        == 0
    )
    invalid = json.loads(out.read_text(encoding="utf-8"))["log"]["entries"]
    assert [e["_pluginlab"]["violation_count"] > 0 for e in invalid] == [True, True]


def test_export_then_import_gives_the_same_exchanges(
    start_proxy: ProxyFactory, tmp_path: Path
) -> None:
    config, events = _traffic(start_proxy)
    har = tmp_path / "all.har"
    main(["export", "har", "--config", str(config), "-o", str(har)])
    fresh = tmp_path / "fresh.db"
    assert main(["import", str(har), "--config", str(config), "--db", str(fresh)]) == 0
    imported = stored_events(fresh)
    assert len(imported) == len(events)

    def same(e: Event) -> tuple[Any, ...]:
        return (
            e.method, e.url, e.path, e.query, e.status, e.request_headers, e.response_headers,
            e.request_body, e.response_body, e.operation_id,
            sorted(v.code for v in e.violations),
        )  # fmt: skip

    assert [same(e) for e in imported] == [same(e) for e in events]
    assert {e.source for e in imported} == {"import"}
    # Importing the same file again adds nothing.
    assert main(["import", str(har), "--config", str(config), "--db", str(fresh)]) == 0
    assert len(stored_events(fresh)) == len(events)


def _todo_config(tmp_path: Path, db: str = "events.db", **tables: Any) -> Path:
    return write_config(
        tmp_path,
        {
            "plugin": {
                "manifest": str(TODO / "ai-plugin.json"),
                "spec": str(TODO / "openapi.yaml"),
            },
            "store": {"path": str(tmp_path / db)},
            **tables,
        },
    )


def test_a_chrome_devtools_har_imports_validated_and_redacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _todo_config(tmp_path)
    code = main(["import", str(FIXTURES / "chrome-devtools.har"), "--config", str(config)])
    captured = capsys.readouterr()
    assert code == 0
    assert "imported 3 exchange(s)" in captured.out and "skipped 1 entry (entry 2:" in captured.err
    events = stored_events(tmp_path / "events.db")
    listed, added, refused = events
    assert (listed.operation_id, listed.status, listed.query) == (
        "listTodos",
        200,
        "status=open&limit=5",
    )
    assert listed.violations == []
    assert ("Authorization", "[redacted]") in listed.request_headers
    assert added.operation_id == "addTodo" and added.status == 400
    assert [v.code for v in added.violations] == ["invalid_body"]
    assert json.loads(added.response_body or "") == {"error": "due must be a date (YYYY-MM-DD)"}
    assert refused.status is None and refused.error == "net::ERR_CONNECTION_REFUSED"
    assert all(not k.startswith(":") for k, _ in refused.request_headers)
    assert ("cookie", "[redacted]") in refused.request_headers
    assert "live-secret" not in (tmp_path / "events.db").read_bytes().decode("latin-1")


def test_a_mitmproxy_style_har_imports(tmp_path: Path) -> None:
    har = {
        "log": {
            "version": "1.2",
            "creator": {"name": "mitmproxy", "version": "11.0.0", "comment": ""},
            "pages": [],
            "entries": [
                {
                    "startedDateTime": "2026-11-24T10:00:00.123456+00:00",
                    "time": 12.5,
                    "request": {
                        "method": "PATCH",
                        "url": "http://127.0.0.1:8787/todos/mitm/1",
                        "httpVersion": "HTTP/1.1",
                        "cookies": [],
                        "headers": [{"name": "content-type", "value": "application/json"}],
                        "queryString": [],
                        "headersSize": 80,
                        "bodySize": 13,
                        "postData": {"mimeType": "application/json", "text": '{"done":true}'},
                    },
                    "response": {
                        "status": 200,
                        "statusText": "OK",
                        "httpVersion": "HTTP/1.1",
                        "cookies": [],
                        "headers": [{"name": "content-type", "value": "application/json"}],
                        "content": {
                            "size": 30,
                            "compression": 0,
                            "mimeType": "application/json",
                            "text": '{"id":1,"title":"x","done":true}',
                        },
                        "redirectURL": "",
                        "headersSize": 60,
                        "bodySize": 30,
                    },
                    "cache": {},
                    "timings": {"connect": 0.1, "ssl": -1, "send": 0.2, "receive": 0.1, "wait": 12},
                    "serverIPAddress": "127.0.0.1",
                }
            ],
        }
    }
    (event,) = from_har(har, ImportOptions(validator=None)).events
    assert event.ts == "2026-11-24T10:00:00.123Z" and event.duration_ms == 12.5
    assert event.request_body == '{"done":true}' and event.source == "import"
    config = _todo_config(tmp_path)
    path = tmp_path / "mitm.har"
    path.write_text(json.dumps(har), encoding="utf-8")
    assert main(["import", str(path), "--config", str(config)]) == 0
    (stored,) = stored_events(tmp_path / "events.db")
    # the answer lacks priority and created_at: the verdict is made at import
    assert stored.operation_id == "updateTodo"
    assert {v.code for v in stored.violations} == {"invalid_response_body"}


def test_not_a_har_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(HarError):
        from_har({"entries": []})
    bad = tmp_path / "bad.har"
    bad.write_text("{nope", encoding="utf-8")
    config = _todo_config(tmp_path)
    assert main(["import", str(bad), "--config", str(config)]) == 2
    assert main(["import", str(tmp_path / "missing.har"), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "not JSON" in err and "file not found" in err and "Traceback" not in err


def test_to_har_of_nothing_is_an_empty_log() -> None:
    assert har_problems(to_har([])) == []


# -- hostile files ----------------------------------------------------------------------------


def _entry(**request: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"method": "GET", "url": "http://localhost:8787/todos/alice"}
    base.update(request)
    response = base.pop("response", {"status": 200, "headers": [], "content": {"text": "[]"}})
    return {
        "startedDateTime": "2026-11-24T10:00:00.000Z",
        "time": 1,
        "request": base,
        "response": response,
    }


def test_each_hostile_entry_costs_only_itself(tmp_path: Path) -> None:
    from pluginlab_tui.store.database import open_store
    from pluginlab_tui.store.writer import insert_events

    huge = 10**5000
    entries: list[Any] = [
        _entry(),  # good
        _entry(response={"status": 10**20}),  # a status of 21 digits
        _entry(response={"status": True}),
        _entry(response={"status": "200"}),
        _entry(url=None),  # no url
        _entry(url={"a": 1}),
        _entry(url=huge),
        _entry(method=None),
        _entry(url="http://[::1/x"),  # not a URL
        "just a string",
        {"request": ["not", "an", "object"]},
        # these are imported, their odd values made harmless:
        _entry(
            url="http://localhost:8787/h",
            headers=[{"name": "X-\ud800", "value": "v\udfff"}, {"name": "X-N", "value": huge}],
        ),
        _entry(method="POST", postData={"mimeType": "application/json", "text": '{"t": "\ud800"}'}),
        {**_entry(url="http://localhost:8787/a"), "time": 10**400, "startedDateTime": "0001-01-01"},
        {**_entry(url="http://localhost:8787/b"), "time": float("inf")},
    ]
    imported = from_har({"log": {"entries": entries}})
    assert [r.split(":")[0] for r in imported.skipped] == [f"entry {i}" for i in range(1, 11)]
    assert "status 100000000000000000000 is not an HTTP status" in imported.skipped[0]
    assert all("\n" not in r and len(r) < 200 for r in imported.skipped)
    assert len(imported.events) == 5
    conn = open_store(tmp_path / "events.db", create=True)
    try:
        assert insert_events(conn, imported.events) == 5  # SQLite takes every one of them
    finally:
        conn.close()
    stored = {e.path: e for e in stored_events(tmp_path / "events.db")}
    assert stored["/a"].duration_ms is None and stored["/b"].duration_ms is None
    assert stored["/h"].request_headers == [("X-\\ud800", "v\\udfff"), ("X-N", "")]
    surrogate = next(e for e in stored.values() if e.method == "POST")
    assert surrogate.request_binary  # the bytes kept, as base64


def test_import_applies_the_redactor_of_the_config() -> None:
    from pluginlab_tui.access.redaction import Redactor

    token = "plk_" + "k" * 43
    har = {
        "log": {
            "entries": [
                _entry(
                    url=f"http://localhost:8787/todos/a?access_token={token}&x=1",
                    headers=[{"name": "X-Mine", "value": "s3cret-service"}],
                    response={"status": 502, "_error": f"GET ...?access_token={token} failed"},
                )
            ]
        }
    }
    options = ImportOptions(redactor=Redactor(["s3cret-service"]))
    (event,) = from_har(har, options).events
    text = json.dumps(event.to_json())
    assert token not in text and "s3cret-service" not in text
    assert event.query == "access_token=[redacted]&x=1"
    assert event.error == "GET ...?access_token=[redacted] failed"


def _mcp_store(db: Path) -> list[Event]:
    """An MCP session's events written into a real store, as the proxy records them: a tools/call
    and the log notification the server sent on its SSE answer (one exchange), the GET stream
    (no JSON-RPC request), and a plain HTTP exchange between them."""
    call = recorded_call(
        "add_card",
        {"title": "milk"},
        is_error=False,
        violations=[Violation("mcp_invalid_structured_content", "response", "/id", "not int")],
        frames=[{"at_ms": 3.5, "id": "1", "event": "message", "size": 120}],
        skipped=["mcp_invalid_arguments: the inputSchema of 'add_card' cannot be used"],
    )
    note = recorded_call(
        "add_card",
        {"title": "milk"},
        event_id="note-1",
        ts="2026-11-25T09:00:00.002Z",
        rpc_method="notifications/message",
        rpc_id=None,
        rpc_direction="server",
        tool=None,
        frames=[{"at_ms": 1.0, "id": "0", "event": "message", "size": 80}],
    )
    plain = recorded_event(event_id="http-1", ts="2026-11-25T09:00:00.001Z")
    stream = recorded_call(
        event_id="get-1",
        ts="2026-11-25T09:00:01.000Z",
        method="GET",
        request_body="",
        rpc_method=None,
        rpc_id=None,
        rpc_direction=None,
        tool=None,
        exchange_id=None,
    )
    events = [call, plain, note, stream]
    conn = open_store(db, create=True)
    try:
        insert_events(conn, events)
    finally:
        conn.close()
    return events


_MCP_KEPT = (
    "rpc_method",
    "rpc_id",
    "rpc_direction",
    "tool",
    "session_id",
    "protocol_version",
    "rpc_error",
    "is_error",
    "frames",
    "skipped",
    "request_body",
    "response_body",
    "status",
)


def test_mcp_exchanges_are_one_entry_each_and_import_back_as_their_messages(
    tmp_path: Path,
) -> None:
    """The call and the notification that came on its stream are one entry with two messages;
    imported, they are two MCP events again with their fields, linked by exchange_id, not held
    to the OpenAPI spec (the plain HTTP exchange is)."""
    recorded = _mcp_store(tmp_path / "recorded.db")
    out = tmp_path / "mcp.har"
    assert main(["export", "har", "--db", str(tmp_path / "recorded.db"), "-o", str(out)]) == 0
    har = json.loads(out.read_text(encoding="utf-8"))
    assert har_problems(har) == []
    entries = har["log"]["entries"]
    assert [e["_pluginlab"]["event_id"] for e in entries] == ["call-1", "http-1", "get-1"]
    lab = entries[0]["_pluginlab"]
    assert lab["protocol"] == "mcp" and lab["exchange_id"] == "call-1"
    assert [(m["event_id"], m["rpc_method"], m["rpc_direction"]) for m in lab["messages"]] == [
        ("call-1", "tools/call", "client"),
        ("note-1", "notifications/message", "server"),
    ]
    assert lab["messages"][0]["tool"] == "add_card" and lab["messages"][0]["rpc_id"] == "7"
    assert entries[1]["_pluginlab"]["protocol"] == "http"
    assert "messages" not in entries[1]["_pluginlab"]

    config = _todo_config(tmp_path, "fresh.db", mcp={"endpoint": "/mcp"})
    assert main(["import", str(out), "--config", str(config)]) == 0
    imported = {e.rpc_method or e.method: e for e in stored_events(tmp_path / "fresh.db")}
    assert sorted(imported) == ["GET", "POST", "notifications/message", "tools/call"]
    by_method = {e.rpc_method or e.method: e for e in recorded}
    for name in ("tools/call", "notifications/message", "GET"):
        again, before = imported[name], by_method[name]
        assert again.protocol == "mcp" and again.source == "import"
        assert [getattr(again, f) for f in _MCP_KEPT] == [getattr(before, f) for f in _MCP_KEPT]
    call, note = imported["tools/call"], imported["notifications/message"]
    assert note.exchange_id == call.event_id == call.exchange_id
    assert [v.code for v in call.violations] == ["mcp_invalid_structured_content"]
    assert note.violations == [] and imported["GET"].violations == []
    assert imported["POST"].protocol == "http" and imported["POST"].operation_id == "addTodo"
    # the same file again adds nothing
    assert main(["import", str(out), "--config", str(config)]) == 0
    assert len(stored_events(tmp_path / "fresh.db")) == 4


def test_another_tools_entry_on_the_mcp_endpoint_is_mcp_and_not_held_to_the_spec(
    tmp_path: Path,
) -> None:
    config = _todo_config(tmp_path, "events.db", mcp={"endpoint": "/mcp"})
    entries = [
        _entry(method="POST", url="http://localhost:8787/mcp", headers=[]),
        _entry(method="POST", url="http://localhost:8787/nowhere", headers=[]),
    ]
    har = {"log": {"version": "1.2", "creator": {"name": "x", "version": "1"}, "entries": entries}}
    (tmp_path / "other.har").write_text(json.dumps(har), encoding="utf-8")
    assert main(["import", str(tmp_path / "other.har"), "--config", str(config)]) == 0
    mcp, other = sorted(stored_events(tmp_path / "events.db"), key=lambda e: e.path)
    assert mcp.path == "/mcp" and mcp.protocol == "mcp" and mcp.violations == []
    assert other.protocol == "http" and [v.code for v in other.violations] == ["unknown_path"]
