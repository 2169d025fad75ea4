"""How large a manifest or spec may be: plugin.max_spec_bytes, counted after alias expansion.

A YAML alias bomb (a few hundred bytes whose anchors refer to each other nine deep) expands to
gigabytes when constructed. `expanded_size` measures the composed node graph instead, each node
once (aliases share their anchor's node), so a bomb is refused before anything is expanded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DEFAULT_MAX_SPEC_BYTES = 8 * 1024 * 1024


class DocumentTooLarge(ValueError):
    """A document over plugin.max_spec_bytes, as written or once its aliases are expanded.

    The message does not name the file: the caller does."""


def _key(limit: int) -> str:
    return f"plugin.max_spec_bytes ({limit:,} bytes)"


def check_text(text: str, limit: int) -> None:
    """Refuse text over the limit (in UTF-8 bytes)."""
    if len(text) > limit or len(text.encode("utf-8", "surrogatepass")) > limit:
        raise DocumentTooLarge(f"the file is larger than {_key(limit)}")


def check_file(path: Path, limit: int) -> None:
    """Refuse a file over the limit before reading it (missing files are left to the reader)."""
    try:
        size = path.stat().st_size
    except OSError:
        return
    if size > limit:
        raise DocumentTooLarge(f"the file has {size:,} bytes, over {_key(limit)}")


def expanded_size(root: yaml.Node) -> int:
    """About how many bytes the document holds with every alias expanded (JSON-like: each
    scalar's text plus a byte, two per collection). Each node is measured once."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[yaml.Node] = [root]
    while stack:
        node = stack[-1]
        key = id(node)
        if key in sizes:
            stack.pop()
            continue
        children = _children(node)
        waiting = [c for c in children if id(c) not in sizes]
        if waiting:
            if key in open_nodes:
                if any(id(c) in open_nodes for c in waiting):
                    raise DocumentTooLarge("a YAML alias refers to its own anchor")
            open_nodes.add(key)
            stack.extend(waiting)
            continue
        open_nodes.discard(key)
        stack.pop()
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = len(str(node.value)) + 1
        else:
            sizes[key] = 2 + sum(sizes[id(c)] for c in children)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[Any]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def check_node(root: yaml.Node, limit: int) -> None:
    """Refuse a composed YAML document whose aliases expand past the limit."""
    size = expanded_size(root)
    if size > limit:
        raise DocumentTooLarge(
            f"larger than {_key(limit)} once its YAML aliases are expanded "
            f"(about {size:,} bytes): an alias bomb?"
        )
