"""A spec compiled once: router, and per operation its parameters, bodies and responses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pluginlab_tui.contract.document import METHODS, deref, pointer
from pluginlab_tui.validation.media import kind_of
from pluginlab_tui.validation.params import Param, Shape, make_param, shape_of
from pluginlab_tui.validation.router import Router, base_paths
from pluginlab_tui.validation.schemas import CompiledSchema, Translator
from pluginlab_tui.validation.security import Requirement, compile_security


@dataclass(frozen=True, slots=True)
class Media:
    """One media type of a body: how it is read and its compiled schema (if any)."""

    key: str
    kind: str
    schema: CompiledSchema | None
    shape: Shape


@dataclass(slots=True)
class ResponseSpec:
    content: dict[str, Media]
    cache: dict[str, str | None] = field(default_factory=dict)


@dataclass(slots=True)
class Operation:
    """One compiled operation."""

    operation_id: str | None
    method: str
    template: str
    params: list[Param] = field(default_factory=list)
    body: dict[str, Media] | None = None  # None: the operation takes no request body
    body_required: bool = False
    body_cache: dict[str, str | None] = field(default_factory=dict)
    security: Requirement | None = None
    responses: dict[str, ResponseSpec] = field(default_factory=dict)


@dataclass(slots=True)
class CompiledSpec:
    router: Router[Operation]
    operations: list[Operation]
    oas31: bool
    problems: list[str]


def is_oas31(spec: dict[str, Any]) -> bool:
    version = str(spec.get("openapi", "")).strip().strip('"')
    return version.startswith(("3.1", "3.2"))


def compile_spec(spec: Any) -> CompiledSpec:
    """Compile a spec; ValueError if it has nothing that can be checked at all."""
    if not isinstance(spec, dict):
        raise ValueError("the spec is not a mapping (expected an OpenAPI 3 document)")
    if "swagger" in spec and "openapi" not in spec:
        raise ValueError("Swagger 2.0 specs are not supported; convert it to OpenAPI 3")
    paths = spec.get("paths")
    if not isinstance(paths, dict):
        raise ValueError("the spec has no 'paths' object, so no request can be checked")
    oas31 = is_oas31(spec)
    req = Translator(spec, oas31=oas31, direction="request")
    resp = Translator(spec, oas31=oas31, direction="response")
    problems: list[str] = []
    operations: list[Operation] = []
    routes: list[tuple[str, dict[str, Operation]]] = []
    for template, raw_item in paths.items():
        if not isinstance(template, str) or not template.startswith("/"):
            continue
        item = deref(spec, raw_item)
        if not isinstance(item, dict):
            continue
        methods: dict[str, Operation] = {}
        for method in METHODS:
            raw_op = item.get(method)
            if not isinstance(raw_op, dict):
                continue
            try:
                op = _compile_operation(spec, template, method, item, raw_op, req, resp, problems)
            except Exception as exc:  # a garbage corner of the spec: skip only that operation
                problems.append(f"{method.upper()} {template}: not compiled ({exc})")
                continue
            methods[method] = op
            operations.append(op)
        if methods:
            routes.append((template, methods))
    bases = base_paths(spec.get("servers"))
    router: Router[Operation] = Router(routes, bases)
    return CompiledSpec(router, operations, oas31, problems)


def _compile_operation(
    spec: dict[str, Any],
    template: str,
    method: str,
    item: dict[str, Any],
    raw_op: dict[str, Any],
    req: Translator,
    resp: Translator,
    problems: list[str],
) -> Operation:
    op_id = raw_op.get("operationId")
    op = Operation(op_id if isinstance(op_id, str) else None, method, template)
    base = ("paths", template)

    # parameters: path-item level, overridden by operation level (same name and in)
    merged: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
    for level, raw_params in (("item", item.get("parameters")), ("op", raw_op.get("parameters"))):
        if not isinstance(raw_params, list):
            continue
        for i, raw in enumerate(raw_params):
            param = deref(spec, raw)
            if not isinstance(param, dict):
                continue
            key = (str(param.get("name")), str(param.get("in")))
            ptr_tokens = (
                (*base, "parameters", i) if level == "item" else (*base, method, "parameters", i)
            )
            merged[key] = (param, pointer(*ptr_tokens, "schema"))
    for param, ptr in merged.values():
        raw_schema = param.get("schema")
        if raw_schema is None and isinstance(param.get("content"), dict) and param["content"]:
            media = next(iter(param["content"].values()))
            raw_schema = media.get("schema") if isinstance(media, dict) else None
        compiled = req.compile(raw_schema, ptr) if raw_schema is not None else None
        made = make_param(param, spec, compiled)
        if made is not None:
            op.params.append(made)

    # request body
    body = deref(spec, raw_op.get("requestBody"))
    if isinstance(body, dict):
        op.body_required = body.get("required") is True
        op.body = _media_map(spec, body.get("content"), req, (*base, method, "requestBody"))

    # security: operation level, else document level
    security = raw_op.get("security", spec.get("security"))
    op.security = compile_security(spec, security)

    # responses
    responses = raw_op.get("responses")
    if isinstance(responses, dict):
        for status, raw_resp in responses.items():
            resolved = deref(spec, raw_resp)
            content = resolved.get("content") if isinstance(resolved, dict) else None
            tokens = (*base, method, "responses", str(status))
            op.responses[str(status).upper()] = ResponseSpec(
                _media_map(spec, content, resp, tokens)
            )
    return op


def _media_map(
    spec: dict[str, Any], content: Any, translator: Translator, tokens: tuple[str, ...]
) -> dict[str, Media]:
    out: dict[str, Media] = {}
    if not isinstance(content, dict):
        return out
    for key, media in content.items():
        if not isinstance(key, str):
            continue
        raw_schema = media.get("schema") if isinstance(media, dict) else None
        kind = kind_of(key.split(";")[0].strip())
        compiled = None
        if raw_schema is not None:
            compiled = translator.compile(raw_schema, pointer(*tokens, "content", key, "schema"))
        out[key] = Media(key, kind, compiled, shape_of(spec, raw_schema))
    return out
