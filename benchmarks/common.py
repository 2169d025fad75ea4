"""What the benchmark scripts share: a config for the example plugin, and a serve process."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
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
