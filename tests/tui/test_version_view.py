"""Lint findings and changes as the plugin and catalogue screens show them."""

from __future__ import annotations

from dataclasses import replace

from rich.console import Group, RenderableType
from textual.widgets import Static

from pluginlab_tui.plugin.diff import Change
from pluginlab_tui.store.versions import VersionRecord
from pluginlab_tui.tui.version_view import changes_view, lint_view
from tests.tui.conftest import shown


def text(renderable: RenderableType) -> str:
    return shown(Static(renderable))


def test_findings_of_either_shape_in_one_table() -> None:
    record = VersionRecord(
        number=7,
        ts="2026-11-25T09:00:00.000Z",
        manifest_hash=None,
        spec_hash=None,
        manifest_text=None,
        spec_text=None,
        lint_summary={"error": 1, "warning": 1},
        lint_findings=[
            {
                "rule": "servers-localhost",
                "severity": "warning",
                "file": "openapi.yaml",
                "line": 7,
                "column": None,
                "message": "on localhost",
            },
            {"code": "apps_template_mime", "where": "resources/ui://w", "message": "text/plain"},
        ],
    )
    lines = text(lint_view(record)).splitlines()
    assert lines[0] == "Lint of version 7: 1 error, 1 warning"
    (lint,) = [line for line in lines if "servers-localhost" in line]
    assert lint.split()[0] == "warning" and "openapi.yaml:7:1" in lint
    (check,) = [line for line in lines if "apps_template_mime" in line]
    assert check.split()[0] == "error" and "resources/ui://w" in check
    record = replace(record, lint_summary={}, lint_findings=[])
    assert "✓ no findings" in text(lint_view(record))


def test_changes_are_counted_and_the_breaking_come_first() -> None:
    changes = [
        Change("tool-added", "b", "b", "tool 'b' was added", False),
        Change("tool-removed", "a", "a", "tool 'a' was removed", True),
    ]
    lines = text(Group(*changes_view(changes, "catalogue", "tool"))).splitlines()
    assert lines[0] == "2 catalogue change(s), 1 breaking"
    rows = [[c.strip() for c in line.split("│")][:2] for line in lines if "was" in line]
    assert rows == [["breaking", "a"], ["ok", "b"]]
    assert "tool" in lines[1]
    assert text(Group(*changes_view([], "spec", "operation"))).strip() == (
        "0 spec change(s), 0 breaking"
    )
