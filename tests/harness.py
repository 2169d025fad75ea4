"""Real parts for tests: the proxy as a child process (`pluginlab-tui serve`) on a free port."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from pluginlab_tui.examples import example_dir, free_port
from pluginlab_tui.launcher import ProxyChild, ProxyStartError

TODO = example_dir("todo")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(folder: Path, sections: dict[str, dict[str, Any]]) -> Path:
    """Write a pluginlab.toml from {"proxy": {"strict": True}, "auth.oauth": {...}}."""
    lines: list[str] = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in values.items()]
        lines.append("")
    path = folder / "pluginlab.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def todo_sections(
    folder: Path, backend: str | None, **extra: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """A config for the example plugin, its store in `folder`, merged with `extra` sections."""
    port = free_port()
    sections: dict[str, dict[str, Any]] = {
        "plugin": {
            "manifest": str(TODO / "ai-plugin.json"),
            "spec": str(TODO / "openapi.yaml"),
            "logo": str(TODO / "logo.png"),
        },
        "proxy": {
            "listen": f"127.0.0.1:{port}",
            "public_url": f"http://localhost:{port}",
            **({"backend": backend} if backend else {}),
        },
        "store": {"path": str(folder / "events.db"), "flush_ms": 20},
    }
    for name, values in extra.items():
        key = name.replace("__", ".")
        sections[key] = {**sections.get(key, {}), **values}
    return sections


class ProxyProcess:
    """`pluginlab-tui serve --config F` as a launcher.ProxyChild; `.url`, `.db`, `.stop()`."""

    def __init__(self, config: Path, *extra_args: str, env: dict[str, str] | None = None):
        self.config = config
        self.args = extra_args
        self.env = env
        self.lines: list[str] = []
        self.child: ProxyChild | None = None
        self.url = ""
        self.db = Path()

    def start(self, timeout: float = 30.0) -> ProxyProcess:
        from pluginlab_tui.config import load_config

        config = load_config(self.config)
        self.url = "http://" + config.proxy.listen
        self.db = config.store_path
        self.child = ProxyChild(
            ["--config", str(self.config), *self.args],
            config.proxy.listen,
            store=self.db,
            env=self.env,
            on_line=self.lines.append,
        )
        try:
            self.child.start(timeout)
        except ProxyStartError:
            output = "\n".join(self.lines)
            raise RuntimeError(f"the proxy did not start:\n{output}") from None
        return self

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return None if self.child is None else self.child.process

    @property
    def output(self) -> str:
        """What the process wrote on stdout and stderr so far (all of it once stopped)."""
        return "\n".join(self.lines)

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, trust_env=False, timeout=30, **kwargs)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        return None if self.child is None else self.child.stop(sig, timeout)

    def __enter__(self) -> ProxyProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll `predicate()` until it returns something truthy; returns that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class Traffic:
    """Threads that GET `path` through the proxy until stopped (bounded), keeping the event ids
    of the answers they got: `with Traffic(proxy, "/todos/x") as traffic: ...`."""

    def __init__(self, proxy: ProxyProcess, path: str, threads: int = 4, limit: int = 2000):
        self.proxy, self.path, self.limit = proxy, path, limit
        self.answered: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def _run(self) -> None:
        with self.proxy.client() as client:
            for _ in range(self.limit):
                if self._stop.is_set():
                    return
                try:
                    answer = client.get(self.path)
                except httpx.HTTPError:
                    return
                self.answered.append(answer.headers["X-PluginLab-Event-Id"])

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


__all__ = [
    "ProxyProcess",
    "TODO",
    "Traffic",
    "signal",
    "todo_sections",
    "wait_for",
    "write_config",
]


class HealthServer:
    """A real HTTP server on loopback whose /_pluginlab/health answers what a test sets (other
    paths: 404), standing for a proxy that names a store of the test's choosing."""

    def __init__(self) -> None:
        self.answer: object = {"status": "ok"}
        self.paths: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                owner.paths.append(self.path)
                status = 200 if self.path == "/_pluginlab/health" else 404
                body = json.dumps(owner.answer if status == 200 else {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HealthServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
