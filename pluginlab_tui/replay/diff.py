"""The comparison of a replayed answer with the original's: status, headers, JSON body."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pluginlab_tui.replay.request import event_body
from pluginlab_tui.store.event import Event
from pluginlab_tui.wire import EVENT_HEADER, REDACTED, VIOLATIONS_HEADER

#: Response headers that differ on every answer; left out of a comparison.
VOLATILE_HEADERS = frozenset(
    {
        "date",
        "server",
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "age",
        "expires",
        EVENT_HEADER.lower(),
        VIOLATIONS_HEADER.lower(),
        "x-request-id",
        "x-runtime",
    }
)


@dataclass(frozen=True)
class Change:
    """One difference: where (`status`, `header.X`, or a body path like `$.todos[0].id`)."""

    where: str
    kind: str  # changed | added | removed | type
    old: Any = None
    new: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"where": self.where, "kind": self.kind, "old": self.old, "new": self.new}

    def line(self) -> str:
        if self.kind == "added":
            return f"+ {self.where}: {_show(self.new)}"
        if self.kind == "removed":
            return f"- {self.where}: {_show(self.old)}"
        return f"~ {self.where}: {_show(self.old)} -> {_show(self.new)}"


def _show(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class ResponseDiff:
    status: Change | None = None
    headers: list[Change] = field(default_factory=list)
    body: list[Change] = field(default_factory=list)
    #: Why part of the answers could not be compared (a cut body, say).
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.status is not None or bool(self.headers) or bool(self.body)

    @property
    def changes(self) -> list[Change]:
        return ([self.status] if self.status else []) + self.headers + self.body

    def lines(self) -> list[str]:
        return [c.line() for c in self.changes] + [f"  ({n})" for n in self.notes]

    def to_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "changes": [c.to_dict() for c in self.changes],
            "notes": list(self.notes),
        }


def _segments(path: str) -> list[str]:
    """'$.todos[0].id', 'todos.*.id' or '/todos/0/id' -> ['todos', '0', 'id']."""
    text = path.strip()
    if text.startswith("/"):
        return [p.replace("~1", "/").replace("~0", "~") for p in text[1:].split("/") if p]
    text = text.removeprefix("$").lstrip(".")
    text = re.sub(r"\[(\*|\d+)\]", r".\1", text)
    text = re.sub(r"\[['\"]([^'\"]*)['\"]\]", r".\1", text)
    return [p for p in text.split(".") if p]


def _ignored(path: list[str], patterns: list[list[str]]) -> bool:
    for pattern in patterns:
        if len(pattern) <= len(path) and all(
            p == "*" or p == s for p, s in zip(pattern, path, strict=False)
        ):
            return True  # a pattern also covers everything below it
    return False


def _display(path: list[str | int]) -> str:
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part):
            out += "." + part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def json_diff(old: Any, new: Any, ignore: Sequence[str] = ()) -> list[Change]:
    """Structural differences between two JSON values (paths in ignore are skipped)."""
    patterns = [_segments(p) for p in ignore]
    out: list[Change] = []

    def walk(a: Any, b: Any, path: list[str | int]) -> None:
        if patterns and _ignored([str(p) for p in path], patterns):
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in a:
                if key not in b:
                    if not _ignored([*map(str, path), str(key)], patterns):
                        out.append(Change(_display([*path, key]), "removed", a[key], None))
                else:
                    walk(a[key], b[key], [*path, key])
            for key in b:
                if key not in a and not _ignored([*map(str, path), str(key)], patterns):
                    out.append(Change(_display([*path, key]), "added", None, b[key]))
            return
        if isinstance(a, list) and isinstance(b, list):
            for index in range(max(len(a), len(b))):
                sub = [*path, index]
                if index >= len(a):
                    if not _ignored([str(p) for p in sub], patterns):
                        out.append(Change(_display(sub), "added", None, b[index]))
                elif index >= len(b):
                    if not _ignored([str(p) for p in sub], patterns):
                        out.append(Change(_display(sub), "removed", a[index], None))
                else:
                    walk(a[index], b[index], sub)
            return
        if type(a) is not type(b) and not (_number(a) and _number(b)):
            out.append(Change(_display(path), "type", a, b))
        elif a != b:
            out.append(Change(_display(path), "changed", a, b))

    walk(old, new, [])
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _header_map(headers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in headers:
        out.setdefault(key.lower(), []).append(value)
    return out


def diff_responses(
    original: Event,
    status: int | None,
    headers: Sequence[tuple[str, str]],
    body: bytes | None,
    *,
    ignore_paths: Sequence[str] = (),
    ignore_headers: Iterable[str] = (),
) -> ResponseDiff:
    """The new answer against the original's: status, headers (volatile ones left out), body."""
    skip = VOLATILE_HEADERS | {h.lower() for h in ignore_headers}
    status_change = (
        Change("status", "changed", original.status, status) if original.status != status else None
    )
    old_h = _header_map(original.response_headers)
    new_h = _header_map(headers)
    header_changes: list[Change] = []
    for name in sorted(set(old_h) | set(new_h)):
        if name in skip:
            continue
        a, b = old_h.get(name), new_h.get(name)
        if a is not None and all(v == REDACTED for v in a):
            continue
        if a is None:
            header_changes.append(Change(f"header.{name}", "added", None, _one(b)))
        elif b is None:
            header_changes.append(Change(f"header.{name}", "removed", _one(a), None))
        elif a != b:
            header_changes.append(Change(f"header.{name}", "changed", _one(a), _one(b)))
    notes: list[str] = []
    body_changes: list[Change] = []
    if original.response_truncated:
        notes.append("the original body was cut when stored; bodies not compared")
    else:
        old_body = event_body(original.response_body, original.response_binary) or b""
        new_body = body or b""
        old_json, new_json = _json(old_body), _json(new_body)
        if old_json is not _NOT_JSON and new_json is not _NOT_JSON:
            body_changes = json_diff(old_json, new_json, ignore_paths)
        elif old_body != new_body:
            body_changes = [
                Change("$", "changed", _text(old_body), _text(new_body)),
            ]
    return ResponseDiff(status_change, header_changes, body_changes, notes)


def diff_answers(
    original: Event,
    old: dict[str, Any] | None,
    status: int | None,
    new: dict[str, Any] | None,
    *,
    ignore_paths: Sequence[str] = (),
) -> ResponseDiff:
    """An MCP answer against the original's: the HTTP status, and the JSON-RPC result or error
    (`$.result.structuredContent...`, `$.result.isError`, `$.error.code`); headers not compared."""
    status_change = (
        Change("status", "changed", original.status, status) if original.status != status else None
    )
    if original.response_truncated:
        note = "the original body was cut when stored; answers not compared"
        return ResponseDiff(status_change, notes=[note])
    return ResponseDiff(status_change, body=json_diff(old or {}, new or {}, ignore_paths))


def _one(values: list[str] | None) -> str | list[str] | None:
    if values is None:
        return None
    return values[0] if len(values) == 1 else values


_NOT_JSON = object()


def _json(body: bytes) -> Any:
    if not body.strip():
        return _NOT_JSON
    try:
        return json.loads(body)
    except ValueError:
        return _NOT_JSON


def _text(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + "..."
