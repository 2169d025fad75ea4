"""Compare two catalogues, and say which changes break a caller.

Breaking: a tool, prompt, resource or template removed; a new required argument; a type
narrowed or a constraint tightened in an inputSchema; a promise dropped from an outputSchema; a
prompt argument made required. Not breaking: new tools and optional arguments, description,
annotation and `_meta` changes, a widget's HTML changed (still reported: ChatGPT keeps the one
it fetched). Changes have plugin/diff.py's shape, `operation` naming the tool.
"""

from __future__ import annotations

from typing import Any

from pluginlab_tui.mcp.catalogue import LISTS, Catalogue
from pluginlab_tui.plugin.diff import Change, diff_schemas

_NOUN = {
    "tools/list": "tool",
    "resources/list": "resource",
    "resources/templates/list": "resource template",
    "prompts/list": "prompt",
}
_TOOL_FIELDS = ("title", "description", "annotations", "_meta", "icons", "execution")


def diff_catalogues(old: Catalogue, new: Catalogue) -> list[Change]:
    """Changes from `old` to `new`; a list neither catalogue has seen is not compared."""
    changes: list[Change] = []
    for method, (_, ident) in LISTS.items():
        before, after = old.items(method), new.items(method)
        if before is None or after is None:
            continue
        changes.extend(_list(method, ident, before, after))
    for uri, widget in old.widgets.items():
        now = new.widgets.get(uri)
        if now is not None and now.sha256 != widget.sha256:
            changes.append(
                Change(
                    "widget-changed",
                    None,
                    uri,
                    f"the widget HTML of {uri} changed ({widget.size} → {now.size} bytes)",
                    False,
                )
            )
        if now is not None and now.mime_type != widget.mime_type:
            changes.append(
                Change(
                    "widget-mime-changed",
                    None,
                    uri,
                    f"the widget's mimeType changed from {widget.mime_type!r} to {now.mime_type!r}",
                    False,
                )
            )
    return changes


def _list(
    method: str, ident: str, before: tuple[dict[str, Any], ...], after: tuple[dict[str, Any], ...]
) -> list[Change]:
    noun = _NOUN[method]
    kind = noun.replace(" ", "-")
    old = {str(i.get(ident)): i for i in before}
    new = {str(i.get(ident)): i for i in after}
    changes: list[Change] = []
    tool = method == "tools/list"
    for key, item in old.items():
        op = key if tool else None
        if key not in new:
            changes.append(Change(f"{kind}-removed", op, key, f"{noun} {key!r} was removed", True))
        elif tool:
            changes.extend(_tool(key, item, new[key]))
        elif method == "prompts/list":
            changes.extend(_prompt(key, item, new[key]))
        elif item != new[key]:
            changes.append(Change(f"{kind}-changed", None, key, f"{noun} {key!r} changed", False))
    for key in new:
        if key not in old:
            op = key if tool else None
            changes.append(Change(f"{kind}-added", op, key, f"{noun} {key!r} was added", False))
    return changes


def _tool(name: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes: list[Change] = []
    for field in _TOOL_FIELDS:
        if old.get(field) != new.get(field):
            label = field.lstrip("_")
            changes.append(
                Change(f"{label}-changed", name, f"{name} {field}", f"{field} changed", False)
            )
    old_in, new_in = old.get("inputSchema"), new.get("inputSchema")
    changes.extend(diff_schemas(old_in, new_in, f"{name} arguments", "request", name))
    old_out, new_out = old.get("outputSchema"), new.get("outputSchema")
    if isinstance(old_out, dict) and not isinstance(new_out, dict):
        changes.append(
            Change(
                "output-schema-removed",
                name,
                f"{name} structuredContent",
                "the outputSchema was removed: structuredContent is no longer promised",
                True,
            )
        )
    elif isinstance(new_out, dict) and not isinstance(old_out, dict):
        changes.append(
            Change(
                "output-schema-added",
                name,
                f"{name} structuredContent",
                "an outputSchema was added",
                False,
            )
        )
    else:
        changes.extend(
            diff_schemas(old_out, new_out, f"{name} structuredContent", "response", name)
        )
    return changes


def _prompt_args(prompt: dict[str, Any]) -> dict[str, bool]:
    raw = prompt.get("arguments")
    args = raw if isinstance(raw, list) else []
    return {str(a.get("name")): a.get("required") is True for a in args if isinstance(a, dict)}


def _prompt(name: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes: list[Change] = []
    before, after = _prompt_args(old), _prompt_args(new)
    for arg, required in after.items():
        where = f"prompt {name} argument {arg}"
        if arg not in before:
            word = "required" if required else "optional"
            changes.append(
                Change(
                    "argument-added", None, where, f"{word} argument {arg!r} was added", required
                )
            )
        elif required and not before[arg]:
            changes.append(
                Change("argument-made-required", None, where, f"{arg!r} is now required", True)
            )
    for arg in before:
        if arg not in after:
            where = f"prompt {name} argument {arg}"
            changes.append(Change("argument-removed", None, where, f"{arg!r} was removed", False))
    if old.get("description") != new.get("description"):
        changes.append(
            Change("description-changed", None, f"prompt {name}", "description changed", False)
        )
    return changes
