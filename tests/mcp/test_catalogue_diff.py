"""What a catalogue change does to a caller: hand-made pairs, and two saved tools/list files."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pluginlab_tui.mcp.catalogue import Catalogue
from pluginlab_tui.mcp.catalogue_diff import diff_catalogues
from pluginlab_tui.plugin.diff import Change

ADD: dict[str, Any] = {
    "name": "add",
    "description": "Add.",
    "inputSchema": {
        "type": "object",
        "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
        "required": ["a"],
    },
    "outputSchema": {
        "type": "object",
        "properties": {"sum": {"type": "number"}},
        "required": ["sum"],
    },
}


def tools(*items: dict[str, Any]) -> Catalogue:
    return Catalogue().with_list("tools/list", None, {"tools": list(items)})


def changed(**edits: Any) -> dict[str, Any]:
    tool = copy.deepcopy(ADD)
    for path, value in edits.items():
        node = tool
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[key]
        if value is None:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return tool


def kinds(changes: list[Change]) -> dict[str, bool]:
    return {c.kind: c.breaking for c in changes}


def test_the_same_catalogue_has_no_changes() -> None:
    assert diff_catalogues(tools(ADD), tools(copy.deepcopy(ADD))) == []


@pytest.mark.parametrize(
    ("new", "kind", "breaking"),
    [
        ([], "tool-removed", True),
        ([ADD, {"name": "sub", "inputSchema": {"type": "object"}}], "tool-added", False),
        ([changed(inputSchema__required=["a", "b"])], "property-made-required", True),
        (
            [
                changed(
                    inputSchema__properties__c={"type": "string"}, inputSchema__required=["a", "c"]
                )
            ],
            "property-added",
            True,
        ),
        ([changed(inputSchema__properties__c={"type": "string"})], "property-added", False),
        ([changed(inputSchema__properties__a={"type": "integer"})], "type-changed", True),
        (
            [changed(inputSchema__properties__b={"type": ["number", "string"]})],
            "type-changed",
            False,
        ),
        ([changed(outputSchema__properties__sum={"type": "integer"})], "type-changed", False),
        ([changed(outputSchema__required=[])], "property-made-optional", True),
        ([changed(outputSchema=None)], "output-schema-removed", True),
        ([changed(description="Adds.")], "description-changed", False),
        ([changed(annotations={"readOnlyHint": True})], "annotations-changed", False),
        ([changed(_meta={"openai/outputTemplate": "ui://a"})], "meta-changed", False),
    ],
)
def test_what_breaks_a_caller(new: list[dict[str, Any]], kind: str, breaking: bool) -> None:
    found = kinds(diff_catalogues(tools(ADD), tools(*new)))
    assert found.get(kind) is breaking, found


def test_changes_name_the_tool() -> None:
    (change,) = diff_catalogues(tools(ADD), tools(changed(inputSchema__required=["a", "b"])))
    assert change.operation == "add" and change.where == "add arguments.b"


def test_resources_prompts_and_widgets() -> None:
    def cat(prompt_required: bool, html: str, resources: list[dict[str, Any]]) -> Catalogue:
        prompt = {"name": "greet", "arguments": [{"name": "who", "required": prompt_required}]}
        read = {"contents": [{"uri": "ui://w", "mimeType": "text/html+skybridge", "text": html}]}
        return (
            Catalogue()
            .with_list("prompts/list", None, {"prompts": [prompt]})
            .with_list("resources/list", None, {"resources": resources})
            .with_read("ui://w", read)
        )

    listed = [{"uri": "ui://w", "name": "w"}]
    found = kinds(diff_catalogues(cat(False, "<a>", listed), cat(True, "<b>", [])))
    assert found == {
        "argument-made-required": True,
        "resource-removed": True,
        "widget-changed": False,
    }


def test_lists_one_side_never_saw_are_not_compared() -> None:
    assert diff_catalogues(Catalogue(), tools(ADD)) == []
