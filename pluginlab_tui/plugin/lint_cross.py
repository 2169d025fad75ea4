"""Rules across the two files: api.url against servers, manifest auth against spec security."""

from __future__ import annotations

from typing import Any

from pluginlab_tui.contract.document import operations, pointer, resolve
from pluginlab_tui.plugin.documents import Document
from pluginlab_tui.plugin.findings import Finding
from pluginlab_tui.plugin.placeholders import placeholder_in
from pluginlab_tui.plugin.urls import host_of, is_absolute_http, registered_domain

#: Spec security schemes that carry each manifest auth type's credentials.
_OAUTH_SCHEMES = ("oauth2", "openidconnect")


def lint_cross(manifest: Document, spec: Document) -> list[Finding]:
    """Findings (placed in the spec) where the manifest and the spec disagree."""
    if not manifest.ok or not spec.ok:
        return []
    if not isinstance(manifest.data, dict) or not isinstance(spec.data, dict):
        return []
    findings: list[Finding] = []
    findings.extend(_servers_vs_api_url(manifest.data, spec))
    findings.extend(_auth_vs_security(manifest.data, spec))
    return findings


def _host(url: Any) -> str | None:
    if not isinstance(url, str) or not is_absolute_http(url) or placeholder_in(url) is not None:
        return None
    host = host_of(url)
    return host[4:] if host and host.startswith("www.") else host


def _servers_vs_api_url(manifest: dict[str, Any], spec: Document) -> list[Finding]:
    api = manifest.get("api")
    api_host = _host(api.get("url")) if isinstance(api, dict) else None
    servers = spec.data.get("servers")
    if api_host is None or not isinstance(servers, list):
        return []
    hosts = [h for h in (_host(s.get("url")) for s in servers if isinstance(s, dict)) if h]
    if not hosts or api_host in hosts:
        return []
    api_domain = registered_domain(api_host) or api_host
    if any((registered_domain(h) or h) == api_domain for h in hosts):
        return []
    return [
        spec.finding(
            "servers-api-url-mismatch",
            "warning",
            "/servers/0/url",
            f"the manifest's api.url is on {api_host} but the spec's servers are on "
            f"{', '.join(dict.fromkeys(hosts))}",
        )
    ]


def _schemes(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    components = spec.get("components")
    raw = components.get("securitySchemes") if isinstance(components, dict) else None
    if not isinstance(raw, dict):
        return {}
    schemes: dict[str, dict[str, Any]] = {}
    for name, scheme in raw.items():
        scheme = resolve(spec, scheme)
        if isinstance(scheme, dict):
            schemes[str(name)] = scheme
    return schemes


def _required_schemes(spec: dict[str, Any]) -> tuple[set[str], bool]:
    """(scheme names some operation requires, whether every operation requires one)."""
    top = spec.get("security")
    names: set[str] = set()
    every = True
    ops = operations(spec)
    for op in ops:
        security = op.data.get("security", top)
        requirements = security if isinstance(security, list) else []
        needed = [r for r in requirements if isinstance(r, dict)]
        if not needed or any(not r for r in needed):
            every = False
            continue
        for requirement in needed:
            names.update(str(n) for n in requirement)
    return names, every and bool(ops)


def _fits(manifest_auth: dict[str, Any], scheme: dict[str, Any]) -> bool:
    kind = manifest_auth.get("type")
    scheme_type = str(scheme.get("type", "")).lower()
    http_scheme = str(scheme.get("scheme", "")).lower()
    if kind == "oauth":
        return scheme_type in _OAUTH_SCHEMES or (scheme_type == "http" and http_scheme == "bearer")
    if kind in ("service_http", "user_http"):
        wanted = str(manifest_auth.get("authorization_type", "bearer")).lower()
        if scheme_type == "http":
            return http_scheme == wanted
        if scheme_type == "apikey":
            return (
                str(scheme.get("in", "")).lower() == "header"
                and str(scheme.get("name", "")).lower() == "authorization"
            )
        return wanted == "bearer" and scheme_type in _OAUTH_SCHEMES
    return False


def _scheme_text(scheme: dict[str, Any]) -> str:
    kind = str(scheme.get("type"))
    return f"{kind}/{scheme['scheme']}" if "scheme" in scheme else kind


def _auth_vs_security(manifest: dict[str, Any], spec: Document) -> list[Finding]:
    auth = manifest.get("auth")
    if not isinstance(auth, dict) or not isinstance(auth.get("type"), str):
        return []
    kind: str = auth["type"]
    data: dict[str, Any] = spec.data
    schemes = _schemes(data)
    required, every = _required_schemes(data)
    where = "/components/securitySchemes" if schemes else "/security"
    if kind == "none":
        if required:
            return [
                spec.finding(
                    "auth-security-mismatch",
                    "warning",
                    "/security" if "security" in data else where,
                    f"the manifest's auth is none but the spec requires "
                    f"{', '.join(sorted(required))}{' on every operation' if every else ''}: "
                    "ChatGPT will send no credentials",
                )
            ]
        return []
    if kind not in ("oauth", "service_http", "user_http"):
        return []
    described = f"{kind}" + (
        f" ({auth.get('authorization_type')})"
        if kind != "oauth" and "authorization_type" in auth
        else ""
    )
    if not schemes:
        return [
            spec.finding(
                "auth-security-mismatch",
                "info",
                "",
                f"the manifest's auth is {described} but the spec declares no securitySchemes; "
                "declare one so tools and the proxy know how calls are authenticated",
            )
        ]
    fitting = [name for name, scheme in schemes.items() if _fits(auth, scheme)]
    if not fitting:
        declared = ", ".join(f"{name} ({_scheme_text(s)})" for name, s in schemes.items())
        return [
            spec.finding(
                "auth-security-mismatch",
                "warning",
                where,
                f"the manifest's auth is {described} but the spec's security schemes do not "
                f"match it: {declared}",
            )
        ]
    used = required & set(schemes)
    if used and not (used & set(fitting)):
        return [
            spec.finding(
                "auth-security-mismatch",
                "warning",
                pointer("security") if "security" in data else where,
                f"the spec requires {', '.join(sorted(used))}, which does not match the "
                f"manifest's {described} auth",
            )
        ]
    return []
