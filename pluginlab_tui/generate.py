"""Values from an OpenAPI spec: its examples, else values generated from its schemas.

Shared by the mock (answers) and the simulator (arguments). Generation is deterministic: the
same schema gives the same value, so a simulated conversation is stable and a mock answer can be
compared with the last one. OAS 3.0 (`nullable`, boolean exclusive bounds) and 3.1 (type lists,
numeric exclusive bounds, `const`, `examples` arrays) are both understood.

    value = generate(schema, spec, direction="response")
    found, value = media_example(media, spec)
"""

from __future__ import annotations

import base64
import importlib
import re
from typing import Any, Literal

from pluginlab_tui.contract.document import deref

Direction = Literal["request", "response"]

_MAX_DEPTH = 6
#: Words tried first for a patterned string, so that values read like a person typed them.
_WORDS = ("alice", "example", "todo-1", "abc123", "1", "a", "ABC", "2026-01-01", "US-CA")
_FORMATS: dict[str, Any] = {
    "date": "2026-01-01",
    "date-time": "2026-01-01T09:00:00Z",
    "time": "09:00:00",
    "uuid": "3b241101-e2bb-4255-8caf-4136c566a962",
    "email": "alice@example.com",
    "idn-email": "alice@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "/example",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "byte": base64.b64encode(b"example").decode("ascii"),
    "binary": "example",
    "password": "example-password",
    "duration": "PT1M",
}


def resolve(spec: Any, node: Any) -> Any:
    """A node with its local `$ref` chain followed ({} when broken)."""
    found = deref(spec, node)
    return {} if found is None else found


def schema_example(schema: dict[str, Any]) -> tuple[bool, Any]:
    """The example a schema documents itself (`example`, or 3.1's `examples` list)."""
    if "example" in schema:
        return True, schema["example"]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return True, examples[0]
    return False, None


def media_example(media: Any, spec: Any) -> tuple[bool, Any]:
    """The documented example of a media type object: example, examples.*.value, schema's."""
    media = resolve(spec, media)
    if not isinstance(media, dict):
        return False, None
    if "example" in media:
        return True, media["example"]
    examples = media.get("examples")
    if isinstance(examples, dict):
        for item in examples.values():
            item = resolve(spec, item)
            if isinstance(item, dict) and "value" in item:
                return True, item["value"]
    schema = resolve(spec, media.get("schema"))
    if isinstance(schema, dict):
        return schema_example(schema)
    return False, None


def parameter_value(parameter: dict[str, Any], spec: Any, *, use_examples: bool = True) -> Any:
    """A value for a parameter object: its example(s), else generated from its schema."""
    if use_examples:
        found, value = media_example(parameter, spec)
        if found:
            return value
    schema = resolve(spec, parameter.get("schema"))
    if not isinstance(schema, dict):
        content = parameter.get("content")
        if isinstance(content, dict) and content:
            media = resolve(spec, next(iter(content.values())))
            schema = resolve(spec, media.get("schema")) if isinstance(media, dict) else {}
    return generate(
        schema if isinstance(schema, dict) else {},
        spec,
        direction="request",
        name=str(parameter.get("name") or ""),
        use_examples=use_examples,
    )


def generate(
    schema: Any,
    spec: Any,
    *,
    direction: Direction = "response",
    name: str = "",
    use_examples: bool = True,
    depth: int = 0,
) -> Any:
    """A value that the schema accepts (as far as a generator without search can tell)."""
    schema = resolve(spec, schema)
    if schema is True or not isinstance(schema, dict):
        return "example"
    if "const" in schema:
        return schema["const"]
    if use_examples:
        found, value = schema_example(schema)
        if found:
            return value
    if "default" in schema:
        return schema["default"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        non_null = [v for v in enum if v is not None]
        return non_null[0] if non_null else enum[0]
    for combiner in ("allOf",):
        parts = schema.get(combiner)
        if isinstance(parts, list) and parts:
            return generate(
                _merge_all(schema, parts, spec),
                spec,
                direction=direction,
                name=name,
                use_examples=use_examples,
                depth=depth,
            )
    for combiner in ("oneOf", "anyOf"):
        options = schema.get(combiner)
        if isinstance(options, list) and options:
            base = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
            choice = resolve(spec, options[0])
            merged = _merge_all(base, [choice], spec) if _has_shape(base) else choice
            return generate(
                merged,
                spec,
                direction=direction,
                name=name,
                use_examples=use_examples,
                depth=depth + 1,
            )
    kind = _type_of(schema)
    if kind == "null":
        return None
    if kind == "object":
        return _object(schema, spec, direction, use_examples, depth)
    if kind == "array":
        return _array(schema, spec, direction, use_examples, depth)
    if kind == "integer":
        return _number(schema, integer=True)
    if kind == "number":
        return _number(schema, integer=False)
    if kind == "boolean":
        return True
    return _string(schema, name)


def _has_shape(schema: dict[str, Any]) -> bool:
    return any(k in schema for k in ("type", "properties", "required", "items"))


def _merge_all(schema: dict[str, Any], parts: list[Any], spec: Any) -> dict[str, Any]:
    """allOf flattened: properties and required united, the rest taken from the first giver."""
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    properties: dict[str, Any] = dict(merged.get("properties") or {})
    required: list[str] = list(merged.get("required") or [])
    for part in parts:
        part = resolve(spec, part)
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("allOf"), list):
            part = _merge_all(part, part["allOf"], spec)
        properties.update(part.get("properties") or {})
        required += [r for r in part.get("required") or [] if r not in required]
        for key, value in part.items():
            if key not in ("properties", "required") and key not in merged:
                merged[key] = value
    if properties:
        merged["properties"] = properties
        merged.setdefault("type", "object")
    if required:
        merged["required"] = required
    return merged


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if kinds else "null"
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "additionalProperties" in schema or "required" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "multipleOf")):
        return "number"
    return "string"


def _hidden(schema: Any, spec: Any, direction: Direction) -> bool:
    schema = resolve(spec, schema)
    if not isinstance(schema, dict):
        return False
    if direction == "request":
        return schema.get("readOnly") is True
    return schema.get("writeOnly") is True


def _object(
    schema: dict[str, Any], spec: Any, direction: Direction, use_examples: bool, depth: int
) -> dict[str, Any]:
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    assert isinstance(properties, dict)
    required = [r for r in schema.get("required") or [] if isinstance(r, str)]
    out: dict[str, Any] = {}
    deep = depth >= _MAX_DEPTH
    for prop, sub in properties.items():
        if _hidden(sub, spec, direction):
            continue
        if deep and prop not in required:
            continue
        out[str(prop)] = generate(
            sub, spec, direction=direction, name=str(prop), use_examples=use_examples,
            depth=depth + 1,
        )  # fmt: skip
    for prop in required:
        if prop not in out and prop not in properties:
            out[prop] = "example"
    extra = schema.get("additionalProperties")
    low = schema.get("minProperties")
    if isinstance(low, int) and len(out) < low and extra is not False:
        index = 0
        while len(out) < low and index < 100:
            key = f"key{index}"
            if key not in out:
                out[key] = (
                    generate(extra, spec, direction=direction, depth=depth + 1)
                    if isinstance(extra, dict)
                    else "example"
                )
            index += 1
    high = schema.get("maxProperties")
    if isinstance(high, int) and len(out) > high:
        keep = [k for k in out if k in required] + [k for k in out if k not in required]
        out = {k: out[k] for k in keep[: max(high, len(required))]}
    return out


def _array(
    schema: dict[str, Any], spec: Any, direction: Direction, use_examples: bool, depth: int
) -> list[Any]:
    low = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 0
    high = schema.get("maxItems") if isinstance(schema.get("maxItems"), int) else None
    assert isinstance(low, int)
    count = max(low, 1)
    if high is not None:
        count = min(count, high)
    if depth >= _MAX_DEPTH:
        count = low
    prefix = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else []
    assert isinstance(prefix, list)
    items = schema.get("items")
    out: list[Any] = []
    for index in range(max(count, len(prefix)) if prefix else count):
        sub = prefix[index] if index < len(prefix) else items
        value = generate(
            sub if sub is not None else {}, spec, direction=direction,
            use_examples=use_examples, depth=depth + 1,
        )  # fmt: skip
        if schema.get("uniqueItems") is True and value in out:
            value = _vary(value, index)
        out.append(value)
    return out


def _vary(value: Any, index: int) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + index
    if isinstance(value, str):
        return f"{value}{index}"
    return value


def _number(schema: dict[str, Any], *, integer: bool) -> int | float:
    low, low_open = _bound(schema, "minimum", "exclusiveMinimum")
    high, high_open = _bound(schema, "maximum", "exclusiveMaximum")
    fmt = schema.get("format")
    if integer and fmt == "int32":
        low = max(low, -(2**31)) if low is not None else None
        high = min(high, 2**31 - 1) if high is not None else None
    step = schema.get("multipleOf")
    value: float = 1 if integer else 1.5
    if low is not None:
        value = max(value, low + (1 if integer else 0.5) * low_open)
        if integer and low_open:
            value = max(value, int(low) + 1)
    if high is not None and value > high - (0 if not high_open else 1e-9):
        value = high - (1 if integer else 0.5) * high_open
        if low is not None and value < low:
            value = (low + high) / 2
    if isinstance(step, int | float) and step > 0:
        units = int(value // step)
        value = units * step
        if low is not None and (value < low or (low_open and value <= low)):
            value += step
    if integer:
        if low is not None and low_open:
            return int(max(int(value), int(low) + 1))
        return int(value) if float(value).is_integer() else int(value) + 1
    return float(value)


def _bound(schema: dict[str, Any], key: str, exclusive: str) -> tuple[float | None, bool]:
    value = schema.get(key)
    flag = schema.get(exclusive)
    if isinstance(flag, int | float) and not isinstance(flag, bool):
        return float(flag), True  # 3.1: the exclusive bound is a number
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value), flag is True
    return None, False


def _string(schema: dict[str, Any], name: str) -> str:
    low = schema.get("minLength") if isinstance(schema.get("minLength"), int) else 0
    high = schema.get("maxLength") if isinstance(schema.get("maxLength"), int) else None
    assert isinstance(low, int)
    pattern = schema.get("pattern")
    fmt = schema.get("format")
    candidates: list[str] = []
    if isinstance(fmt, str) and fmt in _FORMATS:
        candidates.append(str(_FORMATS[fmt]))
    if isinstance(pattern, str):
        candidates += [*_WORDS, name] if name else list(_WORDS)
    elif name:
        candidates.append(name.replace("_", " "))
    if isinstance(pattern, str):
        made = from_pattern(pattern)
        if made is not None:
            candidates.append(made)
        for candidate in candidates:
            if _fits(candidate, pattern, low, high):
                return candidate
        return made if made is not None else "example"
    value = candidates[0] if candidates else "example"
    if len(value) < low:
        value += "x" * (low - len(value))
    if high is not None and len(value) > high:
        value = value[:high]
    return value


def _fits(value: str, pattern: str, low: int, high: int | None) -> bool:
    if len(value) < low or (high is not None and len(value) > high):
        return False
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return False


# -- strings from regular expressions ---------------------------------------------------------

_sre: Any = importlib.import_module("re._parser")
_CATEGORY_CHARS = {
    "CATEGORY_DIGIT": "0",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": "-",
}


def from_pattern(pattern: str) -> str | None:
    """A short string the pattern matches (with re.search), or None when none was found."""
    try:
        parsed = _sre.parse(pattern)
    except (re.error, RecursionError, ValueError):
        return None
    try:
        made = _emit(parsed, 0)
    except (ValueError, RecursionError):
        return None
    try:
        return made if re.search(pattern, made) is not None else None
    except re.error:
        return None


def _emit(items: Any, depth: int) -> str:
    if depth > 30:
        raise ValueError("too deep")
    out: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(arg) != "a" else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_in(arg))
        elif name == "CATEGORY":
            out.append(_CATEGORY_CHARS.get(str(arg), "a"))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = arg
            out.append(_emit(sub, depth + 1) * low)
        elif name == "SUBPATTERN":
            out.append(_emit(arg[-1], depth + 1))
        elif name == "ATOMIC_GROUP":
            out.append(_emit(arg, depth + 1))
        elif name == "BRANCH":
            out.append(_emit(arg[1][0], depth + 1))
        elif name in ("AT", "ASSERT", "ASSERT_NOT", "GROUPREF", "GROUPREF_EXISTS"):
            continue
        else:
            raise ValueError(f"unsupported {name}")
    return "".join(out)


def _in(items: Any) -> str:
    negate = any(str(op) == "NEGATE" for op, _ in items)
    allowed: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            allowed.append(chr(arg))
        elif name == "RANGE":
            low, high = arg
            allowed.append(chr(low) if not (low <= ord("a") <= high) else "a")
        elif name == "CATEGORY":
            allowed.append(_CATEGORY_CHARS.get(str(arg), "a"))
    if not negate:
        if not allowed:
            raise ValueError("empty class")
        return allowed[0]
    for candidate in "aA0_-x":
        if not re.fullmatch(_class_text(items), candidate):
            return candidate
    raise ValueError("no character outside the class")


def _class_text(items: Any) -> str:
    parts: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            parts.append(re.escape(chr(arg)))
        elif name == "RANGE":
            parts.append(f"{re.escape(chr(arg[0]))}-{re.escape(chr(arg[1]))}")
        elif name == "CATEGORY":
            parts.append(
                {"CATEGORY_DIGIT": r"\d", "CATEGORY_SPACE": r"\s", "CATEGORY_WORD": r"\w"}.get(
                    str(arg), ""
                )
            )
    return "[" + "".join(parts) + "]" if parts else "[^\\s\\S]"
