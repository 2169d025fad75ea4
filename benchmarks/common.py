"""What the benchmark scripts share: a config for the example plugin, a serve process, target
processes started together, the best of interleaved rounds, and a target's process and its CPU
time (from /proc)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from pluginlab_tui.examples import example_dir


def wait_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1, trust_env=False)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


class Child:
    """A target in a child process, started at once (output discarded); `up()` waits on `url`."""

    def __init__(
        self,
        command: Sequence[str],
        url: str,
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.url = url
        self.proc = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=None if env is None else dict(env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )

    def up(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            try:
                httpx.get(self.url, timeout=1, trust_env=False)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise SystemExit(f"{self.url} did not come up (exit {self.proc.poll()})")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@contextmanager
def process(command: list[str], url: str, cwd: Path | None = None) -> Iterator[None]:
    """One target process until the block ends, once `url` answers."""
    with processes([Child(command, url, cwd=cwd)]):
        yield


@contextmanager
def processes(children: Sequence[Child]) -> Iterator[None]:
    """Children already started, all waited on, then all stopped when the block ends."""
    try:
        for child in children:
            child.up()
        yield
    finally:
        for child in children:
            child.stop()


def best_of_rounds[T](
    names: Sequence[str], rounds: int, measure: Callable[[str], T], better: Callable[[T, T], T]
) -> dict[str, T]:
    """Each name measured once per round, rounds interleaved (a, b, c, a, b, c); the better
    result of each name's rounds, by `better`."""
    best: dict[str, T] = {}
    for _ in range(rounds):
        for name in names:
            result = measure(name)
            best[name] = better(best[name], result) if name in best else result
    return best


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """A Markdown table, columns padded to their widest cell: the first `left` columns aligned
    left, the others right."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            str(c).ljust(w) if i < left else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def todo_config(folder: Path, port: int, backend: str, *, proxy: str = "", extra: str = "") -> Path:
    """A pluginlab.toml for the example plugin on `port`, its store in `folder`.

    `proxy` is added to the [proxy] section, `extra` (whole sections) at the end.
    """
    todo = example_dir("todo")
    config = folder / "pluginlab.toml"
    config.write_text(
        f"""
[plugin]
manifest = "{todo / "ai-plugin.json"}"
spec = "{todo / "openapi.yaml"}"
[proxy]
listen = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"
backend = "{backend}"
{proxy}
[store]
path = "{folder / "events.db"}"
{extra}
""",
        encoding="utf-8",
    )
    return config


@contextmanager
def serving(config: Path, port: int, env: dict[str, str] | None = None) -> Iterator[int]:
    """`pluginlab-tui serve --quiet` on the config until the block ends; yields its pid."""
    proxy = subprocess.Popen(
        [sys.executable, "-m", "pluginlab_tui", "serve", "--quiet", "--config", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_up(f"http://127.0.0.1:{port}/_pluginlab/health")
        yield proxy.pid
    finally:
        proxy.send_signal(signal.SIGTERM)
        proxy.wait(60)


def listening_pid(port: int) -> int:
    """The pid of the process listening on `port`, from /proc/net/tcp and /proc/*/fd."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cells = line.split()
            if int(cells[1].rsplit(":", 1)[1], 16) == port and cells[3] == "0A":  # LISTEN
                inodes.add(cells[9])
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd).removeprefix("socket:[").rstrip("]") in inodes:
                    return int(proc.name)
        except OSError:
            continue
    raise SystemExit(f"no process listens on port {port}")


def process_cpu_s(pid: int) -> float:
    """The CPU time the live threads of a process have used so far (seconds), to the
    nanosecond: /proc/PID/task/*/schedstat (/proc/PID/stat counts in 10 ms ticks)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):  # a thread that ended meanwhile
            continue
    return total / 1e9
