"""The plugin's files as the proxy loads them: bounded by plugin.max_spec_bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pluginlab_tui.errors import UsageError
from pluginlab_tui.plugin.files import PluginFileError, PluginFiles, load_plugin_files
from tests.bombs import alias_bomb
from tests.harness import TODO

SPEC = (TODO / "openapi.yaml").read_text(encoding="utf-8")


def test_a_spec_with_an_alias_bomb_is_refused_with_a_clear_line(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(
        SPEC + "x-bomb:\n" + "".join("  " + line + "\n" for line in alias_bomb().splitlines())
    )
    with pytest.raises(UsageError) as refused:
        load_plugin_files(TODO / "ai-plugin.json", spec)
    message = str(refused.value)
    assert "\n" not in message and str(spec) in message
    assert "plugin.max_spec_bytes" in message and "alias" in message


def test_large_files_are_refused_before_they_are_read(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(SPEC)
    with pytest.raises(PluginFileError, match="plugin.max_spec_bytes"):
        PluginFiles.read(TODO / "ai-plugin.json", spec, max_bytes=len(SPEC) // 2)
    assert PluginFiles.read(TODO / "ai-plugin.json", spec, max_bytes=len(SPEC) * 2).spec["paths"]


def test_texts_over_the_limit_are_refused() -> None:
    manifest = json.dumps({"schema_version": "v1", "pad": "x" * 2000})
    with pytest.raises(PluginFileError, match="ai-plugin.json: .*plugin.max_spec_bytes"):
        PluginFiles.from_texts(manifest, SPEC, max_bytes=1000)
    with pytest.raises(PluginFileError, match="openapi.yaml: .*plugin.max_spec_bytes"):
        PluginFiles.from_texts(None, SPEC, max_bytes=len(SPEC) - 1)
