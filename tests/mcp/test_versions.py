"""Catalogue versions registered in a real store, and the notices when one changes a part a
session listed."""

from __future__ import annotations

from pathlib import Path

from pluginlab_tui.mcp.catalogue import Catalogue
from pluginlab_tui.mcp.versions import CatalogueVersions
from pluginlab_tui.store import queries
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.versions import all_versions

TOOL: dict[str, object] = {"name": "add", "inputSchema": {"type": "object"}}


def tools(*items: dict[str, object]) -> Catalogue:
    return Catalogue().with_list("tools/list", None, {"tools": list(items)})


def test_a_new_fingerprint_is_a_new_version_and_the_same_one_is_not(tmp_path: Path) -> None:
    conn = open_store(tmp_path / "s.db", create=True)
    versions = CatalogueVersions()
    first = versions.number(conn, tools(TOOL))
    assert versions.number(conn, tools(TOOL)) == first
    second = versions.number(conn, tools(TOOL, {**TOOL, "name": "sub"}))
    assert second == first + 1
    stored = all_versions(conn, "catalogue")
    assert [v.number for v in stored] == [first, second]
    assert stored[0].catalogue_hash == tools(TOOL).fingerprint
    assert queries.notices(conn) == []  # nobody listed anything: nobody is told


def test_a_session_that_listed_a_part_is_told_when_it_changes_once(tmp_path: Path) -> None:
    conn = open_store(tmp_path / "s.db", create=True)
    versions = CatalogueVersions()
    old = tools(TOOL)
    number = versions.number(conn, old)
    versions.listed("s1", "tools/list", old, number)
    versions.listed("s2", "prompts/list", old, number)  # never listed: nothing to compare
    changed = tools({**TOOL, "description": "now described"})
    newer = versions.number(conn, changed)
    versions.number(conn, changed)
    told = [n["message"] for n in queries.notices(conn) if n["kind"] == "catalogue"]
    assert told == [
        f"session s1 listed tools at version {number}; the server now answers version {newer}:"
        " ChatGPT keeps what it listed until the connector is refreshed"
    ]
    # a change elsewhere (a widget read) does not tell s1 about its tools again
    widget = changed.with_read("ui://w", {"contents": [{"uri": "ui://w", "text": "<p>"}]})
    versions.number(conn, widget)
    assert len([n for n in queries.notices(conn) if n["kind"] == "catalogue"]) == 1
