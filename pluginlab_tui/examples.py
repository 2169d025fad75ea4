"""The bundled examples (the todo plugin, the board app): where they are, and their backends."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from pluginlab_tui.errors import UsageError

EXAMPLES = ("todo", "app")
#: The examples `serve --example` can put behind the proxy.
SERVED_EXAMPLES = ("todo", "app")
#: How much an example backend logs (uvicorn's level; the app's SDK logs too: APP_LOG_LEVEL).
LOG_LEVEL = "warning"


def example_dir(name: str) -> Path:
    """The example's folder: inside the installed package, else in the checkout."""
    if name not in EXAMPLES:
        raise UsageError(f"no example named {name!r} (there is: {', '.join(EXAMPLES)})")
    package = Path(__file__).resolve().parent
    for candidate in (package / "examples" / name, package.parent / "examples" / name):
        if (candidate / "app.py").is_file():
            return candidate
    raise UsageError(f"the example {name!r} is not installed with this copy of pluginlab-tui")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class Backend:
    """An example backend in a child process (uvicorn), stopped with `stop()`."""

    def __init__(self, name: str, port: int | None = None, env: dict[str, str] | None = None):
        self.name = name
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> Backend:
        folder = example_dir(self.name)
        command = [sys.executable, "-m", "uvicorn", "app:app", "--app-dir", str(folder)]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", LOG_LEVEL]
        env = {**os.environ, "APP_LOG_LEVEL": LOG_LEVEL, **(self.env or {})}
        self.process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise UsageError(f"the {self.name} example backend exited at start")
            try:
                if httpx.get(self.url + "/health", timeout=0.5, trust_env=False).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise UsageError(f"the {self.name} example backend did not start within {timeout:g} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> Backend:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
