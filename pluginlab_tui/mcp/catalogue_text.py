"""A catalogue as plain text (`versions show N` of a catalogue version), and the one-line forms
of its parts that the TUI's catalogue screen shows too: a tool's annotations, a prompt's
signature, a widget as read."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pluginlab_tui.mcp.catalogue import Catalogue, Widget, template_uris

#: The annotations ChatGPT decides on confirmation from, shown first.
HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def annotations_line(tool: Mapping[str, Any]) -> str:
    """`readOnlyHint=true, openWorldHint=false, title=Add`, or `none`."""
    raw = tool.get("annotations")
    if not isinstance(raw, Mapping) or not raw:
        return "none"
    keys = [k for k in HINTS if k in raw] + [k for k in raw if k not in HINTS]
    return ", ".join(f"{key}={_value(raw[key])}" for key in keys)


def prompt_signature(prompt: Mapping[str, Any]) -> str:
    """`greet(name*, tone)`: the prompt's arguments, required ones starred."""
    raw = prompt.get("arguments")
    args = [a for a in raw if isinstance(a, Mapping)] if isinstance(raw, list) else []
    names = [f"{a.get('name')}{'*' if a.get('required') is True else ''}" for a in args]
    return f"{prompt.get('name')}({', '.join(names)})"


def widget_line(widget: Widget) -> str:
    """`read: text/html;profile=mcp-app, 1,234 bytes, sha256 0123456789`."""
    mime = widget.mime_type or "no mimeType"
    return f"read: {mime}, {widget.size:,} bytes, sha256 {widget.sha256[:10]}"


def unlisted_widgets(catalogue: Catalogue) -> list[Widget]:
    """The widgets read that no resources/list item names, by URI."""
    return [w for uri, w in sorted(catalogue.widgets.items()) if catalogue.resource(uri) is None]


def schema_text(schema: Any) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False)


def _indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line for line in text.splitlines())


def _described(head: str, item: Mapping[str, Any]) -> str:
    description = item.get("description")
    return f"{head} — {description}" if isinstance(description, str) and description else head


def _tool(tool: Mapping[str, Any]) -> list[str]:
    lines = [_described(str(tool.get("name")), tool)]
    if isinstance(tool.get("title"), str):
        lines.append(f"  title: {tool['title']}")
    lines.append(f"  annotations: {annotations_line(tool)}")
    for uri in template_uris(tool):
        lines.append(f"  widget template: {uri}")
    if "_meta" in tool:
        lines.append(f"  _meta: {json.dumps(tool['_meta'], ensure_ascii=False, sort_keys=True)}")
    for which in ("inputSchema", "outputSchema"):
        schema = tool.get(which)
        if schema is None:
            lines.append(f"  {which}: none")
        else:
            lines.append(f"  {which}:")
            lines.append(_indent(schema_text(schema)))
    return lines


def _section(title: str, items: tuple[dict[str, Any], ...] | None) -> list[str]:
    if items is None:
        return ["", f"# {title}: not listed"]
    return ["", f"# {title} ({len(items)})"]


def catalogue_text(catalogue: Catalogue) -> str:
    """Tools with their schemas and annotations, resources (with the widgets read), resource
    templates and prompts."""
    out: list[str] = []
    tools = catalogue.tools
    out += _section("tools", tools)
    for index, tool in enumerate(tools or ()):
        out += ([""] if index else []) + _tool(tool)
    resources = catalogue.items("resources/list")
    out += _section("resources", resources)
    for item in resources or ():
        uri = str(item.get("uri"))
        line = f"{uri}  {item.get('mimeType') or '-'}  {item.get('name') or ''}".rstrip()
        out.append(_described(line, item))
        if uri in catalogue.widgets:
            out.append(f"  {widget_line(catalogue.widgets[uri])}")
    unlisted = [
        w for uri, w in sorted(catalogue.widgets.items()) if catalogue.resource(uri) is None
    ]
    if unlisted:
        out += ["", f"# widgets read but not listed ({len(unlisted)})"]
        out += [f"{w.uri}  {widget_line(w)}" for w in unlisted]
    templates = catalogue.items("resources/templates/list")
    out += _section("resource templates", templates)
    for item in templates or ():
        line = f"{item.get('uriTemplate')}  {item.get('mimeType') or '-'}  {item.get('name') or ''}"
        out.append(_described(line.rstrip(), item))
    prompts = catalogue.items("prompts/list")
    out += _section("prompts", prompts)
    for item in prompts or ():
        out.append(_described(prompt_signature(item), item))
    return "\n".join(out[1:]) + "\n"
