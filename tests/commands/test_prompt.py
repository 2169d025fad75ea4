"""`pluginlab-tui prompt`: the model's view of the configured plugin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pluginlab_tui.cli import main
from tests.harness import TODO

GOLDEN = Path(__file__).parents[1] / "plugin" / "golden" / "todo_prompt.txt"


def test_prompt_prints_the_view_its_size_and_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prompt", "--config", str(TODO / "pluginlab.toml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(GOLDEN.read_text())
    assert "characters," in out and "tokens (" in out and "cl100k_base" in out
    assert "warning: addTodo: parameter 'priority' has no description" in out


def test_prompt_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prompt", "--config", str(TODO / "pluginlab.toml"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["text"] == GOLDEN.read_text()
    assert data["chars"] == len(data["text"]) and data["encoding"] == "cl100k_base"
    assert isinstance(data["tokens_exact"], bool) and data["warnings"]


def test_a_missing_spec_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "pluginlab.toml"
    config.write_text('[plugin]\nspec = "nope.yaml"\nmanifest = "nope.json"\n')
    assert main(["prompt", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "file not found" in err
