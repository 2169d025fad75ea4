"""Internal `$ref`s of an OpenAPI document: JSON pointers, resolution with a cycle guard."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

MAX_HOPS = 32


def escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(tokens: list[str | int] | tuple[str | int, ...]) -> str:
    """['a', 'b/c', 0] -> '/a/b~1c/0'."""
    return "".join("/" + escape(t) for t in tokens)


def lookup(spec: Any, ref: str) -> Any:
    """The node a local `#/...` ref names, or None (external, missing or malformed)."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        return None
    frag = unquote(ref[1:])
    if frag == "":
        return spec
    if not frag.startswith("/"):
        return None
    node = spec
    for raw in frag[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            if token not in node:
                return None
            node = node[token]
        elif isinstance(node, list):
            try:
                node = node[int(token)]
            except (ValueError, IndexError):
                return None
        else:
            return None
    return node


def deref(spec: Any, node: Any) -> Any:
    """Follow `$ref` chains of OpenAPI objects (parameters, bodies, responses); None if broken."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        seen += 1
        if seen > MAX_HOPS:
            return None
        node = lookup(spec, node["$ref"])
    return node
