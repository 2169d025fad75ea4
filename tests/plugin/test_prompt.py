"""The model's view of a plugin: the rendered namespace, its size and its warnings."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from pluginlab_tui.plugin import prompt as prompt_module
from pluginlab_tui.plugin.prompt import ENCODING_URL, count_tokens, render_prompt, ts_type
from tests.harness import TODO

GOLDEN = Path(__file__).parent / "golden" / "todo_prompt.txt"


def todo() -> tuple[dict[str, Any], dict[str, Any]]:
    manifest = json.loads((TODO / "ai-plugin.json").read_text())
    spec = yaml.safe_load((TODO / "openapi.yaml").read_text())
    return manifest, spec


def test_the_example_plugin_renders_as_the_golden_file() -> None:
    manifest, spec = todo()
    view = render_prompt(manifest, spec, profile="plugin")
    assert view.text == GOLDEN.read_text(encoding="utf-8")
    assert view.chars == len(view.text)
    assert view.encoding_name == "cl100k_base"
    if not view.tokens_exact:
        assert view.tokens == (view.chars + 3) // 4
        assert "estimate" in view.size_line


def test_the_view_warns_where_the_model_sees_too_little() -> None:
    manifest, spec = todo()
    view = render_prompt(manifest, spec, profile="plugin")
    assert "addTodo: parameter 'priority' has no description" in view.warnings
    assert not any("listTodos" in w for w in view.warnings)
    del spec["paths"]["/todos/{username}"]["get"]["summary"]
    del manifest["description_for_model"]
    view = render_prompt(manifest, spec, profile="plugin")
    assert any(
        w.startswith("listTodos (GET /todos/{username}) has no description") for w in view.warnings
    )
    assert any("no description_for_model" in w for w in view.warnings)
    assert "type listTodos = (_: {" in view.text


def test_a_huge_plugin_is_flagged_as_too_much() -> None:
    manifest, spec = todo()
    manifest["description_for_model"] = "Use this plugin well. " * 2000
    view = render_prompt(manifest, spec, profile="plugin")
    assert view.tokens > 8000
    assert any("over 8000" in w for w in view.warnings)


def test_description_wins_over_summary_and_long_ones_are_flagged() -> None:
    manifest, spec = todo()
    op = spec["paths"]["/todos/{username}"]["get"]
    op["description"] = "Line one.\nLine two " + "x" * 250
    view = render_prompt(manifest, spec, profile="plugin")
    assert "// Line one.\n// Line two" in view.text
    assert "List the user's todos" not in view.text
    assert any("listTodos: description is" in w for w in view.warnings)
    assert not any(
        "listTodos: description" in w
        for w in render_prompt(manifest, spec, profile="actions").warnings
    )


def test_types_follow_the_schemas() -> None:
    spec: dict[str, Any] = {"components": {"schemas": {"P": {"enum": ["a", "b"]}}}}
    assert ts_type(spec, {"$ref": "#/components/schemas/P"}) == '"a" | "b"'
    assert ts_type(spec, {"type": "array", "items": {"type": "integer"}}) == "number[]"
    assert ts_type(spec, {"type": ["string", "null"]}) == "string"
    assert (
        ts_type(
            spec, {"type": "object", "properties": {"a": {"type": "boolean"}}, "required": ["a"]}
        )
        == "{a: boolean}"
    )
    assert ts_type(spec, {"oneOf": [{"type": "string"}, {"type": "number"}]}) == "string | number"
    assert ts_type(spec, {}) == "any"


def test_actions_without_a_manifest_use_the_spec_title() -> None:
    _, spec = todo()
    view = render_prompt(None, spec, profile="actions")
    assert view.text.startswith("## Todo_Lab\n\n// Todo lists per user.")
    assert "namespace Todo_Lab {" in view.text


def test_tokens_are_estimated_when_the_encoding_is_not_on_this_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(prompt_module, "_ENCODER", [])
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path / "none"))
    assert prompt_module.cached_encoding_file() is None
    assert count_tokens("x" * 40) == (10, False)


def test_a_broken_cached_encoding_file_falls_back_to_the_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = tmp_path / hashlib.sha1(ENCODING_URL.encode()).hexdigest()
    cached.write_text("not an encoding file\n")
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(prompt_module, "_ENCODER", [])
    assert prompt_module.cached_encoding_file() == cached
    assert count_tokens("y" * 8) == (2, False)


@pytest.mark.skipif(importlib.util.find_spec("tiktoken") is None, reason="tiktoken not installed")
def test_tokens_are_exact_with_a_locally_cached_encoding() -> None:  # pragma: no cover
    if prompt_module.cached_encoding_file() is None:
        pytest.skip("cl100k_base is not cached on this machine")
    prompt_module._ENCODER.clear()
    tokens, exact = count_tokens("hello world")
    assert exact and tokens == 2
