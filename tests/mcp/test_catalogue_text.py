"""A catalogue as text: tools with schemas and annotations, resources, templates, prompts."""

from __future__ import annotations

from pluginlab_tui.mcp.catalogue import Catalogue
from pluginlab_tui.mcp.catalogue_text import (
    annotations_line,
    catalogue_text,
    prompt_signature,
    unlisted_widgets,
)

WIDGET = "ui://board.html"
TOOL = {
    "name": "board",
    "description": "Show the board.",
    "inputSchema": {"type": "object", "properties": {"column": {"type": "string"}}},
    "annotations": {"title": "Board", "openWorldHint": False, "readOnlyHint": True},
    "_meta": {"openai/outputTemplate": WIDGET},
}
READ = {"contents": [{"uri": WIDGET, "mimeType": "text/html+skybridge", "text": "<div></div>"}]}


def test_the_hints_come_first_and_a_prompts_required_arguments_are_starred() -> None:
    assert annotations_line(TOOL) == "readOnlyHint=true, openWorldHint=false, title=Board"
    assert annotations_line({"name": "x"}) == "none"
    prompt = {"name": "p", "arguments": [{"name": "a", "required": True}, {"name": "b"}]}
    assert prompt_signature(prompt) == "p(a*, b)"
    assert prompt_signature({"name": "q"}) == "q()"


def test_the_whole_catalogue_reads_section_by_section() -> None:
    catalogue = (
        Catalogue()
        .with_list("tools/list", None, {"tools": [TOOL]})
        .with_list("resources/list", None, {"resources": []})
        .with_read(WIDGET, READ)
    )
    assert [w.uri for w in unlisted_widgets(catalogue)] == [WIDGET]
    text = catalogue_text(catalogue)
    assert text.startswith("# tools (1)\nboard — Show the board.\n")
    assert "  annotations: readOnlyHint=true, openWorldHint=false, title=Board\n" in text
    assert f"  widget template: {WIDGET}\n" in text
    assert '  inputSchema:\n    {\n      "type": "object",' in text
    assert "  outputSchema: none\n" in text
    assert "# resources (0)\n" in text
    assert "# widgets read but not listed (1)\n" in text
    assert f"{WIDGET}  read: text/html+skybridge, 11 bytes, sha256 " in text
    assert "# resource templates: not listed\n" in text and "# prompts: not listed\n" in text
