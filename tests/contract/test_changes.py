"""Diffs of either kind: recorded versions (plugin files or catalogues) and saved files (specs or
tools/list results), told apart by content."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from pluginlab_tui.contract.changes import diff_files, diff_versions, tools_result
from pluginlab_tui.errors import UsageError
from pluginlab_tui.mcp.catalogue import Catalogue
from pluginlab_tui.plugin.diff import Change
from pluginlab_tui.store import versions
from pluginlab_tui.store.database import open_store
from tests.harness import TODO as EXAMPLE
from tests.plugin.conftest import TODO, good_spec

ADD: dict[str, Any] = {
    "name": "add",
    "description": "Add.",
    "inputSchema": {
        "type": "object",
        "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
        "required": ["a"],
    },
}
ECHO: dict[str, Any] = {"name": "echo", "inputSchema": {"type": "object"}}


def kinds(changes: list[Change]) -> dict[str, bool]:
    return {c.kind: c.breaking for c in changes}


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_two_spec_files(tmp_path: Path) -> None:
    new = good_spec()
    del new["paths"]["/todos"]["post"]
    (change,) = diff_files(TODO / "openapi.yaml", write(tmp_path / "new.json", new))
    assert change.to_dict() == {
        "kind": "operation-removed",
        "operation": "addTodo",
        "where": "POST /todos",
        "message": "addTodo (POST /todos) was removed",
        "breaking": True,
    }


def test_two_saved_tools_list_results(tmp_path: Path) -> None:
    old = write(tmp_path / "old.json", {"tools": [ADD, ECHO]})
    response = {"jsonrpc": "2.0", "id": 1, "result": {"tools": [ADD]}}
    new = write(tmp_path / "new.json", response)
    assert kinds(diff_files(old, new)) == {"tool-removed": True}
    assert kinds(diff_files(new, old)) == {"tool-added": False}


def test_files_are_told_apart_by_content_not_by_name(tmp_path: Path) -> None:
    tools = tmp_path / "tools.yaml"
    tools.write_text(yaml.safe_dump({"tools": [ADD]}), encoding="utf-8")
    spec = write(tmp_path / "spec.tools.json", good_spec())
    narrowed = dict(ADD, inputSchema={**ADD["inputSchema"], "required": ["a", "b"]})
    assert kinds(diff_files(tools, write(tmp_path / "openapi.json", {"tools": [narrowed]}))) == {
        "property-made-required": True
    }
    assert diff_files(spec, TODO / "openapi.yaml") == []


def test_what_is_neither_or_a_mixed_pair_is_one_clear_error(tmp_path: Path) -> None:
    tools = write(tmp_path / "tools.json", {"tools": [ADD]})
    (tmp_path / "bad.yaml").write_text("<html></html>", encoding="utf-8")
    with pytest.raises(UsageError, match="HTML"):
        diff_files(TODO / "openapi.yaml", tmp_path / "bad.yaml")
    with pytest.raises(UsageError, match="no such file"):
        diff_files(TODO / "openapi.yaml", tmp_path / "nope.yaml")
    body = write(tmp_path / "body.json", {"error": "Unauthorized"})
    with pytest.raises(UsageError, match="neither an OpenAPI document .* nor a tools/list result"):
        diff_files(body, tools)
    with pytest.raises(UsageError, match="is a tools/list result and .* an OpenAPI document"):
        diff_files(tools, TODO / "openapi.yaml")
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UsageError):
        diff_files(tmp_path / "binary.json", tools)


def test_a_tools_result_is_the_result_or_its_response() -> None:
    found = tools_result({"jsonrpc": "2.0", "id": 3, "result": {"tools": [ADD]}})
    assert found is not None and found.tool("add") == ADD
    assert tools_result({"jsonrpc": "2.0", "id": 3, "error": {"code": -1}}) is None
    assert tools_result([ADD]) is None


def test_recorded_versions_of_each_kind_and_a_mixed_pair(tmp_path: Path) -> None:
    conn = open_store(tmp_path / "events.db", create=True)
    spec = (EXAMPLE / "openapi.yaml").read_text(encoding="utf-8")
    changed = spec.replace("required: [title]", "required: [title, due]", 1)
    assert changed != spec
    p1 = versions.register(
        conn, manifest_hash=None, spec_hash="s1", manifest_text=None, spec_text=spec
    )
    p2 = versions.register(
        conn, manifest_hash=None, spec_hash="s2", manifest_text=None, spec_text=changed
    )
    both = Catalogue().with_list("tools/list", None, {"tools": [ADD, ECHO]})
    one = Catalogue().with_list("tools/list", None, {"tools": [ADD]})
    c1, _ = versions.register_catalogue(
        conn, catalogue_hash=both.fingerprint, catalogue_text=both.to_json()
    )
    c2, _ = versions.register_catalogue(
        conn, catalogue_hash=one.fingerprint, catalogue_text=one.to_json()
    )
    record = {n: versions.get(conn, n) for n in (p1, p2, c1, c2)}
    conn.close()
    a, b, c, d = (record[n] for n in (p1, p2, c1, c2))
    assert a is not None and b is not None and c is not None and d is not None
    assert kinds(diff_versions(a, b)) == {"property-made-required": True}
    assert kinds(diff_versions(c, d)) == {"tool-removed": True}
    with pytest.raises(UsageError, match="version 2 is the plugin's files and version 3 an MCP"):
        diff_versions(b, c)
