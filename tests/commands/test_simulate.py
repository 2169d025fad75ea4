"""`pluginlab-tui simulate`: which store it signs with, and what it says when it has none."""

from __future__ import annotations

from pathlib import Path

import pytest

from pluginlab_tui.cli import main
from tests.harness import HealthServer


def test_a_store_the_proxy_names_but_that_cannot_be_opened_is_one_line_then_live(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    with HealthServer() as proxy:
        proxy.answer = {"status": "ok", "store": str(tmp_path / "file" / "events.db")}
        code = main(["simulate", "--target", proxy.url])
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"pluginlab-tui: cannot use {tmp_path / 'file' / 'events.db'} as the event store: "
        f"{tmp_path / 'file'} is not a folder; calls are recorded as source=live"
    )
    assert code == 1 and "cannot fetch the manifest" in err[1]  # the run went on
    assert "Traceback" not in "\n".join(err)


def test_a_target_that_names_no_store_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with HealthServer() as proxy:
        main(["simulate", "--target", proxy.url])
    first = capsys.readouterr().err.splitlines()[0]
    assert "names no event store" in first and first.endswith("recorded as source=live")


@pytest.mark.parametrize("bad", ["folder", "file/events.db"])
def test_a_db_that_cannot_be_used_is_exit_2_before_any_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with HealthServer() as proxy:
        code = main(["simulate", "--target", proxy.url, "--db", str(tmp_path / bad)])
        assert proxy.paths == []
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"pluginlab-tui: cannot use {tmp_path / bad}")
    assert len(err.splitlines()) == 1
