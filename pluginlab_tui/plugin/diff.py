"""Compare two OpenAPI specs operation by operation, and say which changes break callers.

Breaking: an operation or response status removed, a parameter or request body made required
(or added as required), a type changed or narrowed, an enum value removed, a response field
removed or no longer required, a request constraint tightened. Not breaking: additions of
operations, optional parameters, response fields and enum values; description changes.
$refs are followed while comparing (cycles stop at the second visit).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

from pluginlab_tui.contract.document import Operation, operations, resolve

Direction = Literal["request", "response"]
MAX_DEPTH = 40
_TEMPLATE = re.compile(r"\{[^}/]*\}")
#: Types a value of the key type is also valid as (a change to one of these widens).
_WIDER = {"integer": {"number"}}
_TEXT_FIELDS = ("summary", "description")


@dataclass(frozen=True)
class Change:
    kind: str
    operation: str | None
    where: str
    message: str
    breaking: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def diff_specs(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Changes from `old` to `new`, per operation and parameter."""
    return _Differ(old, new).run()


def diff_schemas(
    old: Any, new: Any, where: str, direction: Direction, operation: str | None = None
) -> list[Change]:
    """Changes between two standalone JSON Schemas (their local $refs resolve in themselves).

    Request schemas break callers when they accept less, response ones when they promise less.
    """
    differ = _Differ(old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {})
    differ.op = operation
    differ._schema(old, new, where, direction, set(), 0)
    return differ.changes


def _key(op: Operation) -> tuple[str, str]:
    return op.method, _TEMPLATE.sub("{}", op.path.rstrip("/") or "/")


def _names(value: Any) -> set[str]:
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()


def _types(schema: dict[str, Any]) -> set[str] | None:
    kind = schema.get("type")
    if isinstance(kind, str):
        types = {kind}
    elif isinstance(kind, list):
        types = {str(k) for k in kind}
    else:
        return None
    if schema.get("nullable") is True:
        types.add("null")
    return types


class _Differ:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old = old
        self.new = new
        self.changes: list[Change] = []
        self.op: str | None = None

    def add(self, kind: str, where: str, message: str, breaking: bool) -> None:
        self.changes.append(Change(kind, self.op, where, message, breaking))

    def run(self) -> list[Change]:
        old_ops = {_key(op): op for op in operations(self.old)}
        new_ops = {_key(op): op for op in operations(self.new)}
        for key, op in old_ops.items():
            self.op = op.label
            if key not in new_ops:
                self.add(
                    "operation-removed",
                    f"{op.method.upper()} {op.path}",
                    f"{op.label} ({op.method.upper()} {op.path}) was removed",
                    True,
                )
            else:
                self._operation(op, new_ops[key])
        for key, op in new_ops.items():
            if key not in old_ops:
                self.op = op.label
                self.add(
                    "operation-added",
                    f"{op.method.upper()} {op.path}",
                    f"{op.label} ({op.method.upper()} {op.path}) was added",
                    False,
                )
        self.op = None
        self._servers()
        return self.changes

    def _servers(self) -> None:
        def urls(spec: dict[str, Any]) -> list[str]:
            servers = spec.get("servers")
            if not isinstance(servers, list):
                return []
            return [str(s.get("url")) for s in servers if isinstance(s, dict)]

        before, after = urls(self.old), urls(self.new)
        if before != after:
            self.add(
                "servers-changed",
                "servers",
                f"servers changed from {before or 'none'} to {after or 'none'}",
                False,
            )

    def _operation(self, old: Operation, new: Operation) -> None:
        base = f"{new.method.upper()} {new.path}"
        self.op = new.label
        old_id, new_id = old.data.get("operationId"), new.data.get("operationId")
        if old_id != new_id:
            self.add(
                "operation-id-changed",
                base,
                f"operationId changed from {old_id!r} to {new_id!r}",
                False,
            )
        for field in _TEXT_FIELDS:
            if old.data.get(field) != new.data.get(field):
                self.add(f"{field}-changed", f"{base} {field}", f"{field} changed", False)
        if not old.data.get("deprecated") and new.data.get("deprecated"):
            self.add("operation-deprecated", base, f"{new.label} is now deprecated", False)
        self._security(old, new, base)
        self._parameters(old, new, base)
        self._request_body(old, new, base)
        self._responses(old, new, base)

    def _security(self, old: Operation, new: Operation, base: str) -> None:
        def needs(spec: dict[str, Any], op: Operation) -> bool:
            security = op.data.get("security", spec.get("security"))
            if not isinstance(security, list) or not security:
                return False
            return all(isinstance(r, dict) and r for r in security)

        before, after = needs(self.old, old), needs(self.new, new)
        if after and not before:
            self.add("security-added", base, "the operation now requires authentication", True)
        elif before and not after:
            self.add(
                "security-removed", base, "the operation no longer needs authentication", False
            )

    def _params(self, spec: dict[str, Any], op: Operation) -> dict[tuple[str, str], dict[str, Any]]:
        params: dict[tuple[str, str], dict[str, Any]] = {}
        for holder in (op.path_item, op.data):
            raw = holder.get("parameters")
            if not isinstance(raw, list):
                continue
            for param in raw:
                param = resolve(spec, param)
                if isinstance(param, dict) and isinstance(param.get("name"), str):
                    params[(str(param.get("in")), param["name"])] = param
        return params

    def _parameters(self, old: Operation, new: Operation, base: str) -> None:
        before, after = self._params(self.old, old), self._params(self.new, new)
        for key, param in before.items():
            where = f"{base} {key[0]} parameter {key[1]}"
            if key not in after:
                self.add("parameter-removed", where, f"parameter {key[1]!r} was removed", False)
                continue
            new_param = after[key]
            was, now = bool(param.get("required")), bool(new_param.get("required"))
            if now and not was:
                self.add(
                    "parameter-made-required",
                    where,
                    f"parameter {key[1]!r} is now required",
                    True,
                )
            elif was and not now:
                self.add(
                    "parameter-made-optional", where, f"parameter {key[1]!r} is now optional", False
                )
            if param.get("description") != new_param.get("description"):
                self.add("description-changed", where, "description changed", False)
            self._schema(param.get("schema"), new_param.get("schema"), where, "request", set(), 0)
        for key, param in after.items():
            if key in before:
                continue
            where = f"{base} {key[0]} parameter {key[1]}"
            required = bool(param.get("required"))
            self.add(
                "parameter-added",
                where,
                f"{'required' if required else 'optional'} parameter {key[1]!r} was added",
                required,
            )

    def _media_schema(self, spec: dict[str, Any], holder: Any) -> tuple[bool, Any]:
        holder = resolve(spec, holder)
        if not isinstance(holder, dict):
            return False, None
        content = holder.get("content")
        if not isinstance(content, dict) or not content:
            return False, None
        media = content.get("application/json")
        if media is None:
            media = next(iter(content.values()))
        return True, media.get("schema") if isinstance(media, dict) else None

    def _request_body(self, old: Operation, new: Operation, base: str) -> None:
        before = resolve(self.old, old.data.get("requestBody"))
        after = resolve(self.new, new.data.get("requestBody"))
        where = f"{base} request body"
        if not isinstance(after, dict):
            if isinstance(before, dict):
                self.add("request-body-removed", where, "the request body was removed", False)
            return
        now_required = bool(after.get("required"))
        if not isinstance(before, dict):
            self.add(
                "request-body-added",
                where,
                f"a{' required' if now_required else 'n optional'} request body was added",
                now_required,
            )
            return
        if now_required and not before.get("required"):
            self.add("request-body-made-required", where, "the request body is now required", True)
        _, old_schema = self._media_schema(self.old, before)
        _, new_schema = self._media_schema(self.new, after)
        self._schema(old_schema, new_schema, where, "request", set(), 0)

    def _responses(self, old: Operation, new: Operation, base: str) -> None:
        before = old.data.get("responses")
        after = new.data.get("responses")
        before = before if isinstance(before, dict) else {}
        after = after if isinstance(after, dict) else {}
        for status, response in before.items():
            where = f"{base} response {status}"
            if status not in after:
                self.add("response-status-removed", where, f"response {status} was removed", True)
                continue
            has_old, old_schema = self._media_schema(self.old, response)
            has_new, new_schema = self._media_schema(self.new, after[status])
            if has_old and not has_new:
                self.add("response-body-removed", where, "the response body was removed", True)
                continue
            self._schema(old_schema, new_schema, where, "response", set(), 0)
        for status in after:
            if status not in before:
                self.add(
                    "response-status-added",
                    f"{base} response {status}",
                    f"response {status} was added",
                    False,
                )

    # Schemas: request side breaks when it accepts less, response side when it promises less.
    def _schema(
        self,
        old: Any,
        new: Any,
        where: str,
        direction: Direction,
        seen: set[tuple[int, int]],
        depth: int,
    ) -> None:
        old = resolve(self.old, old)
        new = resolve(self.new, new)
        if not isinstance(old, dict) or not isinstance(new, dict) or depth > MAX_DEPTH:
            return
        pair = (id(old), id(new))
        if pair in seen:
            return
        seen = seen | {pair}
        old, new = self._merged(self.old, old), self._merged(self.new, new)
        self._type(old, new, where, direction)
        self._enum(old, new, where, direction)
        if direction == "request":
            self._constraints(old, new, where)
        self._properties(old, new, where, direction, seen, depth)
        if "items" in old or "items" in new:
            self._schema(
                old.get("items"), new.get("items"), f"{where}[]", direction, seen, depth + 1
            )

    def _merged(self, spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
        """allOf folded into one schema (properties and required merged)."""
        parts = schema.get("allOf")
        if not isinstance(parts, list):
            return schema
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        own_properties = merged.get("properties")
        properties = dict(own_properties) if isinstance(own_properties, dict) else {}
        own_required = merged.get("required")
        required = list(own_required) if isinstance(own_required, list) else []
        for part in parts:
            part = resolve(spec, part)
            if not isinstance(part, dict):
                continue
            part = self._merged(spec, part) if "allOf" in part else part
            if isinstance(part.get("properties"), dict):
                properties.update(part["properties"])
            if isinstance(part.get("required"), list):
                required.extend(part["required"])
            for key, value in part.items():
                if key not in ("properties", "required"):
                    merged.setdefault(key, value)
        if properties:
            merged["properties"] = properties
        if required:
            merged["required"] = list(dict.fromkeys(r for r in required if isinstance(r, str)))
        return merged

    def _type(self, old: dict[str, Any], new: dict[str, Any], where: str, direction: str) -> None:
        before, after = _types(old), _types(new)
        if before is None or after is None or before == after:
            if before is not None and after is None:
                self.add("type-changed", where, f"type {sorted(before)} removed", False)
            elif before is None and after is not None and direction == "request":
                self.add("type-changed", where, f"type narrowed to {sorted(after)}", True)
            return
        widened = all(t in after or _WIDER.get(t, set()) & after for t in before)
        narrowed = all(t in before or _WIDER.get(t, set()) & before for t in after)
        if direction == "request":
            breaking = not widened
        else:
            breaking = not narrowed
        word = "widened" if widened and not narrowed else "narrowed" if narrowed else "changed"
        self.add(
            "type-changed",
            where,
            f"type {word} from {'|'.join(sorted(before))} to {'|'.join(sorted(after))}",
            breaking,
        )

    def _enum(self, old: dict[str, Any], new: dict[str, Any], where: str, direction: str) -> None:
        before, after = old.get("enum"), new.get("enum")
        if not isinstance(after, list):
            if isinstance(before, list):
                self.add("enum-removed", where, "the enum restriction was removed", False)
            return
        if not isinstance(before, list):
            self.add(
                "enum-added",
                where,
                f"values restricted to {after}",
                direction == "request",
            )
            return
        removed = [v for v in before if v not in after]
        added = [v for v in after if v not in before]
        if removed:
            self.add("enum-value-removed", where, f"enum values removed: {removed}", True)
        if added:
            self.add("enum-value-added", where, f"enum values added: {added}", False)

    def _constraints(self, old: dict[str, Any], new: dict[str, Any], where: str) -> None:
        #: +1: a larger value is tighter (min*); -1: a smaller one is (max*).
        tighter = {
            "maxLength": -1,
            "maximum": -1,
            "maxItems": -1,
            "minLength": 1,
            "minimum": 1,
            "minItems": 1,
        }
        for key, sign in tighter.items():
            a, b = old.get(key), new.get(key)
            if b is None or a == b or isinstance(b, bool):
                continue
            if not isinstance(b, int | float):
                continue
            if a is None or (isinstance(a, int | float) and (b - a) * sign > 0):
                self.add(
                    "constraint-tightened",
                    where,
                    f"{key} {'set to' if a is None else f'changed from {a} to'} {b}",
                    True,
                )
            elif isinstance(a, int | float):
                self.add("constraint-relaxed", where, f"{key} changed from {a} to {b}", False)
        if new.get("pattern") and new.get("pattern") != old.get("pattern"):
            self.add("constraint-tightened", where, f"pattern now {new['pattern']!r}", True)

    def _properties(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        where: str,
        direction: Direction,
        seen: set[tuple[int, int]],
        depth: int,
    ) -> None:
        before = old.get("properties") if isinstance(old.get("properties"), dict) else {}
        after = new.get("properties") if isinstance(new.get("properties"), dict) else {}
        old_required = _names(old.get("required"))
        new_required = _names(new.get("required"))
        assert isinstance(before, dict) and isinstance(after, dict)
        for name, schema in before.items():
            at = f"{where}.{name}"
            if name not in after:
                self.add(
                    "property-removed",
                    at,
                    f"{'response field' if direction == 'response' else 'property'} {name!r} "
                    "was removed",
                    direction == "response",
                )
                continue
            if direction == "request" and name in new_required and name not in old_required:
                self.add("property-made-required", at, f"property {name!r} is now required", True)
            if direction == "response" and name in old_required and name not in new_required:
                self.add(
                    "property-made-optional",
                    at,
                    f"response field {name!r} is no longer always present",
                    True,
                )
            self._schema(schema, after[name], at, direction, seen, depth + 1)
        for name in after:
            if name in before:
                continue
            required = name in new_required
            self.add(
                "property-added",
                f"{where}.{name}",
                f"{'required ' if required and direction == 'request' else ''}"
                f"{'field' if direction == 'response' else 'property'} {name!r} was added",
                direction == "request" and required,
            )
