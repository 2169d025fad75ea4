"""Lint an MCP server (a ChatGPT app) from what it lists: tools, their schemas and Apps `_meta`.

`lint_server(url)` lists the server as a client (mcp/client.py) and `lint_listing` applies the
rules in RULES. Findings are the plugin lint's (plugin/findings.py): `file` is the server's URL,
`line` and `column` are None, and `pointer` points into the listing's JSON form
`{tools, resources, resourceTemplates, prompts, reads}` (`reads` keyed by URI). Severities follow
DESIGN.md "Lint severity": an error breaks the app in ChatGPT, a warning is a documented rule
that does not always break it, info is advice.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs
from mcp.shared.tool_name_validation import validate_tool_name
from mcp.shared.uri_template import UriTemplate
from mcp_types.version import is_version_at_least

from pluginlab_tui.contract.document import escape, pointer
from pluginlab_tui.mcp.auth_lint import lint_auth
from pluginlab_tui.mcp.client import DEFAULT_TIMEOUT_S, UI_SCHEME, Listing, list_server, widget_uris
from pluginlab_tui.mcp.scheme_lint import lint_schemes, wants_sign_in
from pluginlab_tui.plugin.findings import Finding, Severity

#: rule id -> (its severities, what it reports)
RULES: dict[str, tuple[str, str]] = {
    "mcp-list-failed": ("error", "a list the server's capabilities announce failed"),
    "mcp-list-truncated": ("warning", "the page or read cap was reached; the rest is not linted"),
    "mcp-no-tools": ("warning", "the server lists no tools"),
    "mcp-tool-name": (
        "error, warning",
        "the SDK's tool-name rules (SEP-986): an error when invalid, a warning for its advice",
    ),
    "mcp-tool-duplicate": ("error", "two tools share a name"),
    "mcp-description-missing": ("warning", "a tool without a description (the model picks by it)"),
    "mcp-description-long": (
        "info",
        "a tool description over 1,024 characters (no limit is documented for apps)",
    ),
    "mcp-input-schema": (
        "error",
        'inputSchema missing, without root type "object", or not valid JSON Schema',
    ),
    "mcp-output-schema": (
        "error, warning",
        'outputSchema not valid JSON Schema; root type not "object" (an error before '
        "2026-07-28, a warning since)",
    ),
    "mcp-annotations-missing": (
        "warning",
        "readOnlyHint, destructiveHint or openWorldHint absent (ChatGPT decides on "
        "confirmation from them)",
    ),
    "apps-tool-meta": (
        "error",
        "_meta.ui not an object; ui.resourceUri, ui.visibility or openai/outputTemplate of the "
        "wrong type",
    ),
    "apps-template-mismatch": ("error", "ui.resourceUri and openai/outputTemplate disagree"),
    "apps-template-scheme": ("warning", "a template URI without the ui:// scheme of MCP Apps"),
    "apps-template-missing": ("error", "a tool's template is neither listed nor readable"),
    "apps-template-unlisted": (
        "warning",
        "a tool's template is readable but not listed (ChatGPT fetches the listed resources "
        "when it connects)",
    ),
    "apps-template-unreadable": (
        "error",
        "a widget template whose resources/read fails or holds no text and no blob",
    ),
    "apps-template-mime": (
        "error, info",
        "a template neither text/html;profile=mcp-app nor text/html+skybridge (error); the "
        "older skybridge type (info)",
    ),
    "apps-invocation-label": (
        "error",
        "openai/toolInvocation/invoking or invoked not a string, or over 64 characters",
    ),
    "apps-widget-csp": (
        "error, warning, info",
        "ui.csp or openai/widgetCSP not an object, a field not a list of origins (error); a "
        "field unknown to that form (warning); frame domains (info: a stricter review)",
    ),
    "mcp-uri-template": ("error", "a resource template's uriTemplate is not RFC 6570"),
}

DESCRIPTION_ADVICE_CHARS = 1024
LABEL_LIMIT = 64
LABEL_KEYS = ("openai/toolInvocation/invoking", "openai/toolInvocation/invoked")
HINTS = ("readOnlyHint", "destructiveHint", "openWorldHint")
APP_MIME = "text/html;profile=mcp-app"
SKYBRIDGE_MIME = "text/html+skybridge"
#: the CSP's fields in each form: MCP Apps `_meta.ui.csp` (camelCase), ChatGPT's legacy
#: `_meta["openai/widgetCSP"]` (snake_case)
CSP_FIELDS: dict[str, tuple[str, ...]] = {
    "ui.csp": ("connectDomains", "resourceDomains", "frameDomains", "baseUriDomains"),
    "openai/widgetCSP": (
        "connect_domains",
        "resource_domains",
        "frame_domains",
        "redirect_domains",
    ),
}
FRAME_FIELDS = ("frameDomains", "frame_domains")
_ORIGIN = re.compile(
    r"^(https?|wss?)://(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:\d{1,5})?/?$"
)
MODERN = "2026-07-28"


def lint_server(
    url: str, *, token: str | None = None, timeout: float = DEFAULT_TIMEOUT_S
) -> list[Finding]:
    """Findings for the MCP server at `url`: its OAuth discovery (mcp/auth_lint.py), then its
    catalogue (skipped, and said so, when it wants a token and has none) and its tools'
    securitySchemes against that discovery (mcp/scheme_lint.py); UsageError when it cannot be
    listed."""
    auth = lint_auth(url, timeout=timeout)
    if auth.signs_in and token is None:
        return [
            *auth.findings,
            Finding(
                "auth-token-needed",
                "info",
                url,
                None,
                None,
                pointer(),
                "the server wants a token: its tools were not linted (give --token T)",
            ),
        ]
    listing = list_server(url, token=token, timeout=timeout)
    if not auth.walked and wants_sign_in(listing):
        auth = lint_auth(url, timeout=timeout, walk=True)  # mixed: some tools sign in
    return auth.findings + lint_listing(listing) + lint_schemes(listing, auth)


def lint_listing(listing: Listing) -> list[Finding]:
    """All rules on a server's listing, in the order of the listing."""
    run = _Run(listing)
    for method, why in listing.errors.items():
        run.add("mcp-list-failed", "error", pointer(), f"{method} failed: {why}")
    for note in listing.truncated:
        run.add("mcp-list-truncated", "warning", pointer(), f"{note}; the rest was not linted")
    if not listing.tools and "tools/list" not in listing.errors:
        run.add("mcp-no-tools", "warning", pointer("tools"), "the server lists no tools")
    names = Counter(t.get("name") for t in listing.tools)
    for index, tool in enumerate(listing.tools):
        _tool(run, index, tool, duplicate=names[tool.get("name")] > 1)
    _templates(run)
    for index, template in enumerate(listing.resource_templates):
        _uri_template(run, index, template)
    return run.findings


@dataclass
class _Run:
    listing: Listing
    findings: list[Finding] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)

    def add(self, rule: str, severity: Severity, where: str, message: str) -> None:
        if (rule, message) in self.seen:
            return
        self.seen.add((rule, message))
        self.findings.append(Finding(rule, severity, self.listing.url, None, None, where, message))


# -- tools --------------------------------------------------------------------------------


def _tool(run: _Run, index: int, tool: dict[str, Any], *, duplicate: bool) -> None:
    name = tool.get("name")
    label = f"tool {name!r}"
    where = pointer("tools", index)
    if isinstance(name, str):
        checked = validate_tool_name(name)
        notes = [w for w in checked.warnings if not w.startswith("Allowed characters")]
        if not checked.is_valid:
            why = "; ".join(notes) or "not a valid tool name"
            run.add(
                "mcp-tool-name",
                "error",
                where + "/name",
                f"{label}: {why} (allowed: 1 to 128 of A-Z a-z 0-9 _ - .)",
            )
        elif notes:
            run.add("mcp-tool-name", "warning", where + "/name", f"{label}: {'; '.join(notes)}")
    if duplicate:
        run.add("mcp-tool-duplicate", "error", where + "/name", f"{label} is listed more than once")
    _description(run, where, label, tool.get("description"))
    _schemas(run, where, label, tool)
    _annotations(run, where, label, tool.get("annotations"))
    meta = tool.get("_meta")
    if isinstance(meta, dict):
        _apps_meta(run, where + "/_meta", label, meta)


def _description(run: _Run, where: str, label: str, description: Any) -> None:
    if not isinstance(description, str) or not description.strip():
        run.add(
            "mcp-description-missing",
            "warning",
            where + "/description",
            f"{label} has no description: the model chooses tools by it",
        )
    elif len(description) > DESCRIPTION_ADVICE_CHARS:
        run.add(
            "mcp-description-long",
            "info",
            where + "/description",
            f"{label}: the description is {len(description):,} characters; the model reads it "
            f"on every turn (advice: at most {DESCRIPTION_ADVICE_CHARS:,})",
        )


def _schemas(run: _Run, where: str, label: str, tool: dict[str, Any]) -> None:
    modern = is_version_at_least(run.listing.protocol_version, MODERN)
    schema = tool.get("inputSchema")
    problem = _root_problem(schema, "inputSchema") or schema_problem(schema)
    if problem:
        run.add("mcp-input-schema", "error", where + "/inputSchema", f"{label}: {problem}")
    if "outputSchema" not in tool:
        return
    output = tool["outputSchema"]
    problem = schema_problem(output) if isinstance(output, dict) else None
    root = _root_problem(output, "outputSchema")
    if root and (not modern or not isinstance(output, dict)):
        run.add("mcp-output-schema", "error", where + "/outputSchema", f"{label}: {root}")
    elif problem:
        run.add("mcp-output-schema", "error", where + "/outputSchema", f"{label}: {problem}")
    elif root:
        run.add(
            "mcp-output-schema",
            "warning",
            where + "/outputSchema",
            f"{label}: {root} (allowed from 2026-07-28; clients of earlier versions refuse it)",
        )


def _root_problem(schema: Any, name: str) -> str | None:
    if schema is None:
        return f"{name} is missing"
    if not isinstance(schema, dict):
        return f"{name} must be a JSON Schema object"
    if schema.get("type") != "object":
        return f'{name} must have type "object" at its root'
    return None


def _refuse_remote(uri: str) -> Any:
    raise ValueError(f"remote $ref {uri} is not fetched by the lint")


def schema_problem(schema: Any) -> str | None:
    """Why `schema` is not valid JSON Schema (2020-12 unless its $schema says otherwise)."""
    if isinstance(schema, bool):
        return None
    if not isinstance(schema, dict):
        return "a JSON Schema is an object"
    try:
        jsonschema_rs.validator_for(schema, retriever=_refuse_remote, validate_formats=True)
    except jsonschema_rs.ValidationError as exc:
        place = pointer(*exc.instance_path)
        return f"not valid JSON Schema: {exc.message}" + (f" at {place}" if place else "")
    except Exception as exc:  # ReferencingError, an unknown $schema
        return f"not valid JSON Schema: {str(exc).splitlines()[0] if str(exc) else exc!r}"
    return None


def _annotations(run: _Run, where: str, label: str, annotations: Any) -> None:
    given = annotations if isinstance(annotations, dict) else {}
    missing = [hint for hint in HINTS if hint not in given]
    if missing:
        run.add(
            "mcp-annotations-missing",
            "warning",
            where + "/annotations",
            f"{label} does not say {', '.join(missing)}: ChatGPT decides whether to ask for "
            "confirmation from these hints",
        )


def _apps_meta(run: _Run, where: str, label: str, meta: dict[str, Any]) -> None:
    ui = meta.get("ui")
    if ui is not None and not isinstance(ui, dict):
        run.add("apps-tool-meta", "error", where + "/ui", f"{label}: _meta.ui must be an object")
        ui = None
    resource_uri = ui.get("resourceUri") if ui else None
    if resource_uri is not None and not isinstance(resource_uri, str):
        run.add(
            "apps-tool-meta",
            "error",
            where + "/ui/resourceUri",
            f"{label}: _meta.ui.resourceUri must be a string",
        )
        resource_uri = None
    visibility = ui.get("visibility") if ui else None
    if visibility is not None and (
        not isinstance(visibility, list) or not all(v in ("model", "app") for v in visibility)
    ):
        run.add(
            "apps-tool-meta",
            "error",
            where + "/ui/visibility",
            f'{label}: _meta.ui.visibility must be a list of "model" and "app"',
        )
    template = meta.get("openai/outputTemplate")
    if template is not None and not isinstance(template, str):
        run.add(
            "apps-tool-meta",
            "error",
            where + "/openai~1outputTemplate",
            f"{label}: openai/outputTemplate must be a string",
        )
        template = None
    if isinstance(resource_uri, str) and isinstance(template, str) and resource_uri != template:
        run.add(
            "apps-template-mismatch",
            "error",
            where,
            f"{label}: ui.resourceUri {resource_uri!r} and openai/outputTemplate {template!r} "
            "name different templates",
        )
    for key in LABEL_KEYS:
        value = meta.get(key)
        place = where + "/" + key.replace("/", "~1")
        if value is None:
            continue
        if not isinstance(value, str):
            run.add("apps-invocation-label", "error", place, f"{label}: {key} must be a string")
        elif len(value) > LABEL_LIMIT:
            run.add(
                "apps-invocation-label",
                "error",
                place,
                f"{label}: {key} is {len(value)} characters (at most {LABEL_LIMIT})",
            )
    for uri in widget_uris({"_meta": meta}):
        if not uri.startswith(UI_SCHEME):
            run.add(
                "apps-template-scheme",
                "warning",
                where,
                f"{label}: the template {uri!r} does not use the ui:// scheme MCP Apps requires",
            )
        _tool_template(run, where, label, uri)


def _tool_template(run: _Run, where: str, label: str, uri: str) -> None:
    listed = any(r.get("uri") == uri for r in run.listing.resources)
    read = run.listing.reads.get(uri)
    readable = read is not None and read.error is None and bool(read.contents)
    if not listed and not readable:
        why = f" (resources/read: {read.error})" if read is not None and read.error else ""
        run.add(
            "apps-template-missing",
            "error",
            where,
            f"{label}: its template {uri!r} is neither listed nor readable{why}",
        )
    elif not listed:
        run.add(
            "apps-template-unlisted",
            "warning",
            where,
            f"{label}: its template {uri!r} is readable but not in resources/list; ChatGPT "
            "fetches the listed resources when it connects",
        )


# -- widget templates ---------------------------------------------------------------------


def _templates(run: _Run) -> None:
    listing = run.listing
    for index, resource in enumerate(listing.resources):
        uri = resource.get("uri")
        if not isinstance(uri, str) or uri not in listing.reads:
            continue
        where = pointer("resources", index)
        _mime(run, where + "/mimeType", uri, resource.get("mimeType"))
        _csp(run, where + "/_meta", uri, resource.get("_meta"))
    for uri, read in listing.reads.items():
        where = pointer("reads", uri)
        if read.error is not None:
            if any(r.get("uri") == uri for r in listing.resources):
                run.add(
                    "apps-template-unreadable",
                    "error",
                    where,
                    f"the widget template {uri!r} cannot be read: {read.error}",
                )
            continue
        if not any(isinstance(c.get("text"), str) or "blob" in c for c in read.contents):
            run.add(
                "apps-template-unreadable",
                "error",
                where,
                f"the widget template {uri!r} reads as no text and no blob",
            )
        for index, content in enumerate(read.contents):
            place = f"{where}/contents/{index}"
            _mime(run, place + "/mimeType", uri, content.get("mimeType"))
            _csp(run, place + "/_meta", uri, content.get("_meta"))


def _mime(run: _Run, where: str, uri: str, mime: Any) -> None:
    if mime == APP_MIME:
        return
    if mime == SKYBRIDGE_MIME:
        run.add(
            "apps-template-mime",
            "info",
            where,
            f"the widget template {uri!r} is {SKYBRIDGE_MIME}, the older type; MCP Apps and "
            f"ChatGPT's current documents name {APP_MIME}",
        )
        return
    shown = "no mimeType" if mime is None else f"mimeType {mime!r}"
    run.add(
        "apps-template-mime",
        "error",
        where,
        f"the widget template {uri!r} has {shown}: hosts render only {APP_MIME} "
        f"(or ChatGPT's older {SKYBRIDGE_MIME})",
    )


def _csp(run: _Run, where: str, uri: str, meta: Any) -> None:
    if not isinstance(meta, dict):
        return
    ui = meta.get("ui")
    forms = {
        "ui.csp": (ui.get("csp") if isinstance(ui, dict) else None, where + "/ui/csp"),
        "openai/widgetCSP": (meta.get("openai/widgetCSP"), where + "/openai~1widgetCSP"),
    }
    for form, (csp, spot) in forms.items():
        if csp is None:
            continue
        subject = f"the widget template {uri!r}: {form}"
        if not isinstance(csp, dict):
            run.add("apps-widget-csp", "error", spot, f"{subject} must be an object")
            continue
        known = CSP_FIELDS[form]
        for key, value in csp.items():
            place = f"{spot}/{escape(key)}"
            if key not in known:
                run.add(
                    "apps-widget-csp",
                    "warning",
                    place,
                    f"{subject} has the field {key!r}, unknown to that form ({', '.join(known)})",
                )
                continue
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                run.add(
                    "apps-widget-csp",
                    "error",
                    place,
                    f"{subject}.{key} must be a list of origins",
                )
                continue
            bad = [v for v in value if not _ORIGIN.match(v)]
            if bad:
                run.add(
                    "apps-widget-csp",
                    "error",
                    place,
                    f"{subject}.{key} holds {', '.join(repr(b) for b in bad[:3])}, not origins "
                    "like https://api.example.com",
                )
            if key in FRAME_FIELDS and value:
                run.add(
                    "apps-widget-csp",
                    "info",
                    place,
                    f"{subject}.{key}: a widget with subframes gets a stricter review",
                )


def _uri_template(run: _Run, index: int, template: dict[str, Any]) -> None:
    value = template.get("uriTemplate")
    where = pointer("resourceTemplates", index, "uriTemplate")
    if not isinstance(value, str):
        run.add("mcp-uri-template", "error", where, "a resource template without a uriTemplate")
        return
    try:
        UriTemplate.parse(value)
    except Exception as exc:  # InvalidUriTemplate (a ValueError)
        run.add(
            "mcp-uri-template",
            "error",
            where,
            f"the resource template {value!r} is not an RFC 6570 template: {exc}",
        )
