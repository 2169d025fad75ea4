"""Proxy overhead: the example backend direct, plain mitmdump, and pluginlab-tui serve, in one run.

    .venv/bin/python benchmarks/proxy_overhead.py [--requests 3000] [--concurrency 10] [--prism]

Load comes from `hey` (Debian package `hey`; installed with apt-get when missing and run as
root). Every target is on loopback; every load is bounded by --requests. Prints a table with each
target's throughput and latency and the ratio of its throughput to plain mitmdump's.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import process, todo_config  # noqa: E402
from pluginlab_tui.examples import Backend, example_dir, free_port  # noqa: E402

BIN = Path(sys.executable).parent
PATH = "/todos/bench?limit=10"


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    seq_rps: float
    seq_p50_ms: float


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


def hey(url: str, requests: int, concurrency: int) -> tuple[float, float, float]:
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
    return rps, pct("50"), pct("99")


def measure(name: str, base: str, requests: int, concurrency: int) -> Result:
    url = base + PATH
    hey(url, min(200, requests), concurrency)  # warm-up
    rps, p50, p99 = hey(url, requests, concurrency)
    seq_rps, seq_p50, _ = hey(url, max(requests // 3, 1), 1)
    print(f"  {name}: {rps:.0f} req/s", file=sys.stderr)
    return Result(name, rps, p50, p99, seq_rps, seq_p50)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--prism", action="store_true", help="also measure Stoplight Prism")
    args = parser.parse_args()
    results: list[Result] = []
    with Backend("todo") as backend, tempfile.TemporaryDirectory() as tmp:
        for title in ("milk", "bread", "eggs"):
            httpx.post(f"{backend.url}/todos/bench", json={"title": title}, trust_env=False)
        results.append(measure("backend direct", backend.url, args.requests, args.concurrency))

        port = free_port()
        mitm = [str(BIN / "mitmdump"), "-q", "--mode", f"reverse:{backend.url}"]
        mitm += ["--listen-host", "127.0.0.1", "--listen-port", str(port)]
        with process(mitm, f"http://127.0.0.1:{port}/health"):
            results.append(
                measure(
                    "mitmdump -q (reverse)",
                    f"http://127.0.0.1:{port}",
                    args.requests,
                    args.concurrency,
                )
            )

        for strict in (False, True):
            port = free_port()
            folder = Path(tmp) / f"serve-{strict}"
            folder.mkdir()
            config = todo_config(folder, port, backend.url, proxy=f"strict = {str(strict).lower()}")
            serve = [
                sys.executable,
                "-m",
                "pluginlab_tui",
                "serve",
                "--quiet",
                "--config",
                str(config),
            ]
            name = "pluginlab-tui serve" + (" --strict" if strict else "")
            with process(serve, f"http://127.0.0.1:{port}/_pluginlab/health"):
                results.append(
                    measure(name, f"http://127.0.0.1:{port}", args.requests, args.concurrency)
                )

        if args.prism:
            port = free_port()
            with prism(example_dir("todo") / "openapi.yaml", backend.url, port) as ok:
                if ok:
                    results.append(
                        measure(
                            "prism proxy --errors",
                            f"http://127.0.0.1:{port}",
                            args.requests,
                            args.concurrency,
                        )
                    )

    reference = next(r for r in results if r.name.startswith("mitmdump"))
    print(
        f"\nGET {PATH} on the todo example; {args.requests} requests at "
        f"{args.concurrency} concurrent, then {max(args.requests // 3, 1)} sequential\n"
    )
    print(
        f"| {'target':<28} | {'req/s':>7} | {'p50 ms':>7} | {'p99 ms':>7} | {'seq req/s':>9} "
        f"| {'seq p50 ms':>10} | {'x mitmdump':>10} |"
    )
    print(f"|{'-' * 30}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 11}|{'-' * 12}|{'-' * 12}|")
    for r in results:
        print(
            f"| {r.name:<28} | {r.rps:>7.0f} | {r.p50_ms:>7.1f} | {r.p99_ms:>7.1f} "
            f"| {r.seq_rps:>9.0f} | {r.seq_p50_ms:>10.2f} | {r.rps / reference.rps:>9.2f}x |"
        )


if __name__ == "__main__":
    main()
