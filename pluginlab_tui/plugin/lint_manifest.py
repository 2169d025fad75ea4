"""Manifest (ai-plugin.json) rules: fields and types, limits, auth per type, URLs, domains.

Severity policy (DESIGN.md "Lint severity"): an error breaks the plugin; a documented limit the
store did not always enforce is a warning; info is advice.
"""

from __future__ import annotations

import re
from typing import Any

from pluginlab_tui.contract.document import pointer
from pluginlab_tui.plugin.documents import Document
from pluginlab_tui.plugin.findings import Finding, Severity
from pluginlab_tui.plugin.options import LintOptions, Rules
from pluginlab_tui.plugin.placeholders import placeholder_in
from pluginlab_tui.plugin.urls import (
    email_domain,
    host_of,
    is_absolute_http,
    is_local_host,
    on_domain,
    registered_domain,
    split,
)

REQUIRED_FIELDS: dict[str, type] = {
    "schema_version": str,
    "name_for_model": str,
    "name_for_human": str,
    "description_for_model": str,
    "description_for_human": str,
    "auth": dict,
    "api": dict,
    "logo_url": str,
    "contact_email": str,
    "legal_info_url": str,
}
AUTH_TYPES = ("none", "user_http", "service_http", "oauth")
AUTH_KEYS: dict[str, tuple[str, ...]] = {
    "none": (),
    "user_http": ("authorization_type",),
    "service_http": ("authorization_type", "verification_tokens"),
    "oauth": (
        "client_url",
        "scope",
        "authorization_url",
        "authorization_content_type",
        "verification_tokens",
    ),
}
AUTH_OPTIONAL_KEYS = ("type", "instructions")
API_KEYS = ("type", "url", "is_user_authenticated", "has_user_authentication")
CONTENT_TYPES = ("application/json", "application/x-www-form-urlencoded")
_NAME_FOR_MODEL = re.compile(r"^[A-Za-z0-9_]+$")
_TOKEN_KEY = re.compile(r"^[A-Za-z0-9]*$")
_JSON_NAMES = {dict: "an object", str: "a string", list: "an array", bool: "a boolean"}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return _JSON_NAMES.get(type(value), type(value).__name__)


def lint_manifest(doc: Document, options: LintOptions) -> list[Finding]:
    """All manifest rules on a loaded document."""
    if doc.error is not None:
        return [doc.error]
    rules = Rules(doc, options)
    data = doc.data
    if not isinstance(data, dict):
        rules.add(
            "manifest-not-object",
            "error",
            "",
            f"a manifest is a JSON object; this file holds {_type_name(data)}",
        )
        return rules.findings
    if doc.format == "yaml":
        rules.add("manifest-not-json", "error", "", "ai-plugin.json must be JSON; this is YAML")
    _fields(rules, data)
    _texts(rules, data)
    auth = data.get("auth")
    if isinstance(auth, dict):
        _auth(rules, auth)
    api = data.get("api")
    if isinstance(api, dict):
        _api(rules, api)
    _urls(rules, data)
    _domains(rules, data)
    return rules.findings


def _fields(rules: Rules, data: dict[str, Any]) -> None:
    for name, kind in REQUIRED_FIELDS.items():
        where = pointer(name)
        if name not in data:
            rules.add("required-field", "error", where, f"{name} is required")
        elif not isinstance(data[name], kind):
            rules.add(
                "field-type",
                "error",
                where,
                f"{name} must be {_JSON_NAMES[kind]}, not {_type_name(data[name])}",
            )
    for name in data:
        if name not in REQUIRED_FIELDS:
            rules.add("unknown-field", "warning", pointer(name), f"unknown manifest field {name!r}")
    version = data.get("schema_version")
    if isinstance(version, str) and version != "v1":
        rules.add(
            "schema-version",
            "error",
            "/schema_version",
            f'schema_version is {version!r}; the only manifest version is "v1"',
        )


def _texts(rules: Rules, data: dict[str, Any]) -> None:
    limits = rules.options.limits
    name = data.get("name_for_model")
    if isinstance(name, str):
        if not name:
            rules.add("name-for-model-chars", "error", "/name_for_model", "name_for_model is empty")
        elif not _NAME_FOR_MODEL.match(name):
            bad = "".join(sorted({c for c in name if not re.match(r"[A-Za-z0-9_]", c)}))
            rules.add(
                "name-for-model-chars",
                "error",
                "/name_for_model",
                f"name_for_model may hold only letters and digits; found {bad!r}",
            )
        elif "_" in name:
            rules.add(
                "name-for-model-underscore",
                "warning",
                "/name_for_model",
                "OpenAI documented letters and digits only for name_for_model; "
                "underscores were accepted in practice",
            )
        if len(name) > limits.name_for_model:
            rules.add(
                "name-for-model-length",
                "error",
                "/name_for_model",
                f"name_for_model is {len(name)} characters; the limit is {limits.name_for_model}",
            )
    checks: list[tuple[str, int, Severity, str]] = [
        ("name_for_human", limits.name_for_human, "warning", "name-for-human-length"),
        (
            "description_for_human",
            limits.description_for_human,
            "warning",
            "description-for-human-length",
        ),
        (
            "description_for_model",
            limits.description_for_model,
            "error",
            "description-for-model-length",
        ),
    ]
    for field, limit, severity, rule in checks:
        value = data.get(field)
        if not isinstance(value, str):
            continue
        if not value.strip():
            rules.add("empty-field", "error", pointer(field), f"{field} is empty")
        elif len(value) > limit:
            rules.add(
                rule,
                severity,
                pointer(field),
                f"{field} is {len(value)} characters; the limit is {limit}",
            )


def _auth(rules: Rules, auth: dict[str, Any]) -> None:
    kind = auth.get("type")
    if kind not in AUTH_TYPES:
        what = "missing" if "type" not in auth else f"{kind!r}"
        rules.add(
            "auth-type",
            "error",
            "/auth/type",
            f"auth.type is {what}; it must be one of {', '.join(AUTH_TYPES)}",
        )
        return
    required = AUTH_KEYS[kind]
    for key in required:
        if key not in auth:
            rules.add("auth-missing-key", "error", pointer("auth", key), f"{kind} auth needs {key}")
    unexpected = [k for k in auth if k not in required and k not in AUTH_OPTIONAL_KEYS]
    for key in unexpected:
        rules.add(
            "auth-unknown-key",
            "warning",
            pointer("auth", key),
            f"unexpected key {key!r} in {kind} auth (ChatGPT ignores it)",
        )
    if "instructions" in auth and not isinstance(auth["instructions"], str):
        rules.add("field-type", "error", "/auth/instructions", "auth.instructions must be a string")
    if "authorization_type" in auth and kind in ("user_http", "service_http"):
        value = auth["authorization_type"]
        if value not in ("bearer", "basic"):
            rules.add(
                "auth-authorization-type",
                "error",
                "/auth/authorization_type",
                f'authorization_type is {value!r}; it must be "bearer" or "basic"',
            )
    if "verification_tokens" in auth and kind in ("service_http", "oauth"):
        _verification_tokens(rules, auth["verification_tokens"])
    if kind == "oauth":
        _oauth(rules, auth)


def _verification_tokens(rules: Rules, tokens: Any) -> None:
    where = "/auth/verification_tokens"
    if not isinstance(tokens, dict):
        rules.add(
            "auth-verification-tokens",
            "error",
            where,
            f"verification_tokens must be an object of strings, not {_type_name(tokens)}",
        )
        return
    if "openai" not in tokens:
        rules.add(
            "auth-verification-tokens",
            "error",
            where,
            'verification_tokens has no "openai" entry (the token ChatGPT\'s UI gives you)',
        )
    for key, value in tokens.items():
        at = pointer("auth", "verification_tokens", key)
        if not _TOKEN_KEY.match(key):
            rules.add(
                "auth-verification-tokens",
                "error",
                at,
                f"verification token name {key!r} may hold only letters and digits",
            )
        if not isinstance(value, str) or not value.strip():
            rules.add(
                "auth-verification-tokens", "error", at, f"verification token {key!r} is empty"
            )
            continue
        found = placeholder_in(value)
        if found is not None or value.strip().lower() in ("token", "abc123", "replace"):
            rules.add(
                "placeholder",
                "error",
                at,
                f"verification token {key!r} is a placeholder ({value[:60]!r}); "
                "put the token from ChatGPT's plugin settings",
            )


def _oauth(rules: Rules, auth: dict[str, Any]) -> None:
    for key in ("client_url", "authorization_url"):
        value = auth.get(key)
        if value is None:
            continue
        where = pointer("auth", key)
        if not isinstance(value, str):
            rules.add("field-type", "error", where, f"auth.{key} must be a string")
            continue
        found = placeholder_in(value)
        if found is not None:
            rules.add("placeholder", "error", where, f"auth.{key} holds the placeholder {found!r}")
        elif not is_absolute_http(value):
            rules.add(
                "auth-url", "error", where, f"auth.{key} must be an absolute https URL: {value!r}"
            )
        else:
            host = host_of(value) or ""
            if is_local_host(host):
                rules.add(
                    "auth-url",
                    "error",
                    where,
                    f"auth.{key} is on {host}: OAuth plugins cannot use localhost",
                )
            elif not value.lower().startswith("https://"):
                rules.add("auth-url", "warning", where, f"auth.{key} is plain http")
    scope = auth.get("scope")
    if scope is not None and not isinstance(scope, str):
        rules.add("field-type", "error", "/auth/scope", "auth.scope must be a string")
    content_type = auth.get("authorization_content_type")
    if content_type is not None:
        if not isinstance(content_type, str):
            rules.add(
                "field-type",
                "error",
                "/auth/authorization_content_type",
                "auth.authorization_content_type must be a string",
            )
        elif content_type.split(";")[0].strip().lower() not in CONTENT_TYPES:
            rules.add(
                "auth-content-type",
                "warning",
                "/auth/authorization_content_type",
                f"authorization_content_type {content_type!r} is neither "
                + " nor ".join(CONTENT_TYPES),
            )


def _api(rules: Rules, api: dict[str, Any]) -> None:
    if "type" not in api:
        rules.add("required-field", "error", "/api/type", "api.type is required")
    elif api["type"] != "openapi":
        rules.add(
            "api-type", "error", "/api/type", f'api.type is {api["type"]!r}; it must be "openapi"'
        )
    for key in api:
        if key not in API_KEYS:
            rules.add("unknown-field", "warning", pointer("api", key), f"unknown api field {key!r}")
    for key in ("is_user_authenticated", "has_user_authentication"):
        if key in api and not isinstance(api[key], bool):
            rules.add("field-type", "warning", pointer("api", key), f"api.{key} is a boolean")
    if "url" not in api:
        rules.add("required-field", "error", "/api/url", "api.url is required (the spec's URL)")
        return
    url = api["url"]
    if not isinstance(url, str):
        rules.add(
            "field-type", "error", "/api/url", f"api.url must be a string, not {_type_name(url)}"
        )
        return
    found = placeholder_in(url)
    if found is not None:
        rules.add(
            "placeholder",
            "error",
            "/api/url",
            f"api.url holds the placeholder {found!r} (a template not rendered): {url!r}",
        )
        return
    if not url.strip():
        rules.add("api-url-relative", "error", "/api/url", "api.url is empty")
        return
    if not is_absolute_http(url):
        rules.add(
            "api-url-relative",
            "error",
            "/api/url",
            f"api.url must be an absolute URL (https://host/openapi.yaml), not {url!r}",
        )
        return
    _reachable(rules, "/api/url", "api.url", url)


def _reachable(rules: Rules, where: str, label: str, url: str) -> None:
    """localhost and plain http: fine for local development, not for ChatGPT."""
    host = host_of(url) or ""
    severity = rules.options.reachability_severity
    if is_local_host(host):
        rules.add(
            "localhost-url",
            severity,
            where,
            f"{label} is on {host}: ChatGPT can reach it only as a localhost plugin",
        )
    elif url.strip().lower().startswith("http://"):
        rules.add(
            "plain-http-url",
            severity,
            where,
            f"{label} is plain http: a remote plugin must use https",
        )


def _urls(rules: Rules, data: dict[str, Any]) -> None:
    for key in ("logo_url", "legal_info_url"):
        value = data.get(key)
        if not isinstance(value, str):
            continue
        where = pointer(key)
        found = placeholder_in(value)
        if found is not None:
            rules.add("placeholder", "warning", where, f"{key} holds the placeholder {found!r}")
        elif not is_absolute_http(value):
            rules.add("malformed-url", "warning", where, f"{key} is not an absolute URL: {value!r}")
        else:
            _reachable(rules, where, key, value)
    logo = data.get("logo_url")
    if isinstance(logo, str):
        parts = split(logo)
        if parts is not None and parts.path.lower().endswith(".gif"):
            rules.add("logo-gif", "warning", "/logo_url", "logo_url must be an image, no GIFs")
    email = data.get("contact_email")
    if isinstance(email, str):
        found = placeholder_in(email)
        if found is not None:
            rules.add("placeholder", "warning", "/contact_email", f"contact_email holds {found!r}")
        elif email_domain(email) is None:
            rules.add(
                "malformed-email",
                "warning",
                "/contact_email",
                f"contact_email is not an email address: {email!r}",
            )


def _domains(rules: Rules, data: dict[str, Any]) -> None:
    """OpenAI's domain rules, as PluginLab's validator encodes them."""
    root = rules.options.root_domain
    if root is None:
        return
    root_sld = registered_domain(root)
    api = data.get("api")
    url = api.get("url") if isinstance(api, dict) else None
    if isinstance(url, str) and is_absolute_http(url) and placeholder_in(url) is None:
        host = host_of(url) or ""
        if not is_local_host(host) and not on_domain(host, root):
            rules.add(
                "domain-api-url",
                "warning",
                "/api/url",
                f"api.url is on {host}, not on the root domain {root} or a subdomain of it",
            )
    legal = data.get("legal_info_url")
    if isinstance(legal, str) and is_absolute_http(legal) and placeholder_in(legal) is None:
        host = host_of(legal) or ""
        if registered_domain(host) != root_sld:
            rules.add(
                "domain-legal-info-url",
                "warning",
                "/legal_info_url",
                f"legal_info_url is on {host}; it must be on the second-level domain {root_sld}",
            )
    email = data.get("contact_email")
    if isinstance(email, str):
        domain = email_domain(email)
        if domain is not None and registered_domain(domain) != root_sld:
            rules.add(
                "domain-contact-email",
                "warning",
                "/contact_email",
                f"contact_email is at {domain}; it must be on the second-level domain {root_sld}",
            )
