"""`pluginlab-tui web`: its mistakes (one line, exit 2) and the URL it prints. The served
page itself is driven by a browser in tests/e2e/test_web.py."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pluginlab_tui.cli import main
from pluginlab_tui.commands.web import page_url
from pluginlab_tui.store.database import open_store


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.mark.parametrize(
    "argv",
    [
        ["web", "--config", "a.toml", "--db", "b.db"],
        ["web", "--listen", "nowhere"],
        ["web", "--listen", "127.0.0.1:99999"],
        ["web", "--listen", "bad host!:8790"],
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert "pluginlab-tui web:" in _one_line(capsys)


def test_a_missing_store_is_refused_and_not_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.db"
    assert main(["web", "--db", str(missing)]) == 2
    assert "no event store" in _one_line(capsys)
    assert not missing.exists()


def test_no_config_here_says_what_to_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    line = _one_line(capsys) if main(["web"]) == 2 else pytest.fail("web ran without a config")
    assert "--config" in line and "--db" in line


def test_a_port_already_taken_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "events.db"
    open_store(db, create=True).close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["web", "--db", str(db), "--listen", f"127.0.0.1:{port}"]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().startswith(f"pluginlab-tui: cannot listen on 127.0.0.1:{port}")
    assert "open http" not in captured.out  # no URL for a server that is not there


def test_the_printed_url_carries_the_token_and_a_reachable_host() -> None:
    assert page_url("127.0.0.1:8790", "abc") == "http://127.0.0.1:8790/?token=abc"
    assert page_url("[::1]:8790", "abc") == "http://[::1]:8790/?token=abc"
    assert page_url("0.0.0.0:8790", "abc") == f"http://{socket.getfqdn()}:8790/?token=abc"
