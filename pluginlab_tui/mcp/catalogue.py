"""The server's catalogue: what tools/list, resources/list, resources/templates/list and
prompts/list returned, and the widget templates resources/read served.

A Catalogue is immutable: each result makes a new one. Its fingerprint changes with any change a
client would see (a tool added or removed, a schema, description, annotations or `_meta`, a
widget's HTML); its tools' schemas are compiled once, on first use.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from mcp.server.apps import APP_MIME_TYPE
from mcp.shared.uri_template import InvalidUriTemplate, UriTemplate

from pluginlab_tui.contract.document import escape
from pluginlab_tui.mcp.jsonrpc import too_deep
from pluginlab_tui.validation.schemas import CompiledSchema, compile_schema

#: The list methods, with the result key holding their items and the key naming each item.
LISTS: dict[str, tuple[str, str]] = {
    "tools/list": ("tools", "name"),
    "resources/list": ("resources", "uri"),
    "resources/templates/list": ("resourceTemplates", "uriTemplate"),
    "prompts/list": ("prompts", "name"),
}
#: The MIME types a widget template may have: the MCP Apps one and ChatGPT's older one.
WIDGET_MIME_TYPES = (APP_MIME_TYPE, "text/html+skybridge")
#: Schemas nesting deeper than this are not compiled (the check is skipped and says so).
MAX_SCHEMA_DEPTH = 64
#: Items kept per list (a server cannot grow the catalogue without bound).
MAX_ITEMS = 10_000


@dataclass(frozen=True, slots=True)
class Widget:
    """A widget template as resources/read served it: its MIME type and a hash of its HTML."""

    uri: str
    mime_type: str | None
    sha256: str
    size: int


def template_uris(tool: Mapping[str, Any]) -> list[str]:
    """The widget URIs a tool names: `_meta.ui.resourceUri`, `openai/outputTemplate`."""
    meta = tool.get("_meta")
    if not isinstance(meta, Mapping):
        return []
    found: list[str] = []
    ui = meta.get("ui")
    candidates = [
        ui.get("resourceUri") if isinstance(ui, Mapping) else None,
        meta.get("ui/resourceUri"),
        meta.get("openai/outputTemplate"),
    ]
    for uri in candidates:
        if isinstance(uri, str) and uri not in found:
            found.append(uri)
    return found


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _by(ident: str) -> Callable[[dict[str, Any]], str]:
    return lambda item: _canonical(item.get(ident))


class Catalogue:
    """Lists as last seen (None: never seen) and widgets by URI."""

    def __init__(
        self,
        lists: Mapping[str, tuple[dict[str, Any], ...]] | None = None,
        widgets: Mapping[str, Widget] | None = None,
    ) -> None:
        self.lists: dict[str, tuple[dict[str, Any], ...]] = dict(lists or {})
        self.widgets: dict[str, Widget] = dict(widgets or {})

    # -- reading ---------------------------------------------------------------------------

    def items(self, method: str) -> tuple[dict[str, Any], ...] | None:
        return self.lists.get(method)

    @property
    def tools(self) -> tuple[dict[str, Any], ...] | None:
        return self.lists.get("tools/list")

    @cached_property
    def _tools_by_name(self) -> dict[str, dict[str, Any]]:
        return {str(t.get("name")): t for t in self.tools or ()}

    def tool(self, name: str) -> dict[str, Any] | None:
        return self._tools_by_name.get(name)

    @cached_property
    def _resource_uris(self) -> frozenset[str]:
        return frozenset(str(r.get("uri")) for r in self.lists.get("resources/list") or ())

    @cached_property
    def _templates(self) -> list[UriTemplate | None]:
        out: list[UriTemplate | None] = []
        for item in self.lists.get("resources/templates/list") or ():
            try:
                out.append(UriTemplate.parse(str(item.get("uriTemplate"))))
            except InvalidUriTemplate:
                out.append(None)  # one the SDK cannot match: it matches nothing here either
        return out

    def resource_listed(self, uri: str) -> bool | None:
        """Listed, or matching a listed template; None when neither list was seen."""
        if "resources/list" not in self.lists and "resources/templates/list" not in self.lists:
            return None
        if uri in self._resource_uris:
            return True
        return any(t is not None and t.match(uri) is not None for t in self._templates)

    def resource(self, uri: str) -> dict[str, Any] | None:
        for item in self.lists.get("resources/list") or ():
            if item.get("uri") == uri:
                return item
        return None

    @cached_property
    def widget_uris(self) -> frozenset[str]:
        """Every URI a tool names as its widget template."""
        return frozenset(uri for tool in self.tools or () for uri in template_uris(tool))

    def is_widget(self, uri: str, mime_type: Any = None) -> bool:
        return uri in self.widget_uris or uri.startswith("ui://") or mime_type in WIDGET_MIME_TYPES

    # -- compiled schemas (once per catalogue) ---------------------------------------------

    @cached_property
    def _compiled(self) -> dict[tuple[str, str], CompiledSchema | None]:
        return {}

    def schema(self, name: str, which: str) -> CompiledSchema | None:
        """The compiled `inputSchema` or `outputSchema` of a tool; None if absent or unusable."""
        key = (name, which)
        if key not in self._compiled:
            tool = self.tool(name)
            raw = tool.get(which) if tool is not None else None
            compiled = None
            if isinstance(raw, dict) and not too_deep(raw, MAX_SCHEMA_DEPTH):
                compiled = compile_schema(raw, f"/tools/{escape(name)}/{which}")
            self._compiled[key] = compiled
        return self._compiled[key]

    # -- new versions ----------------------------------------------------------------------

    def with_list(
        self, method: str, params: Mapping[str, Any] | None, result: Mapping[str, Any]
    ) -> Catalogue:
        """The catalogue after a list result (a page asked with a cursor extends the list)."""
        key, ident = LISTS[method]
        raw = result.get(key)
        page = (
            [dict(item) for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []
        )
        paged = isinstance(params, Mapping) and params.get("cursor") is not None
        merged: dict[str, dict[str, Any]] = {}
        if paged:
            for item in self.lists.get(method) or ():
                merged[_canonical(item.get(ident))] = item
        for item in page:
            merged[_canonical(item.get(ident))] = item
        lists = {**self.lists, method: tuple(list(merged.values())[:MAX_ITEMS])}
        return Catalogue(lists, self.widgets)

    def with_read(self, uri: str, result: Mapping[str, Any]) -> Catalogue:
        """The catalogue after a resources/read: its widget contents kept (as hashes)."""
        widgets = dict(self.widgets)
        contents = result.get("contents")
        for item in contents if isinstance(contents, list) else []:
            if not isinstance(item, dict):
                continue
            raw_uri = item.get("uri")
            item_uri = raw_uri if isinstance(raw_uri, str) else uri
            if not self.is_widget(item_uri, item.get("mimeType")):
                continue
            body = item.get("text") if isinstance(item.get("text"), str) else item.get("blob")
            data = str(body or "").encode("utf-8", "surrogatepass")
            mime = item.get("mimeType") if isinstance(item.get("mimeType"), str) else None
            widgets[item_uri] = Widget(item_uri, mime, hashlib.sha256(data).hexdigest(), len(data))
        return Catalogue(self.lists, widgets)

    # -- identity and storage --------------------------------------------------------------

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for method, (key, ident) in LISTS.items():
            if method in self.lists:
                data[key] = sorted(self.lists[method], key=_by(ident))
        data["widgets"] = {
            uri: {"mimeType": w.mime_type, "sha256": w.sha256, "size": w.size}
            for uri, w in sorted(self.widgets.items())
        }
        return data

    @cached_property
    def fingerprint(self) -> str:
        """A stable hash of everything a client sees (order of list items aside)."""
        return hashlib.sha256(
            _canonical(self.to_data()).encode("utf-8", "surrogatepass")
        ).hexdigest()

    def to_json(self) -> str:
        return json.dumps(self.to_data(), sort_keys=True, indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Catalogue:
        """A catalogue saved by to_json; ValueError if the text is not one."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("a saved catalogue is a JSON object")
        lists: dict[str, tuple[dict[str, Any], ...]] = {}
        for method, (key, _) in LISTS.items():
            items = data.get(key)
            if isinstance(items, list):
                lists[method] = tuple(i for i in items if isinstance(i, dict))
        widgets: dict[str, Widget] = {}
        raw = data.get("widgets")
        for uri, w in (raw if isinstance(raw, dict) else {}).items():
            if isinstance(w, dict):
                widgets[uri] = Widget(
                    uri, w.get("mimeType"), str(w.get("sha256")), int(w.get("size") or 0)
                )
        return cls(lists, widgets)
