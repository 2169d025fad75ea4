"""An operation's arguments: from the spec's examples, else generated from its schemas.

A path parameter named like an id takes the id the last answer made (learned), so that a
conversation reads, changes and deletes the thing it just created.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from pluginlab_tui.contract.document import Operation
from pluginlab_tui.generate import generate, media_example, parameter_value, resolve


@dataclass(frozen=True)
class Arguments:
    """A request for an operation: path (without the servers' base), query, headers, and the
    candidate bodies, best first (none when the operation takes no body)."""

    path: str
    query: str
    headers: dict[str, str]
    bodies: list[bytes] = field(default_factory=list)


def arguments(operation: Operation, spec: dict[str, Any], learned: dict[str, Any]) -> Arguments:
    """The operation's parameters filled in, and its candidate bodies."""
    params: dict[tuple[str, str], dict[str, Any]] = {}
    for source in (operation.path_item.get("parameters"), operation.data.get("parameters")):
        for raw in source if isinstance(source, list) else []:
            param = resolve(spec, raw)
            if isinstance(param, dict) and "name" in param and "in" in param:
                params[(str(param["in"]), str(param["name"]))] = param
    path = operation.path
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    for (where, name), param in params.items():
        value = learned_value(name, learned) if where == "path" else None
        if value is None:
            value = parameter_value(param, spec)
        text = as_text(value)
        if where == "path":
            path = path.replace("{" + name + "}", quote(text, safe="-_.~"))
        elif where == "query":
            if isinstance(value, list):
                query += [(name, as_text(v)) for v in value]
            else:
                query.append((name, text))
        elif where == "header":
            headers[name] = text
    bodies: list[bytes] = []
    request_body = resolve(spec, operation.data.get("requestBody"))
    if isinstance(request_body, dict) and isinstance(request_body.get("content"), dict):
        content = request_body["content"]
        media_type = next(
            (m for m in content if "json" in str(m).lower()), next(iter(content), None)
        )
        if media_type is not None:
            media = resolve(spec, content[media_type])
            headers["Content-Type"] = str(media_type)
            bodies = candidate_bodies(
                str(media_type), media if isinstance(media, dict) else {}, spec
            )
    return Arguments(path, urlencode(query), headers, bodies)


def learned_value(name: str, learned: dict[str, Any]) -> Any:
    """The id learned from an answer, for a parameter named id, *_id or *Id; else None."""
    lowered = name.lower()
    if "id" in learned and (lowered == "id" or lowered.endswith("_id") or name.endswith("Id")):
        return learned["id"]
    return None


def candidate_bodies(media_type: str, media: dict[str, Any], spec: dict[str, Any]) -> list[bytes]:
    """Candidate bodies, best first: the documented example, then generated values."""
    found, value = media_example(media, spec)
    candidates = [value] if found else []
    schema = media.get("schema", {})
    candidates.append(generate(schema, spec, direction="request"))
    candidates.append(generate(schema, spec, direction="request", use_examples=False))
    return [encode_body(media_type, c) for c in candidates]


def as_text(value: Any) -> str:
    """A value as it goes into a path, a query or a header."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def encode_body(media_type: str, value: Any) -> bytes:
    """A value as a body of the media type (JSON, a form, or text)."""
    if "json" in media_type.lower():
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    if media_type.startswith("application/x-www-form-urlencoded") and isinstance(value, dict):
        return urlencode({k: as_text(v) for k, v in value.items()}).encode("ascii")
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value).encode("utf-8")
