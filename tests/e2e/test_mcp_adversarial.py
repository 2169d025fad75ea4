"""An attacker's review of MCP mode through the real proxy (the hardening issue's standard on the
MCP path): paths that reach the example app's MCP handlers, session ids no session can have,
JSON-RPC of the wrong shape, a backend's endless ids and request floods, ids that collide or
answer nothing, a Last-Event-ID replay storm. Each case asserts the answer, the event in the
store, the proxy still up, and where memory is at stake what stays bounded.

The example app (examples/app) runs in this process, behind a log of the calls its own router
dispatched, so a test can tell which calls reached an MCP handler.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import queue
import socket
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send

from pluginlab_tui.config import load_config
from pluginlab_tui.examples import example_dir
from pluginlab_tui.store.event import Event
from pluginlab_tui.wire import EVENT_HEADER
from tests.access.helpers import add_user
from tests.conftest import ProxyFactory, events_since, stored_events
from tests.e2e.test_mcp_oauth import public_tokens
from tests.harness import ProxyProcess, wait_for
from tests.mcp.servers import serving
from tests.sse_servers import Gated, _until, frame

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
MCP_ROUTES = frozenset({"/mcp", "/sse", "/messages"})


def call(tool: str, **arguments: Any) -> dict[str, Any]:
    params = {"name": tool, "arguments": arguments}
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}


def initialize(version: str = "2025-06-18", rid: int = 1) -> dict[str, Any]:
    params = {
        "protocolVersion": version,
        "capabilities": {},
        "clientInfo": {"name": "e", "version": "1"},
    }
    return {"jsonrpc": "2.0", "id": rid, "method": "initialize", "params": params}


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    #: The route of the app's router that took it ("/mcp", "/messages", ...), or None.
    route: str | None
    authorization: bytes | None


class LoggedApp:
    """The example app, served in this process; `.calls` lists what its router received."""

    def __init__(self) -> None:
        spec = importlib.util.spec_from_file_location(
            "adversarial_app", example_dir("app") / "app.py"
        )
        assert spec is not None and spec.loader is not None
        module: ModuleType = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # pydantic resolves the app's models through it
        spec.loader.exec_module(module)
        self.inner: Any = module.app
        self.calls: list[Call] = []
        self.url = ""

    def _route(self, scope: Scope) -> str | None:
        for route in self.inner.router.routes:
            matched, _ = route.matches(scope)
            if matched != Match.NONE:
                return str(getattr(route, "path", "?"))
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            path = scope["raw_path"].decode("latin-1")
            call = Call(scope["method"], path, self._route(scope), headers.get(b"authorization"))
            self.calls.append(call)
        await self.inner(scope, receive, send)


@pytest.fixture(scope="module")
def app() -> Iterator[LoggedApp]:
    logged = LoggedApp()
    with serving(logged) as url:
        logged.url = url
        yield logged


MCP = {"endpoint": "/mcp", "sse_endpoint": "/sse"}


@pytest.fixture(scope="module")
def oauth_proxy(start_module_proxy: ProxyFactory, app: LoggedApp) -> ProxyProcess:
    """auth.mode oauth on both transports; the endpoint asks for the scopes `cards files`, and
    `list_cards` may be called without a token (a mixed endpoint: only the tools/call of a tool
    that needs a token is refused, so the tests below call `add_card`)."""
    proxy = start_module_proxy(
        backend=app.url,
        mcp=MCP,
        mcp__tool_scopes={"list_cards": "noauth"},
        auth={"mode": "oauth"},
        auth__oauth={"auto_approve": "alice", "scope": "cards files"},
    )
    add_user(proxy, "alice")
    return proxy


@pytest.fixture(scope="module")
def open_proxy(start_module_proxy: ProxyFactory, app: LoggedApp) -> ProxyProcess:
    return start_module_proxy(backend=app.url, mcp=MCP)


def public_url(proxy: ProxyProcess) -> str:
    return load_config(proxy.config).proxy.public_url


def ids(proxy: ProxyProcess) -> set[str]:
    return {e.event_id for e in stored_events(proxy.db)}


def events_of(proxy: ProxyProcess, wanted: list[str]) -> dict[str, Event]:
    """The events with these ids, once all are stored."""

    def found() -> dict[str, Event] | None:
        by_id = {e.event_id: e for e in stored_events(proxy.db) if e.event_id in wanted}
        return by_id if len(by_id) == len(set(wanted)) else None

    stored = wait_for(found)
    assert stored, f"not every event was stored: {wanted}"
    return dict(stored)


def healthy(proxy: ProxyProcess) -> dict[str, Any]:
    with proxy.client() as client:
        answer = client.get("/_pluginlab/health")
    assert answer.status_code == 200
    health: dict[str, Any] = answer.json()
    assert health["writer"] == "running" and health["events_not_stored"] == 0
    return health


def rss_mb(proxy: ProxyProcess) -> float:
    assert proxy.process is not None
    for line in Path(f"/proc/{proxy.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def store_mb(proxy: ProxyProcess) -> float:
    """The store's size with its WAL."""
    files = proxy.db.parent.glob(proxy.db.name + "*")
    return sum(f.stat().st_size for f in files) / (1 << 20)


class Stream:
    """A GET event stream through the proxy, read in a thread: `.chunks` as they came."""

    def __init__(self, proxy: ProxyProcess, path: str, headers: dict[str, str] | None = None):
        self.client = httpx.Client(base_url=proxy.url, trust_env=False, timeout=60)
        self.path, self.headers = path, {"Accept": "text/event-stream", **(headers or {})}
        self.chunks: queue.Queue[bytes] = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.sock: socket.socket | None = None

    def _read(self) -> None:
        try:
            with self.client.stream("GET", self.path, headers=self.headers) as answer:
                self.sock = answer.extensions["network_stream"].get_extra_info("socket")
                for chunk in answer.iter_raw():
                    self.chunks.put(chunk)
        except httpx.HTTPError:
            pass  # shut by __exit__

    def until(self, needle: bytes, count: int = 1) -> bytes:
        """What came until `needle` was seen `count` times (counted chunk by chunk)."""
        got = bytearray()
        seen = 0
        while seen < count:
            chunk = self.chunks.get(timeout=30)
            tail = bytes(got[-(len(needle) - 1) :]) if len(needle) > 1 else b""
            seen += (tail + chunk).count(needle)
            got += chunk
        return bytes(got)

    def __enter__(self) -> Stream:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.sock is not None:  # the caller leaves: a read blocked on an idle stream ends
            self.sock.shutdown(socket.SHUT_RDWR)
        self.thread.join(10)
        self.client.close()


def legacy_session(stream: Stream) -> str:
    """The session the HTTP+SSE stream's endpoint event names."""
    first = stream.until(b"\n\n").decode()
    return first.split("session_id=", 1)[1].split()[0]


def listed(proxy: ProxyProcess, token: str) -> None:
    """A tools/list through the proxy (stateless era), so that it knows the catalogue."""
    version = "2026-07-28"
    envelope = {"protocolVersion": version, "clientCapabilities": {}}
    meta = {"_meta": {f"io.modelcontextprotocol/{k}": v for k, v in envelope.items()}}
    asked = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": meta}
    headers = {**ACCEPT, "MCP-Protocol-Version": version, "Mcp-Method": "tools/list"}
    with proxy.client() as client:
        answer = client.post(
            "/mcp", json=asked, headers={**headers, "Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 200 and "add_card" in answer.text, answer.text


# -- paths: whatever reaches an MCP handler is gated as MCP ----------------------------------

TRICKS = (
    "/mcp",
    "/mcp/",
    "/mcp/x",
    "//mcp",
    "/mcp/../mcp",
    "/./mcp",
    "/%6Dcp",
    "/MCP",
    "/mcp;x",
    "/mcp.",
    "/mcp%20",
    "/mcp%2f..",
    "/mcp%2F..%2Fmcp",
    "/mcp%5C",
    "/sse/../mcp",
    "/sse",
    "/messages/?session_id={s}",
    "/messages/x?session_id={s}",
    "/messages//x?session_id={s}",
    "/messages/./x/..?session_id={s}",
    "/%6Dessages/x?session_id={s}",
    "/messages/%2e%2e/messages/?session_id={s}",
    "/Messages/?session_id={s}",
)


def test_no_path_reaches_an_mcp_handler_without_the_mcp_endpoint_s_token_check(
    oauth_proxy: ProxyProcess, app: LoggedApp
) -> None:
    base = public_url(oauth_proxy)
    with oauth_proxy.client() as client:
        good = public_tokens(client, base)["access_token"]
        narrow = public_tokens(client, base, scope="files")["access_token"]  # lacks `cards`
    listed(oauth_proxy, good)  # the catalogue is known: the proxy lists nothing itself
    with Stream(oauth_proxy, "/sse", {"Authorization": f"Bearer {good}"}) as stream:
        session = legacy_session(stream)
        before = len(app.calls)
        answers: list[tuple[str, str, httpx.Response]] = []
        with oauth_proxy.client() as client:
            for trick in TRICKS:
                path = trick.format(s=session)
                for token in (None, narrow):
                    headers = (
                        ACCEPT if token is None else {**ACCEPT, "Authorization": f"Bearer {token}"}
                    )
                    posted = client.post(path, json=call("add_card", title="x"), headers=headers)
                    answers.append((path, str(token)[:8], posted))
        refused = app.calls[before:]
        # the SDK mounts its message handler: /messages/x is served like /messages/
        with oauth_proxy.client() as client:
            mounted = client.post(
                f"/messages/x?session_id={session}",
                json=initialize("2024-11-05"),
                headers={**ACCEPT, "Authorization": f"Bearer {good}"},
            )
        assert b'"id":1' in stream.until(b'"id":1')  # its answer, on the stream
    reached = [c for c in refused if c.route in MCP_ROUTES]
    assert not reached, f"an MCP handler was reached without the endpoint's check: {reached}"
    for path, token, answer in answers:
        assert EVENT_HEADER in answer.headers, (path, token, answer.status_code)
        if answer.status_code in (401, 403):
            assert answer.json()["error"] in ("missing", "invalid", "insufficient_scope")
    stored = events_of(oauth_proxy, [a.headers[EVENT_HEADER] for _, _, a in answers])
    assert len(stored) == len(answers)
    assert mounted.status_code == 202
    (event,) = events_of(oauth_proxy, [mounted.headers[EVENT_HEADER]]).values()
    assert (event.protocol, event.rpc_method, event.auth_result) == ("mcp", "initialize", "ok")
    # an MCP endpoint's token is the proxy's own: it never passes to the backend
    assert app.calls[-1].route == "/messages" and app.calls[-1].authorization is None
    healthy(oauth_proxy)


def test_a_body_too_large_to_read_needs_a_token_on_a_mixed_endpoint(
    oauth_proxy: ProxyProcess, app: LoggedApp
) -> None:
    # 17 MB of arguments (past proxy.max_inflated_bytes), sent plain and as 17 KB of gzip
    big = json.dumps(call("add_card", title="x", pad="p" * (17 << 20))).encode()
    with oauth_proxy.client() as client:
        listed(oauth_proxy, public_tokens(client, public_url(oauth_proxy))["access_token"])
    before = len(app.calls)
    with oauth_proxy.client() as client:
        anonymous = client.post("/mcp", json=call("list_cards"), headers=ACCEPT)
        assert len(app.calls) == before + 1 and app.calls[-1].route == "/mcp"  # mixed: it passes
        plain = client.post("/mcp", content=big, headers=ACCEPT)
        zipped = {**ACCEPT, "Content-Encoding": "gzip"}
        bomb = client.post("/mcp", content=gzip.compress(big), headers=zipped)
    assert anonymous.status_code != 401
    assert len(app.calls) == before + 1, f"an unread body reached the app: {app.calls[-1]}"
    for refused in (plain, bomb):
        assert refused.status_code == 401 and refused.json()["error"] == "missing"
        assert "resource_metadata" in refused.headers["WWW-Authenticate"]
    stored = events_of(oauth_proxy, [plain.headers[EVENT_HEADER], bomb.headers[EVENT_HEADER]])
    for event in stored.values():
        assert event.auth_result == "missing" and event.status == 401
        assert [v.code for v in event.violations] == ["body_too_large_to_check"]
    healthy(oauth_proxy)


# -- session ids no session can have ---------------------------------------------------------


def test_a_session_id_no_session_can_have_is_refused_by_the_proxy_and_never_kept(
    open_proxy: ProxyProcess, app: LoggedApp
) -> None:
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    name = b"Mcp-Session-Id"
    cases: list[list[tuple[bytes, bytes]]] = [
        [(name, b"s" * (1 << 20))],  # 1 MB
        [(name, b"a b")],
        [(name, b"caf\xc3\xa9\xff")],  # not ASCII, not even UTF-8
        [(name, b"a"), (name, b"b")],  # two: the server would take one
    ]
    before = len(app.calls)
    answers = []
    with open_proxy.client() as client:
        for extra in cases:
            accept = [(k.encode(), v.encode()) for k, v in ACCEPT.items()]
            headers = httpx.Headers([*accept, *extra])
            answers.append(client.post("/mcp", json=ping, headers=headers))
        with Stream(open_proxy, "/sse") as stream:
            legacy_session(stream)
            long_query = "/messages/?session_id=" + "q" * 60_000
            answers.append(client.post(long_query, json=ping, headers=ACCEPT))
            calls_then = len(app.calls)
        kept = healthy(open_proxy)["mcp"]["sessions"]
        for n in range(15):  # 15 MB of ids: none of it is kept
            unique = f"{n}" + "z" * (1 << 20)
            client.post("/mcp", json=ping, headers={**ACCEPT, "Mcp-Session-Id": unique})
    assert [a.status_code for a in answers] == [400] * len(answers)
    for answer in answers:
        error = answer.json()["error"]
        assert error["code"] == -32600 and "session id" in error["message"]
    stored = events_of(open_proxy, [a.headers[EVENT_HEADER] for a in answers])
    for event in stored.values():
        assert [v.code for v in event.violations] == ["mcp_session"]
        assert event.protocol == "mcp" and event.rpc_method is None and event.session_id is None
    # the server was called for none of them (the stream's GET is the one call)
    assert calls_then - before == 1 and len(app.calls) == calls_then
    assert healthy(open_proxy)["mcp"]["sessions"] == kept


# -- JSON-RPC of the wrong shape -------------------------------------------------------------

SHAPES: list[tuple[str, bytes, str]] = [
    ("undecodable", b"\xff\xfe{", "mcp_invalid_message"),
    ("duplicate keys", b'{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}', "mcp_invalid_message"),
    ("id true", b'{"jsonrpc":"2.0","id":true,"method":"ping"}', "mcp_invalid_message"),
    ("id float", b'{"jsonrpc":"2.0","id":1.5,"method":"ping"}', "mcp_invalid_message"),
    ("id object", b'{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', "mcp_invalid_message"),
    (
        "id beyond 2**53",
        b'{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}',
        "mcp_invalid_message",
    ),
    (
        "notification with an id",
        b'{"jsonrpc":"2.0","id":3,"method":"notifications/initialized"}',
        "mcp_unknown_method",
    ),
    ("not an object", b'"ping"', "mcp_invalid_message"),
    ("method not a string", b'{"jsonrpc":"2.0","id":1,"method":5}', "mcp_invalid_message"),
    (
        "params an array",
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[]}',
        "mcp_invalid_message",
    ),
    ("NaN", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":NaN}}', "mcp_invalid_message"),
    ("deep", b"[" * 100_000 + b"]" * 100_000, "mcp_invalid_message"),
    ("empty batch", b"[]", "mcp_invalid_message"),
    (
        "batch of 100k",
        json.dumps(
            [{"jsonrpc": "2.0", "id": i, "method": "ping"} for i in range(100_000)]
        ).encode(),
        "mcp_invalid_message",
    ),
]


def test_json_rpc_of_the_wrong_shape_is_one_flagged_event_and_the_proxy_stays_up(
    open_proxy: ProxyProcess,
) -> None:
    with open_proxy.client() as client:
        opened = client.post(
            "/mcp", json=initialize("2025-03-26"), headers=ACCEPT
        )  # batches allowed
        session = opened.headers["Mcp-Session-Id"]
        headers = {**ACCEPT, "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-03-26"}
        client.post(
            "/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers
        )
        answers = [
            (name, code, client.post("/mcp", content=body, headers=headers))
            for name, body, code in SHAPES
        ]
    stored = events_of(open_proxy, [a.headers[EVENT_HEADER] for _, _, a in answers])
    for name, code, answer in answers:
        event = stored[answer.headers[EVENT_HEADER]]
        assert event.protocol == "mcp" and event.session_id == session, name
        assert code in [v.code for v in event.violations], (name, event.violations)
        assert answer.status_code < 500 or name == "batch of 100k", (name, answer.status_code)
    healthy(open_proxy)


# -- a hostile backend -----------------------------------------------------------------------

#: The notifications with 100 KB ids, the server requests of PAD bytes nobody answers.
NOTES, ASKED, PAD = 50, 120, 300_000


def hostile(go: threading.Event) -> Starlette:
    """GET /mcp?mode=ids: NOTES notifications, each with an SSE id of 100 KB; mode=flood: ASKED
    server requests of PAD bytes that nobody answers (36 MB); mode=endless: a frame of 3 MB
    (its data lines never end it), then a notification; mode=script: a notification and
    two server requests (event ids 1 to 3), and with Last-Event-ID its replay; POST /mcp
    answers an id it was never asked, or with X-Gzip its request on an SSE stream, gzipped if
    the request accepts gzip (X-Gzip: always, whatever it accepts)."""

    async def ids() -> AsyncIterator[bytes]:
        for n in range(NOTES):
            note: dict[str, object] = {
                "jsonrpc": "2.0",
                "method": "notifications/progress",
                "params": {"progressToken": n, "progress": n},
            }
            yield frame(note, f"{n}-" + "e" * 100_000)
        await _until(go)

    async def flood() -> AsyncIterator[bytes]:
        for n in range(ASKED):
            asked = {
                "jsonrpc": "2.0",
                "id": f"srv-{n}",
                "method": "roots/list",
                "params": {"_meta": {"pad": "p" * PAD}},
            }
            yield f"data: {json.dumps(asked)}\n\n".encode()
        await _until(go)

    async def script() -> AsyncIterator[bytes]:
        yield frame({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}, "1")
        yield frame({"jsonrpc": "2.0", "id": "srv-1", "method": "roots/list"}, "2")
        yield frame({"jsonrpc": "2.0", "id": "srv-2", "method": "ping"}, "3")

    async def endless() -> AsyncIterator[bytes]:  # a frame of 3 MB, then one that ends
        for _ in range(48):
            yield b"data: " + b"x" * 65_536 + b"\n"
        yield b"\n" + frame({"jsonrpc": "2.0", "method": "notifications/progress"}, "after")

    async def replay() -> AsyncIterator[bytes]:  # what came after Last-Event-ID 0, and one more
        yield frame({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}, "1")
        yield frame({"jsonrpc": "2.0", "method": "notifications/resources/list_changed"}, "4")

    async def mcp(request: Request) -> Response:
        if request.method == "GET":
            mode = request.query_params.get("mode")
            if mode == "endless":
                return StreamingResponse(endless(), media_type="text/event-stream")
            if mode == "script":
                again = "last-event-id" in request.headers
                return StreamingResponse(
                    replay() if again else script(), media_type="text/event-stream"
                )
            stream = ids() if mode == "ids" else flood()
            return StreamingResponse(stream, media_type="text/event-stream")
        asked = json.loads(await request.body())
        gzip_it = request.headers.get("x-gzip")
        if gzip_it:  # the answer on an SSE stream, gzipped when asked for it (or always)
            wants = "gzip" in request.headers.get("accept-encoding", "")
            sse = frame({"jsonrpc": "2.0", "id": asked["id"], "result": {}}, "g1")
            zipped = gzip_it == "always" or wants
            headers = {"Content-Encoding": "gzip"} if zipped else {}
            body = gzip.compress(sse) if zipped else sse
            return Response(body, media_type="text/event-stream", headers=headers)
        return JSONResponse({"jsonrpc": "2.0", "id": 999, "result": {}, "_asked": asked.get("id")})

    return Starlette(routes=[Route("/mcp", mcp, methods=["GET", "POST"])])


@pytest.fixture(scope="module")
def hostile_proxy(start_module_proxy: ProxyFactory) -> Iterator[ProxyProcess]:
    with Gated(hostile) as server:
        yield start_module_proxy(backend=server.url, mcp=MCP, proxy={"timeout_s": 2})


def test_a_backend_s_huge_sse_ids_are_not_copied_into_every_event(
    hostile_proxy: ProxyProcess,
) -> None:
    proxy = hostile_proxy
    earlier = ids(proxy)
    rss, stored = rss_mb(proxy), store_mb(proxy)
    with Stream(proxy, "/mcp?mode=ids") as stream:
        stream.until(b"\n\n", NOTES)
        notes = wait_for(
            lambda: (
                len(
                    found := [
                        e
                        for e in events_since(proxy.db, earlier)
                        if e.rpc_method == "notifications/progress"
                    ]
                )
                >= NOTES
                and found
            )
        )
    assert notes, "the stream's notifications were not all recorded"
    longest = max(len(f.get("id") or "") for e in notes for f in e.frames)
    assert longest <= 130, f"an event lists a frame id of {longest} characters"
    assert all(len(e.frames) <= NOTES for e in notes)
    grown, written = rss_mb(proxy) - rss, store_mb(proxy) - stored
    assert written < 16, f"the store grew {written:.0f} MB for a stream of 5 MB of ids"
    assert grown < 100, f"RSS grew {grown:.0f} MB for a stream of 5 MB of ids"
    healthy(proxy)


def test_a_server_to_client_request_flood_is_let_go_in_bounds_and_every_request_recorded(
    hostile_proxy: ProxyProcess,
) -> None:
    proxy = hostile_proxy
    earlier = ids(proxy)
    with Stream(proxy, "/mcp?mode=flood") as stream:
        stream.until(b"\n\n", ASKED)
        tables = healthy(proxy)["mcp"]
        # the rest wait proxy.timeout_s (2 s) for the client's answer, then are recorded
        asked = wait_for(
            lambda: (
                len(
                    found := [
                        e for e in events_since(proxy.db, earlier) if e.rpc_method == "roots/list"
                    ]
                )
                >= ASKED
                and found
            ),
            timeout=30,
        )
    assert asked, "not every server request became an event"
    assert {e.rpc_direction for e in asked} == {"server"}
    assert len({e.rpc_id for e in asked}) == ASKED
    let_go = [e for e in asked if "bytes waiting" in (e.error or "")]
    timed_out = [e for e in asked if "did not answer" in (e.error or "")]
    assert let_go and len(let_go) + len(timed_out) == ASKED
    # at most 32 MiB of requests wait at once: the rest were let go before the timeout
    assert tables["waiting_bytes"] <= 32 * 1024 * 1024 and tables["waiting"] * PAD <= 32 << 20
    # of the open stream's 36 MB, the proxy keeps what the event stores (store.body_cap_bytes)
    assert tables["streams"] >= 1 and tables["stream_bytes_kept"] <= tables["streams"] << 20
    assert len(timed_out) * PAD <= 32 << 20
    healthy(proxy)


def test_an_answer_to_an_id_never_asked_is_an_event_of_its_own(
    hostile_proxy: ProxyProcess,
) -> None:
    proxy = hostile_proxy
    with proxy.client() as client:
        answer = client.post(
            "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=ACCEPT
        )
    assert answer.status_code == 200 and answer.json()["id"] == 999  # relayed as it came
    named = answer.headers[EVENT_HEADER]
    (asked,) = events_of(proxy, [named]).values()
    assert (asked.rpc_method, asked.rpc_id) == ("ping", "1")
    assert asked.error is not None and "held no answer" in asked.error
    stray = wait_for(
        lambda: [e for e in stored_events(proxy.db) if e.rpc_id == "999" and e.ts >= asked.ts]
    )
    assert stray and stray[0].rpc_method is None and stray[0].rpc_direction is None
    healthy(proxy)


# -- ids that collide across sessions --------------------------------------------------------


def test_the_same_id_in_flight_in_two_sessions_pairs_each_with_its_own_answer(
    open_proxy: ProxyProcess,
) -> None:
    sessions = []
    with open_proxy.client() as client:
        for _ in range(2):
            opened = client.post("/mcp", json=initialize(), headers=ACCEPT)
            session = opened.headers["Mcp-Session-Id"]
            headers = {**ACCEPT, "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-06-18"}
            client.post(
                "/mcp",
                json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                headers=headers,
            )
            sessions.append(headers)
    answers: dict[str, httpx.Response] = {}

    def call(title: str, headers: dict[str, str], delay: str) -> None:
        body = {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "tools/call",
            "params": {"name": "add_card", "arguments": {"title": title}},
        }
        with open_proxy.client() as client:
            answers[title] = client.post(
                "/mcp", json=body, headers={**headers, "X-App-Delay": delay}
            )

    slow = threading.Thread(target=call, args=("first", sessions[0], "0.5"))
    slow.start()
    call("second", sessions[1], "0")  # answered while the first, id 7 too, is still in flight
    slow.join()
    stored = events_of(open_proxy, [a.headers[EVENT_HEADER] for a in answers.values()])
    for title, answer in answers.items():
        event = stored[answer.headers[EVENT_HEADER]]
        assert (event.rpc_method, event.rpc_id, event.tool) == ("tools/call", "7", "add_card")
        assert not event.violations and event.error is None
        assert f'"title":"{title}"' in (event.response_body or "").replace(" ", "")
    assert (
        stored[answers["first"].headers[EVENT_HEADER]].session_id
        != stored[answers["second"].headers[EVENT_HEADER]].session_id
    )
    healthy(open_proxy)


# -- a Last-Event-ID replay storm ------------------------------------------------------------


def test_a_last_event_id_replay_storm_records_each_message_once(
    hostile_proxy: ProxyProcess,
) -> None:
    stream = {"Accept": "text/event-stream"}
    proxy = hostile_proxy
    earlier = ids(proxy)
    with proxy.client() as client:
        first = client.get("/mcp?mode=script", headers=stream)
        assert first.text.count("data:") == 3
        for _ in range(20):
            replayed = client.get("/mcp?mode=script", headers={**stream, "Last-Event-ID": "0"})
            assert replayed.status_code == 200 and replayed.text.count("data:") == 2

    def recorded() -> list[Event] | None:
        found = events_since(proxy.db, earlier)
        gets = [e for e in found if e.method == "GET" and e.rpc_method is None]
        return found if len(gets) == 21 and len(found) >= 25 else None

    events = wait_for(recorded)
    assert events, "the 21 streams and their messages were not all recorded"
    notes = [e.rpc_method for e in events if (e.rpc_method or "").startswith("notifications/")]
    assert sorted(notes) == [
        "notifications/resources/list_changed",
        "notifications/tools/list_changed",
    ]
    asked = [e for e in events if e.rpc_direction == "server" and e.rpc_id is not None]
    assert sorted(e.rpc_method or "" for e in asked) == ["ping", "roots/list"]
    healthy(proxy)


# -- an event stream the proxy cannot read ---------------------------------------------------


def test_an_event_stream_comes_uncompressed_or_its_event_says_it_was_not_read(
    hostile_proxy: ProxyProcess,
) -> None:
    ping = {"jsonrpc": "2.0", "id": 5, "method": "ping"}
    zipped = {**ACCEPT, "Accept-Encoding": "gzip"}
    with hostile_proxy.client() as client:
        asked = client.post("/mcp", json=ping, headers={**zipped, "X-Gzip": "asked"})
        forced = client.post("/mcp", json=ping, headers={**zipped, "X-Gzip": "always"})
    # the proxy asks for identity: the answer is read, paired and checked as it passes
    assert asked.status_code == 200 and '"id": 5' in asked.text
    assert "content-encoding" not in asked.headers
    stored = events_of(hostile_proxy, [asked.headers[EVENT_HEADER], forced.headers[EVENT_HEADER]])
    read = stored[asked.headers[EVENT_HEADER]]
    assert (read.rpc_method, read.rpc_id, read.error, read.violations) == ("ping", "5", None, [])
    # a server that compresses anyway: relayed as it came, and the event says why it is unread
    assert forced.headers["content-encoding"] == "gzip"
    unread = stored[forced.headers[EVENT_HEADER]]
    assert unread.rpc_method == "ping" and "Content-Encoding 'gzip'" in (unread.error or "")
    healthy(hostile_proxy)


def test_a_frame_past_the_parser_s_limit_is_skipped_and_the_stream_read_on(
    hostile_proxy: ProxyProcess,
) -> None:
    with hostile_proxy.client() as client:
        relayed = client.get("/mcp?mode=endless", headers={"Accept": "text/event-stream"})
    assert relayed.status_code == 200 and len(relayed.content) > 3_000_000  # relayed whole
    (stream,) = events_of(hostile_proxy, [relayed.headers[EVENT_HEADER]]).values()
    skipped, after = stream.frames
    assert skipped["id"] is None and skipped["size"] > 3_000_000  # reported, not kept
    assert after["id"] == "after"
    note = wait_for(
        lambda: [
            e
            for e in stored_events(hostile_proxy.db)
            if e.exchange_id == stream.event_id and e.rpc_method == "notifications/progress"
        ]
    )
    assert note, "the notification after the skipped frame was not recorded"
    healthy(hostile_proxy)
