"""One path for gate, checks and backend; only the proxy speaks for the proxy.

Every request here is written on a raw socket, so no client library tidies the path first.
"""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from pluginlab_tui.examples import Backend, free_port
from tests.access.helpers import add_user, by_id, cli, events_when, todo_count, unique
from tests.conftest import ProxyFactory
from tests.harness import ProxyProcess

EVENT_HEADER = "x-pluginlab-event-id"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


def _read_all(sock: socket.socket, limit: int = 1 << 20) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


Fields = Sequence[tuple[str, str]]


def send_raw(proxy: ProxyProcess, method: str, target: bytes, headers: Fields = ()) -> Answer:
    """One request with exactly this target (bytes as written), answered on a closed connection."""
    host, port = proxy.url.removeprefix("http://").split(":")
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: " + host.encode()]
    lines += [f"{k}: {v}".encode() for k, v in headers]
    lines += [b"Content-Length: 0", b"Connection: close", b"", b""]
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"\r\n".join(lines))
        data = _read_all(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *fields = head.decode("latin-1").split("\r\n")
    found = {k.strip().lower(): v.strip() for k, _, v in (f.partition(":") for f in fields)}
    return Answer(int(status_line.split(" ")[1]), found, body)


def operation_run(answer: Answer) -> str | None:
    """Which operation the todo backend ran, read from its answer: its effect, not our guess."""
    if answer.status != 200 or "application/json" not in answer.headers.get("content-type", ""):
        return None
    body = answer.json()
    if isinstance(body, dict) and "todos" in body and "count" in body:
        return "listTodos"
    if isinstance(body, dict) and isinstance(body.get("id"), int) and "title" in body:
        return "getTodo"
    return None


def _encoded(text: str) -> str:
    return "".join(f"%{ord(c):02X}" for c in text)


def tricks(who: str, todo_id: int) -> list[str]:
    """Spellings of the todo backend's two GET operations (and of neither)."""
    n = str(todo_id)
    return [
        f"/todos/./{who}",
        f"/todos/%2e/{who}",
        f"/todos/%2E/{who}",
        f"/todos//{who}",
        f"//todos/{who}",
        f"/todos/x/../{who}",
        f"/todos/x/%2e%2E/{who}",
        f"/todos/x/.%2e/{who}",
        f"/todos/%2E%2e/todos/{who}",
        f"/{_encoded('todos')}/{who}",
        f"/TODOS/{who}",
        f"/Todos/{who}/{n}",
        f"/todos/%C0%AE/{who}",  # an overlong `.`: not a dot to any decoder
        f"/todos/%EF%BC%8E/{who}",  # a fullwidth dot
        f"/todos/{who}/{n}%2E",
        f"/todos/{who}/./{n}",
        f"/todos/{who}//{n}",
        f"/todos/{who}/{_encoded(n)}",
        f"/todos/{who}/x/..%2F{n}",
        f"/todos/{who}/{n}/..",
        f"/todos/{who}/{n}/%2e%2e",
        f"/todos/{who}/%2e",
        f"/todos/{who}/{n}%2e",
        f"/todos/{who}/{n}/.",
        f"/todos/{who}%2F{n}",
        f"/todos/{who}%2f{n}",
        f"/todos/{who}%5C{n}",
        f"/todos/{who}%5c{n}",
        f"/todos/{who}\\{n}",
        f"/todos/{who}/{n}?limit=../..",
    ]


def test_each_trick_is_refused_or_gated_as_what_the_backend_runs(
    start_proxy: ProxyFactory, todo_backend: Backend
) -> None:
    proxy = start_proxy(
        auth={"mode": "user_http"},
        plans__getonly={"operations": ["getTodo"]},
        plans__listonly={"operations": ["listTodos"]},
    )
    keys = {
        "getonly": add_user(proxy, "gus", plan="getonly"),
        "listonly": add_user(proxy, "lis", plan="listonly"),
    }
    who = unique()
    made = httpx.post(f"{todo_backend.url}/todos/{who}", json={"title": "x"}, trust_env=False)
    todo_id = int(made.json()["id"])
    sent: list[tuple[str, str, Answer]] = []
    posts: list[Answer] = []
    for plan, key in keys.items():
        for path in tricks(who, todo_id):
            auth = [("Authorization", f"Bearer {key}")]
            sent.append((plan, path, send_raw(proxy, "GET", path.encode(), auth)))
        # a POST spelled as a path the plans do not allow: refused, and nothing is added
        posts.append(send_raw(proxy, "POST", f"/todos/x/%2e%2e/{who}".encode(), auth))
    events = by_id(events_when(proxy, len(sent) + 2))
    allowed = {"getonly": "getTodo", "listonly": "listTodos"}
    for plan, path, answer in sent:
        event = events[answer.headers[EVENT_HEADER]]
        ran = operation_run(answer)
        # never is one operation gated while another runs, and never one the plan forbids
        assert ran is None or ran == event.operation_id, (plan, path, ran)
        assert ran in (None, allowed[plan]), (plan, path, ran)
        assert event.status == answer.status
    seen = {(plan, path): answer for plan, path, answer in sent}
    # the gate and the backend read /todos/./who as the list, whoever asks
    dotted = seen[("getonly", f"/todos/./{who}")]
    assert dotted.status == 403 and dotted.json()["operation_id"] == "listTodos"
    assert operation_run(seen[("listonly", f"/todos/./{who}")]) == "listTodos"
    assert operation_run(seen[("getonly", f"/todos/{who}/{_encoded(str(todo_id))}")]) == "getTodo"
    # the event stores the path that was gated and forwarded
    listed = seen[("listonly", f"/todos/x/.%2e/{who}")]
    assert events[listed.headers[EVENT_HEADER]].path == f"/todos/{who}"
    # an encoded slash or backslash: 400, whatever the plan, with the code on the event
    marks = ("%2f", "%5c", "\\")
    ambiguous = [
        p for p in tricks(who, todo_id) if any(m in p.replace(who, "").lower() for m in marks)
    ]
    assert len(ambiguous) == 6
    for plan in keys:
        for path in ambiguous:
            answer = seen[(plan, path)]
            assert answer.status == 400, path
            assert [v["code"] for v in answer.json()["violations"]] == ["ambiguous_path"]
            assert answer.headers["x-pluginlab-violations"] == "1"
            event = events[answer.headers[EVENT_HEADER]]
            assert [v.code for v in event.violations] == ["ambiguous_path"]
    db = str(proxy.db)
    code, out, _ = cli("events", "--db", db, "--code", "ambiguous_path", "--format", "json")
    assert code == 0 and len(out.splitlines()) == 12
    code, out, _ = cli("events", "--db", db, "--filter", "code:ambiguous_path", "--format", "json")
    assert code == 0 and len(out.splitlines()) == 12
    assert all(json.loads(line)["status"] == 400 for line in out.splitlines())
    assert [(p.status, p.json()["operation_id"]) for p in posts] == [(403, "addTodo")] * 2
    assert todo_count(todo_backend, who) == 1


@dataclass
class Seen:
    request_line: bytes
    headers: list[tuple[str, str]]


@contextlib.contextmanager
def recording_backend(answer_head: bytes = b"") -> Iterator[tuple[str, list[Seen]]]:
    """A backend that keeps each request line and header block exactly as it arrived (and adds
    `answer_head`, header lines, to its answers)."""
    seen: list[Seen] = []

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            line = self.rfile.readline(65536).rstrip(b"\r\n")
            fields: list[tuple[str, str]] = []
            for _ in range(200):
                raw = self.rfile.readline(65536).rstrip(b"\r\n")
                if not raw:
                    break
                name, _, value = raw.decode("latin-1").partition(":")
                fields.append((name.strip().lower(), value.strip()))
            seen.append(Seen(line, fields))
            self.wfile.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + answer_head
                + b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
            )

    server = socketserver.ThreadingTCPServer(("127.0.0.1", free_port()), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


SPOOFED = [
    ("X-PluginLab-User-Id", "mallory"),
    ("x-pluginlab-plan", "enterprise"),
    ("X-PLUGINLAB-EVENT-ID", "forged-event"),
    ("X-PluginLab-Violations", "0"),
    ("X-PluginLab-Mock", "example"),
    ("X-PluginLab-Anything", "else"),
    ("X-PluginLab-Replay", "forged.grant"),
    ("X-PluginLab-User-Id", "eve"),
]


def test_the_backend_gets_the_gated_path_and_only_the_proxys_headers(
    start_proxy: ProxyFactory,
) -> None:
    with recording_backend() as (backend, seen):
        proxy = start_proxy(backend=backend)  # auth none, no plan: nothing of its own to say
        targets = [
            b"/todos/./ann/%2e%2E/bob?q=%2e%2E&x=a+b&y=../..&z=%7e",
            b"/todos/%61nn/1?status=caf\xc3\xa9",
            b"/todos//ann/\xff",
            b"/todos/ann%3a1?",
        ]
        answers = [send_raw(proxy, "GET", t, SPOOFED) for t in targets]
    assert [a.status for a in answers] == [200] * 4
    assert len(seen) == 4
    events = by_id(events_when(proxy, 4))
    lines = [s.request_line for s in seen]
    assert lines == [
        b"GET /todos/bob?q=%2e%2E&x=a+b&y=../..&z=%7e HTTP/1.1",
        b"GET /todos/ann/1?status=caf\xc3\xa9 HTTP/1.1",
        b"GET /todos/ann/%FF HTTP/1.1",
        b"GET /todos/ann%3A1 HTTP/1.1",  # an empty query has no bytes to keep
    ]
    for answer, line in zip(answers, lines, strict=True):
        event = events[answer.headers[EVENT_HEADER]]
        # exactly the path and query the proxy routed, checked and stored
        path, _, query = line.decode("utf-8").split(" ")[1].partition("?")
        assert (event.path, event.query or "") == (path, query)
    for answer, backend_saw in zip(answers, seen, strict=True):
        ours = [(k, v) for k, v in backend_saw.headers if k.startswith("x-pluginlab-")]
        assert ours == [("x-pluginlab-event-id", answer.headers[EVENT_HEADER])]
        event = events[answer.headers[EVENT_HEADER]]
        assert event.user_id is None and event.plan is None and event.source == "live"


def test_a_cookie_the_backend_sets_for_one_caller_never_goes_with_anothers_request(
    start_proxy: ProxyFactory,
) -> None:
    session = b"Set-Cookie: session=alice-secret; Path=/\r\n"
    with recording_backend(session) as (backend, seen):
        # by name, not by IP: an HTTP client's cookie jar takes cookies from names only
        proxy = start_proxy(backend=backend.replace("127.0.0.1", "localhost"))
        alice = send_raw(proxy, "GET", b"/todos/alice", [])
        bob = send_raw(proxy, "GET", b"/todos/bob", [])
    assert alice.headers["set-cookie"].startswith("session=alice-secret")  # passed on to her
    assert bob.status == 200 and len(seen) == 2
    assert [k for k, _ in seen[1].headers if k == "cookie"] == []


def test_a_known_caller_is_told_as_the_proxy_knows_them(start_proxy: ProxyFactory) -> None:
    with recording_backend() as (backend, seen):
        proxy = start_proxy(backend=backend, auth={"mode": "user_http"}, plans__pro={})
        key = add_user(proxy, "ivy", plan="pro")
        answer = send_raw(
            proxy, "GET", b"/todos/ivy", [*SPOOFED, ("Authorization", f"Bearer {key}")]
        )
    assert answer.status == 200 and len(seen) == 1
    ours = sorted((k, v) for k, v in seen[0].headers if k.startswith("x-pluginlab-"))
    assert ours == [
        ("x-pluginlab-event-id", answer.headers[EVENT_HEADER]),
        ("x-pluginlab-plan", "pro"),
        ("x-pluginlab-user-id", "ivy"),
    ]


def test_with_jwt_the_backend_gets_the_proxys_authorization_or_none(
    start_proxy: ProxyFactory,
) -> None:
    with recording_backend() as (backend, seen):
        proxy = start_proxy(backend=backend, auth__jwt={"enabled": True})  # auth none: no user
        kept = "Bearer eyJhbGciOiJSUzI1NiJ9.eyJ1aWQiOiJpdnkifQ.c2lnbmVk"
        answer = send_raw(proxy, "GET", b"/todos/ivy", [("Authorization", kept), *SPOOFED])
    assert answer.status == 200 and len(seen) == 1
    assert [v for k, v in seen[0].headers if k == "authorization"] == []
    assert [k for k, _ in seen[0].headers if k.startswith("x-pluginlab-")] == [
        "x-pluginlab-event-id"
    ]
