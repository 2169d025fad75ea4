"""Findings and JSON pointers."""

from __future__ import annotations

from pluginlab_tui.plugin.findings import Finding, parent_pointer, pointer, split_pointer


def test_pointer_round_trip() -> None:
    assert pointer("paths", "/a/{id}", "get") == "/paths/~1a~1{id}/get"
    assert pointer("x~y", 0) == "/x~0y/0"
    assert split_pointer("/paths/~1a~1{id}/get") == ["paths", "/a/{id}", "get"]
    assert split_pointer("") == []
    assert parent_pointer("/a/b") == "/a" and parent_pointer("/a") == ""


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
