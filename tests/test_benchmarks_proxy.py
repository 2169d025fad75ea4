"""benchmarks/proxy_overhead.py runs end to end with tiny counts and prints its table.

Without --prism (npm and a Prism install are a benchmark's business, not the suite's): every other
target, the ratios against mitmdump, and the line saying the Prism targets were not measured.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.benchmark_run import run_benchmark


def test_proxy_overhead_prints_every_target_with_ratios() -> None:
    if shutil.which("hey") is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "hey"], check=False, capture_output=True)
    if shutil.which("hey") is None:
        pytest.skip(
            "the benchmark's load generator `hey` is not installed and apt-get cannot add it"
        )
    done = run_benchmark(
        "proxy_overhead.py", *"--requests 20 --concurrency 2 --sequential 5 --rounds 2".split()
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line.split("|") for line in done.stdout.splitlines() if line.startswith("| ")]
    names = [cells[1].strip() for cells in rows[1:]]
    assert names == [
        "backend direct",
        "mitmdump -q (reverse)",
        "pluginlab-tui serve",
        "pluginlab-tui serve --strict",
        "pluginlab-tui serve --engine mitmproxy",
    ]
    mitm = next(cells for cells in rows if "mitmdump" in cells[1])
    assert mitm[6].strip() == "1.00x" and mitm[7].strip() == "1.00x"
    assert rows[0][8].strip() == "CPU us per exchange" and mitm[9].strip() == "1.00x"
    assert mitm[2].strip() == mitm[3].strip()  # it records nothing: nothing to wait for
    for cells in rows[1:]:
        assert float(cells[2]) > 0, cells  # every target answered its load
        assert float(cells[8]) > 0, cells  # and its process spent CPU on it
    assert re.search(r"targets against Prism: not measured", done.stdout)
