"""Parameters: deserialized by location, style and explode, coerced by schema type, checked."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pluginlab_tui.contract.document import deref
from pluginlab_tui.validation.schemas import CompiledSchema, Failure, show

LOCATIONS = ("path", "query", "header", "cookie")
_DEFAULT_STYLE = {"path": "simple", "query": "form", "header": "simple", "cookie": "form"}
_IGNORED_HEADERS = {"accept", "content-type", "authorization"}
_INT = re.compile(r"-?(0|[1-9][0-9]*)\Z")
_NUM = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")
_DELIMS = {"form": ",", "simple": ",", "spaceDelimited": " ", "pipeDelimited": "|"}


@dataclass(frozen=True, slots=True)
class Shape:
    """What a parameter's schema expects, enough to turn strings into typed values."""

    types: frozenset[str] = frozenset()
    items: Shape | None = None
    props: dict[str, Shape] = field(default_factory=dict)

    @property
    def is_array(self) -> bool:
        return "array" in self.types

    @property
    def is_object(self) -> bool:
        return "object" in self.types and not self.is_array


def shape_of(spec: Any, schema: Any, depth: int = 0) -> Shape:
    """The Shape of an OpenAPI schema, following $refs and composition keywords."""
    schema = deref(spec, schema)
    if not isinstance(schema, dict) or depth > 8:
        return Shape()
    types: set[str] = set()
    typ = schema.get("type")
    if isinstance(typ, str):
        types.add(typ)
    elif isinstance(typ, list):
        types.update(t for t in typ if isinstance(t, str))
    items: Shape | None = None
    props: dict[str, Shape] = {}
    for key in ("allOf", "oneOf", "anyOf"):
        branches = schema.get(key)
        if isinstance(branches, list):
            for branch in branches:
                sub = shape_of(spec, branch, depth + 1)
                if key != "allOf" or not types:
                    types.update(sub.types)
                items = items or sub.items
                props.update(sub.props)
    if "items" in schema:
        items = shape_of(spec, schema["items"], depth + 1)
    raw_props = schema.get("properties")
    if isinstance(raw_props, dict):
        for name, sub_schema in raw_props.items():
            props[str(name)] = shape_of(spec, sub_schema, depth + 1)
    if not types and props:
        types.add("object")
    if not types and items is not None:
        types.add("array")
    return Shape(frozenset(types), items, props)


def coerce(value: Any, shape: Shape | None) -> Any:
    """A string as the schema's primitive type, when it reads as one; else unchanged."""
    if not isinstance(value, str) or shape is None:
        return value
    types = shape.types
    if "integer" in types and _INT.match(value):
        return int(value)
    if "number" in types and _NUM.match(value):
        number = float(value)
        return int(value) if _INT.match(value) else number
    if "boolean" in types and value in ("true", "false"):
        return value == "true"
    if "null" in types and value == "null" and "string" not in types:
        return None
    return value


@dataclass(slots=True)
class Param:
    """One compiled parameter of an operation."""

    name: str
    location: str
    required: bool
    style: str
    explode: bool
    shape: Shape
    schema: CompiledSchema | None
    json_content: bool = False

    @property
    def where(self) -> str:
        return f"{self.location}.{self.name}"

    @property
    def label(self) -> str:
        return f"{self.location} parameter {self.name!r}"


def make_param(raw: dict[str, Any], spec: Any, schema: CompiledSchema | None) -> Param | None:
    name = raw.get("name")
    location = raw.get("in")
    if not isinstance(name, str) or location not in LOCATIONS:
        return None
    if location == "header" and name.lower() in _IGNORED_HEADERS:
        return None
    style = raw.get("style")
    if not isinstance(style, str):
        style = _DEFAULT_STYLE[location]
    explode = raw.get("explode")
    if not isinstance(explode, bool):
        explode = style == "form"
    raw_schema = raw.get("schema")
    json_content = False
    content = raw.get("content")
    if raw_schema is None and isinstance(content, dict) and content:
        media, body = next(iter(content.items()))
        raw_schema = body.get("schema") if isinstance(body, dict) else None
        json_content = isinstance(media, str) and "json" in media.lower()
    return Param(
        name=name,
        location=location,
        required=raw.get("required") is True or location == "path",
        style=style,
        explode=explode,
        shape=shape_of(spec, raw_schema),
        schema=schema,
        json_content=json_content,
    )


class Missing:
    """Marker: the parameter is not in the request."""


MISSING = Missing()


def extract(
    param: Param,
    query: list[tuple[str, str]],
    path: dict[str, str],
    headers: dict[str, str],
    cookies: dict[str, str],
) -> Any:
    """The parameter's raw value(s) from the request, deserialized by style and explode."""
    loc = param.location
    if loc == "query":
        return _from_query(param, query)
    if loc == "path":
        raw = path.get(param.name)
        return MISSING if raw is None else _from_string(param, _unprefix(param, raw))
    if loc == "header":
        raw = headers.get(param.name.lower())
        return MISSING if raw is None else _from_string(param, raw)
    raw = cookies.get(param.name)
    return MISSING if raw is None else _from_string(param, raw)


def _from_query(param: Param, query: list[tuple[str, str]]) -> Any:
    shape = param.shape
    name = param.name
    if param.json_content:
        values = [v for k, v in query if k == name]
        return values[0] if values else MISSING
    if param.style == "deepObject" or (shape.is_object and param.explode and param.style == "form"):
        if param.style == "deepObject":
            prefix = name + "["
            obj = {
                k[len(prefix) : -1]: v for k, v in query if k.startswith(prefix) and k.endswith("]")
            }
        else:
            obj = {k: v for k, v in query if k in shape.props}
        if not obj:
            return MISSING
        return {k: coerce(v, shape.props.get(k)) for k, v in obj.items()}
    values = [v for k, v in query if k == name]
    if not values:
        return MISSING
    if shape.is_array:
        if param.explode:
            items = values
        else:
            items = values[0].split(_DELIMS.get(param.style, ","))
        return [coerce(v, shape.items) for v in items]
    if shape.is_object:
        return _pairs(values[0].split(","), shape)
    return coerce(values[0], shape)


def _unprefix(param: Param, raw: str) -> str:
    if param.style == "label" and raw.startswith("."):
        return raw[1:]
    if param.style == "matrix":
        prefix = f";{param.name}="
        if raw.startswith(prefix):
            return raw[len(prefix) :].replace(prefix, ",")
    return raw


def _from_string(param: Param, raw: str) -> Any:
    """A simple-style (path, header) or form-style (cookie) value."""
    shape = param.shape
    if param.json_content:
        return raw
    sep = "." if param.style == "label" and param.explode else ","
    if shape.is_array:
        parts = raw.split(sep) if raw != "" else []
        if param.location == "header":
            parts = [p.strip() for p in parts]
        return [coerce(p, shape.items) for p in parts]
    if shape.is_object:
        parts = raw.split(sep) if raw != "" else []
        if param.explode:
            obj: dict[str, Any] = {}
            for part in parts:
                key, _, value = part.partition("=")
                obj[key.strip()] = coerce(value, shape.props.get(key.strip()))
            return obj
        return _pairs(parts, shape)
    return coerce(raw, shape)


def _pairs(parts: list[str], shape: Shape) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for i in range(0, len(parts) - 1, 2):
        obj[parts[i]] = coerce(parts[i + 1], shape.props.get(parts[i]))
    return obj


def check(param: Param, value: Any) -> list[tuple[str, Failure | None]]:
    """(message, failure) pairs for a present value; empty when it is valid."""
    if param.json_content and isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [(f"{param.label} is not valid JSON, got {show(value)}", None)]
    if param.schema is None:
        return []
    out: list[tuple[str, Failure | None]] = []
    for failure in param.schema.failures(value):
        if failure.path:
            inner = "/".join(str(p) for p in failure.path)
            subject = (
                f"{param.label} item {inner}"
                if param.shape.is_array
                else (f"{param.label} field {inner!r}")
            )
        else:
            subject = param.label
        out.append((f"{subject} {failure.message}", failure))
    return out


def parse_cookies(header: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if not header:
        return out
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name and name not in out:
            out[name] = value.strip()
    return out
