"""OpenAPI Schema Objects to JSON Schema 2020-12, compiled once with jsonschema-rs.

OAS 3.0 is translated (nullable, boolean exclusiveMinimum/Maximum, int32/int64 ranges,
discriminator, `example` and other annotations dropped); OAS 3.1 schemas are JSON Schema
2020-12 already. In both, a read-only property is forbidden in requests and a write-only one
in responses (and neither is required there). Each spec gets one jsonschema-rs Registry per
direction holding its translated `components/schemas`; operation schemas refer into it.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Literal

import jsonschema_rs

from pluginlab_tui.contract.document import deref, pointer

Direction = Literal["request", "response"]

DRAFT_2020 = "https://json-schema.org/draft/2020-12/schema"
READ_ONLY_MARK = "pluginlab:readOnly"
WRITE_ONLY_MARK = "pluginlab:writeOnly"

#: Formats that are checked; any other format is an annotation (as most validators treat it).
CHECKED_FORMATS = {"date", "date-time", "uuid", "email", "ipv4", "ipv6", "byte"}
INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_ONE = (
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
    "contentSchema",
)
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_DROP_30 = {
    "example",
    "examples",
    "xml",
    "externalDocs",
    "discriminator",
    "deprecated",
    "nullable",
    "readOnly",
    "writeOnly",
    "title",
    "description",
    "default",
    "$schema",
    "$id",
    "id",
}
_DROP_31 = {
    "example",
    "xml",
    "externalDocs",
    "discriminator",
    "readOnly",
    "writeOnly",
    "$schema",
    "$id",
    "$dynamicRef",
    "$dynamicAnchor",
    "$anchor",
    "$recursiveRef",
    "$recursiveAnchor",
    "$vocabulary",
}
_TYPES = {"string", "number", "integer", "boolean", "array", "object", "null"}
_MAX_DEPTH = 64


def _is_byte(value: str) -> bool:
    try:
        base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    return True


_FORMATS = {"byte": _is_byte}
_pattern_ok: dict[str, bool] = {}


def pattern_compiles(pattern: str) -> bool:
    """Whether jsonschema-rs accepts this regex (a bad one would sink the whole validator)."""
    ok = _pattern_ok.get(pattern)
    if ok is None:
        try:
            jsonschema_rs.Draft202012Validator({"pattern": pattern})
            ok = True
        except Exception:
            ok = False
        _pattern_ok[pattern] = ok
    return ok


class Translator:
    """Translates one spec's schemas for one direction; owns the Registry of its components."""

    def __init__(self, spec: dict[str, Any], *, oas31: bool, direction: Direction) -> None:
        self.spec = spec
        self.oas31 = oas31
        self.direction = direction
        self.urn = f"urn:pluginlab:{direction}"
        self._inline_stack: list[str] = []
        components = spec.get("components")
        raw = components.get("schemas") if isinstance(components, dict) else None
        self.component_names = set(raw) if isinstance(raw, dict) else set()
        translated: dict[str, Any] = {}
        if isinstance(raw, dict):
            for name, schema in raw.items():
                translated[str(name)] = self.translate(schema)
        self.document = {"components": {"schemas": translated}}
        self.registry: jsonschema_rs.Registry | None
        try:
            self.registry = jsonschema_rs.Registry(
                [(self.urn, self.document)], draft=jsonschema_rs.Draft202012
            )
        except Exception:
            self.registry = None

    # -- translation ----------------------------------------------------------------------

    def translate(self, schema: Any, depth: int = 0) -> Any:
        if isinstance(schema, bool):
            return schema
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return {}
        if self.direction == "request" and schema.get("readOnly") is True:
            return {"not": {"$comment": READ_ONLY_MARK}}
        if self.direction == "response" and schema.get("writeOnly") is True:
            return {"not": {"$comment": WRITE_ONLY_MARK}}
        out: dict[str, Any] = {}
        extra_all: list[Any] = []
        drop = _DROP_31 if self.oas31 else _DROP_30
        for key, value in schema.items():
            if not isinstance(key, str) or key.startswith("x-") or key in drop:
                continue
            if key == "$ref":
                resolved = self._ref(value, depth)
                if resolved is not None:
                    out["$ref"] = resolved
            elif key in _SCHEMA_MAPS:
                if isinstance(value, dict):
                    out[key] = {str(k): self.translate(v, depth + 1) for k, v in value.items()}
            elif key in _SCHEMA_ONE:
                if isinstance(value, dict | bool):
                    out[key] = self.translate(value, depth + 1)
            elif key in _SCHEMA_LISTS:
                if isinstance(value, list) and value:
                    out[key] = [self.translate(v, depth + 1) for v in value]
            elif key == "items":
                if isinstance(value, dict | bool):
                    out["items"] = self.translate(value, depth + 1)
                elif isinstance(value, list) and self.oas31:
                    out["prefixItems"] = [self.translate(v, depth + 1) for v in value]
            elif key == "type":
                typ = self._type(value, schema)
                if typ is not None:
                    out["type"] = typ
            elif key == "format":
                if isinstance(value, str) and value in CHECKED_FORMATS:
                    out["format"] = value
                elif isinstance(value, str) and value in INT_RANGES:
                    lo, hi = INT_RANGES[value]
                    extra_all.append({"minimum": lo, "maximum": hi})
            elif key == "pattern":
                if isinstance(value, str) and pattern_compiles(value):
                    out["pattern"] = value
            elif key in ("exclusiveMinimum", "exclusiveMaximum") and not self.oas31:
                bound = "minimum" if key == "exclusiveMinimum" else "maximum"
                if value is True and isinstance(schema.get(bound), int | float):
                    out[key] = schema[bound]
            elif key in ("minimum", "maximum") and not self.oas31:
                excl = "exclusiveMinimum" if key == "minimum" else "exclusiveMaximum"
                if schema.get(excl) is not True and isinstance(value, int | float):
                    out[key] = value
            elif key == "required":
                if isinstance(value, list):
                    out["required"] = [
                        p for p in value if isinstance(p, str) and not self._hidden(schema, p)
                    ]
            elif key == "enum":
                if isinstance(value, list):
                    out["enum"] = value
            else:
                out[key] = value
        disc = schema.get("discriminator")
        if isinstance(disc, dict):
            self._discriminate(schema, disc, out, extra_all, depth)
        if extra_all:
            out["allOf"] = [*out.get("allOf", []), *extra_all]
        return out

    def _type(self, value: Any, schema: dict[str, Any]) -> Any:
        if isinstance(value, str) and value in _TYPES:
            if not self.oas31 and schema.get("nullable") is True and value != "null":
                return [value, "null"]
            return value
        if isinstance(value, list) and self.oas31:
            types = [t for t in value if isinstance(t, str) and t in _TYPES]
            return types or None
        return None

    def _hidden(self, schema: dict[str, Any], prop: str) -> bool:
        """A required property that is read-only (requests) or write-only (responses)."""
        props = schema.get("properties")
        if not isinstance(props, dict):
            return False
        sub = props.get(prop)
        if not self.oas31:
            sub = deref(self.spec, sub)
        if not isinstance(sub, dict):
            return False
        flag = "readOnly" if self.direction == "request" else "writeOnly"
        return sub.get(flag) is True

    def _ref(self, ref: Any, depth: int) -> str | None:
        if not isinstance(ref, str):
            return None
        prefix = "#/components/schemas/"
        if ref.startswith(prefix):
            name = ref[len(prefix) :].replace("~1", "/").replace("~0", "~")
            if "/" not in name and name in self.component_names:
                return f"{self.urn}{ref}"
        return None

    def _discriminate(
        self,
        schema: dict[str, Any],
        disc: dict[str, Any],
        out: dict[str, Any],
        extra_all: list[Any],
        depth: int,
    ) -> None:
        """oneOf/anyOf + discriminator: the property's value picks the one schema to check."""
        prop = disc.get("propertyName")
        choices = schema.get("oneOf") or schema.get("anyOf")
        if not isinstance(prop, str) or not isinstance(choices, list):
            return
        targets: dict[str, str] = {}
        for choice in choices:
            ref = choice.get("$ref") if isinstance(choice, dict) else None
            if not isinstance(ref, str) or not ref.startswith("#/components/schemas/"):
                return  # an inline alternative: keep plain oneOf/anyOf semantics
            targets[ref.rsplit("/", 1)[1]] = ref
        mapping = disc.get("mapping")
        if isinstance(mapping, dict):
            for value, target in mapping.items():
                if isinstance(target, str):
                    ref = target if target.startswith("#") else f"#/components/schemas/{target}"
                    targets[str(value)] = ref
        rules: list[Any] = [
            {"type": "object", "required": [prop], "properties": {prop: {"enum": list(targets)}}}
        ]
        for value, ref in targets.items():
            resolved = self._ref(ref, depth)
            if resolved is None:
                return
            rules.append(
                {"if": {"properties": {prop: {"const": value}}}, "then": {"$ref": resolved}}
            )
        out.pop("oneOf", None)
        out.pop("anyOf", None)
        extra_all.extend(rules)

    # -- compilation ----------------------------------------------------------------------

    def compile(self, schema: Any, spec_pointer: str) -> CompiledSchema | None:
        """A validator for one operation-level schema; None if it cannot be compiled."""
        translated = self.translate(schema)
        if translated == {} or translated is True:
            return None
        root: Any = (
            {"$schema": DRAFT_2020, **translated} if isinstance(translated, dict) else translated
        )
        return compile_schema(root, spec_pointer, translated, registry=self.registry)


def compile_schema(
    root: Any, spec_pointer: str, schema: Any = None, *, registry: Any = None
) -> CompiledSchema | None:
    """A JSON Schema 2020-12 validator (formats as above); None if it cannot be compiled."""
    try:
        validator = jsonschema_rs.Draft202012Validator(
            root,
            registry=registry,
            validate_formats=True,
            ignore_unknown_formats=True,
            formats=_FORMATS,
        )
    except Exception:
        return None
    return CompiledSchema(validator, spec_pointer, root if schema is None else schema)


@dataclass(frozen=True, slots=True)
class Failure:
    """One schema error: where in the instance, which keyword, where in the spec, why."""

    path: tuple[str | int, ...]
    keyword: str
    schema_path: str
    message: str


class CompiledSchema:
    """A compiled validator and the spec pointer of the schema it was built from."""

    __slots__ = ("validator", "spec_pointer", "schema")

    def __init__(self, validator: Any, spec_pointer: str, schema: Any) -> None:
        self.validator = validator
        self.spec_pointer = spec_pointer
        self.schema = schema

    def is_valid(self, instance: Any) -> bool:
        try:
            return bool(self.validator.is_valid(instance))
        except Exception:
            return True

    def failures(self, instance: Any) -> list[Failure]:
        try:
            if self.validator.is_valid(instance):
                return []
            errors = list(self.validator.iter_errors(instance))
        except Exception as exc:  # an instance jsonschema-rs cannot take (huge ints, ...)
            return [Failure((), "schema", f"#{self.spec_pointer}", f"could not be checked ({exc})")]
        return [self._failure(e) for e in errors]

    def _failure(self, error: Any) -> Failure:
        path = tuple(error.instance_path)
        keyword, message = describe(error)
        if keyword == "additionalProperties":
            unexpected = getattr(error.kind, "unexpected", None)
            if isinstance(unexpected, list) and len(unexpected) == 1:
                path = (*path, unexpected[0])
        loc = error.absolute_keyword_location
        tokens = list(error.schema_path)
        if isinstance(loc, str) and "#" in loc:
            schema_path = "#" + loc.split("#", 1)[1]
        elif tokens[:2] == ["components", "schemas"]:
            schema_path = "#" + pointer(*tokens)
        else:
            schema_path = "#" + self.spec_pointer + pointer(*tokens)
        return Failure(path, keyword, schema_path, message)


# -- messages -----------------------------------------------------------------------------


def show(value: Any) -> str:
    """A value as a person reads it in a message."""
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return repr(text)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


_ARTICLE = {
    "integer": "an integer",
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}


def describe(error: Any) -> tuple[str, str]:
    """(keyword, 'must be an integer, got 'abc'') for one jsonschema-rs error."""
    kind = error.kind
    name = getattr(kind, "name", "") or "schema"
    inst = getattr(error, "instance", None)
    try:
        if name == "type":
            types = [_ARTICLE.get(t, t) for t in kind.types]
            return "type", f"must be {' or '.join(types)}, got {show(inst)}"
        if name == "required":
            return "required", f"is missing required property {kind.property!r}"
        if name == "enum":
            options = ", ".join(show(o) for o in kind.options[:10])
            return "enum", f"must be one of {options}, got {show(inst)}"
        if name == "const":
            return "const", f"must be {show(kind.expected_value)}, got {show(inst)}"
        if name == "format":
            return "format", f"must be a valid {kind.format}, got {show(inst)}"
        if name in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">"}.get(name, "<")
            return name, f"must be {op} {kind.limit}, got {show(inst)}"
        if name in ("minLength", "maxLength"):
            word = "at least" if name == "minLength" else "at most"
            return name, f"must be {word} {kind.limit} characters long, got {show(inst)}"
        if name in ("minItems", "maxItems"):
            word = "at least" if name == "minItems" else "at most"
            return name, f"must have {word} {kind.limit} items"
        if name in ("minProperties", "maxProperties"):
            word = "at least" if name == "minProperties" else "at most"
            return name, f"must have {word} {kind.limit} properties"
        if name == "pattern":
            return "pattern", f"must match the pattern {kind.pattern!r}, got {show(inst)}"
        if name == "multipleOf":
            return "multipleOf", f"must be a multiple of {kind.multiple_of}, got {show(inst)}"
        if name == "uniqueItems":
            return "uniqueItems", "must not contain duplicate items"
        if name == "additionalProperties":
            extra = ", ".join(repr(u) for u in kind.unexpected)
            return "additionalProperties", f"has unexpected properties: {extra}"
        if name == "oneOf":
            if type(kind).__name__ == "OneOfMultipleValid":
                return "oneOf", "matches more than one of the alternatives (oneOf)"
            return "oneOf", "does not match any of the allowed alternatives (oneOf)"
        if name == "anyOf":
            return "anyOf", "does not match any of the allowed alternatives (anyOf)"
        if name == "not":
            mark = kind.schema.get("$comment") if isinstance(kind.schema, dict) else None
            if mark == READ_ONLY_MARK:
                return "readOnly", "is read-only and must not be sent in a request"
            if mark == WRITE_ONLY_MARK:
                return "writeOnly", "is write-only and must not appear in a response"
            return "not", "matches a schema it must not match (not)"
        if name == "falseSchema":
            return "false", "is not allowed here"
    except Exception:
        pass
    return name, str(getattr(error, "message", "is invalid"))
