"""An OpenAPI 3.1 draft inferred from recorded exchanges.

Paths: segments that vary become templated parameters (numbers, uuids, long hex or mixed ids,
dates, emails; and names when several values lead to exchanges of the same shape). Query
parameters get types (and enums for small closed sets); request and response bodies get JSON
schemas merged across samples (types, required when always present, null when seen null, enums,
formats date / date-time / uuid / email); every status seen is a response; operationIds and
summaries are proposed from method and path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote

from pluginlab_tui.wire import PROXY_PREFIX

OPENAPI_VERSION = "3.1.0"
#: Routes the proxy answers itself: never part of the plugin's API.
PROXY_PREFIXES = ("/.well-known/", PROXY_PREFIX)
PROXY_PATHS = ("/openapi.yaml", "/openapi.json")
SKIPPED_METHODS = ("OPTIONS", "HEAD", "CONNECT", "TRACE")
MAX_ENUM = 8
MAX_TRACKED_VALUES = 64


class Recorded(Protocol):
    """What a draft reads of one recorded exchange (the store's Event is one): the plugin files
    know nothing of the store or the proxy."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def query(self) -> str | None: ...
    @property
    def status(self) -> int | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def request_headers(self) -> Sequence[tuple[str, str]]: ...
    @property
    def response_headers(self) -> Sequence[tuple[str, str]]: ...
    @property
    def request_body(self) -> str | None: ...
    @property
    def response_body(self) -> str | None: ...
    @property
    def request_binary(self) -> bool: ...
    @property
    def response_binary(self) -> bool: ...
    @property
    def request_size(self) -> int | None: ...
    @property
    def response_size(self) -> int | None: ...


MAX_DEPTH = 24

_INT = re.compile(r"^-?\d+$")
_NUMBER = re.compile(r"^-?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEX = re.compile(r"^[0-9a-fA-F]{16,}$")
_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
_DATE_TIME = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
    r"(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_TOKEN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,30}$")
_MIXED_ID = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_-]{8,}$")
_WORD = re.compile(r"[A-Za-z0-9]+")


# -- naming -----------------------------------------------------------------------------------


def singular(word: str) -> str:
    lower = word.lower()
    if lower.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if lower.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if lower.endswith("s") and not lower.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _plural(word: str) -> bool:
    return singular(word) != word


def _pascal(text: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in _WORD.findall(text))


def _literals(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s and not s.startswith("{")]


def operation_id_for(method: str, path: str, *, listing: bool | None = None) -> str:
    """listTodos, getTodo, createTodo, updateTodo, deleteTodo, ... from method and path.

    `listing`: whether a GET answers a list (None: guessed from the path's last segment).
    """
    segments = [s for s in path.strip("/").split("/") if s]
    literals = _literals(path)
    on_item = bool(segments) and segments[-1].startswith("{")
    if listing is not None:
        on_item = not listing
    elif literals and not on_item and not _plural(literals[-1]):
        on_item = True  # GET /convert: one answer, not a list
    method = method.lower()
    if not literals:
        noun = "Root"
    else:
        *owners, last = literals
        prefix = "".join(_pascal(singular(o)) for o in owners)
        plural = method == "get" and not on_item
        noun = prefix + _pascal(last if plural else singular(last))
    verb = {
        "get": "get" if on_item or not literals else "list",
        "post": "create",
        "put": "replace",
        "patch": "update",
        "delete": "delete",
    }.get(method, method)
    return verb + (noun or "Root")


def summary_for(method: str, path: str, *, listing: bool | None = None) -> str:
    literals = _literals(path)
    segments = [s for s in path.strip("/").split("/") if s]
    on_item = bool(segments) and segments[-1].startswith("{")
    noun = " ".join(w.lower() for w in _WORD.findall(literals[-1])) if literals else "root"
    one = singular(noun)
    key = segments[-1].strip("{}") if on_item else ""
    scope = f" of a {key.replace('_', ' ')}" if on_item and listing else ""
    method = method.lower()
    if method == "get":
        if listing is None:
            listing = not on_item and (not literals or _plural(literals[-1]))
        text = f"List {noun}{scope}" if listing else f"Get a {one}" + (f" by {key}" if key else "")
    elif method == "post":
        text = f"Create a {one}"
    elif method in ("put", "patch"):
        text = f"Update a {one}" + (f" by {key}" if on_item else "")
    elif method == "delete":
        text = f"Delete a {one}" + (f" by {key}" if on_item else "")
    else:
        text = f"{method.upper()} {path}"
    return text + "."


def unique_id(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base}{n}"
        n += 1
    taken.add(candidate)
    return candidate


# -- schema inference -------------------------------------------------------------------------


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() and abs(value) < 2**53 else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def string_format(values: Iterable[str]) -> str | None:
    """date, date-time, uuid or email when every value has that form."""
    values = list(values)
    if not values:
        return None
    for name, pattern in (
        ("date", _DATE),
        ("date-time", _DATE_TIME),
        ("uuid", _UUID),
        ("email", _EMAIL),
    ):
        if all(pattern.match(v) for v in values):
            return name
    return None


@dataclass
class Shape:
    """What was seen of one value across samples."""

    samples: int = 0
    types: set[str] = field(default_factory=set)
    strings: dict[str, int] = field(default_factory=dict)
    strings_overflow: bool = False
    objects: int = 0
    properties: dict[str, Shape] = field(default_factory=dict)
    present: dict[str, int] = field(default_factory=dict)
    items: Shape | None = None

    def add(self, value: Any, depth: int = 0) -> None:
        self.samples += 1
        kind = _json_type(value)
        self.types.add(kind)
        if depth > MAX_DEPTH:
            return
        if kind == "string":
            if value in self.strings:
                self.strings[value] += 1
            elif len(self.strings) < MAX_TRACKED_VALUES:
                self.strings[value] = 1
            else:
                self.strings_overflow = True
        elif kind == "object":
            self.objects += 1
            for key, item in value.items():
                self.present[key] = self.present.get(key, 0) + 1
                self.properties.setdefault(key, Shape()).add(item, depth + 1)
        elif kind == "array":
            if self.items is None:
                self.items = Shape()
            for item in value:
                self.items.add(item, depth + 1)

    def schema(self, *, enums: bool = True) -> dict[str, Any]:
        types = set(self.types)
        if {"integer", "number"} <= types:
            types.discard("integer")
        nullable = "null" in types
        types.discard("null")
        if not types:
            return {"type": "null"} if nullable else {}
        out: dict[str, Any] = {}
        ordered = sorted(types, key=_TYPE_ORDER.index) + (["null"] if nullable else [])
        out["type"] = ordered[0] if len(ordered) == 1 else ordered
        if types == {"string"} and self.strings:
            fmt = None if self.strings_overflow else string_format(self.strings)
            if fmt is not None:
                out["format"] = fmt
            elif enums and _closed_set(self.strings, self.strings_overflow):
                values: list[Any] = sorted(self.strings)
                out["enum"] = [*values, None] if nullable else values
        if "object" in types:
            props = {k: s.schema(enums=enums) for k, s in self.properties.items()}
            out["properties"] = props
            required = [k for k, n in self.present.items() if n == self.objects]
            if required:
                out["required"] = required
        if "array" in types:
            items = self.items.schema(enums=enums) if self.items and self.items.samples else {}
            out["items"] = items
        return out


_TYPE_ORDER = ["object", "array", "string", "integer", "number", "boolean", "null"]


def _closed_set(counts: dict[str, int], overflow: bool) -> bool:
    """A small set of identifier-like strings, each seen more than once on the whole."""
    if overflow or not counts:
        return False
    distinct = len(counts)
    total = sum(counts.values())
    if distinct > MAX_ENUM or total < 3 or total < 2 * distinct:
        return False
    return all(_TOKEN.match(v) for v in counts)


def infer_schema(samples: Iterable[Any], *, enums: bool = True) -> dict[str, Any]:
    shape = Shape()
    for sample in samples:
        shape.add(sample)
    return shape.schema(enums=enums)


def _scalar_schema(values: Sequence[str], *, enums: bool = True) -> dict[str, Any]:
    """A parameter's schema from its raw text values."""
    if values and all(_INT.match(v) for v in values):
        return {"type": "integer"}
    if values and all(_NUMBER.match(v) for v in values):
        return {"type": "number"}
    if values and all(v in ("true", "false") for v in values):
        return {"type": "boolean"}
    schema: dict[str, Any] = {"type": "string"}
    fmt = string_format(values)
    if fmt is not None:
        schema["format"] = fmt
    elif enums:
        counts: dict[str, int] = {}
        for v in values:
            counts[v] = counts.get(v, 0) + 1
        if _closed_set(counts, len(counts) > MAX_TRACKED_VALUES):
            schema["enum"] = sorted(counts)
    return schema


# -- paths ------------------------------------------------------------------------------------


def id_kind(segment: str) -> str | None:
    """The kind of id a path segment looks like, or None for a plain word."""
    if _INT.match(segment):
        return "integer"
    if _UUID.match(segment):
        return "uuid"
    if _DATE.match(segment):
        return "date"
    if _EMAIL.match(segment):
        return "email"
    if _HEX.match(segment) or _MIXED_ID.match(segment):
        return "id"
    return None


@dataclass
class _Sample:
    event: Recorded
    segments: list[str]
    body: Any
    response: Any


VAR = "\x00"  # a templated segment in a path key


def _json_body(text: str | None, binary: bool) -> Any:
    if text is None or binary or not text.strip():
        return _NO_BODY
    try:
        return json.loads(text)
    except ValueError:
        return _NO_BODY


_NO_BODY: Any = object()


def _shape_key(value: Any) -> str:
    """The coarse shape of a response: its type and top-level keys (or its items')."""
    if value is _NO_BODY:
        return "-"
    if isinstance(value, dict):
        return "{" + ",".join(sorted(value)) + "}"
    if isinstance(value, list):
        inner = next((v for v in value if v is not None), None)
        return "[" + (_shape_key(inner) if inner is not None else "") + "]"
    return _json_type(value)


def _templated(samples: list[_Sample]) -> None:
    """Replace varying segments by VAR in each sample's segments, position by position."""
    for sample in samples:
        sample.segments = [VAR if id_kind(unquote(s)) else s for s in sample.segments]
    depth = max((len(s.segments) for s in samples), default=0)
    # the first segment is nearly always a literal (/todos, /api): names merge from the second
    for position in range(1, depth):
        groups: dict[tuple[str, ...], list[_Sample]] = {}
        for sample in samples:
            if len(sample.segments) > position:
                groups.setdefault(tuple(sample.segments[:position]), []).append(sample)
        for members in groups.values():
            _merge_names(members, position)


def _merge_names(members: list[_Sample], position: int) -> None:
    """Literal siblings at `position` that lead to exchanges of the same shape become VAR."""
    by_value: dict[str, list[_Sample]] = {}
    for sample in members:
        value = sample.segments[position]
        if value != VAR:
            by_value.setdefault(value, []).append(sample)
    if len(by_value) < 2:
        return
    # signature: (rest of the path with ids templated, method, response shape) of 2xx answers
    signatures: dict[str, set[tuple[tuple[str, ...], str, str]]] = {}
    for value, group in by_value.items():
        sig: set[tuple[tuple[str, ...], str, str]] = set()
        for sample in group:
            status = sample.event.status or 0
            if 200 <= status < 300:
                rest = tuple(sample.segments[position + 1 :])
                sig.add((rest, sample.event.method.upper(), _shape_key(sample.response)))
        signatures[value] = sig
    values = list(by_value)
    parent = {v: v for v in values}

    def find(v: str) -> str:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for i, a in enumerate(values):
        for b in values[i + 1 :]:
            if signatures[a] & signatures[b]:
                parent[find(a)] = find(b)
    clusters: dict[str, list[str]] = {}
    for v in values:
        clusters.setdefault(find(v), []).append(v)
    has_var = any(s.segments[position] == VAR for s in members)
    for cluster in clusters.values():
        if len(cluster) < 2 and not (has_var and _joins_var(cluster[0], members, position)):
            continue
        for value in cluster:
            for sample in by_value[value]:
                sample.segments[position] = VAR


def _joins_var(value: str, members: list[_Sample], position: int) -> bool:
    """A single literal whose exchanges look like those already templated at this position."""
    if id_kind(value) is not None:
        return True
    mine = {
        (tuple(s.segments[position + 1 :]), s.event.method.upper(), _shape_key(s.response))
        for s in members
        if s.segments[position] == value and 200 <= (s.event.status or 0) < 300
    }
    theirs = {
        (tuple(s.segments[position + 1 :]), s.event.method.upper(), _shape_key(s.response))
        for s in members
        if s.segments[position] == VAR and 200 <= (s.event.status or 0) < 300
    }
    return bool(mine & theirs) and not value.isalpha()


def _param_names(template: list[str], values: list[list[str]]) -> list[str]:
    """Names for each VAR of a template: todo_id, user_name, ... (unique within the path)."""
    names: list[str] = []
    taken: set[str] = set()
    last_literal = ""
    for index, segment in enumerate(template):
        if segment != VAR:
            last_literal = segment
            continue
        seen = [v[index] for v in values if index < len(v)]
        kinds = {id_kind(unquote(s)) for s in seen}
        base = "_".join(w.lower() for w in _WORD.findall(singular(last_literal))) or "param"
        suffix = "id" if kinds and None not in kinds else "name"
        if kinds == {"date"}:
            suffix = "date"
        elif kinds == {"email"}:
            suffix = "email"
        names.append(unique_id(f"{base}_{suffix}", taken))
    return names


# -- operations -------------------------------------------------------------------------------


@dataclass
class _Operation:
    method: str
    template: list[str]
    samples: list[_Sample] = field(default_factory=list)


def api_events[R: Recorded](events: Iterable[R]) -> list[R]:
    """The exchanges that show the plugin's API: answered, not proxy routes or preflights."""
    kept = []
    for event in events:
        if event.status is None or event.error:
            continue
        if event.method.upper() in SKIPPED_METHODS:
            continue
        path = event.path or "/"
        if path.startswith(PROXY_PREFIXES) or path in PROXY_PATHS:
            continue
        kept.append(event)
    return kept


def _content_type(headers: Sequence[tuple[str, str]]) -> str | None:
    for name, value in headers:
        if name.lower() == "content-type":
            return value.split(";")[0].strip().lower() or None
    return None


def _split_path(path: str, base_path: str) -> list[str]:
    if base_path and (path == base_path or path.startswith(base_path + "/")):
        path = path[len(base_path) :] or "/"
    return [s for s in path.split("/") if s]


def draft_spec(
    events: Iterable[Recorded],
    *,
    title: str = "Drafted from traffic",
    server_url: str | None = None,
    base_path: str = "",
    description: str | None = None,
) -> dict[str, Any]:
    """An OpenAPI 3.1 document inferred from the exchanges (see the module's docstring)."""
    samples: list[_Sample] = []
    for event in api_events(events):
        request = (
            _json_body(event.request_body, event.request_binary)
            if _is_json(_content_type(event.request_headers))
            else _NO_BODY
        )
        response = (
            _json_body(event.response_body, event.response_binary)
            if _is_json(_content_type(event.response_headers))
            else _NO_BODY
        )
        samples.append(_Sample(event, _split_path(event.path, base_path), request, response))
    raw_segments = {id(s): list(s.segments) for s in samples}
    _templated(samples)
    ops: dict[tuple[str, tuple[str, ...]], _Operation] = {}
    for sample in samples:
        key = (sample.event.method.lower(), tuple(sample.segments))
        ops.setdefault(key, _Operation(key[0], list(key[1]))).samples.append(sample)
    paths: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()
    for (_, template), op in sorted(ops.items(), key=lambda kv: (kv[0][1], _method_rank(kv[0][0]))):
        values = [raw_segments[id(s)] for s in op.samples]
        names = _param_names(list(template), values)
        it = iter(names)
        rendered = "/" + "/".join("{" + next(it) + "}" if s == VAR else s for s in template)
        operation = _operation(op, rendered, names, values, taken)
        paths.setdefault(rendered, {})[op.method] = operation
    info: dict[str, Any] = {"title": title, "version": "0.1.0"}
    info["description"] = description or (
        "Drafted by pluginlab-tui from recorded traffic; review every schema before publishing."
    )
    spec: dict[str, Any] = {"openapi": OPENAPI_VERSION, "info": info}
    if server_url:
        spec["servers"] = [{"url": server_url.rstrip("/") + base_path}]
    spec["paths"] = paths
    return spec


def _method_rank(method: str) -> int:
    order = ("get", "post", "put", "patch", "delete")
    return order.index(method) if method in order else len(order)


def _is_json(content_type: str | None) -> bool:
    return content_type is not None and (
        content_type == "application/json" or content_type.endswith("+json")
    )


def _operation(
    op: _Operation,
    path: str,
    names: list[str],
    values: list[list[str]],
    taken: set[str],
) -> dict[str, Any]:
    listing = _answers_lists(op.samples) if op.method == "get" else None
    out: dict[str, Any] = {
        "operationId": unique_id(operation_id_for(op.method, path, listing=listing), taken),
        "summary": summary_for(op.method, path, listing=listing),
    }
    parameters: list[dict[str, Any]] = []
    var_positions = [i for i, s in enumerate(op.template) if s == VAR]
    for name, position in zip(names, var_positions, strict=True):
        seen = [unquote(v[position]) for v in values]
        parameters.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": _scalar_schema(seen, enums=False),
            }
        )
    parameters.extend(_query_parameters(op.samples))
    if parameters:
        out["parameters"] = parameters
    body = _request_body(op.samples)
    if body is not None:
        out["requestBody"] = body
    out["responses"] = _responses(op.samples)
    return out


def _answers_lists(samples: list[_Sample]) -> bool | None:
    """Whether successful answers are lists (an array, or an object holding one)."""
    bodies = [
        s.response
        for s in samples
        if 200 <= (s.event.status or 0) < 300 and s.response is not _NO_BODY
    ]
    if not bodies:
        return None
    return all(
        isinstance(b, list)
        or (isinstance(b, dict) and any(isinstance(v, list) for v in b.values()))
        for b in bodies
    )


def _accepted(samples: list[_Sample]) -> list[_Sample]:
    """The samples whose request the backend accepted (2xx/3xx); all when there is none.

    Requests the backend refused (4xx) say what is not allowed: they are not part of what the
    draft's request schemas accept.
    """
    kept = [s for s in samples if 200 <= (s.event.status or 0) < 400]
    return kept or samples


def _query_parameters(samples: list[_Sample]) -> list[dict[str, Any]]:
    samples = _accepted(samples)
    seen: dict[str, list[str]] = {}
    present: dict[str, int] = {}
    for sample in samples:
        pairs = parse_qsl(sample.event.query or "", keep_blank_values=True)
        names = set()
        for name, value in pairs:
            seen.setdefault(name, []).append(value)
            names.add(name)
        for name in names:
            present[name] = present.get(name, 0) + 1
    out = []
    for name, values in seen.items():
        param: dict[str, Any] = {"name": name, "in": "query"}
        if present[name] == len(samples):
            param["required"] = True
        param["schema"] = _scalar_schema(values)
        if len(values) > present[name]:
            param["schema"] = {"type": "array", "items": param["schema"]}
            param["explode"] = True
        out.append(param)
    return out


def _request_body(samples: list[_Sample]) -> dict[str, Any] | None:
    samples = _accepted(samples)
    media: dict[str, list[Any]] = {}
    with_body = 0
    for sample in samples:
        event = sample.event
        if not event.request_body and not event.request_size:
            continue
        with_body += 1
        kind = _content_type(event.request_headers) or "application/octet-stream"
        if sample.body is not _NO_BODY:
            media.setdefault(kind, []).append(sample.body)
        elif kind == "application/x-www-form-urlencoded":
            form = dict(parse_qsl(event.request_body or "", keep_blank_values=True))
            media.setdefault(kind, []).append(form)
        else:
            media.setdefault(kind, [])
    if not with_body:
        return None
    content: dict[str, Any] = {}
    for kind, bodies in media.items():
        if kind == "application/x-www-form-urlencoded":
            schema = infer_schema(bodies, enums=False)
            for prop in schema.get("properties", {}).values():
                prop.clear()
                prop["type"] = "string"
        elif bodies:
            schema = infer_schema(bodies)
        else:
            schema = {"type": "string"}
        content[kind] = {"schema": schema}
    body: dict[str, Any] = {"content": content}
    if with_body == len(samples):
        body["required"] = True
    return body


def _responses(samples: list[_Sample]) -> dict[str, Any]:
    by_status: dict[int, list[_Sample]] = {}
    for sample in samples:
        if sample.event.status is not None:
            by_status.setdefault(sample.event.status, []).append(sample)
    responses: dict[str, Any] = {}
    for status in sorted(by_status):
        group = by_status[status]
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = f"Status {status}"
        response: dict[str, Any] = {"description": phrase + "."}
        media: dict[str, list[Any]] = {}
        for sample in group:
            event = sample.event
            if not event.response_body and not event.response_size:
                continue
            kind = _content_type(event.response_headers) or "application/octet-stream"
            bucket = media.setdefault(kind, [])
            if sample.response is not _NO_BODY:
                bucket.append(sample.response)
        if media and status != 204:
            content: dict[str, Any] = {}
            for kind, bodies in media.items():
                schema = infer_schema(bodies) if bodies else {"type": "string"}
                content[kind] = {"schema": schema}
            response["content"] = content
        responses[str(status)] = response
    return responses


def to_oas30(data: Any) -> Any:
    """A copy of drafted (3.1) parts in OpenAPI 3.0 form: type lists become nullable/anyOf."""
    if isinstance(data, list):
        return [to_oas30(v) for v in data]
    if not isinstance(data, dict):
        return data
    out = {k: to_oas30(v) for k, v in data.items()}
    kind = out.get("type")
    if isinstance(kind, list):
        types = [t for t in kind if t != "null"]
        if "null" in kind:
            out["nullable"] = True
        if len(types) == 1:
            out["type"] = types[0]
        elif not types:
            del out["type"]
        else:
            del out["type"]
            out["anyOf"] = [{"type": t} for t in types]
    elif kind == "null":
        del out["type"]
        out["nullable"] = True
    return out
