"""Bombs: the proxy's memory and loop while it takes decompression and alias bombs.

    .venv/bin/python benchmarks/bombs.py [--rounds 3]

Loopback only, bounded by --rounds. One `serve` process in front of the lab backend
(tests/e2e/lab.py) takes, each beside a harmless twin of the same size as sent:
  - a gzip request bomb: 1 GiB of zeros in about 1 MB (twin: 1 MB of random bytes, gzipped);
  - a gzip response bomb from the backend (`/v1/report?mode=gzip_bomb`; twin: `gzip_noise`);
  - a YAML alias bomb edited into the served spec (twin: an edit of the same size, no aliases);
  - an MCP request with 9,900 header fields (the front takes up to 10,000; twin: the same bytes
    in one field): before this release the messages stage read them in time quadratic in their
    count, and one such POST held the loop for 5.7 s.
While each runs, a thread polls `/_pluginlab/health` back to back and samples the proxy's RSS.
Prints, per case: the RSS growth over the RSS before it, and the longest health-check answer.
Targets, for each bomb: RSS grows by less than 64 MB more than for its twin, and no health check
waits over 100 ms (the twins are the reference; on a busy machine their own checks show the noise).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import serving  # noqa: E402
from tests.bombs import alias_bomb, gzip_bomb, harmless_gzip  # noqa: E402
from tests.e2e.lab import LAB_MANIFEST, LAB_SPEC, LabBackend, lab_sections  # noqa: E402
from tests.harness import todo_sections, write_config  # noqa: E402

MiB = 1024 * 1024
GROWTH_TARGET_MB = 64.0
STALL_TARGET_MS = 100.0
#: Header fields of the MCP case's request.
FIELDS = 9_900


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Seen:
    growth_mb: float
    stall_ms: float
    checks: int


class Watch:
    """Polls health back to back and samples RSS until stopped; keeps the worst of each."""

    def __init__(self, url: str, pid: int) -> None:
        self.url, self.pid = url, pid
        self.before = rss_mb(pid)
        self.peak = self.before
        self.stall = 0.0
        self.checks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(trust_env=False, timeout=30) as client:
            while not self._stop.is_set():
                start = time.perf_counter()
                client.get(self.url)
                self.stall = max(self.stall, (time.perf_counter() - start) * 1000)
                self.checks += 1
                self.peak = max(self.peak, rss_mb(self.pid))
                time.sleep(0.005)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.3)  # what the writer thread does after the answer counts too
        self._stop.set()
        self._thread.join(60)

    def seen(self) -> Seen:
        return Seen(self.peak - self.before, self.stall, self.checks)


def notices(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM notices").fetchone()[0])
    finally:
        conn.close()


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"the proxy did not take the edit in time: {predicate}")
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="times each body is sent")
    args = parser.parse_args()
    bomb = gzip_bomb(1024 * MiB)
    noise = harmless_gzip(len(bomb))
    spec_text = LAB_SPEC.read_text(encoding="utf-8")
    laughs = "".join(f"  {line}\n" for line in alias_bomb().splitlines())
    plain = "".join(f"  l{i}: {'x' * 40}\n" for i in range(len(laughs) // 48))
    with LabBackend() as lab, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = folder / "lab.yaml"
        spec.write_text(spec_text, encoding="utf-8")
        sections = todo_sections(
            folder,
            lab.url,
            **lab_sections(
                plugin={"spec": str(spec), "manifest": str(LAB_MANIFEST)}, mcp={"endpoint": "/mcp"}
            ),
        )
        config = write_config(folder, sections)
        listen = sections["proxy"]["listen"]
        base = f"http://{listen}"
        health = f"{base}/_pluginlab/health"
        db = folder / "events.db"
        rows: list[tuple[str, str, Seen]] = []
        with (
            serving(config, int(listen.rsplit(":", 1)[1])) as pid,
            httpx.Client(base_url=base, trust_env=False, timeout=120) as client,
        ):
            time.sleep(1.0)

            def request(body: bytes) -> None:
                headers = {"content-type": "application/json", "content-encoding": "gzip"}
                for _ in range(args.rounds):
                    client.post("/v1/notes/1", content=body, headers=headers)

            def response(mode: str) -> None:
                for _ in range(args.rounds):
                    with client.stream("GET", "/v1/report", params={"mode": mode}) as answer:
                        for _chunk in answer.iter_raw():
                            pass

            def edit(extra: str, revert: bool) -> None:
                seen = notices(db)
                spec.write_text(spec_text + "x-extra:\n" + extra, encoding="utf-8")
                wait_until(lambda: notices(db) > seen)
                if revert:  # the bomb is then edited into the same spec as its twin
                    spec.write_text(spec_text, encoding="utf-8")
                    wait_until(lambda: notices(db) > seen + 1)

            def fields(headers: list[tuple[str, str]]) -> None:
                call = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
                headers += [("Accept", "application/json, text/event-stream")]
                for _ in range(args.rounds):
                    client.post("/mcp", json=call, headers=headers)

            many = [(f"X-F{i}", "v") for i in range(FIELDS)]
            one = [("X-F", "v" * sum(len(k) + len(v) + 4 for k, v in many))]
            cases: list[tuple[str, str, Callable[[], None]]] = [
                ("gzip request", "harmless", lambda: request(noise)),
                ("gzip request", "bomb", lambda: request(bomb)),
                ("gzip response", "harmless", lambda: response("gzip_noise")),
                ("gzip response", "bomb", lambda: response("gzip_bomb")),
                ("MCP fields", "harmless", lambda: fields(one)),
                ("MCP fields", "bomb", lambda: fields(many)),
                ("spec alias", "harmless", lambda: edit(plain, revert=True)),
                ("spec alias", "bomb", lambda: edit(laughs, revert=False)),
            ]
            for case, kind, run in cases:
                time.sleep(0.5)
                with Watch(health, pid) as watch:
                    run()
                rows.append((case, kind, watch.seen()))
    print(
        f"bodies as sent: bomb {len(bomb):,} bytes, harmless {len(noise):,} bytes; "
        f"alias bomb {len(laughs):,} bytes, harmless edit {len(plain):,} bytes"
    )
    print(
        f"{'case':<14} {'body':<9} {'RSS growth MB':>13} {'over twin MB':>12} "
        f"{'longest health ms':>17} {'checks':>6}  verdict"
    )
    twins: dict[str, Seen] = {}
    failed = False
    for case, kind, seen in rows:
        if kind == "harmless":  # the reference the bomb is measured against
            twins[case] = seen
            over, verdict = 0.0, "(reference)"
        else:
            over = seen.growth_mb - twins[case].growth_mb
            ok = over < GROWTH_TARGET_MB and seen.stall_ms <= STALL_TARGET_MS
            failed |= not ok
            verdict = "ok" if ok else "OVER TARGET"
        print(
            f"{case:<14} {kind:<9} {seen.growth_mb:>13.1f} {over:>12.1f} "
            f"{seen.stall_ms:>17.1f} {seen.checks:>6}  {verdict}"
        )
    print(
        f"targets: growth over the twin < {GROWTH_TARGET_MB:g} MB, health <= {STALL_TARGET_MS:g} ms"
    )
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
