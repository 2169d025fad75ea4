"""Proxy overhead: the example backend direct, plain mitmdump, pluginlab-tui serve (and
--strict, and on mitmproxy's own server with --engine mitmproxy, to show what the front gives),
and optionally Stoplight Prism, in one run.

    .venv/bin/python benchmarks/proxy_overhead.py [--requests 3000] [--concurrency 10]
        [--sequential 1000] [--rounds 2] [--prism]

Every target is up at once, on loopback, in front of one todo backend. A serve target's writer
may still be behind when its load ends: before the next load the script waits until it has
written every event, and "recorded req/s" counts that wait in (the requests over the load's time
plus the wait). "CPU us per exchange" is the CPU time of the target's process (its threads',
from /proc/PID/task/*/schedstat) over that load and wait, per request: it moves far less than
throughput with what else the machine runs. After a warm-up, each target is measured once per
round, rounds interleaved (a, b, c, a, b, c); a target's concurrent figures (throughput, p99,
CPU) come from its round with the higher throughput, its sequential p50 from its round with the
lower p50. Load comes from `hey` (Debian package `hey`; installed with apt-get when missing and
run as root); every load is bounded (--requests at --concurrency, then --sequential one at a
time). The table gives each target's ratios against mitmdump and, with --prism, against Prism,
then the performance issue's targets: serve at 1.2x Prism's throughput or more with a p99 and a
sequential p50 no higher than Prism's, serve --strict at 1.0x or more.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402
    Child,
    best_of_rounds,
    listening_pid,
    markdown_table,
    process,
    process_cpu_s,
    processes,
    todo_config,
)
from pluginlab_tui.examples import Backend, example_dir, free_port  # noqa: E402
from pluginlab_tui.wire import HEALTH_ROUTE, PROBE_HEADER  # noqa: E402

BIN = Path(sys.executable).parent
PATH = "/todos/bench?limit=10"
DIRECT, MITMDUMP, SERVE, STRICT, ON_MITMPROXY, PRISM = (
    "backend direct",
    "mitmdump -q (reverse)",
    "pluginlab-tui serve",
    "pluginlab-tui serve --strict",
    "pluginlab-tui serve --engine mitmproxy",
    "prism proxy --errors",
)
#: Requests per target (at --concurrency, then sequential) before the first round.
WARM_UP = 200
#: The issue's targets against Prism: serve's throughput, serve --strict's throughput.
SERVE_TARGET, STRICT_TARGET = 1.2, 1.0


@dataclass(frozen=True)
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    #: Requests a second counted until the last of their events is in the store (serve: its
    #: writer may still be behind when the load ends); the same as rps for what records nothing.
    recorded_rps: float = 0.0
    #: CPU time of the target's process per request of the load, its writer's catch-up included
    #: (microseconds, from /proc): what an exchange costs it, whatever else runs beside it.
    cpu_us: float = 0.0


@dataclass(frozen=True)
class Result:
    concurrent: Run
    sequential: Run


def better(a: Result, b: Result) -> Result:
    """The concurrent run with the higher throughput, the sequential one with the lower p50."""
    concurrent = a.concurrent if a.concurrent.rps >= b.concurrent.rps else b.concurrent
    sequential = a.sequential if a.sequential.p50_ms <= b.sequential.p50_ms else b.sequential
    return Result(concurrent, sequential)


def ensure_hey() -> str:
    found = shutil.which("hey")
    if found:
        return found
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-q", "hey"], check=False, capture_output=True)
        found = shutil.which("hey")
    if not found:
        raise SystemExit("this benchmark needs `hey` (apt-get install hey)")
    return found


def hey(url: str, requests: int, concurrency: int) -> Run:
    out = subprocess.run(
        [
            ensure_hey(),
            "-n",
            str(requests),
            "-c",
            str(concurrency),
            "-disable-keepalive=false",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        match = re.search(rf"{p}% in ([\d.]+) secs", out)
        return float(match.group(1)) * 1000 if match else float("nan")

    errors = re.search(r"Error distribution:(.*)", out, re.S)
    if errors:
        print(f"  ! errors against {url}:{errors.group(1)[:300]}", file=sys.stderr)
    return Run(rps, pct("50"), pct("99"))


@contextmanager
def prism(spec: Path, backend: str, port: int) -> Iterator[bool]:
    """Stoplight Prism's validating proxy, installed from npm into benchmarks/.cache.

    Yields False (the row is skipped, with a note) when npm or Prism is missing, or when Prism
    does not answer the benchmark's request with 200 and an invalid one with 422.
    """
    cache = ROOT / "benchmarks" / ".cache" / "prism"
    binary = cache / "node_modules" / ".bin" / "prism"
    if not binary.exists() and shutil.which("npm"):
        cache.mkdir(parents=True, exist_ok=True)
        print("  installing @stoplight/prism-cli with npm ...", file=sys.stderr)
        install = subprocess.run(
            ["npm", "install", "--prefix", str(cache), "--no-audit", "--no-fund"]
            + ["@stoplight/prism-cli@5"],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if install.returncode != 0:
            tail = (install.stderr.strip().splitlines() or ["no output"])[-1]
            print(f"  (npm install failed: {tail})", file=sys.stderr)
    if not binary.exists():
        print("  (Prism row skipped: npm or @stoplight/prism-cli not available)", file=sys.stderr)
        yield False
        return
    # `prism proxy <document> <upstream>`: the upstream is the backend, as for the other rows;
    # logging off, like mitmdump -q and serve --quiet.
    command = [str(binary), "proxy", str(spec), backend, "--errors"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--verboseLevel", "silent"]
    base = f"http://127.0.0.1:{port}"
    with process(command, base + "/health", cwd=cache):
        valid = httpx.get(base + PATH, timeout=10, trust_env=False)
        invalid = httpx.get(base + "/todos/bench?limit=0", timeout=10, trust_env=False)
        if valid.status_code != 200 or invalid.status_code != 422:
            print(
                f"  (Prism row skipped: it answered {valid.status_code} to a valid request and "
                f"{invalid.status_code} to an invalid one, expected 200 and 422)",
                file=sys.stderr,
            )
            yield False
            return
        yield True


@contextmanager
def targets(folder: Path, backend: str, with_prism: bool) -> Iterator[dict[str, str]]:
    """Every target up at once in front of `backend`: its name to its base URL."""
    found = {DIRECT: backend}
    children: list[Child] = []
    port = free_port()
    mitm = [str(BIN / "mitmdump"), "-q", "--mode", f"reverse:{backend}"]
    mitm += ["--listen-host", "127.0.0.1", "--listen-port", str(port)]
    children.append(Child(mitm, f"http://127.0.0.1:{port}/health"))
    found[MITMDUMP] = f"http://127.0.0.1:{port}"
    for name, setting in (
        (SERVE, ""),
        (STRICT, "strict = true"),
        (ON_MITMPROXY, 'engine = "mitmproxy"'),
    ):
        port = free_port()
        place = folder / name.rsplit(" ", 1)[-1].strip("-")
        place.mkdir()
        config = todo_config(place, port, backend, proxy=setting)
        serve = [sys.executable, "-m", "pluginlab_tui", "serve", "--quiet", "--config", str(config)]
        children.append(Child(serve, f"http://127.0.0.1:{port}/_pluginlab/health"))
        found[name] = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        stack.enter_context(processes(children))
        if with_prism:
            port = free_port()
            spec = example_dir("todo") / "openapi.yaml"
            if stack.enter_context(prism(spec, backend, port)):
                found[PRISM] = f"http://127.0.0.1:{port}"
        yield found


#: The targets that record: each is let finish writing its events before the next load starts.
SERVES = (SERVE, STRICT, ON_MITMPROXY)
#: The longest wait for a target's writer to catch up (seconds).
SETTLE_S = 60.0


def settle(base: str) -> tuple[int, float]:
    """Wait until serve at `base` has written every event of the load just sent: its writer may
    be behind when the load ends (on two cores the load generator, the backend and the loop
    leave it little), and would take CPU from the next target's load. Returns the events still
    queued when the load ended and the seconds they took. The health probe is not recorded."""
    started = time.monotonic()
    first: int | None = None
    while time.monotonic() - started < SETTLE_S:
        health = httpx.get(
            base + HEALTH_ROUTE, headers={PROBE_HEADER: "1"}, timeout=10, trust_env=False
        ).json()
        depth = int(health.get("queue_depth", 0))
        first = depth if first is None else first
        if depth == 0:
            break
        time.sleep(0.02)
    waited = time.monotonic() - started if first else 0.0
    time.sleep(0.2)  # the batch taken last is written
    return first or 0, waited


def report(best: dict[str, Result]) -> str:
    mitm, prism_result = best[MITMDUMP], best.get(PRISM)
    header = ["target", "req/s", "recorded req/s", "p99 ms", "seq p50 ms", "req/s x mitmdump"]
    header += ["seq p50 x mitmdump", "CPU us per exchange", "CPU x mitmdump"] + (
        ["req/s x Prism", "p99 x Prism", "seq p50 x Prism", "CPU x Prism"] if prism_result else []
    )
    rows: list[list[str]] = []
    for name, r in best.items():
        recorded = r.concurrent.recorded_rps or r.concurrent.rps
        row = [name, f"{r.concurrent.rps:.0f}", f"{recorded:.0f}", f"{r.concurrent.p99_ms:.1f}"]
        row += [f"{r.sequential.p50_ms:.2f}", _ratio(r.concurrent.rps, mitm.concurrent.rps)]
        row += [_ratio(r.sequential.p50_ms, mitm.sequential.p50_ms)]
        row += [f"{r.concurrent.cpu_us:.0f}", _ratio(r.concurrent.cpu_us, mitm.concurrent.cpu_us)]
        if prism_result:
            row += [_ratio(r.concurrent.rps, prism_result.concurrent.rps)]
            row += [_ratio(r.concurrent.p99_ms, prism_result.concurrent.p99_ms)]
            row += [_ratio(r.sequential.p50_ms, prism_result.sequential.p50_ms)]
            row += [_ratio(r.concurrent.cpu_us, prism_result.concurrent.cpu_us)]
        rows.append(row)
    lines = [markdown_table(header, rows), ""]
    if prism_result is None:
        lines.append("- targets against Prism: not measured (run with --prism)")
        return "\n".join(lines)
    for name, target in ((SERVE, SERVE_TARGET), (STRICT, STRICT_TARGET)):
        r = best[name]
        ratio = r.concurrent.rps / prism_result.concurrent.rps
        checks = [f"throughput {ratio:.2f}x Prism (target {target:g}x): {_met(ratio >= target)}"]
        kept = r.concurrent.recorded_rps / prism_result.concurrent.rps
        checks.append(f"counted until every event is stored {kept:.2f}x")
        if name == SERVE:
            p99, ref = r.concurrent.p99_ms, prism_result.concurrent.p99_ms
            checks.append(f"p99 {p99:.1f} ms vs Prism {ref:.1f} ms: {_met(p99 <= ref)}")
            p50, ref = r.sequential.p50_ms, prism_result.sequential.p50_ms
            checks.append(f"sequential p50 {p50:.2f} ms vs Prism {ref:.2f} ms: {_met(p50 <= ref)}")
        lines.append(f"- {name}: " + "; ".join(checks))
    return "\n".join(lines)


def _ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}x" if reference > 0 else "-"


def _met(ok: bool) -> str:
    return "met" if ok else "missed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000, help="requests at --concurrency")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--sequential", type=int, default=1000, help="requests one at a time")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds")
    parser.add_argument("--prism", action="store_true", help="also measure Stoplight Prism")
    args = parser.parse_args()
    for name in ("requests", "concurrency", "sequential", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    with Backend("todo") as backend, tempfile.TemporaryDirectory() as tmp:
        for title in ("milk", "bread", "eggs"):
            httpx.post(f"{backend.url}/todos/bench", json={"title": title}, trust_env=False)
        with targets(Path(tmp), backend.url, args.prism) as found:
            for base in found.values():
                hey(base + PATH, min(WARM_UP, args.requests), args.concurrency)
                hey(base + PATH, min(WARM_UP, args.sequential), 1)

            pids = {
                name: listening_pid(int(base.rsplit(":", 1)[1])) for name, base in found.items()
            }

            def measure(name: str) -> Result:
                url = found[name] + PATH
                before = process_cpu_s(pids[name])
                concurrent = hey(url, args.requests, args.concurrency)
                behind, drain_s = settle(found[name]) if name in SERVES else (0, 0.0)
                load_s = args.requests / concurrent.rps
                concurrent = dataclasses.replace(
                    concurrent,
                    recorded_rps=args.requests / (load_s + drain_s),
                    cpu_us=(process_cpu_s(pids[name]) - before) * 1e6 / args.requests,
                )
                result = Result(concurrent, hey(url, args.sequential, 1))
                if name in SERVES:
                    settle(found[name])
                print(
                    f"  {name}: {concurrent.rps:.0f} req/s ({concurrent.recorded_rps:.0f} "
                    f"recorded: {behind} events still to write when the load ended), "
                    f"seq p50 {result.sequential.p50_ms:.2f} ms",
                    file=sys.stderr,
                )
                return result

            best = best_of_rounds(list(found), args.rounds, measure, better)
    print(
        f"\nGET {PATH} on the todo example; {args.requests} requests at {args.concurrency} "
        f"concurrent, then {args.sequential} sequential; every target up at once, best of "
        f"{args.rounds} interleaved round(s)\n"
    )
    print(report(best))


if __name__ == "__main__":
    main()
