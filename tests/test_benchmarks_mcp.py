"""benchmarks/mcp_overhead.py runs end to end with tiny counts and prints its table and targets.

SSE answers only (the streamed path), so that three targets start instead of six.
"""

from __future__ import annotations

import re

from tests.benchmark_run import run_benchmark


def test_mcp_overhead_prints_every_target_with_ratios_and_verdicts() -> None:
    done = run_benchmark(
        "mcp_overhead.py", *"--requests 4 --concurrency 2 --sequential 3 --answers sse".split()
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    rows = [line for line in out.splitlines() if re.match(r"\| (JSON|SSE) ", line)]
    targets = [r.split("|")[2].strip() for r in rows]
    kinds = ["app direct", "mitmdump (reverse, streaming)", "pluginlab-tui serve --mcp"]
    assert targets == kinds
    assert all(r.split("|")[8].strip() == "1.00x" for r in rows if "mitmdump" in r)
    verdict = next(line for line in out.splitlines() if line.startswith("- SSE: "))
    assert re.search(r"sequential p50 [\d.]+ ms vs mitmdump [\d.]+ ms: (met|missed)", verdict)
    assert re.search(r"throughput ([\d.]+x mitmdump .*: (met|missed)|app-bound)", verdict)
    stored = re.search(r"SSE: serve stored (\d+) events on /mcp", out)
    assert stored and int(stored.group(1)) >= 2 * (4 + 3)  # both rounds' calls recorded
