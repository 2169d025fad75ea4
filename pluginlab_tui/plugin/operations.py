"""A spec's operations and local $refs, walked without trusting the document's shape."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from pluginlab_tui.plugin.findings import pointer, split_pointer

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    data: dict[str, Any]
    pointer: str
    path_item: dict[str, Any]

    @property
    def label(self) -> str:
        """operationId, else 'METHOD /path'."""
        op_id = self.data.get("operationId")
        if isinstance(op_id, str) and op_id.strip():
            return op_id
        return f"{self.method.upper()} {self.path}"


def operations(spec: Any) -> list[Operation]:
    """Every operation under paths, in document order ($ref'd path items resolved)."""
    found: list[Operation] = []
    paths = spec.get("paths") if isinstance(spec, dict) else None
    if not isinstance(paths, dict):
        return found
    for path, item in paths.items():
        item = resolve(spec, item)
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                found.append(Operation(method, str(path), op, pointer("paths", path, method), item))
    return found


def resolve_ref(spec: Any, ref: str) -> tuple[bool, Any]:
    """(found, value) for a local reference such as '#/components/schemas/Pet'."""
    if not ref.startswith("#"):
        return False, None
    node = spec
    try:
        for part in split_pointer(unquote(ref[1:])):
            if isinstance(node, dict):
                if part not in node:
                    return False, None
                node = node[part]
            elif isinstance(node, list):
                node = node[int(part)]
            else:
                return False, None
    except (ValueError, IndexError):
        return False, None
    return True, node


def resolve(spec: Any, value: Any, depth: int = 0) -> Any:
    """The value with its local $ref followed (chains too); unresolvable refs stay as they are."""
    seen = 0
    while isinstance(value, dict) and isinstance(value.get("$ref"), str) and seen < 20:
        ok, target = resolve_ref(spec, value["$ref"])
        if not ok:
            return value
        value = target
        seen += 1
    return value


def walk(data: Any, limit: int = 2_000_000) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """(path, container) for every object and array, each container once (YAML aliases)."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    seen: set[int] = set()
    while stack and limit > 0:
        where, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        limit -= 1
        yield where, node
        if isinstance(node, dict):
            children = [((*where, k), v) for k, v in node.items() if isinstance(v, dict | list)]
        else:
            children = [((*where, i), v) for i, v in enumerate(node) if isinstance(v, dict | list)]
        stack.extend(reversed(children))


def refs(data: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path of the $ref member, target) for every "$ref": "<string>" in the document."""
    for where, node in walk(data):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                yield (*where, "$ref"), ref
