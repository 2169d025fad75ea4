"""Validity against the OpenAPI 3.0 / 3.1 schema (openapi-spec-validator), as (pointer, message).

Two phases: the document against the OpenAPI JSON schema (pointers exact), then the library's
semantic checks (schemas, defaults, parameters), whose error paths are relative to the object
checked and are placed by finding that path in the document. Results are cached by the text's
digest, so linting the same file again (hot reload, the TUI) costs nothing. The library's
cached `iter_errors` is bypassed: it keeps every validator (and its spec) alive forever.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from jsonschema.exceptions import (  # type: ignore[import-untyped]
    ValidationError,
    best_match,
    relevance,
)
from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
from openapi_spec_validator.validation import keywords
from openapi_spec_validator.validation.exceptions import DuplicateOperationIDError

from pluginlab_tui.contract.document import pointer

MAX_PROBLEMS = 25
_CACHE_SIZE = 64
_cache: OrderedDict[tuple[str, str, bool], list[Problem]] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class Problem:
    pointer: str
    message: str
    phase: Literal["schema", "semantic"]


def text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def schema_problems(
    data: dict[str, Any], version: str, *, key: str | None = None, semantic: bool = True
) -> list[Problem]:
    """What makes the document invalid OpenAPI (`version` "3.0.x" or "3.1.x")."""
    minor = "3.1" if version.startswith("3.1") else "3.0"
    if key is None:
        return _validate(data, minor, semantic)
    cache_key = (key, minor, semantic)
    with _lock:
        cached = _cache.get(cache_key)
        if cached is not None:
            _cache.move_to_end(cache_key)
            return cached
    problems = _validate(data, minor, semantic)
    with _lock:
        _cache[cache_key] = problems
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return problems


class _V30SchemaChecks(keywords.OpenAPIV30SchemaValidator):
    """3.0 Schema Objects without the meta-schema check: phase 1 already covered them (the
    OpenAPI 3.0 JSON schema defines Schema Objects in full), and it is most of phase 2's time."""

    def _get_schema_checker(self, schema: Any, schema_value: Any) -> Callable[[Any], None]:
        return _accept


def _accept(value: Any) -> None:
    return None


class _V30Validator(OpenAPIV30SpecValidator):
    keyword_validators = {**OpenAPIV30SpecValidator.keyword_validators, "schema": _V30SchemaChecks}


def _validate(data: dict[str, Any], minor: str, semantic: bool) -> list[Problem]:
    cls = OpenAPIV31SpecValidator if minor == "3.1" else _V30Validator
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()

    def add(where: str, message: str, phase: Literal["schema", "semantic"]) -> bool:
        if (where, message) not in seen:
            seen.add((where, message))
            problems.append(Problem(where, message, phase))
        return len(problems) >= MAX_PROBLEMS

    validator = cls(data)
    try:
        for error in validator.schema_validator.iter_errors(validator.schema):
            where, message = _explain(error, data, minor) or _describe(error)
            if add(where, message, "schema"):
                return problems
    except (RecursionError, ValueError, TypeError, LookupError) as exc:
        add("", f"the OpenAPI schema check could not finish: {exc}"[:200], "schema")
        return problems
    if not semantic or problems:
        return problems
    try:
        for error in _semantic_errors(validator):
            if isinstance(error, DuplicateOperationIDError):
                continue  # reported by the operationId rule, with its place
            where, message = _describe(error)
            places = _find_relative(data, list(error.absolute_path), error.instance)
            for place in places[:3] or [""]:
                if add(place, message, "semantic"):
                    return problems
    except Exception:  # noqa: BLE001 - the library raises on what its own phase 1 let through
        pass
    return problems


def _semantic_errors(validator: Any) -> Iterator[ValidationError]:
    yield from validator.root_validator(validator.schema_path)


def _explain(error: ValidationError, data: Any, minor: str) -> tuple[str, str] | None:
    """For "not valid under any of the given schemas": which part of which alternative failed.

    The fast (Rust) backend gives no sub-errors; the failing value is checked again, alone,
    with the Python validator against the same part of the OpenAPI schema.
    """
    schema_path = list(error.schema_path)
    if not schema_path or schema_path[-1] not in ("oneOf", "anyOf"):
        return None
    try:
        root = _root_validator(minor)
        part: Any = root.schema
        for key in schema_path[:-1]:
            part = part[key]
        instance = data
        for key in error.absolute_path:  # the Rust backend turns "200" into 200
            instance = instance[int(key)] if isinstance(instance, list) else instance[str(key)]
        best = best_match(root.evolve(schema=part).iter_errors(instance), key=_relevance)
    except Exception:  # noqa: BLE001 - an explanation is a bonus, never a failure
        return None
    if best is None:
        return None
    return pointer(*error.absolute_path, *best.absolute_path), _message(best)


def _relevance(error: ValidationError) -> tuple[Any, ...]:
    """jsonschema's relevance, but a missing '$ref' (the "or a Reference" branch) comes last."""
    ref_branch = error.validator == "required" and "'$ref'" in str(error.message)
    return (ref_branch, *relevance(error))


_roots: dict[str, Any] = {}


def _root_validator(minor: str) -> Any:
    """A Python jsonschema validator for the whole OpenAPI schema (refs resolve from its root)."""
    root = _roots.get(minor)
    if root is None:
        from jsonschema.validators import validator_for  # type: ignore[import-untyped]
        from openapi_spec_validator.schemas import schema_v30, schema_v31

        proxy = schema_v31 if minor == "3.1" else schema_v30
        schema = getattr(proxy, "__wrapped__", proxy)
        root = _roots[minor] = validator_for(schema)(schema)
    return root


def _describe(error: ValidationError) -> tuple[str, str]:
    chosen = error
    if error.context:
        deeper = best_match(error.context)
        if deeper is not None:
            chosen = deeper
    where = pointer(*chosen.absolute_path)
    return where, _message(chosen)


_VERB = re.compile(r" (?:is|does|should|has|was) ")
_DECODER = json.JSONDecoder()
_ONLY_EXTENSIONS = re.compile(r"(.+) do(?:es)? not match any of the regexes: '\^x-'")


def _message(error: ValidationError) -> str:
    """The error's first paragraph, with a long copy of the offending value cut out."""
    message = str(error.message).split("\n\n")[0]
    if message[:1] in ("{", "[", '"'):
        try:
            _, end = _DECODER.raw_decode(message)
        except ValueError:
            end = 0
        if end > 60 and _VERB.match(message, end):
            message = "the value" + message[end:]
    extra = _ONLY_EXTENSIONS.fullmatch(message)
    if extra is not None:
        message = f"unexpected {extra.group(1)} here (only x- extensions may be added)"
    message = " ".join(message.split())
    return message if len(message) <= 240 else message[:237] + "..."


def _find_relative(data: Any, path: list[Any], instance: Any) -> list[str]:
    """Pointers P such that following `path` from P reaches `instance` (semantic errors)."""
    if not path:
        return []
    found: list[str] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    seen: set[int] = set()
    budget = 200_000
    while stack and budget > 0 and len(found) < 3:
        node, where = stack.pop()
        budget -= 1
        if id(node) in seen:
            continue
        seen.add(id(node))
        if _follow(node, path, instance):
            found.append(pointer(*where, *path))
        if isinstance(node, dict):
            stack.extend((v, (*where, k)) for k, v in node.items() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, (*where, i)) for i, v in enumerate(node) if isinstance(v, dict | list))
    return found


def _follow(node: Any, path: list[Any], instance: Any) -> bool:
    for part in path:
        if isinstance(node, dict) and str(part) in node:
            node = node[str(part)]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return False
    try:
        return bool(node == instance)
    except RecursionError:
        return False
