"""Where an exchange's time goes in pluginlab-tui serve: py-spy under the benchmark's load.

    .venv/bin/python benchmarks/profile_serve.py [--requests 10000] [--concurrency 10] [--strict]
        [--rate 250] [--raw FILE]

Starts the todo backend and `serve --quiet` in front of it (as benchmarks/proxy_overhead.py
does), warms up, then samples serve with py-spy (a dev dependency; it needs ptrace, so run
as root or with kernel.yama.ptrace_scope = 0) while `hey` sends --requests GETs at
--concurrency. Prints, per thread, how busy it was, and each part's share of the samples and its
microseconds of CPU per exchange: on the event loop, the stage a sample is in (the frame just
under the pipeline's hook) or mitmproxy's own work outside the stages; in the writer thread, the
step of the batch (finalising an event: its redaction and response checks; inserting it).
--raw keeps py-spy's collapsed stacks (for a flame graph).
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import listening_pid, markdown_table, process, todo_config  # noqa: E402
from benchmarks.proxy_overhead import PATH, hey  # noqa: E402
from pluginlab_tui.examples import Backend, free_port  # noqa: E402

#: Per thread: the frames under which a sample is put in a part (the next frame names it).
PIVOTS = {
    "MainThread": ("Pipeline._run",),
    "pluginlab-writer": ("EventWriter._write", "PendingEvent.finalize"),
}
#: Leaf functions of a thread that waits (py-spy does not always see that it is idle).
IDLE = {"Condition.wait", "Queue.get", "watch", "EpollSelector.select", "select"}
#: Frames that only pass a call on: the part is named by the frame under them.
WRAPPERS = {"request_stage.<locals>.run_async", "_finalize", "EventWriter._insert"}


def frame_name(frame: str) -> str:
    """`Function (path/to/file.py:12)` as `Function (dir/file.py)`."""
    function, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    return f"{function} ({'/'.join(path.split('/')[-2:])})" if path else function


def part_of(thread: str, frames: list[str]) -> str:
    """The part a sample of `thread` (its frames, outermost first) is counted in."""
    pivots = PIVOTS.get(thread, ())
    functions = [f.partition(" (")[0] for f in frames]
    at = max((i for i, f in enumerate(functions) if f in pivots), default=None)
    if at is None:
        leaf = functions[-1] if functions else "?"
        if thread == "MainThread":
            if "write" in leaf or "_read_ready" in leaf or "sock" in leaf:
                return "socket reads and writes (outside the stages)"
            return "mitmproxy and asyncio (connections, HTTP/1, hook dispatch)"
        return f"other ({frame_name(frames[-1]) if frames else '?'})"
    for frame in frames[at + 1 :]:
        if frame.partition(" (")[0] not in WRAPPERS | set(pivots):
            return frame_name(frame)
    return f"{functions[at]} itself"


def profile(raw: Path) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """The samples of a py-spy raw (collapsed) file per thread, and per part of each thread."""
    threads: Counter[str] = Counter()
    parts: dict[str, Counter[str]] = {}
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        first, *frames = stack.split(";")
        if frames and frames[-1].partition(" (")[0] in IDLE:
            continue
        thread = first.split(": ", 1)[-1].strip() if ": " in first else first
        threads[thread] += int(count)
        parts.setdefault(thread, Counter())[part_of(thread, frames)] += int(count)
    return threads, parts


def report(
    threads: Counter[str], parts: dict[str, Counter[str]], rate: int, seconds: float, requests: int
) -> str:
    out = []
    rows = [
        [t, f"{n}", f"{100 * n / (rate * seconds):.0f}%", f"{n / rate / requests * 1e6:.0f}"]
        for t, n in threads.most_common()
    ]
    out.append(markdown_table(["thread", "samples", "busy", "us per exchange"], rows))
    for thread, counter in parts.items():
        total = sum(counter.values())
        rows = [
            [p, f"{100 * n / total:.1f}%", f"{n / rate / requests * 1e6:.1f}"]
            for p, n in counter.most_common(14)
        ]
        out.append(f"\n{thread}:\n")
        out.append(markdown_table(["part", "share", "us per exchange"], rows))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--strict", action="store_true", help="profile serve --strict")
    parser.add_argument("--raw", type=Path, help="keep py-spy's collapsed stacks here")
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        raise SystemExit("this profile needs py-spy (scripts/bootstrap installs it)")
    with Backend("todo") as backend, tempfile.TemporaryDirectory() as tmp:
        for title in ("milk", "bread", "eggs"):
            httpx.post(f"{backend.url}/todos/bench", json={"title": title}, trust_env=False)
        port = free_port()
        config = todo_config(
            Path(tmp), port, backend.url, proxy=f"strict = {str(args.strict).lower()}"
        )
        serve = [sys.executable, "-m", "pluginlab_tui", "serve", "--quiet", "--config", str(config)]
        url = f"http://127.0.0.1:{port}"
        with process(serve, url + "/_pluginlab/health"):
            hey(url + PATH, min(500, args.requests), args.concurrency)  # warm-up
            pid = listening_pid(port)
            raw = args.raw or Path(tmp) / "profile.txt"
            sampler = subprocess.Popen(
                [spy, "record", "-p", str(pid), "-r", str(args.rate), "-f", "raw"]
                + ["--threads", "-o", str(raw), "--nonblocking"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            load = hey(url + PATH, args.requests, args.concurrency)
            sampler.send_signal(signal.SIGINT)
            _, err = sampler.communicate(timeout=60)
            if not raw.exists():
                raise SystemExit(f"py-spy wrote no profile: {err.strip()[-300:]}")
            seconds = args.requests / load.rps
            threads, parts = profile(raw)
    print(
        f"\nserve{' --strict' if args.strict else ''}: GET {PATH}, {args.requests} requests at "
        f"{args.concurrency} concurrent, {load.rps:.0f} req/s; py-spy at {args.rate} Hz "
        f"(samples of threads on CPU only)\n"
    )
    print(report(threads, parts, args.rate, seconds, args.requests))


if __name__ == "__main__":
    main()
