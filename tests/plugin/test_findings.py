"""Findings."""

from __future__ import annotations

from pluginlab_tui.plugin.findings import Finding


def test_to_dict_has_the_json_fields() -> None:
    finding = Finding("r", "warning", "f.json", 3, 4, "/a", "m")
    assert finding.to_dict() == {
        "rule": "r",
        "severity": "warning",
        "file": "f.json",
        "line": 3,
        "column": 4,
        "pointer": "/a",
        "message": "m",
    }
