"""OpenAPI spec rules: parsing, version, schema validity, operations, $refs, servers, responses."""

from __future__ import annotations

import re
from typing import Any

from pluginlab_tui.contract.document import Operation, lookup, operations, pointer, refs, resolve
from pluginlab_tui.plugin.documents import Document
from pluginlab_tui.plugin.findings import Finding, Severity
from pluginlab_tui.plugin.openapi_schema import schema_problems, text_key
from pluginlab_tui.plugin.options import LintOptions, Rules
from pluginlab_tui.plugin.placeholders import placeholder_in
from pluginlab_tui.plugin.urls import host_of, is_absolute_http, is_local_host

_VERSION = re.compile(r"^3\.(0|1)\.(\d+)$")
#: Published OpenAPI releases; a later patch is reported as unknown, not refused.
KNOWN_VERSIONS = {"3.0": 4, "3.1": 2}
_ERROR_BODY_KEYS = {"error", "errors", "message", "detail", "status", "code", "statusCode"}
_NO_BODY_STATUSES = {"204", "205", "304"}
MAX_REF_FINDINGS = 50


def lint_spec(doc: Document, options: LintOptions) -> list[Finding]:
    """All spec rules on a loaded document."""
    if doc.error is not None:
        return [doc.error]
    rules = Rules(doc, options)
    spec = doc.data
    if not isinstance(spec, dict):
        kind = "text" if isinstance(spec, str) else type(spec).__name__
        rules.add(
            "spec-not-object",
            "error",
            "",
            "an OpenAPI document is an object with openapi, info and paths; "
            f"this file holds {kind}",
        )
        return rules.findings
    version_ok = _version(rules, spec)
    if not {"openapi", "swagger", "paths"} & set(spec):
        return rules.findings  # not a spec at all (an error body): nothing more to say
    unresolved = _refs(rules, spec)
    if version_ok:
        version = str(spec["openapi"])
        problems = schema_problems(spec, version, key=text_key(doc.text), semantic=not unresolved)
        for problem in problems:
            severity: Severity = "error" if problem.phase == "schema" else "warning"
            rule = "openapi-schema" if problem.phase == "schema" else "openapi-semantics"
            rules.add(rule, severity, problem.pointer, f"invalid OpenAPI: {problem.message}")
    ops = operations(spec)
    if "openapi" in spec or "swagger" in spec or "paths" in spec:
        if not ops:
            rules.add("no-operations", "error", "/paths", "the spec has no operations under paths")
    _operation_ids(rules, ops)
    for op in ops:
        _descriptions(rules, spec, op)
        _responses(rules, spec, op)
        if options.profile == "actions":
            _consequential(rules, op)
    seen_items: set[int] = set()
    for op in ops:
        shared = op.path_item.get("parameters")
        if isinstance(shared, list) and id(op.path_item) not in seen_items:
            seen_items.add(id(op.path_item))
            _parameters(rules, spec, op.path, pointer("paths", op.path, "parameters"), shared)
    _servers(rules, spec)
    return rules.findings


def _version(rules: Rules, spec: dict[str, Any]) -> bool:
    """True when the version is one openapi-spec-validator can check."""
    if "openapi" not in spec:
        if "swagger" in spec:
            rules.add(
                "openapi-version",
                "error",
                "/swagger",
                f"Swagger {spec['swagger']} is not supported; convert it to OpenAPI 3.0 or 3.1",
            )
        elif "paths" not in spec and set(spec) & _ERROR_BODY_KEYS:
            rules.add(
                "openapi-missing",
                "error",
                "",
                "no openapi field: this looks like an error response saved instead of the spec "
                f"(keys: {', '.join(sorted(map(str, spec))[:5])})",
            )
        else:
            rules.add(
                "openapi-missing", "error", "", 'no openapi field (write openapi: "3.0.1" first)'
            )
        return False
    value = spec["openapi"]
    if not isinstance(value, str):
        rules.add(
            "openapi-not-string",
            "error",
            "/openapi",
            f"openapi is the {type(value).__name__} {value!r}, not a string: quote it and give "
            f'the full version (openapi: "{_full(value)}")',
        )
        return False
    stripped = value.strip()
    if len(stripped) >= 2 and stripped[0] in "\"'" and stripped[-1] == stripped[0]:
        rules.add(
            "openapi-stray-quotes",
            "error",
            "/openapi",
            f"openapi is {value!r}: the quotes are part of the string; write {stripped[1:-1]!r}",
        )
        return False
    match = _VERSION.match(value)
    if match is None:
        rules.add(
            "openapi-version",
            "error",
            "/openapi",
            f"openapi {value!r} is not a supported version (3.0.x or 3.1.x, in full)",
        )
        return False
    minor, patch = f"3.{match.group(1)}", int(match.group(2))
    if patch > KNOWN_VERSIONS[minor]:
        rules.add(
            "openapi-version",
            "warning",
            "/openapi",
            f"openapi {value} is not a released version (latest {minor}.{KNOWN_VERSIONS[minor]})",
        )
    return True


def _full(value: Any) -> str:
    text = str(value)
    return text + ".0" if re.fullmatch(r"\d+\.\d+", text) else text


def _refs(rules: Rules, spec: dict[str, Any]) -> bool:
    """Report unresolved local $refs; True when there are any."""
    count = 0
    for where, target in refs(spec):
        if not target.startswith("#"):
            if count < MAX_REF_FINDINGS:
                rules.add(
                    "ref-external",
                    "info",
                    pointer(*where),
                    f"external $ref {target!r} is not checked; ChatGPT needs one self-contained "
                    "document",
                )
            continue
        found, _ = lookup(spec, target)
        if not found:
            count += 1
            if count <= MAX_REF_FINDINGS:
                rules.add(
                    "ref-unresolved",
                    "error",
                    pointer(*where),
                    f"$ref {target!r} points to nothing in this document",
                )
    if count > MAX_REF_FINDINGS:
        rules.add(
            "ref-unresolved",
            "error",
            "",
            f"{count - MAX_REF_FINDINGS} more unresolved $refs not listed",
        )
    return count > 0


def _operation_ids(rules: Rules, ops: list[Operation]) -> None:
    first_at: dict[str, Operation] = {}
    for op in ops:
        name = f"{op.method.upper()} {op.path}"
        if "operationId" not in op.data:
            rules.add(
                "operation-id-missing",
                "error",
                op.pointer,
                f"{name} has no operationId (the model calls operations by it)",
            )
            continue
        op_id = op.data["operationId"]
        where = op.pointer + "/operationId"
        if not isinstance(op_id, str) or not op_id.strip():
            rules.add("operation-id-missing", "error", where, f"{name}: operationId is empty")
            continue
        if re.search(r"\s", op_id):
            rules.add(
                "operation-id-spaces",
                "error",
                where,
                f"operationId {op_id!r} ({name}) contains whitespace",
            )
        if op_id in first_at:
            other = first_at[op_id]
            rules.add(
                "operation-id-duplicate",
                "error",
                where,
                f"operationId {op_id!r} is used by {other.method.upper()} {other.path} too",
            )
        else:
            first_at[op_id] = op


def _descriptions(rules: Rules, spec: dict[str, Any], op: Operation) -> None:
    options = rules.options
    limit = options.endpoint_description_limit
    severity = options.description_severity
    described = False
    for key in ("summary", "description"):
        text = op.data.get(key)
        if isinstance(text, str) and text.strip():
            described = True
            if len(text) > limit:
                rules.add(
                    "endpoint-description-length",
                    severity,
                    f"{op.pointer}/{key}",
                    f"{op.label}: {key} is {len(text)} characters; the {options.profile} "
                    f"limit is {limit}",
                )
    if not described:
        rules.add(
            "operation-description-missing",
            "info",
            op.pointer,
            f"{op.label} has no summary or description: the model sees only its name",
        )
    raw = op.data.get("parameters")
    if isinstance(raw, list):
        _parameters(rules, spec, op.label, f"{op.pointer}/parameters", raw)
    body = resolve(spec, op.data.get("requestBody"))
    content = body.get("content") if isinstance(body, dict) else None
    if isinstance(content, dict):
        for media, media_obj in content.items():
            schema = resolve(spec, media_obj.get("schema")) if isinstance(media_obj, dict) else None
            props = schema.get("properties") if isinstance(schema, dict) else None
            if not isinstance(props, dict):
                continue
            for name, prop in props.items():
                prop = resolve(spec, prop)
                text = prop.get("description") if isinstance(prop, dict) else None
                if isinstance(text, str) and len(text) > options.parameter_description_limit:
                    rules.add(
                        "parameter-description-length",
                        severity,
                        pointer("paths", op.path, op.method, "requestBody", "content", media),
                        f"{op.label}: request body property {name!r} description is "
                        f"{len(text)} characters; the {options.profile} limit is "
                        f"{options.parameter_description_limit}",
                    )
            break


def _parameters(rules: Rules, spec: dict[str, Any], label: str, base: str, raw: list[Any]) -> None:
    options = rules.options
    limit = options.parameter_description_limit
    for index, original in enumerate(raw):
        param = resolve(spec, original)
        if not isinstance(param, dict):
            continue
        text = param.get("description")
        if isinstance(text, str) and len(text) > limit:
            where = f"{base}/{index}"
            if isinstance(original, dict) and "$ref" not in original:
                where += "/description"
            rules.add(
                "parameter-description-length",
                options.description_severity,
                where,
                f"{label}: parameter {param.get('name')!r} description is {len(text)} "
                f"characters; the {options.profile} limit is {limit}",
            )


def _responses(rules: Rules, spec: dict[str, Any], op: Operation) -> None:
    responses = op.data.get("responses")
    if not isinstance(responses, dict):
        return
    for status, response in responses.items():
        code = str(status).upper()
        if not (code.startswith("2") and len(code) == 3) or code in _NO_BODY_STATUSES:
            continue
        if op.method == "head":
            continue
        where = f"{op.pointer}/responses/{status}"
        response = resolve(spec, response)
        if not isinstance(response, dict):
            continue
        content = response.get("content")
        if not isinstance(content, dict) or not content:
            rules.add(
                "response-schema-missing",
                "warning",
                where,
                f"{op.label}: response {status} declares no content or schema; the answer "
                "cannot be checked",
            )
            continue
        for media, media_obj in content.items():
            if not isinstance(media_obj, dict) or "schema" not in media_obj:
                rules.add(
                    "response-schema-missing",
                    "warning",
                    pointer("paths", op.path, op.method, "responses", status, "content", media),
                    f"{op.label}: response {status} {media} has no schema",
                )


def _consequential(rules: Rules, op: Operation) -> None:
    if "x-openai-isConsequential" not in op.data:
        return
    value = op.data["x-openai-isConsequential"]
    where = f"{op.pointer}/x-openai-isConsequential"
    if not isinstance(value, bool):
        rules.add(
            "is-consequential",
            "warning",
            where,
            f"{op.label}: x-openai-isConsequential must be true or false, not {value!r}",
        )
        return
    meaning = (
        "ChatGPT asks the user every time (no 'Always allow')"
        if value
        else "ChatGPT offers 'Always allow'"
    )
    rules.add("is-consequential", "info", where, f"{op.label}: isConsequential {value}: {meaning}")


def _servers(rules: Rules, spec: dict[str, Any]) -> None:
    servers = spec.get("servers")
    if servers is None or servers == []:
        rules.add(
            "servers-missing",
            "warning",
            "/servers" if servers == [] else "",
            "no servers: ChatGPT cannot tell where to send calls (add servers: - url: https://...)",
        )
        return
    if not isinstance(servers, list):
        rules.add(
            "servers-missing",
            "warning",
            "/servers",
            f"servers is {type(servers).__name__}, not a list: ChatGPT finds no server "
            "(write servers: - url: https://...)",
        )
        return
    if len(servers) > 1:
        rules.add(
            "servers-multiple",
            "info",
            "/servers",
            f"{len(servers)} servers: ChatGPT calls the first one only",
        )
    for index, server in enumerate(servers):
        if not isinstance(server, dict) or not isinstance(server.get("url"), str):
            continue
        url: str = server["url"]
        where = f"/servers/{index}/url"
        found = placeholder_in(url)
        if found is not None:
            rules.add(
                "server-placeholder",
                "warning",
                where,
                f"server url holds the placeholder {found!r}: {url!r}",
            )
            continue
        if "{" in url:
            rules.add(
                "server-templated",
                "warning",
                where,
                f"server url {url!r} is templated; ChatGPT needs a plain absolute URL",
            )
            continue
        if not is_absolute_http(url):
            rules.add(
                "server-relative",
                "warning",
                where,
                f"server url {url!r} is not absolute; ChatGPT needs https://host/...",
            )
            continue
        host = host_of(url) or ""
        severity = rules.options.reachability_severity
        if is_local_host(host):
            rules.add(
                "localhost-url",
                severity,
                where,
                f"server url is on {host}: ChatGPT can reach it only as a localhost plugin",
            )
        elif url.strip().lower().startswith("http://"):
            rules.add(
                "plain-http-url",
                severity,
                where,
                "server url is plain http: a remote plugin must use https",
            )
