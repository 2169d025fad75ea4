"""Add what traffic shows (a drafted spec) to an existing spec without losing anything it says.

Only additions: operations the spec lacks, query parameters it does not declare (as optional),
response statuses it does not list, a request body where it has none. Nothing already in the
spec is changed or removed; each addition is reported.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pluginlab_tui.contract.document import Operation, operations, resolve
from pluginlab_tui.plugin.draft import to_oas30, unique_id

_TEMPLATE = re.compile(r"\{[^}/]*\}")


@dataclass(frozen=True)
class Addition:
    operation: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _normal(path: str) -> str:
    return _TEMPLATE.sub("{}", path.rstrip("/") or "/")


def _segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s]


def spec_base_path(spec: dict[str, Any]) -> str:
    """The path of the spec's first server URL ('' when none), e.g. '/v1'."""
    servers = spec.get("servers")
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        url = str(servers[0].get("url") or "")
        path = urlsplit(url).path if "://" in url else url
        if "{" not in path:
            return path.rstrip("/")
    return ""


def _rename_path_params(
    operation: dict[str, Any], drafted_path: str, target_path: str
) -> dict[str, Any]:
    """The drafted operation with its path parameters named as in `target_path`."""
    names: dict[str, str] = {}
    for old, new in zip(_segments(drafted_path), _segments(target_path), strict=False):
        if old.startswith("{") and new.startswith("{"):
            names[old[1:-1]] = new[1:-1]
    operation = copy.deepcopy(operation)
    params = operation.get("parameters")
    if isinstance(params, list):
        for param in params:
            if isinstance(param, dict) and param.get("in") == "path":
                param["name"] = names.get(str(param.get("name")), param.get("name"))
    return operation


def _declared(
    spec: dict[str, Any], item: dict[str, Any], op: dict[str, Any]
) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for holder in (item, op):
        raw = holder.get("parameters")
        if not isinstance(raw, list):
            continue
        for param in raw:
            param = resolve(spec, param)
            if isinstance(param, dict):
                found.add((str(param.get("in")), str(param.get("name"))))
    return found


def merge_specs(
    spec: dict[str, Any], drafted: dict[str, Any]
) -> tuple[dict[str, Any], list[Addition]]:
    """(the spec with the draft's additions, the additions). `spec` itself is not modified."""
    merged = copy.deepcopy(spec)
    if str(spec.get("openapi", "")).startswith("3.0"):
        drafted = to_oas30(drafted)
    paths = merged.setdefault("paths", {})
    if not isinstance(paths, dict):
        return merged, []
    base = spec_base_path(spec)
    added: list[Addition] = []
    by_template: dict[str, str] = {}
    for key in paths:
        by_template.setdefault(_normal(str(key)), str(key))
    taken = {
        str(op.data["operationId"])
        for op in operations(merged)
        if isinstance(op.data.get("operationId"), str)
    }
    existing = {(op.method, _normal(op.path)): op for op in operations(merged)}
    for drafted_op in operations(drafted):
        path = drafted_op.path
        if base and (path == base or path.startswith(base + "/")):
            path = path[len(base) :] or "/"
        normal = _normal(path)
        key = (drafted_op.method, normal)
        label = f"{drafted_op.method.upper()} {path}"
        if key not in existing:
            target = by_template.get(normal, path)
            operation = _rename_path_params(drafted_op.data, path, target)
            item = paths.get(target)
            if item is None:
                item = paths[target] = {}
            item = resolve(merged, item)
            if not isinstance(item, dict):
                continue
            declared = _declared(merged, item, {})
            params = operation.get("parameters")
            if isinstance(params, list):
                kept = [
                    p
                    for p in params
                    if not (
                        isinstance(p, dict) and (str(p.get("in")), str(p.get("name"))) in declared
                    )
                ]
                if kept:
                    operation["parameters"] = kept
                else:
                    operation.pop("parameters", None)
            op_id = operation.get("operationId")
            if isinstance(op_id, str):
                operation["operationId"] = unique_id(op_id, taken)
            item[drafted_op.method] = operation
            by_template.setdefault(normal, target)
            added.append(
                Addition(
                    str(operation.get("operationId") or label),
                    f"{drafted_op.method.upper()} {target}",
                    "operation added (seen in traffic)",
                )
            )
            continue
        mine = existing[key]
        _merge_operation(merged, mine, drafted_op.data, added)
    return merged, added


def _merge_operation(
    spec: dict[str, Any], mine: Operation, drafted: dict[str, Any], added: list[Addition]
) -> None:
    op: dict[str, Any] = mine.data
    where = f"{mine.method.upper()} {mine.path}"
    label = mine.label
    declared = _declared(spec, mine.path_item, op)
    raw = drafted.get("parameters")
    for param in raw if isinstance(raw, list) else []:
        if not isinstance(param, dict) or param.get("in") != "query":
            continue
        if ("query", str(param.get("name"))) in declared:
            continue
        new = {k: v for k, v in param.items() if k != "required"}
        params = op.get("parameters")
        if not isinstance(params, list):
            params = op["parameters"] = []
        params.append(new)
        added.append(
            Addition(label, where, f"optional query parameter {param.get('name')!r} added")
        )
    if "requestBody" not in op and isinstance(drafted.get("requestBody"), dict):
        body = copy.deepcopy(drafted["requestBody"])
        body.pop("required", None)
        op["requestBody"] = body
        added.append(Addition(label, where, "optional request body added"))
    responses = op.get("responses")
    drafted_responses = drafted.get("responses")
    if not isinstance(drafted_responses, dict):
        return
    if not isinstance(responses, dict):
        responses = op["responses"] = {}
    for status, response in drafted_responses.items():
        if str(status) in {str(s) for s in responses}:
            continue
        if f"{str(status)[0]}XX" in {str(s).upper() for s in responses}:
            continue
        responses[str(status)] = copy.deepcopy(response)
        added.append(Addition(label, where, f"response {status} added"))
