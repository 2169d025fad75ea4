"""The spec as a document: JSON pointers, local `$ref`s, methods and operations.

Walked without trusting the document's shape: every helper takes whatever YAML gave.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

#: The operations a path item may hold, in the order the OpenAPI specification lists them.
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

#: A `$ref` chain longer than this is treated as broken.
MAX_HOPS = 32

# -- JSON pointers (RFC 6901) -------------------------------------------------------------------


def escape(token: str | int) -> str:
    """One JSON pointer reference token."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    """A JSON pointer from its tokens: pointer("paths", "/a", "get") == "/paths/~1a/get"."""
    return "".join("/" + escape(t) for t in tokens)


def split_pointer(value: str) -> list[str]:
    """The reference tokens of a JSON pointer ("" is the whole document)."""
    if not value:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in value.lstrip("/").split("/")]


def parent_pointer(value: str) -> str:
    """The pointer of the containing object or array."""
    return value.rsplit("/", 1)[0] if "/" in value else ""


# -- local references ---------------------------------------------------------------------------


def lookup(spec: Any, ref: str) -> tuple[bool, Any]:
    """(found, node) for a local reference such as '#/components/schemas/Pet'.

    Not found: an external or malformed reference, or a pointer that names nothing.
    """
    if not isinstance(ref, str) or not ref.startswith("#"):
        return False, None
    fragment = unquote(ref[1:])
    if fragment and not fragment.startswith("/"):
        return False, None
    node = spec
    for token in split_pointer(fragment):
        if isinstance(node, dict):
            if token not in node:
                return False, None
            node = node[token]
        elif isinstance(node, list):
            try:
                node = node[int(token)]
            except (ValueError, IndexError):
                return False, None
        else:
            return False, None
    return True, node


@dataclass(frozen=True, slots=True)
class Resolved:
    """Where a `$ref` chain ends.

    `ok` is False when a reference in the chain is external, malformed or names nothing, or the
    chain loops or runs past MAX_HOPS; `node` is then the last node that still holds a `$ref`.
    """

    node: Any
    ok: bool


def follow(spec: Any, node: Any) -> Resolved:
    """Follow the node's local `$ref` chain (the one resolver of the package)."""
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen or len(seen) >= MAX_HOPS:
            return Resolved(node, False)
        seen.add(ref)
        found, target = lookup(spec, ref)
        if not found:
            return Resolved(node, False)
        node = target
    return Resolved(node, True)


def resolve(spec: Any, node: Any) -> Any:
    """The node at the end of its `$ref` chain; a broken chain leaves its last `$ref` node."""
    return follow(spec, node).node


def deref(spec: Any, node: Any) -> Any:
    """The node at the end of its `$ref` chain, or None when the chain is broken."""
    found = follow(spec, node)
    return found.node if found.ok else None


# -- operations and walks -----------------------------------------------------------------------


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


def path_items(spec: Any) -> Iterator[tuple[str, Any, Any]]:
    """(path, raw item, resolved item) for every entry under paths, in document order."""
    paths = spec.get("paths") if isinstance(spec, dict) else None
    if not isinstance(paths, dict):
        return
    for path, raw in paths.items():
        yield str(path), raw, resolve(spec, raw)


def operations(spec: Any) -> list[Operation]:
    """Every operation under paths, in document order ($ref'd path items resolved)."""
    found: list[Operation] = []
    for path, _raw, item in path_items(spec):
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                found.append(Operation(method, path, op, pointer("paths", path, method), item))
    return found


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
