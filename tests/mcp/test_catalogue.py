"""The catalogue: built from list and read results, fingerprinted, compiled once, saved."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pluginlab_tui.mcp.catalogue import Catalogue, template_uris

TOOL: dict[str, Any] = {
    "name": "show",
    "description": "Show a card.",
    "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}},
    "annotations": {"readOnlyHint": True},
    "_meta": {"ui": {"resourceUri": "ui://card.html"}, "openai/outputTemplate": "ui://old.html"},
}
HTML = {
    "contents": [{"uri": "ui://card.html", "mimeType": "text/html;profile=mcp-app", "text": "<b>"}]
}


def catalogue(tool: dict[str, Any] = TOOL) -> Catalogue:
    return (
        Catalogue()
        .with_list("tools/list", None, {"tools": [tool, {"name": "b", "inputSchema": {}}]})
        .with_list("resources/list", None, {"resources": [{"uri": "ui://card.html", "name": "c"}]})
        .with_list(
            "resources/templates/list",
            None,
            {"resourceTemplates": [{"uriTemplate": "notes://{id}", "name": "n"}]},
        )
        .with_read("ui://card.html", HTML)
    )


def test_lists_and_widgets_are_kept() -> None:
    cat = catalogue()
    assert cat.tool("show") == TOOL and cat.tool("nope") is None
    assert cat.resource_listed("ui://card.html") is True
    assert cat.resource_listed("notes://12") is True
    assert cat.resource_listed("notes://12/extra") is False
    assert Catalogue().resource_listed("x://y") is None
    assert template_uris(TOOL) == ["ui://card.html", "ui://old.html"]
    assert cat.widgets["ui://card.html"].mime_type == "text/html;profile=mcp-app"


def test_a_page_asked_with_a_cursor_extends_the_list() -> None:
    first = Catalogue().with_list("tools/list", None, {"tools": [{"name": "a"}], "nextCursor": "2"})
    both = first.with_list("tools/list", {"cursor": "2"}, {"tools": [{"name": "b"}]})
    assert [t["name"] for t in both.tools or ()] == ["a", "b"]
    fresh = both.with_list("tools/list", None, {"tools": [{"name": "c"}]})
    assert [t["name"] for t in fresh.tools or ()] == ["c"]


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.update(description="Show a bigger card."),
        lambda t: t["inputSchema"]["properties"].update(size={"type": "integer"}),
        lambda t: t["annotations"].update(readOnlyHint=False),
        lambda t: t["_meta"].update({"openai/toolInvocation/invoking": "Showing"}),
        lambda t: t.update(name="show2"),
    ],
)
def test_every_change_a_client_sees_changes_the_fingerprint(change: Any) -> None:
    tool = copy.deepcopy(TOOL)
    change(tool)
    assert catalogue(tool).fingerprint != catalogue().fingerprint


def test_the_fingerprint_is_stable_and_ignores_order_and_cache_hints() -> None:
    a = Catalogue().with_list("tools/list", None, {"tools": [{"name": "x"}, {"name": "y"}]})
    b = Catalogue().with_list(
        "tools/list",
        None,
        {"tools": [{"name": "y"}, {"name": "x"}], "ttlMs": 5, "cacheScope": "public"},
    )
    assert a.fingerprint == b.fingerprint
    assert catalogue().fingerprint == catalogue().fingerprint


def test_widget_html_changes_the_fingerprint() -> None:
    other = {"contents": [{**HTML["contents"][0], "text": "<i>"}]}
    assert catalogue().with_read("ui://card.html", other).fingerprint != catalogue().fingerprint
    # a data resource read is not part of the catalogue
    data = {"contents": [{"uri": "notes://1", "mimeType": "text/plain", "text": "x"}]}
    assert catalogue().with_read("notes://1", data).fingerprint == catalogue().fingerprint


def test_schemas_are_compiled_once_per_catalogue() -> None:
    cat = catalogue()
    schema = cat.schema("show", "inputSchema")
    assert schema is not None and schema is cat.schema("show", "inputSchema")
    assert schema.is_valid({"id": "1"}) and not schema.is_valid({"id": 1})
    assert cat.schema("show", "outputSchema") is None
    deep: dict[str, Any] = {"type": "object"}
    for _ in range(100):
        deep = {"type": "object", "properties": {"a": deep}}
    assert (
        Catalogue()
        .with_list("tools/list", None, {"tools": [{"name": "d", "inputSchema": deep}]})
        .schema("d", "inputSchema")
        is None
    )


def test_a_catalogue_survives_json() -> None:
    cat = catalogue()
    again = Catalogue.from_json(cat.to_json())
    assert again.fingerprint == cat.fingerprint
    assert again.tool("show") == TOOL
    with pytest.raises(ValueError):
        Catalogue.from_json("[1]")
