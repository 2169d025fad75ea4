"""Load a manifest or a spec from text, keeping where each value sits in the text.

`load_document` never raises: whatever the input (not YAML, an HTML page, an empty file, a JSON
error body, binary), a document comes back, with `.error` set when it did not parse. YAML is read
close to YAML 1.2 (no timestamps; yes/no/on/off stay strings), the way JavaScript tools read
specs; `openapi: 3.1` is still a number there, as it is for every YAML parser.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from pluginlab_tui.contract.document import parent_pointer, split_pointer
from pluginlab_tui.plugin.findings import Finding, Severity
from pluginlab_tui.plugin.size import (
    DEFAULT_MAX_SPEC_BYTES,
    DocumentTooLarge,
    check_file,
    check_node,
    check_text,
)

Format = Literal["json", "yaml"]

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BOOL = "tag:yaml.org,2002:bool"
_WS = re.compile(r"[ \t\n\r]*")


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loading, YAML 1.2-like scalars, mapping keys always strings."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[str, Any]:
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            mapping[_key_text(key)] = self.construct_object(value_node, deep=deep)
        return mapping


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_TIMESTAMP, _BOOL)]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass
class Document:
    """A parsed file: its data, where its values are, or why it did not parse."""

    name: str
    text: str
    data: Any = None
    format: Format | None = None
    error: Finding | None = None
    _node: Any = field(default=None, repr=False)
    _line_starts: list[int] | None = field(default=None, repr=False)
    _members: dict[int, dict[str, int]] = field(default_factory=dict, repr=False)
    _items: dict[int, list[int]] = field(default_factory=dict, repr=False)
    _cache: dict[str, tuple[int, int] | None] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    def position(self, pointer: str) -> tuple[int, int] | None:
        """(line, column), 1-based, of what the JSON pointer names; None when it is not there.

        An object member is placed at its key, an array item at the item.
        """
        if pointer in self._cache:
            return self._cache[pointer]
        try:
            parts = split_pointer(pointer)
            if self.format == "yaml" and self._node is not None:
                found = self._yaml_position(parts)
            elif self.format == "json":
                found = self._json_position(parts)
            else:
                found = None
        except (ValueError, IndexError, RecursionError):
            found = None
        self._cache[pointer] = found
        return found

    def nearest_position(self, pointer: str) -> tuple[int, int] | None:
        """The position of the pointer, else of its nearest ancestor that exists."""
        while True:
            found = self.position(pointer)
            if found is not None or not pointer:
                return found
            pointer = parent_pointer(pointer)

    def finding(
        self, rule: str, severity: Severity, pointer: str, message: str, *, exact: bool = False
    ) -> Finding:
        """A finding in this document, placed at the pointer (or its nearest ancestor)."""
        where = self.position(pointer) if exact else self.nearest_position(pointer)
        line, column = where if where else (None, None)
        return Finding(rule, severity, self.name, line, column, pointer, message)

    # YAML: walk the composed node tree.
    def _yaml_position(self, parts: list[str]) -> tuple[int, int] | None:
        node = self._node
        mark = node.start_mark
        for part in parts:
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in reversed(node.value):
                    if isinstance(key_node, yaml.ScalarNode) and _scalar_key(key_node) == part:
                        mark, node = key_node.start_mark, value_node
                        break
                else:
                    return None
            elif isinstance(node, yaml.SequenceNode):
                node = node.value[int(part)]
                mark = node.start_mark
            else:
                return None
        return mark.line + 1, mark.column + 1

    # JSON: find members by scanning the text; values are skipped with the C decoder.
    def _json_position(self, parts: list[str]) -> tuple[int, int] | None:
        text = self.text
        index = _WS.match(text, 0).end()  # type: ignore[union-attr]
        where = index
        for part in parts:
            if index >= len(text):
                return None
            if text[index] == "{":
                members = self._json_members(index)
                if part not in members:
                    return None
                where = members[part]
                index = self._value_after_key(where)
            elif text[index] == "[":
                items = self._json_items(index)
                where = index = items[int(part)]
            else:
                return None
        return self._line_column(where)

    def _value_after_key(self, key_index: int) -> int:
        _, end = scanstring(self.text, key_index + 1)
        end = _WS.match(self.text, end).end()  # type: ignore[union-attr]
        return _WS.match(self.text, end + 1).end()  # type: ignore[union-attr]

    def _json_members(self, start: int) -> dict[str, int]:
        cached = self._members.get(start)
        if cached is not None:
            return cached
        text, decoder = self.text, _DECODER
        members: dict[str, int] = {}
        index = _WS.match(text, start + 1).end()  # type: ignore[union-attr]
        while index < len(text) and text[index] == '"':
            key, end = scanstring(text, index + 1)
            members.setdefault(key, index)
            end = _WS.match(text, end).end()  # type: ignore[union-attr]
            value_start = _WS.match(text, end + 1).end()  # type: ignore[union-attr]
            _, value_end = decoder.raw_decode(text, value_start)
            index = _WS.match(text, value_end).end()  # type: ignore[union-attr]
            if index < len(text) and text[index] == ",":
                index = _WS.match(text, index + 1).end()  # type: ignore[union-attr]
        self._members[start] = members
        return members

    def _json_items(self, start: int) -> list[int]:
        cached = self._items.get(start)
        if cached is not None:
            return cached
        text = self.text
        items: list[int] = []
        index = _WS.match(text, start + 1).end()  # type: ignore[union-attr]
        while index < len(text) and text[index] != "]":
            items.append(index)
            _, value_end = _DECODER.raw_decode(text, index)
            index = _WS.match(text, value_end).end()  # type: ignore[union-attr]
            if index < len(text) and text[index] == ",":
                index = _WS.match(text, index + 1).end()  # type: ignore[union-attr]
            else:
                break
        self._items[start] = items
        return items

    def _line_column(self, index: int) -> tuple[int, int]:
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            pos = find("\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find("\n", pos + 1)
            self._line_starts = starts
        line = bisect.bisect_right(self._line_starts, index) - 1
        return line + 1, index - self._line_starts[line] + 1


_DECODER = json.JSONDecoder()
scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


def _scalar_key(node: yaml.ScalarNode) -> str:
    value = str(node.value)
    if node.tag == _BOOL:
        return value.lower()
    return value


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype", "<html", "<?xml", "<head", "<body", "<!--", "<div"))


def _first_line(message: str) -> str:
    return " ".join(message.split())[:300]


def load_document(text: str, name: str, max_bytes: int = DEFAULT_MAX_SPEC_BYTES) -> Document:
    """Parse JSON or YAML text; never raises (a parse failure is `.error`).

    A document over `max_bytes` (plugin.max_spec_bytes), as written or once its YAML aliases are
    expanded, is refused before it is expanded.
    """
    try:
        return _load(text, name, max_bytes)
    except DocumentTooLarge as exc:
        doc = Document(name=name, text=text if isinstance(text, str) else "")
        doc.error = Finding("parse-error", "error", name, None, None, "", str(exc))
        return doc
    except Exception as exc:  # noqa: BLE001 - the promise is: never raise on any input
        doc = Document(name=name, text=text if isinstance(text, str) else "")
        doc.error = Finding(
            "parse-error", "error", name, None, None, "", f"cannot be read: {_first_line(str(exc))}"
        )
        return doc


def _load(text: str, name: str, max_bytes: int) -> Document:
    doc = Document(name=name, text=text)
    check_text(text, max_bytes)
    if not text.strip():
        doc.error = Finding("parse-error", "error", name, 1, 1, "", "the file is empty")
        return doc
    if "\x00" in text:
        index = text.index("\x00")
        line, column = doc._line_column(index)
        doc.error = Finding(
            "parse-error", "error", name, line, column, "", "binary data, not JSON or YAML text"
        )
        return doc
    if _looks_like_html(text):
        doc.error = Finding(
            "parse-error",
            "error",
            name,
            1,
            1,
            "",
            "an HTML page, not JSON or YAML (an error, login or bot-check page saved instead?)",
        )
        return doc
    json_error: json.JSONDecodeError | None = None
    if text.startswith("\ufeff"):
        doc.text = text = text[1:]
    if text.lstrip(" \t\r\n")[:1] in ("{", "["):
        try:
            doc.data = json.loads(text)
            doc.format = "json"
            return doc
        except json.JSONDecodeError as exc:
            json_error = exc
        except (RecursionError, ValueError) as exc:
            doc.error = Finding(
                "parse-error", "error", name, None, None, "", f"not valid JSON: {exc}"[:300]
            )
            return doc
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                check_node(node, max_bytes)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except DocumentTooLarge:
        raise
    except yaml.MarkedYAMLError as exc:
        if json_error is not None:
            doc.error = _json_error(doc, json_error)
            return doc
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "syntax error"
        doc.error = Finding(
            "parse-error",
            "error",
            name,
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
            "",
            f"not valid YAML or JSON: {_first_line(problem)}",
        )
        return doc
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        if json_error is not None:
            doc.error = _json_error(doc, json_error)
            return doc
        doc.error = Finding(
            "parse-error", "error", name, None, None, "", f"not valid YAML: {_first_line(str(exc))}"
        )
        return doc
    if node is None:
        doc.error = Finding("parse-error", "error", name, 1, 1, "", "the file holds no document")
        return doc
    doc.data, doc.format, doc._node = data, "yaml", node
    return doc


def _json_error(doc: Document, exc: json.JSONDecodeError) -> Finding:
    return Finding(
        "parse-error",
        "error",
        doc.name,
        exc.lineno,
        exc.colno,
        "",
        f"not valid JSON: {exc.msg}",
    )


def decode_bytes(raw: bytes) -> str:
    """File bytes as text: UTF-8 (with or without BOM), UTF-16 with a BOM, else Latin-1."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def read_document(
    path: Path, name: str | None = None, max_bytes: int = DEFAULT_MAX_SPEC_BYTES
) -> Document:
    """Read and load a file; an unreadable or oversized file is a document with `.error` set."""
    label = name if name is not None else str(path)
    try:
        check_file(path, max_bytes)
        raw = path.read_bytes()
    except DocumentTooLarge as exc:
        doc = Document(name=label, text="")
        doc.error = Finding("parse-error", "error", label, None, None, "", str(exc))
        return doc
    except OSError as exc:
        doc = Document(name=label, text="")
        doc.error = Finding(
            "parse-error", "error", label, None, None, "", f"cannot read: {exc.strerror or exc}"
        )
        return doc
    return load_document(decode_bytes(raw), label, max_bytes)
