"""Fixed stores for the TUI's tests: 40 exchanges with fixed times, two plugin versions (and,
for the catalogue screen, two catalogue versions); an MCP session's messages beside a few
exchanges."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from textual import events
from textual.pilot import Pilot
from textual.widgets import Static

from pluginlab_tui.mcp.catalogue import Catalogue
from pluginlab_tui.mcp.checks import check_catalogue
from pluginlab_tui.store import versions
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import Event, iso
from pluginlab_tui.store.parts import Message, Rpc, event_from_parts
from pluginlab_tui.store.writer import insert_events
from pluginlab_tui.tui.app import PluginLabApp
from pluginlab_tui.validation.violations import Violation
from tests.harness import TODO

START = datetime(2026, 11, 25, 9, 0, 0, tzinfo=UTC)
USERS = ("alice", "bob", None)


def fixed_event(n: int) -> Event:
    """Exchange n: every 7th fails validation, every 10th is a 500, every 4th is a POST."""
    user = USERS[n % 3]
    post = n % 4 == 1
    status = 500 if n % 10 == 9 else (201 if post else 200)
    violations: list[Violation] = []
    request_body = None
    response_body = json.dumps(
        {"todos": [{"id": n, "title": f"Buy milk {n}", "done": False}], "count": 1}
    )
    if post:
        request_body = json.dumps({"title": f"Task {n}", "priority": "normal"})
        response_body = json.dumps({"id": n, "title": f"Task {n}", "done": False})
    if n % 7 == 3:
        request_body = json.dumps({"title": 42, "priority": "normal"})
        violations.append(
            Violation(
                "invalid_body",
                "request",
                "body/title",
                "body/title: 42 is not of type 'string'",
                "type",
                "#/components/schemas/NewTodo/properties/title/type",
            )
        )
        post = True
    if status == 500:
        response_body = json.dumps({"error": "database is locked"})
        violations.append(
            Violation("undocumented_status", "response", "status", "status 500 is not documented")
        )
    method = "POST" if post else "GET"
    path = f"/todos/{user or 'anon'}"
    return Event(
        event_id=f"00000000-0000-4000-8000-{n:012d}",
        ts=iso(START + timedelta(seconds=n * 1.5)),
        method=method,
        url=f"http://localhost:8787{path}",
        path=path,
        operation_id="addTodo" if post else "listTodos",
        status=status,
        duration_ms=10.0 + (n * 37) % 200,
        request_headers=[("Host", "localhost:8787"), ("User-Agent", "test")],
        response_headers=[("Content-Type", "application/json")],
        request_body=request_body,
        response_body=response_body,
        request_size=len(request_body or ""),
        response_size=len(response_body),
        auth_mode="service_http" if user else "none",
        auth_result="ok" if user else None,
        user_id=user,
        plan="pro" if user == "alice" else ("free" if user else None),
        version=1 if n < 30 else 2,
        violations=violations,
    )


def fill(db: Path, count: int = 40, start: int = 0) -> None:
    conn = open_store(db, create=True)
    try:
        insert_events(conn, [fixed_event(n) for n in range(start, start + count)])
    finally:
        conn.close()


def add_versions(db: Path) -> None:
    manifest = (TODO / "ai-plugin.json").read_text(encoding="utf-8")
    spec = (TODO / "openapi.yaml").read_text(encoding="utf-8")
    changed = spec.replace("required: [title]", "required: [title, due]", 1)
    conn = open_store(db, create=True)
    try:
        versions.register(
            conn,
            manifest_hash="m1",
            spec_hash="s1",
            manifest_text=manifest,
            spec_text=spec,
            lint_summary={"error": 0, "warning": 1},
            lint_findings=[
                {
                    "rule": "servers-localhost",
                    "severity": "warning",
                    "file": "openapi.yaml",
                    "line": 7,
                    "column": 10,
                    "pointer": "/servers/0/url",
                    "message": "servers[0] is on localhost",
                }
            ],
        )
        versions.register(
            conn,
            manifest_hash="m1",
            spec_hash="s2",
            manifest_text=manifest,
            spec_text=changed,
        )
        conn.execute("UPDATE versions SET ts = '2026-11-25T08:00:00.000Z' WHERE number = 1")
        conn.execute("UPDATE versions SET ts = '2026-11-25T09:00:40.000Z' WHERE number = 2")
    finally:
        conn.close()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store of 40 fixed exchanges and two versions (v2 makes `due` required)."""
    db = tmp_path / "events.db"
    fill(db)
    add_versions(db)
    return db


def make_app(db: Path, **kwargs: object) -> PluginLabApp:
    """The app as the tests run it: no cursor blink, a quick poll."""
    options: dict[str, object] = {"cursor_blink": False, "poll_interval": 0.05, **kwargs}
    return PluginLabApp(db, **options)  # type: ignore[arg-type]


async def settle(pilot: Pilot[int], seconds: float = 0.15) -> None:
    """Let timers (detail debounce, polling) and workers run."""
    await pilot.pause(seconds)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def burst(pilot: Pilot[int], *keys: str) -> None:
    """Keys that reach the app in one go, as over a slow link to the web view: every key is
    queued before the first is handled (Pilot's press waits for each); then the app settles."""
    names = {":": "colon", " ": "space"}
    for key in keys:
        pilot.app.post_message(events.Key(names.get(key, key), key if len(key) == 1 else None))
    await settle(pilot)


def shown(widget: Static) -> str:
    """The plain text a Static shows (a Rich renderable rendered at 120 columns)."""
    content = widget.content
    if isinstance(content, str):
        return content
    console = Console(width=120, file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return console.export_text()


#: A tools/list result shaped as the SDK's servers send it (the example app's board, cut down).
WIDGET = "ui://board/board.html"
BOARD_META = {"ui": {"resourceUri": WIDGET}, "openai/outputTemplate": WIDGET}
CARD = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "title": {"type": "string"}},
    "required": ["id", "title"],
}
TOOLS: list[dict[str, object]] = [
    {
        "name": "list_cards",
        "title": "List cards",
        "description": "List the cards on the board.",
        "inputSchema": {"type": "object", "properties": {"column": {"type": "string"}}},
        "outputSchema": {"type": "object", "properties": {"cards": {"type": "array"}}},
        "annotations": {"readOnlyHint": True, "destructiveHint": False, "openWorldHint": False},
        "_meta": BOARD_META,
    },
    {
        "name": "add_card",
        "description": "Add a card to the board.",
        "inputSchema": {
            "type": "object",
            "properties": {"title": {"type": "string", "minLength": 1}},
            "required": ["title"],
        },
        "outputSchema": CARD,
        "annotations": {"readOnlyHint": False, "destructiveHint": False, "openWorldHint": False},
        "_meta": BOARD_META,
    },
    {
        "name": "delete_card",
        "description": "Delete a card for good.",
        "inputSchema": {
            "type": "object",
            "properties": {"card_id": {"type": "integer", "minimum": 1}},
            "required": ["card_id"],
        },
        "annotations": {"destructiveHint": True},
    },
]
RESOURCES = {
    "resources": [
        {"uri": WIDGET, "name": "board", "mimeType": "text/html;profile=mcp-app"},
    ]
}
TEMPLATES = {
    "resourceTemplates": [
        {"uriTemplate": "board://cards/{card_id}", "name": "card", "mimeType": "application/json"}
    ]
}
PROMPTS = {
    "prompts": [
        {
            "name": "triage",
            "description": "Ask for a plan for one column",
            "arguments": [{"name": "column", "required": True}, {"name": "tone"}],
        }
    ]
}
READ = {"contents": [{"uri": WIDGET, "mimeType": "text/html;profile=mcp-app", "text": "<html/>"}]}


def board(tools: list[dict[str, object]]) -> Catalogue:
    """The board's catalogue with these tools, its widget listed and read."""
    return (
        Catalogue()
        .with_list("tools/list", None, {"tools": tools})
        .with_list("resources/list", None, RESOURCES)
        .with_list("resources/templates/list", None, TEMPLATES)
        .with_list("prompts/list", None, PROMPTS)
        .with_read(WIDGET, READ)
    )


def add_catalogue(db: Path, catalogue: Catalogue, ts: str | None = None) -> int:
    """Register a catalogue version as the proxy does: its checks' findings as lint."""
    conn = open_store(db, create=True)
    try:
        findings = [v.to_dict() for v in check_catalogue(catalogue)]
        number, _ = versions.register_catalogue(
            conn,
            catalogue_hash=catalogue.fingerprint,
            catalogue_text=catalogue.to_json(),
            lint_summary={"error": len(findings)} if findings else {},
            lint_findings=findings,
        )
        if ts is not None:
            conn.execute("UPDATE versions SET ts = ? WHERE number = ?", (ts, number))
    finally:
        conn.close()
    return number


@pytest.fixture
def catalogue_store(store: Path) -> Path:
    """The fixed store plus catalogue versions 3 (three tools) and 4 (delete_card removed)."""
    add_catalogue(store, board(TOOLS), "2026-11-25T09:00:10.000Z")
    add_catalogue(store, board(TOOLS[:2]), "2026-11-25T09:00:50.000Z")
    return store


# --- MCP messages, recorded as the proxy records them -------------------------------------------

MCP_SESSION = "5f1c0e7a9b2d4c3e"
MCP_VERSION = "2025-06-18"
_MCP_URL = "http://localhost:8787/mcp"
_CAP = 1024 * 1024


def _rpc(message_id: int | str | None, method: str, params: dict[str, object]) -> str:
    message: dict[str, object] = {"jsonrpc": "2.0", "method": method, "params": params}
    if message_id is not None:
        message = {"jsonrpc": "2.0", "id": message_id, "method": method, "params": params}
    return json.dumps(message)


def _result(message_id: int | str, result: dict[str, object]) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": message_id, "result": result})


def _sse(*data: str) -> str:
    return "".join(f"event: message\nid: {n}\ndata: {d}\n\n" for n, d in enumerate(data, 1))


def mcp_event(
    n: int,
    *,
    method: str | None,
    rpc_id: int | str | None,
    request: str | None,
    response: str | None,
    http_method: str = "POST",
    status: int = 200,
    tool: str | None = None,
    resource_uri: str | None = None,
    direction: str = "client",
    rpc_error: int | None = None,
    is_error: bool | None = None,
    frames: tuple[dict[str, object], ...] = (),
    violations: list[Violation] | None = None,
) -> Event:
    """MCP event n: the request's body as sent, the answer as JSON or SSE text (`frames`)."""
    sse = response is not None and response.startswith("event:")
    answer_type = "text/event-stream" if sse else "application/json"
    request_headers = [
        ("Host", "localhost:8787"),
        ("Content-Type", "application/json"),
        ("Accept", "application/json, text/event-stream"),
        ("Mcp-Session-Id", MCP_SESSION),
        ("MCP-Protocol-Version", MCP_VERSION),
    ]
    return event_from_parts(
        event_id=f"00000000-0000-4000-9000-{n:012d}",
        ts=iso(START + timedelta(seconds=100 + n * 1.5)),
        method=http_method,
        url=_MCP_URL,
        path="/mcp",
        query="",
        request=Message.kept(request_headers, None if request is None else request.encode(), _CAP),
        response=Message.kept(
            [("Content-Type", answer_type)],
            None if response is None else response.encode(),
            _CAP,
        ),
        status=status,
        duration_ms=5.0 + n * 3,
        violations=violations,
        rpc=Rpc(
            method=method,
            id=None if rpc_id is None else json.dumps(rpc_id),
            direction=None if method is None else direction,
            tool=tool,
            resource_uri=resource_uri,
            session_id=MCP_SESSION,
            protocol_version=MCP_VERSION,
            error=rpc_error,
            is_error=is_error,
            exchange_id=f"00000000-0000-4000-9000-{n:012d}",
            frames=frames,
        ),
    )


SEARCH_ARGUMENTS = {"query": "milk", "limit": 5}
SEARCH_RESULT = {
    "content": [{"type": "text", "text": "2 todos match 'milk'"}],
    "structuredContent": {"todos": [{"id": 1, "title": "Buy milk"}], "count": 1},
    "isError": False,
}


def mcp_events() -> list[Event]:
    """A session of an MCP app: a GET stream, the handshake, lists, calls that fail two ways, a
    resource, a server's request, and last a tools/call answered on an SSE stream."""
    widget = "ui://widget/todo-board.html"
    progress = _rpc(None, "notifications/progress", {"progressToken": 9, "progress": 0.5})
    return [
        mcp_event(
            1,
            method=None,
            rpc_id=None,
            request=None,
            response=None,
            http_method="GET",
            frames=({"at_ms": 2.5, "id": "s-1", "event": "message", "size": 0},),
        ),
        mcp_event(
            2,
            method="initialize",
            rpc_id=1,
            request=_rpc(1, "initialize", {"protocolVersion": MCP_VERSION, "capabilities": {}}),
            response=_result(1, {"protocolVersion": MCP_VERSION, "capabilities": {"tools": {}}}),
        ),
        mcp_event(
            3,
            method="notifications/initialized",
            rpc_id=None,
            request=_rpc(None, "notifications/initialized", {}),
            response="",
            status=202,
        ),
        mcp_event(
            4,
            method="tools/list",
            rpc_id=2,
            request=_rpc(2, "tools/list", {}),
            response=_result(2, {"tools": [{"name": "search", "inputSchema": {}}]}),
        ),
        mcp_event(
            5,
            method="resources/read",
            rpc_id=3,
            request=_rpc(3, "resources/read", {"uri": widget}),
            response=_result(3, {"contents": [{"uri": widget, "text": "<div></div>"}]}),
            resource_uri=widget,
        ),
        mcp_event(
            6,
            method="tools/call",
            rpc_id=4,
            tool="add_todo",
            request=_rpc(4, "tools/call", {"name": "add_todo", "arguments": {"title": 42}}),
            response=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 4,
                    "error": {"code": -32602, "message": "Invalid params: title"},
                }
            ),
            rpc_error=-32602,
            violations=[
                Violation(
                    "mcp_invalid_arguments",
                    "request",
                    "/title",
                    "42 is not of type 'string'",
                    "type",
                )
            ],
        ),
        mcp_event(
            7,
            method="tools/call",
            rpc_id=5,
            tool="add_todo",
            request=_rpc(5, "tools/call", {"name": "add_todo", "arguments": {"title": "x"}}),
            response=_result(
                5, {"content": [{"type": "text", "text": "database locked"}], "isError": True}
            ),
            is_error=True,
        ),
        mcp_event(
            8,
            method="roots/list",
            rpc_id="srv-1",
            direction="server",
            request=_rpc("srv-1", "roots/list", {}),
            response=_result("srv-1", {"roots": [{"uri": "file:///home/me/todos"}]}),
            status=202,
        ),
        mcp_event(
            9,
            method="tools/call",
            rpc_id=6,
            tool="search",
            request=_rpc(6, "tools/call", {"name": "search", "arguments": SEARCH_ARGUMENTS}),
            response=_sse(progress, _result(6, SEARCH_RESULT)),
            frames=(
                {"at_ms": 12.25, "id": "1", "event": "message", "size": len(progress)},
                {"at_ms": 30.5, "id": "2", "event": "message", "size": 240},
            ),
        ),
    ]


@pytest.fixture
def mcp_store(tmp_path: Path) -> Path:
    """Five HTTP exchanges, then an MCP session's nine messages (the tools/call search last)."""
    db = tmp_path / "mcp.db"
    fill(db, count=5)
    conn = open_store(db)
    try:
        insert_events(conn, mcp_events())
    finally:
        conn.close()
    return db
