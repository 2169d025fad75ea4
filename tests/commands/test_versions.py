"""`versions list | show | diff` over a store with plugin and catalogue versions, the catalogues
listed from the real example app; `versions diff` of saved files of either kind."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pluginlab_tui.cli import main
from pluginlab_tui.examples import Backend
from pluginlab_tui.mcp.catalogue import Catalogue
from pluginlab_tui.mcp.client import Listing, list_server
from tests.tui.conftest import add_catalogue, add_versions

Run = tuple[int, str, str]


def catalogue_of(listing: Listing) -> Catalogue:
    """What the proxy would keep of a client's listing: the four lists and the widgets read."""
    catalogue = Catalogue()
    for method, items, key in (
        ("tools/list", listing.tools, "tools"),
        ("resources/list", listing.resources, "resources"),
        ("resources/templates/list", listing.resource_templates, "resourceTemplates"),
        ("prompts/list", listing.prompts, "prompts"),
    ):
        catalogue = catalogue.with_list(method, None, {key: items})
    for uri, read in listing.reads.items():
        catalogue = catalogue.with_read(uri, {"contents": read.contents})
    return catalogue


def v2_of(listing: Listing) -> Catalogue:
    """The app's catalogue changed as a release might: `delete_card` gone, `add_card` with a new
    required argument, and the widget no longer listed (a lint finding)."""
    changed = copy.deepcopy(listing)
    changed.tools = [t for t in changed.tools if t["name"] != "delete_card"]
    for tool in changed.tools:
        if tool["name"] == "add_card":
            tool["inputSchema"]["properties"]["board"] = {"type": "string"}
            tool["inputSchema"]["required"] = [*tool["inputSchema"].get("required", []), "board"]
    changed.resources = []
    changed.reads = {}
    return catalogue_of(changed)


@pytest.fixture(scope="module")
def listing(app_backend: Backend) -> Listing:
    return list_server(app_backend.url + "/mcp")


@pytest.fixture
def db(tmp_path: Path, listing: Listing) -> Iterator[Path]:
    """Versions 1 and 2: the todo plugin's files; 3 and 4: the app's catalogue, then its v2."""
    path = tmp_path / "events.db"
    add_versions(path)
    assert add_catalogue(path, catalogue_of(listing)) == 3
    assert add_catalogue(path, v2_of(listing)) == 4
    yield path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_shows_both_kinds_with_lint_and_contents(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "versions", "list", "--db", str(db))
    assert code == 0
    head, *rows = out.splitlines()
    assert head.split() == ["#", "kind", "recorded", "hash", "lint", "contents"]
    assert rows[0].split()[:5] == ["1", "plugin", "2026-11-25", "08:00:00", "s1"]
    assert "0 errors, 1 warning" in rows[0] and "manifest m1" in rows[0]
    assert rows[2].split()[:2] == ["3", "catalogue"]
    assert "0 errors, 0 warnings" in rows[2]
    assert "4 tools, 1 resource, 1 template, 1 prompt" in rows[2]
    assert "3 tools, 0 resources, 1 template, 1 prompt" in rows[3]
    assert "3 errors, 0 warnings" in rows[3]  # three tools name the unlisted widget


def test_list_as_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "versions", "list", "--format", "json", "--db", str(db))
    assert code == 0
    objects = [json.loads(line) for line in out.splitlines()]
    assert [(o["number"], o["kind"]) for o in objects] == [
        (1, "plugin"),
        (2, "plugin"),
        (3, "catalogue"),
        (4, "catalogue"),
    ]
    assert objects[0]["hash"] == "s1" and objects[0]["manifest_hash"] == "m1"
    assert objects[3]["counts"] == {"tool": 3, "resource": 0, "template": 1, "prompt": 1}
    assert objects[3]["lint"] == {"error": 3}


def test_show_prints_a_catalogue(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "versions", "show", "3", "--db", str(db))
    assert code == 0
    assert out.startswith("# version 3 (")
    assert "# tools (4)" in out and "# resources (1)" in out
    assert "# resource templates (1)" in out and "# prompts (1)" in out
    tools = out.split("# tools (4)")[1].split("# resources")[0]
    assert "list_cards — " in tools
    assert "annotations: readOnlyHint=true" in tools
    assert "widget template: ui://board/board.html" in tools
    assert '"inputSchema"' not in tools and "  inputSchema:\n" in tools
    assert "  outputSchema:\n" in tools and '"cards"' in tools
    resources = out.split("# resources (1)")[1]
    assert "ui://board/board.html  text/html;profile=mcp-app" in resources
    assert "read: text/html;profile=mcp-app," in resources
    assert "board://cards/{card_id}" in resources and "triage(" in resources
    assert out.rstrip().endswith("# lint (0)")


def test_show_prints_a_catalogues_lint_and_its_saved_json(
    db: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "versions", "show", "4", "--file", "lint", "--db", str(db))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3
    assert all(" error apps_template_missing " in line for line in lines)
    assert lines[0].startswith("tools/list_cards/_meta error ") and "ui://board/board.html" in out
    code, out, _ = run(capsys, "versions", "show", "4", "--file", "catalogue", "--db", str(db))
    assert code == 0
    saved = json.loads(out)
    assert [t["name"] for t in saved["tools"]] == ["add_card", "list_cards", "move_card"]
    code, _, err = run(capsys, "versions", "show", "4", "--file", "spec", "--db", str(db))
    assert code == 2
    assert err.strip() == (
        "pluginlab-tui: version 4 is an MCP catalogue: --file takes catalogue or lint there"
    )
    code, _, err = run(capsys, "versions", "show", "1", "--file", "catalogue", "--db", str(db))
    assert code == 2 and "version 1 is the plugin's files" in err


def test_diff_of_two_catalogue_versions_says_what_breaks(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "versions", "diff", "3", "4", "--db", str(db))
    assert code == 1
    lines = out.splitlines()
    assert any(line.startswith("BREAKING tool-removed") and "delete_card" in line for line in lines)
    assert any(line.startswith("BREAKING") and "'board'" in line for line in lines), out
    assert any(line.startswith("BREAKING resource-removed") for line in lines)
    code, out, _ = run(capsys, "versions", "diff", "4", "3", "--format", "json", "--db", str(db))
    assert code == 0
    changes = json.loads(out)
    assert {c["kind"] for c in changes} >= {"tool-added", "resource-added"}
    assert not any(c["breaking"] for c in changes)
    assert run(capsys, "versions", "diff", "3", "3", "--db", str(db))[:2] == (0, "no changes\n")


def test_a_plugin_and_a_catalogue_version_cannot_be_compared(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "versions", "diff", "2", "3", "--db", str(db))
    assert (code, out) == (2, "")
    assert err.strip() == (
        "pluginlab-tui: version 2 is the plugin's files and version 3 an MCP catalogue:"
        " compare two versions of one kind"
    )


def test_diff_of_saved_tools_list_results_beside_spec_files(
    tmp_path: Path, listing: Listing, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "before.json"
    old.write_text(json.dumps({"tools": listing.tools}), encoding="utf-8")
    response: dict[str, Any] = {
        "jsonrpc": "2.0",
        "id": 2,
        "result": {"tools": [t for t in listing.tools if t["name"] != "move_card"]},
    }
    new = tmp_path / "after.json"
    new.write_text(json.dumps(response), encoding="utf-8")
    code, out, _ = run(capsys, "versions", "diff", str(old), str(new))
    assert code == 1
    assert out.splitlines()[0].startswith("BREAKING tool-removed") and "move_card" in out
    assert run(capsys, "versions", "diff", str(new), str(old))[0] == 0
    spec = Path(__file__).parents[2] / "examples" / "todo" / "openapi.yaml"
    code, out, err = run(capsys, "versions", "diff", str(spec), str(new))
    assert (code, out) == (2, "")
    assert "is an OpenAPI document and" in err and "a tools/list result" in err
    neither = tmp_path / "neither.json"
    neither.write_text('{"jsonrpc": "2.0", "id": 2, "error": {"code": -32601}}', encoding="utf-8")
    code, _, err = run(capsys, "versions", "diff", str(old), str(neither))
    assert code == 2 and len(err.splitlines()) == 1
    assert "neither an OpenAPI document (no paths) nor a tools/list result" in err


def test_a_saved_catalogue_is_compared_with_a_tools_list_result(
    db: Path, tmp_path: Path, listing: Listing, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "versions", "show", "3", "--file", "catalogue", "--db", str(db))
    saved = tmp_path / "v3.json"
    saved.write_text(out, encoding="utf-8")
    current = tmp_path / "tools.json"
    current.write_text(json.dumps({"tools": listing.tools}), encoding="utf-8")
    assert run(capsys, "versions", "diff", str(saved), str(current)) == (0, "no changes\n", "")
