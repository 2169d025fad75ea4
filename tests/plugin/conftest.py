"""Helpers for the plugin tests: a clean plugin (fixtures/todo) to break one rule at a time."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from pluginlab_tui.plugin.findings import Finding
from pluginlab_tui.plugin.lint import lint_texts

FIXTURES = Path(__file__).parent / "fixtures"
TODO = FIXTURES / "todo"

Lint = Callable[..., list[Finding]]


def good_manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((TODO / "ai-plugin.json").read_text())
    return data


def good_spec() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((TODO / "openapi.yaml").read_text())
    return data


def rules(findings: list[Finding], severity: str | None = None) -> set[str]:
    return {f.rule for f in findings if severity is None or f.severity == severity}


@pytest.fixture
def manifest() -> dict[str, Any]:
    return copy.deepcopy(good_manifest())


@pytest.fixture
def spec() -> dict[str, Any]:
    return copy.deepcopy(good_spec())


@pytest.fixture
def lint() -> Lint:
    """lint(manifest=dict|str|None, spec=dict|str|None, **options) -> findings."""

    def run(
        manifest: dict[str, Any] | str | None = None,
        spec: dict[str, Any] | str | None = None,
        **options: Any,
    ) -> list[Finding]:
        manifest_text = json.dumps(manifest, indent=2) if isinstance(manifest, dict) else manifest
        spec_text = yaml.safe_dump(spec, sort_keys=False) if isinstance(spec, dict) else spec
        return lint_texts(manifest_text, spec_text, **options)

    return run
