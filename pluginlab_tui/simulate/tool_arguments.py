"""A tool's arguments from its inputSchema: its examples first, then generated values; and, for
`--fuzz`, argument sets the schema refuses, each with what is wrong with it.

Values come from generate.py (the one generator, shared with the OpenAPI simulator and the mock);
every invalid set is confirmed invalid by the compiled schema before it is offered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pluginlab_tui.generate import generate
from pluginlab_tui.validation.schemas import CompiledSchema

#: A wrong value for each JSON type: what a careless model might send instead.
_WRONG: dict[str, Any] = {
    "string": 12345,
    "integer": "not a number",
    "number": "not a number",
    "boolean": "yes",
    "object": ["not", "an", "object"],
    "array": {"not": "an array"},
    "null": "not null",
}


@dataclass(frozen=True, slots=True)
class Invalid:
    """An argument set the inputSchema refuses, and what is wrong with it."""

    why: str
    arguments: dict[str, Any]


def candidates(schema: Any) -> list[dict[str, Any]]:
    """Argument sets to try, best first, without repeats: the schema's examples, then values
    generated with and without the examples of its properties."""
    found: list[dict[str, Any]] = []
    if isinstance(schema, dict):
        examples = schema.get("examples")
        if isinstance(examples, list):
            found += [e for e in examples if isinstance(e, dict)]
        for use_examples in (True, False):
            value = generate(schema, schema, direction="request", use_examples=use_examples)
            found.append(value if isinstance(value, dict) else {})
    else:
        found.append({})
    unique: dict[str, dict[str, Any]] = {}
    for arguments in found:
        unique.setdefault(json.dumps(arguments, sort_keys=True, default=str), arguments)
    return list(unique.values())


def invalid_sets(schema: Any, compiled: CompiledSchema | None, count: int) -> list[Invalid]:
    """Up to `count` argument sets the schema refuses (checked with `compiled`), each different:
    a required property left out, a property of the wrong type, an undeclared property where
    none is allowed, a value outside an enum."""
    if count <= 0 or not isinstance(schema, dict) or compiled is None:
        return []
    base = candidates(schema)[0]
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    tries: list[Invalid] = []
    required = schema.get("required")
    for name in required if isinstance(required, list) else []:
        if isinstance(name, str) and name in base:
            tries.append(Invalid(f"{name!r} left out", _without(base, name)))
    for name, prop in properties.items():
        kind = prop.get("type") if isinstance(prop, dict) else None
        if isinstance(kind, str) and kind in _WRONG:
            tries.append(Invalid(f"{name!r} not of type {kind}", {**base, name: _WRONG[kind]}))
        enum = prop.get("enum") if isinstance(prop, dict) else None
        if isinstance(enum, list):
            tries.append(Invalid(f"{name!r} outside its enum", {**base, name: "no-such-choice"}))
    if schema.get("additionalProperties") is False:
        tries.append(Invalid("an undeclared property", {**base, "undeclared_extra": True}))
    kept: list[Invalid] = []
    seen: set[str] = set()
    for invalid in tries:
        key = json.dumps(invalid.arguments, sort_keys=True, default=str)
        if key in seen or compiled.is_valid(invalid.arguments):
            continue
        seen.add(key)
        kept.append(invalid)
        if len(kept) == count:
            break
    return kept


def _without(arguments: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in arguments.items() if key != name}
