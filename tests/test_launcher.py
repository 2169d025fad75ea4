"""The launcher: a real `pluginlab-tui serve` child, ready when its health route answers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from pluginlab_tui.config import load_config
from pluginlab_tui.launcher import ProxyChild, ProxyStartError, local_url
from pluginlab_tui.store.database import open_store
from tests.harness import HealthServer, todo_sections, write_config


def _child(
    folder: Path, log: Path | None = None, on_line: Callable[[str], None] | None = None
) -> tuple[ProxyChild, Path]:
    """A child for the example plugin (answered by the mock), its store in `folder`."""
    config = load_config(write_config(folder, todo_sections(folder, None)))
    child = ProxyChild(
        ["--config", str(folder / "pluginlab.toml"), "--quiet"],
        config.proxy.listen,
        store=config.store_path,
        log=log,
        on_line=on_line,
    )
    return child, config.store_path


def test_a_started_proxy_answers_and_its_probe_is_no_event(tmp_path: Path) -> None:
    lines: list[str] = []
    child, db = _child(tmp_path, on_line=lines.append)
    child.start(60)
    try:
        assert child.ready.is_set()
        answer = httpx.get(child.url + "/todos/rex", trust_env=False, timeout=30)
        assert answer.status_code == 200  # the mock answers
    finally:
        assert child.stop() == 0
    conn = open_store(db)
    try:
        paths = [row[0] for row in conn.execute("SELECT path FROM events")]
    finally:
        conn.close()
    assert paths == ["/todos/rex"]
    assert any("proxy on" in line for line in lines)


def test_a_child_that_stops_at_start_says_why(tmp_path: Path) -> None:
    log = tmp_path / "proxy.log"
    child, _ = _child(tmp_path, log=log)
    child.args.append("--no-such-flag")
    with pytest.raises(ProxyStartError) as caught:
        child.start(60)
    assert caught.value.exit_code == 2
    assert any("--no-such-flag" in line for line in caught.value.tail)
    assert child.process is None  # stopped and reaped


def test_a_proxy_that_does_not_answer_in_time_is_stopped(tmp_path: Path) -> None:
    child, _ = _child(tmp_path)
    with pytest.raises(ProxyStartError, match="did not answer /_pluginlab/health within") as caught:
        child.start(0.01)
    assert caught.value.exit_code is None
    assert child.process is None


def test_another_server_on_the_port_is_not_taken_for_the_child(tmp_path: Path) -> None:
    with HealthServer() as other:
        other.answer = {"status": "ok", "store": str(tmp_path / "someone-else.db")}
        listen = other.url.removeprefix("http://")
        child = ProxyChild(
            [
                "--config",
                str(write_config(tmp_path, todo_sections(tmp_path, None))),
                "--listen",
                listen,
            ],
            listen,
            store=tmp_path / "events.db",
        )
        with pytest.raises(ProxyStartError) as caught:
            child.start(60)
        assert caught.value.exit_code is not None  # the child could not listen, and said so
        assert any("in use" in line for line in caught.value.tail)
        assert other.paths  # it was asked, and its answer did not count


@pytest.mark.parametrize(
    ("listen", "url"),
    [
        ("127.0.0.1:8787", "http://127.0.0.1:8787"),
        ("0.0.0.0:9000", "http://127.0.0.1:9000"),
        ("[::]:9000", "http://[::1]:9000"),
        ("[::1]:9000", "http://[::1]:9000"),
        ("localhost:1", "http://localhost:1"),
    ],
)
def test_the_url_a_local_client_reaches(listen: str, url: str) -> None:
    assert local_url(listen) == url
