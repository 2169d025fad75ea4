"""`pluginlab-tui` without a verb, and `pluginlab-tui tui --db F`: the paths that exit early."""

from __future__ import annotations

from pathlib import Path

import pytest

from pluginlab_tui.cli import main


def test_no_config_here_says_how_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "pluginlab-tui demo" in err[0] and "--config" in err[0]


def test_tui_on_a_missing_store_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.db"
    assert main(["tui", "--db", str(missing)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no event store" in err[0]
    assert not missing.exists()


def test_attach_to_a_config_whose_store_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "pluginlab.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "x.db"}"\n', encoding="utf-8")
    assert main(["--config", str(config), "--attach"]) == 2
    assert "no event store" in capsys.readouterr().err
