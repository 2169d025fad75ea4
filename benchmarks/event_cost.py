"""What recording one exchange costs, part by part, in-process (no proxy, no load generator).

    .venv/bin/python benchmarks/event_cost.py [--events 5000] [--batch 200]

Builds --events exchanges of benchmarks/proxy_overhead.py's request (GET /todos/bench?limit=10 on
the todo example, its request checked against the spec, a 200 JSON answer as the backend sends
it), as the recorder hands them to the writer, then measures in this thread, in CPU time:

- building each event as the writer thread does (PendingEvent.finalize), whole, then the parts
  the profile names apart: the response check, and the redaction (of events built already);
- storing them as the writer does (insert_events, --batch events a transaction).

Under the proxy's load, everything the writer does in Python holds the GIL the loop needs (the
inserts let it go while SQLite works): the table's reference is the whole of recording an
event, finalize and insert, measured in the same run.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from mitmproxy import http
from mitmproxy.test import tflow, tutils

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import markdown_table  # noqa: E402
from benchmarks.proxy_overhead import PATH  # noqa: E402
from pluginlab_tui.config import load_config  # noqa: E402
from pluginlab_tui.examples import example_dir  # noqa: E402
from pluginlab_tui.proxy.checks import check_request, check_response  # noqa: E402
from pluginlab_tui.proxy.exchange import Exchange, attach  # noqa: E402
from pluginlab_tui.proxy.recorder import PendingEvent, Recorder  # noqa: E402
from pluginlab_tui.proxy.runtime import Runtime  # noqa: E402
from pluginlab_tui.store.database import open_store  # noqa: E402
from pluginlab_tui.store.event import Event  # noqa: E402
from pluginlab_tui.store.writer import insert_events  # noqa: E402

#: The answer as the todo backend (uvicorn) sends it, and the caller's head as `hey` sends it.
BODY = (
    b'{"todos":[{"id":1,"title":"milk","done":false,"priority":"normal","due":null,'
    b'"created_at":"2026-12-03T14:21:39.190892Z"}],"count":1}'
)
REQUEST_HEADERS = [
    (b"Host", b"127.0.0.1:8080"),
    (b"User-Agent", b"hey/0.0.1"),
    (b"Content-Type", b"text/html"),
    (b"Accept-Encoding", b"gzip"),
]
RESPONSE_HEADERS = [
    (b"date", b"Thu, 03 Dec 2026 14:21:40 GMT"),
    (b"server", b"uvicorn"),
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
]


def pending(runtime: Runtime, recorder: Recorder) -> PendingEvent:
    """One exchange, its request checked, as the recorder hands it to the writer."""
    request = tutils.treq(method=b"GET", path=PATH.encode(), headers=REQUEST_HEADERS, content=b"")
    flow = tflow.tflow(req=request)
    flow.response = tutils.tresp(headers=http.Headers(RESPONSE_HEADERS), content=BODY)
    exchange = Exchange(served=runtime.service.current, client_ip="127.0.0.1")
    attach(flow, exchange)
    check_request(exchange, flow, runtime.config.proxy.max_inflated_bytes)
    exchange.duration_ms = 0.6
    made = recorder._pending(flow, exchange)
    assert made is not None
    return made


def cpu_us(work: Callable[[], object], count: int) -> float:
    """This thread's CPU time for `work`, in microseconds per one of `count`."""
    start = time.thread_time()
    work()
    return (time.thread_time() - start) * 1e6 / count


def measure(events: int, batch: int, folder: Path) -> dict[str, float]:
    todo = example_dir("todo")
    config = load_config(
        None,
        {
            "plugin.manifest": todo / "ai-plugin.json",
            "plugin.spec": todo / "openapi.yaml",
            "store.path": folder / "served.db",
        },
    )
    runtime = Runtime(config)
    runtime.service.start()
    recorder = Recorder(runtime)
    limit = config.proxy.max_inflated_bytes
    try:
        for _ in range(min(events, 500)):  # warm-up: caches, the validator's first use
            pending(runtime, recorder).finalize()
        made = [pending(runtime, recorder) for _ in range(events)]
        built: list[Event] = []
        whole = cpu_us(lambda: built.extend(p.finalize() for p in made), events)
        made = [pending(runtime, recorder) for _ in range(events)]
        checked = cpu_us(
            lambda: [check_response(p.exchange, p.response, limit) for p in made if p.response],
            events,
        )
        copies = [copy.deepcopy(e) for e in built]
        redacted = cpu_us(lambda: [runtime.redactor.event(e) for e in copies], events)
        conn = open_store(folder / "events.db", create=True)
        try:
            stored = cpu_us(
                lambda: [
                    insert_events(conn, built[i : i + batch]) for i in range(0, events, batch)
                ],
                events,
            )
        finally:
            conn.close()
    finally:
        runtime.conn.close()
    return {"finalize": whole, "check": checked, "redact": redacted, "insert": stored}


def report(cost: dict[str, float], events: int, batch: int) -> str:
    total = cost["finalize"] + cost["insert"]
    rest = cost["finalize"] - cost["check"] - cost["redact"]
    rows: Sequence[tuple[str, float]] = [
        ("build the event (PendingEvent.finalize)", cost["finalize"]),
        ("  of which: the response check", cost["check"]),
        ("  of which: the redaction", cost["redact"]),
        ("  of which: the rest (decode, parts, the Event)", rest),
        (f"store it (insert_events, {batch} a transaction)", cost["insert"]),
        ("the whole of recording an event (reference)", total),
    ]
    table = markdown_table(
        ["part", "us per event", "x the whole"],
        [[name, f"{us:.1f}", f"{us / total:.2f}x"] for name, us in rows],
    )
    return (
        f"\nrecording GET {PATH} on the todo example: {events} events, CPU time in this thread\n\n"
        + table
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=200, help="events a transaction")
    args = parser.parse_args()
    if args.events < 1 or args.batch < 1:
        parser.error("--events and --batch must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        cost = measure(args.events, args.batch, Path(tmp))
    print(report(cost, args.events, args.batch))


if __name__ == "__main__":
    main()
