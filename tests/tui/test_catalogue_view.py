"""The catalogue screen's renderables, rendered to text: tools, resources, prompts, the diff."""

from __future__ import annotations

from rich.console import RenderableType
from textual.widgets import Static

from pluginlab_tui.mcp.catalogue import Catalogue
from pluginlab_tui.mcp.catalogue_diff import diff_catalogues
from pluginlab_tui.store.versions import CATALOGUE, VersionRecord
from pluginlab_tui.tui.catalogue_view import (
    diff_view,
    notices_view,
    prompts_view,
    resources_view,
    tools_view,
)
from tests.tui.conftest import TOOLS, board, shown


def text(renderable: RenderableType) -> str:
    return shown(Static(renderable))


def version(number: int, catalogue: Catalogue) -> VersionRecord:
    return VersionRecord(
        number=number,
        ts="2026-11-25T09:00:10.000Z",
        manifest_hash=None,
        spec_hash=None,
        manifest_text=None,
        spec_text=None,
        lint_summary={},
        lint_findings=[],
        kind=CATALOGUE,
        catalogue_hash=catalogue.fingerprint,
        catalogue_text=catalogue.to_json(),
    )


def test_a_tool_shows_its_schemas_side_by_side_and_missing_parts_are_said() -> None:
    catalogue = board([TOOLS[2], {"name": "bare", "inputSchema": {"type": "object"}}])
    shown_text = text(tools_view(version(3, catalogue), catalogue, False, dark=True))
    assert shown_text.startswith("Version 3, 2026-11-25 09:00:10: 2 tools,")
    assert "(newest)" not in shown_text
    (panels,) = [line for line in shown_text.splitlines() if "inputSchema" in line][:1]
    assert "outputSchema" in panels  # one row: both schemas beside each other
    assert "no description" in shown_text and "annotations: none" in shown_text
    unlisted = Catalogue()
    assert "tools were not listed" in text(tools_view(version(4, unlisted), unlisted, True, True))


def test_resources_templates_and_prompts() -> None:
    catalogue = board(TOOLS)
    resources = text(resources_view(version(3, catalogue), catalogue, True))
    assert "Resources" in resources and "Resource templates" in resources
    (row,) = [line for line in resources.splitlines() if "ui://board/board.html" in line]
    assert "text/html;profile=mcp-app" in row and "7 bytes, sha256 " in row
    assert "board://cards/{card_id}" in resources
    prompts = text(prompts_view(version(3, catalogue), catalogue, True))
    assert "triage(column*, tone)" in prompts and "Ask for a plan" in prompts
    assert "prompts were not listed" in text(
        prompts_view(version(3, Catalogue()), Catalogue(), True)
    )


def test_the_diff_marks_what_breaks_first() -> None:
    old, new = board(TOOLS), board([*TOOLS[:2], {"name": "archive", "inputSchema": {}}])
    changes = diff_catalogues(old, new)
    shown_text = text(diff_view(version(3, old), version(4, new), changes))
    lines = shown_text.splitlines()
    assert lines[0] == "Version 3 → 4" and "2 catalogue change(s), 1 breaking" in lines[1]
    rows = [
        [c.strip() for c in line.split("│")][:2]
        for line in lines
        if "archive" in line or "delete_card" in line
    ]
    assert rows == [["breaking", "delete_card"], ["ok", "archive"]]
    first = text(diff_view(None, version(3, old), []))
    assert "the first catalogue version" in first


def test_notices_are_listed_newest_first_as_given() -> None:
    assert text(notices_view([])).strip() == ""
    notices = [
        {"ts": "2026-11-25T09:02:00.000Z", "kind": "catalogue", "message": "second"},
        {"ts": "2026-11-25T09:01:00.000Z", "kind": "catalogue", "message": "first"},
    ]
    lines = text(notices_view(notices)).strip().splitlines()
    assert lines == ["Notices", "2026-11-25 09:02:00  ⚠ second", "2026-11-25 09:01:00  ⚠ first"]
