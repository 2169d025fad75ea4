"""The README stays true: its config table is the model's, and it names every verb and code."""

from __future__ import annotations

from pathlib import Path

from pluginlab_tui.cli import VERBS
from pluginlab_tui.store.filter import FIELDS, FLAGS
from pluginlab_tui.validation.violations import CODES
from scripts.sync_readme import synced

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_config_reference_is_generated_from_the_model() -> None:
    text = README.read_text(encoding="utf-8")
    assert synced(text) == text, "run: .venv/bin/python scripts/sync_readme.py"


def test_every_verb_and_violation_code_is_documented() -> None:
    text = README.read_text(encoding="utf-8")
    for verb in VERBS:
        shown = "import" if verb == "import_har" else verb
        assert f"pluginlab-tui {shown}" in text, verb
    for code in CODES:
        assert f"`{code}`" in text, code


def test_every_filter_field_is_in_the_filter_table() -> None:
    text = README.read_text(encoding="utf-8")
    table = text.split("### The filter language", 1)[1].split("\n## ", 1)[0]
    for name in FIELDS:
        assert f"`{name}" + ("`" if name in FLAGS else ":") in table, name


def test_the_quickstart_has_the_two_commands_ci_runs() -> None:
    text = README.read_text(encoding="utf-8")
    quickstart = text.split("## Quickstart", 1)[1].split("##", 1)[0]
    assert "./scripts/check" in quickstart
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "./scripts/check" in ci
