"""The proxy as a child process: `python -m pluginlab_tui serve ...`, ready once its health
route answers.

Used by `pluginlab-tui` (proxy + TUI), `pluginlab-tui demo` and the tests. The wait is bounded;
when the child dies or does not answer in time, ProxyStartError carries the tail of its output.
A health answer counts only from this child: when the store is known, the health route must
name it (another proxy already on the port names its own), unless the proxy's allow-list
refuses this machine (then its ip_denied answer is all there is). The probe carries
X-PluginLab-Probe, so the proxy answers it without recording an event.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx

from pluginlab_tui.config import host_port
from pluginlab_tui.errors import UsageError
from pluginlab_tui.wire import HEALTH_ROUTE, PROBE_HEADER

#: Lines of the child's output kept for an error message.
TAIL_LINES = 200
#: How long one health probe may take (the proxy answers it itself).
PROBE_TIMEOUT_S = 2.0
_POLL_S = 0.05


class ProxyStartError(UsageError):
    """The child stopped, or its health route did not answer in time; `tail` is its output."""

    def __init__(self, message: str, tail: list[str], exit_code: int | None) -> None:
        super().__init__(message)
        self.tail = tail
        self.exit_code = exit_code


def local_url(listen: str) -> str:
    """Where a client on this machine reaches a proxy listening on `listen` (HOST:PORT)."""
    host, port = host_port(listen)
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class ProxyChild:
    """`python -m pluginlab_tui serve ARGS` in a child process.

    Its output (stdout and stderr) is appended to `log` when given, else read line by line:
    each line goes to `on_line` and the last TAIL_LINES are kept.
    """

    def __init__(
        self,
        args: Sequence[str],
        listen: str,
        *,
        store: Path | None = None,
        env: Mapping[str, str] | None = None,
        log: Path | None = None,
        on_line: Callable[[str], None] | None = None,
        new_session: bool = False,
    ) -> None:
        self.args = list(args)
        self.url = local_url(listen)
        self.store = store
        self.env = env
        self.log = log
        self.on_line = on_line
        self.new_session = new_session
        self.process: subprocess.Popen[bytes] | None = None
        self.ready = threading.Event()
        self._lines: deque[str] = deque(maxlen=TAIL_LINES)
        self._pump: threading.Thread | None = None
        self._log_start = 0

    # -- start ------------------------------------------------------------------------------

    def start(self, timeout: float) -> ProxyChild:
        """Start the child and wait (at most `timeout` s) until its health route answers."""
        command = [sys.executable, "-m", "pluginlab_tui", "serve", *self.args]
        env = {**os.environ, **(self.env or {})}
        if self.log is not None:
            self._log_start = self.log.stat().st_size if self.log.exists() else 0
            with self.log.open("ab") as out:
                self.process = subprocess.Popen(
                    command,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=env,
                    start_new_session=self.new_session,
                )
        else:
            self.process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=self.new_session,
            )
            self._pump = threading.Thread(target=self._read, name="pluginlab-launcher", daemon=True)
            self._pump.start()
        try:
            self._wait_ready(timeout)
        except ProxyStartError:
            self.stop()
            raise
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            self._lines.append(line)
            if self.on_line is not None:
                self.on_line(line)

    def _wait_ready(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        with httpx.Client(trust_env=False, timeout=PROBE_TIMEOUT_S) as client:
            while True:
                code = self.process.poll()
                if code is not None:
                    raise ProxyStartError(
                        f"the proxy stopped at start (exit {code})", self.tail(), code
                    )
                if self._healthy(client):
                    self.ready.set()
                    return
                if time.monotonic() >= deadline:
                    raise ProxyStartError(
                        f"the proxy did not answer {HEALTH_ROUTE} within {timeout:g} s",
                        self.tail(),
                        None,
                    )
                time.sleep(_POLL_S)

    def _healthy(self, client: httpx.Client) -> bool:
        try:
            answer = client.get(self.url + HEALTH_ROUTE, headers={PROBE_HEADER: "1"})
            found = answer.json() if answer.status_code in (200, 403) else None
        except (httpx.HTTPError, ValueError):
            return False
        if answer.status_code == 403:
            # auth.allow_ips leaves this machine out: the proxy answers, but names no store.
            return isinstance(found, dict) and found.get("error") == "ip_denied"
        if not isinstance(found, dict) or found.get("status") != "ok":
            return False
        if self.store is None:
            return True
        named = found.get("store")
        return isinstance(named, str) and Path(named).resolve() == self.store.resolve()

    # -- output -----------------------------------------------------------------------------

    def tail(self, count: int = 10) -> list[str]:
        """The last `count` lines the child wrote (non-empty ones)."""
        if self.log is not None:
            lines = self._log_output().splitlines()
        else:
            if (
                self._pump is not None
                and self.process is not None
                and self.process.poll() is not None
            ):
                self._pump.join(5)  # a child that stopped: every line it wrote is read
            lines = list(self._lines)
        return [line for line in lines if line.strip()][-count:]

    def _log_output(self) -> str:
        assert self.log is not None
        try:
            with self.log.open("rb") as handle:
                handle.seek(self._log_start)
                return handle.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    # -- stop -------------------------------------------------------------------------------

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        """Signal the child and wait for it (killed after `timeout` s); its exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._pump is not None:
            self._pump.join(5)  # every line the child wrote has been read
        code = self.process.returncode
        self.process = None
        return code
