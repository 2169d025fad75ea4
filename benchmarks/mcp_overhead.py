"""MCP overhead: tools/call on the example app direct, through plain mitmdump, and through
pluginlab-tui serve --mcp, with a JSON answer and with an SSE answer, in one run.

    .venv/bin/python benchmarks/mcp_overhead.py [--requests 3000] [--concurrency 10]
        [--sequential 1000] [--rounds 2]

The example app (examples/app) answers its Streamable HTTP POSTs on an SSE stream, or as JSON
with APP_JSON_RESPONSE=1: one app of each kind, each direct, behind `mitmdump --mode reverse`
with streaming on (`--set stream_large_bodies=1`: every body streamed), and behind
`pluginlab-tui serve --mcp /mcp` (checks and recording on). Every target is up at once, on
loopback. The callers are raw JSON-RPC POSTs, each worker on one kept-alive connection of its
own (the proxy's own backend client: a light caller, see `Session`): it opens one session
(initialize, notifications/initialized), then sends tools/call of `list_cards`. After a
warm-up, each target is measured once per round, rounds interleaved; a target's concurrent
figures come from its round with the higher throughput, its sequential ones from its round with
the lower p50. Every load is bounded (--requests at --concurrency, then
--sequential one at a time).

The table gives the ratios against mitmdump measured in the same run, then the issue's targets
for serve: a sequential p50 no higher than mitmdump's; at least 1.2x mitmdump's throughput where
the app direct is at least twice as fast as mitmdump (else "app-bound": the app is the limit).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import Child, best_of_rounds, markdown_table, processes  # noqa: E402
from pluginlab_tui.examples import Backend, free_port  # noqa: E402
from pluginlab_tui.proxy.backend_client import BACKEND_FAILURES, BackendClient  # noqa: E402
from pluginlab_tui.store import queries  # noqa: E402
from pluginlab_tui.store.database import open_store  # noqa: E402
from pluginlab_tui.store.filter import compile_filter  # noqa: E402

BIN = Path(sys.executable).parent
ENDPOINT = "/mcp"
TOOL = "list_cards"
PROTOCOL_VERSION = "2025-11-25"
ACCEPT = "application/json, text/event-stream"
ANSWERS = {"json": "JSON", "sse": "SSE"}
DIRECT, MITMDUMP, SERVE = "app direct", "mitmdump (reverse, streaming)", "pluginlab-tui serve --mcp"
KINDS = (DIRECT, MITMDUMP, SERVE)
#: Calls per target before the first round.
WARM_UP = 200
#: Throughput over mitmdump's that serve must reach where the app is not the bottleneck.
THROUGHPUT_TARGET = 1.2
#: How much faster than mitmdump the app direct must be for the throughput target to apply.
APP_BOUND_BELOW = 2.0


class CallFailed(Exception):
    """An answer that is not the JSON-RPC result asked for."""


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    session: str
    body: bytes


def _message(answer: Answer) -> dict[str, Any]:
    """The JSON-RPC message of an answer: the body, or the last `data:` of its SSE frames."""
    if answer.content_type.startswith("text/event-stream"):
        lines = answer.body.decode().splitlines()
        data = [line[5:].strip() for line in lines if line.startswith("data:")]
        if not data:
            raise CallFailed(f"HTTP {answer.status}: an event stream without data")
        found = json.loads(data[-1])
    else:
        found = json.loads(answer.body)
    if not isinstance(found, dict):
        raise CallFailed(f"HTTP {answer.status}: not a JSON-RPC message")
    return found


class Session:
    """One MCP session on one kept-alive connection, opened, then tools/call after tools/call.

    The caller is the proxy's own client to backends (proxy/backend_client.py: a request written
    in one piece, its answer read by llhttp): light enough to leave the machine's two cores to
    the app and the proxies (httpx took about 800 us of CPU a call here, more than serve)."""

    def __init__(self, url: str) -> None:
        self.client = BackendClient(url)
        self.fields = [(b"Accept", ACCEPT.encode()), (b"Content-Type", b"application/json")]
        self.ids = itertools.count(1)

    async def open(self) -> Session:
        initialize = {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "mcp_overhead", "version": "1"},
        }
        answer = await self._call("initialize", initialize)
        if answer.session:
            self.fields.append((b"Mcp-Session-Id", answer.session.encode()))
        self.fields.append((b"MCP-Protocol-Version", PROTOCOL_VERSION.encode()))
        note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        sent = await self._send("POST", json.dumps(note).encode())
        if sent.status != 202:
            raise CallFailed(f"notifications/initialized answered HTTP {sent.status}")
        return self

    async def _send(self, method: str, body: bytes) -> Answer:
        async with asyncio.timeout(30):
            upstream = await self.client.request(method, ENDPOINT, self.fields, body)
            try:
                chunks = []
                while chunk := await upstream.read():
                    chunks.append(chunk)
            finally:
                upstream.release()
        kind, session = upstream.header(b"content-type"), upstream.header(b"mcp-session-id")
        return Answer(upstream.status, kind, session, b"".join(chunks))

    async def _call(self, method: str, params: dict[str, Any]) -> Answer:
        rpc_id = next(self.ids)
        body = {"jsonrpc": "2.0", "id": rpc_id, "method": method, "params": params}
        answer = await self._send("POST", json.dumps(body).encode())
        message = _message(answer)
        if message.get("id") != rpc_id or "result" not in message:
            raise CallFailed(f"HTTP {answer.status}: {json.dumps(message)[:200]}")
        if message["result"].get("isError"):
            raise CallFailed(f"{method}: isError: {json.dumps(message['result'])[:200]}")
        return answer

    async def call(self) -> float:
        """One tools/call; its latency in ms."""
        start = time.perf_counter()
        await self._call("tools/call", {"name": TOOL, "arguments": {}})
        return (time.perf_counter() - start) * 1000

    async def close(self) -> None:
        try:
            await self._send("DELETE", b"")
        finally:
            self.client.close()


@dataclass(frozen=True)
class Run:
    """`calls` tools/call at `concurrency`: throughput and latencies."""

    calls: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.calls / self.seconds if self.seconds > 0 else math.nan

    def pct(self, p: float) -> float:
        """The p-th percentile (nearest rank) of the latencies."""
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return math.nan
        return ordered[min(len(ordered) - 1, max(math.ceil(p / 100 * len(ordered)) - 1, 0))]


async def _load(url: str, calls: int, concurrency: int) -> Run:
    workers = max(min(concurrency, calls), 1)
    shares = [calls // workers + (1 if i < calls % workers else 0) for i in range(workers)]
    sessions = [Session(url) for _ in shares]
    try:
        await asyncio.gather(*(s.open() for s in sessions))
        latencies: list[float] = []

        async def work(session: Session, share: int) -> None:
            for _ in range(share):
                latencies.append(await session.call())

        start = time.perf_counter()
        await asyncio.gather(*(work(s, n) for s, n in zip(sessions, shares, strict=True)))
        return Run(calls, time.perf_counter() - start, latencies)
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)


def load(url: str, calls: int, concurrency: int) -> Run:
    """`calls` tools/call at `concurrency` (uvloop when there); a failed call ends the run."""
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:
        pass
    try:
        return asyncio.run(_load(url, calls, concurrency), loop_factory=loop_factory)
    except (CallFailed, *BACKEND_FAILURES) as exc:
        raise SystemExit(f"a call to {url}{ENDPOINT} failed: {exc}") from None


@dataclass(frozen=True)
class Result:
    concurrent: Run
    sequential: Run


def better(a: Result, b: Result) -> Result:
    """The concurrent run with the higher throughput, the sequential one with the lower p50."""
    concurrent = a.concurrent if a.concurrent.rps >= b.concurrent.rps else b.concurrent
    sequential = a.sequential if a.sequential.pct(50) <= b.sequential.pct(50) else b.sequential
    return Result(concurrent, sequential)


@dataclass(frozen=True)
class Target:
    answer: str  # json or sse
    kind: str  # DIRECT, MITMDUMP or SERVE
    url: str
    store: Path | None = None

    @property
    def name(self) -> str:
        return f"{self.answer} {self.kind}"


@contextmanager
def targets(folder: Path, answers: list[str]) -> Iterator[list[Target]]:
    """Every target up at once: the apps first (in parallel), then the proxies in front."""
    backends = {
        answer: Backend("app", env={"APP_JSON_RESPONSE": "1" if answer == "json" else "0"})
        for answer in answers
    }
    with ExitStack() as stack:
        for backend in backends.values():
            stack.callback(backend.stop)
        with ThreadPoolExecutor(len(backends)) as pool:
            list(pool.map(lambda b: b.start(), backends.values()))
        found: list[Target] = []
        children: list[Child] = []
        for answer, backend in backends.items():
            found.append(Target(answer, DIRECT, backend.url))
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            mitm = [str(BIN / "mitmdump"), "-q", "--mode", f"reverse:{backend.url}"]
            mitm += ["--listen-host", "127.0.0.1", "--listen-port", str(port)]
            mitm += ["--set", "stream_large_bodies=1"]
            children.append(Child(mitm, base + "/health"))
            found.append(Target(answer, MITMDUMP, base))
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            place = folder / f"serve-{answer}"
            place.mkdir()
            store = place / "events.db"
            serve = [sys.executable, "-m", "pluginlab_tui", "serve", "--quiet"]
            serve += ["--mcp", ENDPOINT, "--backend", backend.url]
            serve += ["--listen", f"127.0.0.1:{port}", "--db", str(store)]
            children.append(Child(serve, base + "/_pluginlab/health", cwd=place))
            found.append(Target(answer, SERVE, base, store))
        with processes(children):
            yield found


def _ms(value: float) -> str:
    return f"{value:.2f}"


def _ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}x" if reference > 0 else "-"


def report(found: list[Target], best: dict[str, Result], answers: list[str]) -> str:
    rows: list[list[str]] = []
    verdicts: list[str] = []
    for answer in answers:
        by_kind = {t.kind: best[t.name] for t in found if t.answer == answer}
        mitm = by_kind[MITMDUMP]
        for kind in KINDS:
            r = by_kind[kind]
            rows.append(
                [
                    ANSWERS[answer],
                    kind,
                    f"{r.concurrent.rps:.0f}",
                    _ms(r.concurrent.pct(50)),
                    _ms(r.concurrent.pct(99)),
                    _ms(r.sequential.pct(50)),
                    _ms(r.sequential.pct(99)),
                    _ratio(r.concurrent.rps, mitm.concurrent.rps),
                    _ratio(r.sequential.pct(50), mitm.sequential.pct(50)),
                ]
            )
        serve, direct = by_kind[SERVE], by_kind[DIRECT]
        p50, ref = serve.sequential.pct(50), mitm.sequential.pct(50)
        latency = f"sequential p50 {p50:.2f} ms vs mitmdump {ref:.2f} ms: "
        latency += "met" if p50 <= ref else "missed"
        headroom = direct.concurrent.rps / mitm.concurrent.rps
        if headroom >= APP_BOUND_BELOW:
            ratio = serve.concurrent.rps / mitm.concurrent.rps
            throughput = f"throughput {ratio:.2f}x mitmdump (target {THROUGHPUT_TARGET}x): "
            throughput += "met" if ratio >= THROUGHPUT_TARGET else "missed"
        else:
            throughput = (
                f"throughput app-bound (the app direct is {headroom:.2f}x mitmdump, "
                f"under {APP_BOUND_BELOW:g}x)"
            )
        verdicts.append(f"- {ANSWERS[answer]}: {latency}; {throughput}")
    header = ["answer", "target", "req/s", "p50 ms", "p99 ms", "seq p50 ms", "seq p99 ms"]
    header += ["req/s x mitmdump", "seq p50 x mitmdump"]
    table = markdown_table(header, rows, left=2)
    return table + "\n\nTargets for pluginlab-tui serve --mcp (issue 13):\n" + "\n".join(verdicts)


def stored(store: Path) -> int:
    """Events on the MCP endpoint in a stopped serve's store."""
    conn = open_store(store)
    try:
        return queries.count(conn, compile_filter(f"path:{ENDPOINT}"))
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000, help="calls at --concurrency")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--sequential", type=int, default=1000, help="calls one at a time")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds")
    parser.add_argument(
        "--answers", default="json,sse", help="json, sse or both (json,sse): the app's answers"
    )
    args = parser.parse_args()
    answers = [a.strip() for a in args.answers.split(",") if a.strip()]
    if not answers or any(a not in ANSWERS for a in answers):
        parser.error("--answers takes json, sse or json,sse")
    for name in ("requests", "concurrency", "sequential", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        began = time.monotonic()
        with targets(Path(tmp), answers) as found:
            print(f"  {len(found)} targets up in {time.monotonic() - began:.1f} s", file=sys.stderr)
            by_name = {t.name: t for t in found}
            for target in found:
                load(target.url, min(WARM_UP, args.requests), args.concurrency)
                load(target.url, min(WARM_UP, args.sequential), 1)

            def measure(name: str) -> Result:
                url = by_name[name].url
                result = Result(
                    load(url, args.requests, args.concurrency), load(url, args.sequential, 1)
                )
                print(
                    f"  {name}: {result.concurrent.rps:.0f} req/s, "
                    f"seq p50 {result.sequential.pct(50):.2f} ms",
                    file=sys.stderr,
                )
                return result

            best = best_of_rounds(list(by_name), args.rounds, measure, better)
        notes = [
            f"{ANSWERS[t.answer]}: serve stored {stored(t.store)} events on {ENDPOINT}"
            for t in found
            if t.store is not None
        ]
    print(
        f"\ntools/call {TOOL} on the example app; {args.requests} calls at {args.concurrency} "
        f"concurrent (a session per worker), then {args.sequential} sequential; best of "
        f"{args.rounds} interleaved round(s)\n"
    )
    print(report(found, best, answers))
    print("\n" + "; ".join(notes))


if __name__ == "__main__":
    main()
