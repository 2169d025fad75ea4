"""The command's front: every verb is there with its help, and mistakes are one line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pluginlab_tui.cli import VERBS, build_parser, main


def test_every_verb_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    build_parser()
    for verb in VERBS:
        shown = "import" if verb == "import_har" else verb
        with pytest.raises(SystemExit) as done:
            main([shown, "--help"])
        assert done.value.code == 0
        assert "usage: pluginlab-tui " + shown in capsys.readouterr().out


def test_without_a_config_it_says_how_to_start(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "pluginlab_tui"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert finished.returncode == 2
    assert "pluginlab-tui demo" in finished.stderr and "--config" in finished.stderr
    assert len(finished.stderr.strip().splitlines()) == 1


def test_a_missing_store_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--db", str(tmp_path / "none.db")]) == 2
    err = capsys.readouterr().err
    assert "no event store at" in err and "Traceback" not in err
