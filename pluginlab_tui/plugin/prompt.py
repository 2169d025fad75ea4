"""The plugin as ChatGPT presented it to the model: a TypeScript-like namespace.

    ## todolab

    // Plugin for managing a user's todo list. ...
    namespace todolab {

    // List the user's todos, optionally only the open or done ones.
    type listTodos = (_: {
    // Whose list.
    username: string,
    // Which todos to list.
    status?: "all" | "open" | "done", // default: all
    }) => any;

    } // namespace todolab

Built from description_for_model, each operation's description (else its summary) and its
parameters (path, query, and the request body's properties) with their descriptions and types;
responses are not shown (as ChatGPT did not show them). The size is counted in characters and in
tokens: exactly with tiktoken's cl100k_base when tiktoken and its encoding file are already on
this machine (nothing is downloaded), else estimated as characters / 4.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pluginlab_tui.contract.document import Operation, operations, resolve

ENCODING = "cl100k_base"
ENCODING_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
#: The pre-tokenizer pattern and special tokens of cl100k_base (as tiktoken defines them).
CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
CL100K_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}
#: Above this the plugin takes a large share of the model's context.
TOKEN_WARNING = 8000
DEFAULT_LIMITS = {"plugin": (200, 200), "actions": (300, 700)}
_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_MAX_DEPTH = 6


class _Encoder(Protocol):
    def encode(self, text: str, *, disallowed_special: Any = ...) -> list[int]: ...


@dataclass(frozen=True)
class PromptView:
    text: str
    chars: int
    tokens: int
    tokens_exact: bool
    encoding_name: str
    warnings: list[str] = field(default_factory=list)

    @property
    def size_line(self) -> str:
        how = self.encoding_name if self.tokens_exact else f"estimate, {self.encoding_name}"
        return f"{self.chars} characters, {self.tokens} tokens ({how})"


# -- tokens -----------------------------------------------------------------------------------


def _cache_dirs() -> list[Path]:
    dirs: list[Path] = []
    for name in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        value = os.environ.get(name)
        if value:
            dirs.append(Path(value))
    dirs.append(Path(tempfile.gettempdir()) / "data-gym-cache")
    return dirs


def cached_encoding_file() -> Path | None:
    """tiktoken's cached cl100k_base file on this machine, or None."""
    key = hashlib.sha1(ENCODING_URL.encode()).hexdigest()
    for folder in _cache_dirs():
        candidate = folder / key
        try:
            if candidate.is_file() and candidate.stat().st_size > 0:
                return candidate
        except OSError:
            continue
    return None


_ENCODER: list[_Encoder | None] = []


def local_encoder() -> _Encoder | None:
    """cl100k_base built from the locally cached file (tiktoken installed), never downloading."""
    if _ENCODER:
        return _ENCODER[0]
    encoder: _Encoder | None = None
    try:
        path = cached_encoding_file()
        if path is not None:
            tiktoken: Any = importlib.import_module("tiktoken")

            ranks: dict[bytes, int] = {}
            for line in path.read_bytes().splitlines():
                if line.strip():
                    token, rank = line.split()
                    ranks[base64.b64decode(token)] = int(rank)
            encoder = tiktoken.Encoding(
                name=ENCODING,
                pat_str=CL100K_PATTERN,
                mergeable_ranks=ranks,
                special_tokens=CL100K_SPECIAL,
            )
    except Exception:  # noqa: BLE001 - any trouble means: estimate
        encoder = None
    _ENCODER.append(encoder)
    return encoder


def count_tokens(text: str) -> tuple[int, bool]:
    """(tokens, exact): exact with the local cl100k_base, else ceil(chars / 4)."""
    encoder = local_encoder()
    if encoder is not None:
        try:
            return len(encoder.encode(text, disallowed_special=())), True
        except Exception:  # noqa: BLE001
            pass
    return (len(text) + 3) // 4, False


# -- types ------------------------------------------------------------------------------------


def ts_type(spec: dict[str, Any], schema: Any, depth: int = 0) -> str:
    """A TypeScript-like type for a JSON schema (as ChatGPT's prompt wrote them)."""
    schema = resolve(spec, schema)
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return "any"
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return " | ".join(json.dumps(v, ensure_ascii=False) for v in enum)
    for key in ("oneOf", "anyOf"):
        parts = schema.get(key)
        if isinstance(parts, list) and parts:
            types = list(dict.fromkeys(ts_type(spec, p, depth + 1) for p in parts))
            return " | ".join(types)
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1:
        return ts_type(spec, all_of[0], depth + 1)
    kind = schema.get("type")
    kinds = [k for k in kind if k != "null"] if isinstance(kind, list) else [kind]
    if len(kinds) != 1:
        return " | ".join(_one_type(spec, schema, k, depth) for k in kinds) if kinds else "any"
    return _one_type(spec, schema, kinds[0], depth)


def _one_type(spec: dict[str, Any], schema: dict[str, Any], kind: Any, depth: int) -> str:
    if kind in ("integer", "number"):
        return "number"
    if kind in ("string", "boolean"):
        return str(kind)
    if kind == "array":
        inner = ts_type(spec, schema.get("items"), depth + 1)
        return f"({inner})[]" if " | " in inner else f"{inner}[]"
    if kind == "object" or "properties" in schema:
        props = schema.get("properties")
        if not isinstance(props, dict) or not props:
            return "object"
        required = schema.get("required") if isinstance(schema.get("required"), list) else []
        fields = []
        for name, prop in props.items():
            mark = "" if name in (required or []) else "?"
            fields.append(f"{_name(name)}{mark}: {ts_type(spec, prop, depth + 1)}")
        return "{" + ", ".join(fields) + "}"
    return "any"


def _name(name: str) -> str:
    return name if _IDENT.match(name) else json.dumps(name, ensure_ascii=False)


def _comment(text: str) -> list[str]:
    return [f"// {line}".rstrip() for line in text.strip().splitlines() if line.strip()] or []


# -- the view ---------------------------------------------------------------------------------


@dataclass
class _Field:
    name: str
    required: bool
    type: str
    description: str | None
    default: Any = None
    has_default: bool = False


def _fields(spec: dict[str, Any], op: Operation) -> list[_Field]:
    """Path and query parameters, then the request body's properties."""
    fields: list[_Field] = []
    seen: set[tuple[str, str]] = set()
    params: list[dict[str, Any]] = []
    for holder in (op.data, op.path_item):  # operation-level first: it overrides
        raw = holder.get("parameters")
        for param in raw if isinstance(raw, list) else []:
            param = resolve(spec, param)
            if not isinstance(param, dict) or param.get("in") not in ("path", "query"):
                continue
            key = (str(param.get("in")), str(param.get("name")))
            if key not in seen:
                seen.add(key)
                params.append(param)
    params.sort(key=lambda p: 0 if p.get("in") == "path" else 1)
    for param in params:
        schema = resolve(spec, param.get("schema"))
        schema = schema if isinstance(schema, dict) else {}
        fields.append(
            _Field(
                str(param.get("name")),
                bool(param.get("required")) or param.get("in") == "path",
                ts_type(spec, schema),
                _text(param.get("description")) or _text(schema.get("description")),
                schema.get("default"),
                "default" in schema,
            )
        )
    body = resolve(spec, op.data.get("requestBody"))
    content = body.get("content") if isinstance(body, dict) else None
    if isinstance(content, dict) and content:
        media = content.get("application/json") or next(iter(content.values()))
        schema = resolve(spec, media.get("schema")) if isinstance(media, dict) else None
        schema = _flatten(spec, schema)
        props = schema.get("properties") if isinstance(schema, dict) else None
        required = schema.get("required") if isinstance(schema, dict) else None
        required = required if isinstance(required, list) else []
        if isinstance(props, dict):
            for name, prop in props.items():
                prop = resolve(spec, prop)
                prop = prop if isinstance(prop, dict) else {}
                fields.append(
                    _Field(
                        str(name),
                        name in required,
                        ts_type(spec, prop),
                        _text(prop.get("description")),
                        prop.get("default"),
                        "default" in prop,
                    )
                )
    return fields


def _flatten(spec: dict[str, Any], schema: Any) -> Any:
    """allOf parts folded into one object schema (properties and required)."""
    if not isinstance(schema, dict) or not isinstance(schema.get("allOf"), list):
        return schema
    props: dict[str, Any] = dict(schema.get("properties") or {})
    required: list[Any] = list(schema.get("required") or [])
    for part in schema["allOf"]:
        part = _flatten(spec, resolve(spec, part))
        if isinstance(part, dict):
            props.update(part.get("properties") or {})
            required.extend(part.get("required") or [])
    return {"type": "object", "properties": props, "required": required}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def namespace_name(manifest: dict[str, Any] | None, spec: dict[str, Any]) -> str:
    name = (manifest or {}).get("name_for_model")
    if isinstance(name, str) and name.strip():
        return name.strip()
    info = spec.get("info")
    title = info.get("title") if isinstance(info, dict) else None
    words = re.findall(r"[A-Za-z0-9]+", str(title or "plugin"))
    return "_".join(words) or "plugin"


def render_prompt(
    manifest: dict[str, Any] | None,
    spec: dict[str, Any],
    *,
    profile: str = "plugin",
    endpoint_limit: int | None = None,
    parameter_limit: int | None = None,
    token_warning: int = TOKEN_WARNING,
) -> PromptView:
    """The model's view of the plugin, its size, and what the model will see too little of."""
    limits = DEFAULT_LIMITS.get(profile, DEFAULT_LIMITS["plugin"])
    endpoint_limit = endpoint_limit or limits[0]
    parameter_limit = parameter_limit or limits[1]
    name = namespace_name(manifest, spec)
    warnings: list[str] = []
    lines = [f"## {name}", ""]
    description = _text((manifest or {}).get("description_for_model"))
    if description is None and profile == "actions":
        info = spec.get("info")
        description = _text(info.get("description")) if isinstance(info, dict) else None
    if description:
        lines += _comment(description)
    elif manifest is not None or profile == "plugin":
        warnings.append("no description_for_model: the model is not told what the plugin is for")
    lines += [f"namespace {name} {{", ""]
    ops = _in_document_order(operations(spec))
    if not ops:
        warnings.append("the spec has no operations: the model can call nothing")
    for op in ops:
        op_id = op.data.get("operationId")
        label = op_id if isinstance(op_id, str) and op_id.strip() else None
        where = f"{op.method.upper()} {op.path}"
        if label is None:
            warnings.append(f"{where} has no operationId: the model cannot call it by name")
            label = re.sub(r"\W+", "_", f"{op.method}_{op.path}").strip("_")
        text = _text(op.data.get("description")) or _text(op.data.get("summary"))
        if text is None:
            warnings.append(
                f"{label} ({where}) has no description or summary: the model sees only its name"
            )
        else:
            if len(text) > endpoint_limit:
                warnings.append(
                    f"{label}: description is {len(text)} characters (the {profile} limit is "
                    f"{endpoint_limit}); the end may be cut"
                )
            lines += _comment(text)
        fields = _fields(spec, op)
        if not fields:
            lines.append(f"type {label} = () => any;")
            lines.append("")
            continue
        lines.append(f"type {label} = (_: {{")
        for item in fields:
            if item.description is None:
                warnings.append(f"{label}: parameter {item.name!r} has no description")
            else:
                if len(item.description) > parameter_limit:
                    warnings.append(
                        f"{label}: parameter {item.name!r} description is "
                        f"{len(item.description)} characters (the {profile} limit is "
                        f"{parameter_limit})"
                    )
                lines += _comment(item.description)
            entry = f"{_name(item.name)}{'' if item.required else '?'}: {item.type},"
            if item.has_default:
                entry += f" // default: {_default(item.default)}"
            lines.append(entry)
        lines.append("}) => any;")
        lines.append("")
    lines.append(f"}} // namespace {name}")
    text = "\n".join(lines) + "\n"
    tokens, exact = count_tokens(text)
    if tokens > token_warning:
        warnings.append(
            f"the prompt is {tokens} tokens (over {token_warning}): it takes a large share of "
            "the model's context; describe less or expose fewer operations"
        )
    return PromptView(text, len(text), tokens, exact, ENCODING, warnings)


def _in_document_order(ops: list[Operation]) -> list[Operation]:
    """Operations as the file lists them (a path item's methods in their written order)."""
    paths: list[str] = []
    for op in ops:
        if op.path not in paths:
            paths.append(op.path)

    def key(op: Operation) -> tuple[int, int]:
        methods = list(op.path_item)
        return paths.index(op.path), methods.index(op.method) if op.method in methods else 99

    return sorted(ops, key=key)


def _default(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
