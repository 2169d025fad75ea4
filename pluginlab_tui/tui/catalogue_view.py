"""What the catalogue screen shows, as Rich renderables: a catalogue version's tools (schemas,
annotations, widget), resources and templates, prompts, the versions and the changes from one
to the next. Pure functions: no widgets, no store."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from pluginlab_tui.contract.summary import contents_line, fingerprint, lint_line
from pluginlab_tui.mcp.catalogue import Catalogue, Widget, template_uris
from pluginlab_tui.mcp.catalogue_text import (
    annotations_line,
    prompt_signature,
    schema_text,
    widget_line,
)
from pluginlab_tui.plugin.diff import Change
from pluginlab_tui.store.versions import VersionRecord
from pluginlab_tui.tui.version_view import changes_view, syntax

EMPTY = "No catalogue version recorded yet: the proxy records one when an MCP client lists tools."


def heading(record: VersionRecord, catalogue: Catalogue, newest: bool) -> Text:
    """`Version 4 (newest), 2026-11-25 09:10:00: 3 tools, 1 resource, ...`."""
    note = " (newest)" if newest else ""
    return Text.assemble(
        (f"Version {record.number}{note}", "bold"),
        f", {record.ts[:19].replace('T', ' ')}: {contents_line(catalogue)}",
    )


def _table(title: str, *columns: str) -> Table:
    """A titled table; a description's column wraps, the others fold long values."""
    table = Table(title=title, title_justify="left", expand=True, show_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold", ratio=2 if column == "description" else None)
    return table


def _widget_cell(widget: Widget | None, listed_mime: str) -> str:
    """A widget as read, beside its listing: size and hash (and its MIME type if it differs)."""
    if widget is None:
        return "-"
    cell = f"{widget.size:,} bytes, sha256 {widget.sha256[:8]}"
    mime = widget.mime_type or "no mimeType"
    return cell if mime == listed_mime else f"{cell}, read as {mime}"


def _not_listed(what: str) -> Text:
    return Text(f"the server's {what} were not listed in this version", style="dim")


def _schema(tool: dict[str, Any], which: str, dark: bool) -> RenderableType:
    schema = tool.get(which)
    body: RenderableType = (
        Text("none", style="dim")
        if schema is None
        else syntax(schema_text(schema), "json", dark, line_numbers=False)
    )
    return Panel(body, title=which, title_align="left", border_style="dim")


def tool_view(tool: dict[str, Any], dark: bool) -> RenderableType:
    """One tool: name and title, description, annotations, widget, `_meta`, both schemas."""
    head = Text(str(tool.get("name")), style="bold")
    if isinstance(tool.get("title"), str):
        head.append(f"  {tool['title']}", style="italic")
    lines: list[RenderableType] = [head]
    description = tool.get("description")
    if isinstance(description, str) and description:
        lines.append(Text(description))
    else:
        lines.append(Text("no description", style="yellow"))
    hints = annotations_line(tool)
    lines.append(
        Text.assemble(("annotations: ", "dim"), (hints, "yellow" if hints == "none" else ""))
    )
    for uri in template_uris(tool):
        lines.append(Text.assemble(("widget template: ", "dim"), uri))
    if "_meta" in tool:
        meta = json.dumps(tool["_meta"], ensure_ascii=False, sort_keys=True)
        lines.append(Text.assemble(("_meta: ", "dim"), meta))
    schemas = Table.grid(expand=True, padding=(0, 1))
    schemas.add_column(ratio=1)
    schemas.add_column(ratio=1)
    schemas.add_row(_schema(tool, "inputSchema", dark), _schema(tool, "outputSchema", dark))
    lines.append(schemas)
    return Group(*lines)


def tools_view(record: VersionRecord, catalogue: Catalogue, newest: bool, dark: bool) -> Group:
    parts: list[RenderableType] = [heading(record, catalogue, newest)]
    tools = catalogue.tools
    if tools is None:
        parts.append(_not_listed("tools"))
    elif not tools:
        parts.append(Text("the server lists no tools", style="yellow"))
    for tool in tools or ():
        parts += [Text(""), tool_view(tool, dark)]
    return Group(*parts)


def resources_view(record: VersionRecord, catalogue: Catalogue, newest: bool) -> Group:
    """The resources listed (with the widget read under each URI), the widgets read but not
    listed, and the resource templates."""
    parts: list[RenderableType] = [heading(record, catalogue, newest), Text("")]
    resources = catalogue.items("resources/list")
    if resources is None:
        parts.append(_not_listed("resources"))
    else:
        table = _table("Resources", "uri", "name", "mimeType", "widget", "description")
        for item in resources:
            uri = str(item.get("uri"))
            listed_mime = str(item.get("mimeType") or "-")
            table.add_row(
                uri,
                str(item.get("name") or ""),
                listed_mime,
                _widget_cell(catalogue.widgets.get(uri), listed_mime),
                str(item.get("description") or ""),
            )
        parts.append(table)
    unlisted = [
        w for uri, w in sorted(catalogue.widgets.items()) if catalogue.resource(uri) is None
    ]
    if unlisted:
        parts.append(Text("\nWidgets read but not listed", style="bold"))
        parts += [Text(f"{w.uri}  {widget_line(w)}") for w in unlisted]
    templates = catalogue.items("resources/templates/list")
    parts.append(Text(""))
    if templates is None:
        parts.append(_not_listed("resource templates"))
    else:
        table = Table(
            title="Resource templates", title_justify="left", expand=True, show_edge=False
        )
        for column in ("uriTemplate", "name", "mimeType", "description"):
            table.add_column(column, no_wrap=column != "description")
        for item in templates:
            table.add_row(
                str(item.get("uriTemplate")),
                str(item.get("name") or ""),
                str(item.get("mimeType") or "-"),
                str(item.get("description") or ""),
            )
        parts.append(table)
    return Group(*parts)


def prompts_view(record: VersionRecord, catalogue: Catalogue, newest: bool) -> Group:
    parts: list[RenderableType] = [heading(record, catalogue, newest), Text("")]
    prompts = catalogue.items("prompts/list")
    if prompts is None:
        parts.append(_not_listed("prompts"))
        return Group(*parts)
    table = _table("Prompts", "prompt (* required)", "description")
    for item in prompts:
        table.add_row(prompt_signature(item), str(item.get("description") or ""))
    parts.append(table)
    return Group(*parts)


def versions_table(records: list[VersionRecord], catalogues: list[Catalogue]) -> Table:
    """Every catalogue version, the newest first."""
    table = _table("Catalogue versions", "number", "recorded", "hash", "lint", "contents")
    for record, catalogue in reversed(list(zip(records, catalogues, strict=True))):
        table.add_row(
            str(record.number),
            record.ts[:19].replace("T", " "),
            fingerprint(record)[:10],
            lint_line(record),
            contents_line(catalogue),
        )
    return table


def diff_view(old: VersionRecord | None, new: VersionRecord, changes: list[Change]) -> Group:
    """The changes from the catalogue version before `new` to `new`, breaking ones marked."""
    if old is None:
        return Group(
            Text(f"Version {new.number}", style="bold"),
            Text("the first catalogue version: nothing before it to compare", style="dim"),
        )
    title = Text(f"Version {old.number} → {new.number}", style="bold")
    return Group(title, *changes_view(changes, "catalogue", "tool"))


def notices_view(notices: list[dict[str, Any]]) -> RenderableType:
    """What clients were not told: catalogue changes after they listed (ChatGPT keeps what it
    listed until the connector is refreshed)."""
    if not notices:
        return Text("")
    lines: list[RenderableType] = [Text("\nNotices", style="bold")]
    for notice in notices:
        ts = str(notice.get("ts", ""))[:19].replace("T", " ")
        lines.append(Text.assemble((f"{ts}  ", "dim"), ("⚠ ", "yellow"), str(notice["message"])))
    return Group(*lines)
