"""A second, real test plugin: a starlette backend that breaks fixtures/lab.yaml on demand.

The example backend cannot send a wrong Content-Type, an empty body, a huge or gzip-encoded body,
or cut its answer short; this one does, by `GET /v1/report?mode=...`. It runs under uvicorn in a
thread of the test process on a free loopback port, and keeps a log of the calls it received so
that a test can prove the backend was (not) called.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from pluginlab_tui.examples import free_port
from tests.bombs import gzip_bomb, harmless_gzip
from tests.harness import TODO

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LAB_SPEC = FIXTURES / "lab.yaml"
LAB_MANIFEST = FIXTURES / "lab-plugin.json"

#: Seconds the `slow` and `hang` modes wait; the lab proxy's slow_ms and timeout_s sit between.
SLOW_S = 1.2
HANG_S = 4.0
#: Characters of the `big` report's note: over the 100,000 of the plugin profile.
BIG_CHARS = 120_000
#: What the `gzip_bomb` mode inflates to (about 1 MB as sent); `gzip_noise` is as large as sent
#: and inflates to the same size (the harmless twin).
BOMB_BYTES = 1 << 30
_BOMBS: dict[str, bytes] = {}


def bomb_body(mode: str) -> bytes:
    """The gzip_bomb / gzip_noise body, built once per process."""
    if mode not in _BOMBS:
        _BOMBS["gzip_bomb"] = bomb = gzip_bomb(BOMB_BYTES)
        _BOMBS["gzip_noise"] = harmless_gzip(len(bomb))
    return _BOMBS[mode]


def report(items: int = 1, note: str = "ok", bad_at: int | None = None) -> dict[str, Any]:
    """A report body; with bad_at, item number bad_at has a string where an integer belongs."""
    rows: list[dict[str, Any]] = [{"n": i} for i in range(items)]
    if bad_at is not None:
        rows[bad_at] = {"n": "seventy"}
    return {"items": rows, "note": note}


def as_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def gzipped(value: Any) -> Response:
    return Response(
        gzip.compress(as_json(value)),
        headers={"Content-Encoding": "gzip"},
        media_type="application/json",
    )


def brotli_encoded(value: Any) -> Response:
    import brotli  # mitmproxy depends on it (Content-Encoding: br)

    return Response(
        brotli.compress(as_json(value)),
        headers={"Content-Encoding": "br"},
        media_type="application/json",
    )


def lab_app(calls: list[tuple[str, str]], event_ids: list[str] | None = None) -> Any:
    """The lab backend; each request it receives is appended to `calls` as (method, path?query),
    and the X-PluginLab-Event-Id it came with to `event_ids`."""

    async def search(request: Request) -> Response:
        return JSONResponse({"hits": [request.query_params.get("q", "")]})

    async def ok(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def get_note(request: Request) -> Response:
        note: dict[str, Any] = {"id": int(request.path_params["note_id"]), "text": "hello"}
        if request.query_params.get("leak") == "true":
            note["secret"] = "s3cret"
        return JSONResponse(note)

    async def put_note(request: Request) -> Response:
        raw = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        try:
            data = json.loads(raw)
        except ValueError:
            data = {}
        text = data.get("text") if isinstance(data, dict) else None
        return JSONResponse({"id": int(request.path_params["note_id"]), "text": str(text or "")})

    async def report_mode(request: Request) -> Response:
        mode = request.query_params.get("mode", "good")
        if mode == "text":
            return PlainTextResponse("all good")
        if mode == "untyped":
            return Response(as_json(report()))
        if mode == "empty":
            return Response(status_code=200)
        if mode == "big":
            return JSONResponse(report(note="x" * BIG_CHARS))
        if mode == "big_gzip":
            return gzipped(report(note="x" * BIG_CHARS))
        if mode == "gzip":
            return gzipped(report(items=100, note="zipped"))
        if mode == "gzip_bad":
            return gzipped(report(items=100, note="zipped", bad_at=70))
        if mode in ("br", "br_bad"):
            return brotli_encoded(report(100, "brotli", bad_at=70 if mode == "br_bad" else None))
        if mode == "big_multibyte":  # over 100,000 bytes, under 100,000 characters
            return JSONResponse(report(note="é" * (BIG_CHARS // 2)))
        if mode == "stream_big":  # 300,000 bytes in pieces, no Content-Length
            pieces = (b" " * 30_000 for _ in range(10))
            return StreamingResponse(pieces, media_type="application/json")
        if mode in ("gzip_bomb", "gzip_noise"):
            return Response(
                bomb_body(mode),
                headers={"Content-Encoding": "gzip"},
                media_type="application/json",
            )
        if mode in ("slow", "hang"):
            await asyncio.sleep(SLOW_S if mode == "slow" else HANG_S)
        if mode in ("latin1", "latin1_mislabelled"):
            charset = "iso-8859-1" if mode == "latin1" else "utf-8"
            body = json.dumps(report(note="café"), ensure_ascii=False).encode("latin-1")
            return Response(body, headers={"Content-Type": f"application/json; charset={charset}"})
        return JSONResponse(report())

    routes = Starlette(
        routes=[
            Route("/v1/search", search),
            Route("/v1/secure", ok),
            Route("/v1/keyed", ok),
            Route("/v1/notes/{note_id:int}", get_note, methods=["GET"]),
            Route("/v1/notes/{note_id:int}", put_note, methods=["PUT"]),
            Route("/v1/report", report_mode),
            Route("/health", ok),
        ]
    )

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"").decode("latin-1")
            calls.append((scope["method"], scope["path"] + (f"?{query}" if query else "")))
            if event_ids is not None:
                headers = dict(scope["headers"])
                event_ids.append(headers.get(b"x-pluginlab-event-id", b"").decode("latin-1"))
            if scope["path"] == "/v1/report" and query == "mode=cut":
                # Promise 1,000 bytes, send 10, then fail: the connection is cut mid-body.
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": b"0123456789", "more_body": True})
                raise RuntimeError("the lab backend cuts this answer short")
        await routes(scope, receive, send)

    return app


class LabBackend:
    """The lab backend under uvicorn in a thread: `.url`, `.calls`; a context manager."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.calls: list[tuple[str, str]] = []
        self.event_ids: list[str] = []
        config = uvicorn.Config(
            lab_app(self.calls, self.event_ids),
            host="127.0.0.1",
            port=self.port,
            log_level="critical",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LabBackend:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the lab backend did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def lab_sections(**extra: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Config sections pointing the proxy at the lab plugin's files (merge into todo_sections)."""
    plugin = {"manifest": str(LAB_MANIFEST), "spec": str(LAB_SPEC), "logo": str(TODO / "logo.png")}
    return {"plugin": {**plugin, **extra.pop("plugin", {})}, **extra}
