"""Lint the OAuth discovery of an MCP server as ChatGPT walks it (any server, ours or not).

One unauthenticated `initialize`, then the documents a client reads in the spec's order (the
SDK's own discovery-URL builders): the protected resource metadata (RFC 9728) named by the 401's
`WWW-Authenticate` or at its well-known places, then the authorization server's metadata
(RFC 8414 or OpenID). Documents are parsed with the SDK's models. Each finding says what ChatGPT
does about it (apps-facts.md section 6). Findings are plugin/findings.py's, `pointer` into
`{challenge, protected_resource, authorization_server}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx2
from mcp.client.auth.utils import (
    build_oauth_authorization_server_metadata_discovery_urls,
    build_protected_resource_metadata_discovery_urls,
    extract_field_from_www_auth,
    issuers_match,
)
from mcp.shared.auth import OAuthMetadata, ProtectedResourceMetadata
from mcp_types.version import LATEST_HANDSHAKE_VERSION
from pydantic import BaseModel, ValidationError

from pluginlab_tui.contract.document import pointer
from pluginlab_tui.mcp.first_error import first_error
from pluginlab_tui.plugin.findings import Finding, Severity

#: rule id -> (its severities, what it reports), as lint.RULES.
AUTH_RULES: dict[str, tuple[str, str]] = {
    "auth-probe-failed": ("error", "the unauthenticated initialize could not be sent or read"),
    "auth-challenge-status": (
        "error",
        "an unauthenticated request answered neither 200 (no sign-in) nor 401 (sign in)",
    ),
    "auth-challenge-metadata": (
        "warning",
        "a 401 without `WWW-Authenticate: Bearer resource_metadata=...`",
    ),
    "auth-challenge-scope": ("info", "a 401 challenge without scope="),
    "auth-token-needed": ("info", "the server wants a token: its catalogue is linted with --token"),
    "auth-prm-missing": ("error", "no protected resource metadata where clients look"),
    "auth-prm-invalid": ("error", "protected resource metadata that is not RFC 9728's shape"),
    "auth-resource-mismatch": ("error", "the metadata's resource is not the server's URL"),
    "auth-as-missing": ("error", "no authorization server metadata where clients look"),
    "auth-as-invalid": ("error", "authorization server metadata that is not RFC 8414's shape"),
    "auth-issuer-mismatch": ("error", "the metadata's issuer is not the URL it was found by"),
    "auth-pkce": ("error", "S256 missing from code_challenge_methods_supported"),
    "auth-registration": ("error", "neither a registration endpoint nor CIMD support"),
    "auth-token-methods": (
        "warning",
        "token_endpoint_auth_methods_supported absent, or with CIMD but neither none nor "
        "private_key_jwt",
    ),
    "auth-iss-parameter": ("info", "no RFC 9207 `iss` on authorization responses"),
    "auth-as-on-mcp-host": (
        "info",
        "the authorization server's metadata is not also on the MCP server's host",
    ),
}

#: The largest metadata document read.
MAX_DOCUMENT_BYTES = 256 * 1024
_PROBE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": LATEST_HANDSHAKE_VERSION,
        "capabilities": {},
        "clientInfo": {"name": "pluginlab-tui lint", "version": "1"},
    },
}
_PUBLIC_METHODS = ("none", "private_key_jwt")


@dataclass
class _Run:
    url: str
    client: httpx2.Client
    findings: list[Finding] = field(default_factory=list)
    #: The server answered the unauthenticated initialize with 401.
    signs_in: bool = False
    #: The protected resource metadata found (None: none, or not looked for).
    resource: ProtectedResourceMetadata | None = None

    def add(self, rule: str, severity: Severity, where: str, message: str) -> None:
        self.findings.append(Finding(rule, severity, self.url, None, None, where, message))

    def fetch(self, url: str) -> tuple[Any, str | None]:
        """A JSON document at `url`, or None and why it could not be had."""
        try:
            with self.client.stream("GET", url, headers={"Accept": "application/json"}) as answer:
                if answer.status_code != 200:
                    return None, f"HTTP {answer.status_code}"
                body = bytearray()
                for chunk in answer.iter_bytes():
                    body += chunk
                    if len(body) > MAX_DOCUMENT_BYTES:
                        return None, f"over {MAX_DOCUMENT_BYTES:,} bytes"
        except httpx2.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        try:
            return json.loads(body), None
        except ValueError:
            return None, "not JSON"


@dataclass(frozen=True, slots=True)
class AuthLint:
    findings: list[Finding]
    #: The server wants a token (it answered 401 without one).
    signs_in: bool
    #: Its protected resource metadata (None: none found, or not looked for).
    resource: ProtectedResourceMetadata | None = None
    #: The discovery was walked (a 401, or `walk`).
    walked: bool = False


def lint_auth(
    url: str,
    *,
    timeout: float = 10.0,
    transport: httpx2.BaseTransport | None = None,
    walk: bool = False,
) -> AuthLint:
    """The findings on the OAuth discovery of the MCP server at `url` (none: no sign-in);
    `walk`: walk it even when the server serves without a token (some tools want one)."""
    with httpx2.Client(timeout=timeout, transport=transport, follow_redirects=False) as client:
        run = _Run(url, client)
        walked = _lint(run, walk)
        return AuthLint(run.findings, run.signs_in, run.resource, walked)


def _lint(run: _Run, walk: bool) -> bool:
    try:
        answer = run.client.post(
            run.url,
            json=_PROBE,
            headers={"Accept": "application/json, text/event-stream"},
        )
    except httpx2.HTTPError as exc:
        run.add("auth-probe-failed", "error", pointer("challenge"), f"{type(exc).__name__}: {exc}")
        return False
    if answer.status_code < 300:
        if not walk:
            return False  # it serves without sign-in: ChatGPT connects with "No authentication"
        resource = _protected_resource(run, None)  # mixed: some tools sign in
        if resource is not None:
            _authorization_server(run, resource)
        return True
    if answer.status_code != 401:
        run.add(
            "auth-challenge-status",
            "error",
            pointer("challenge"),
            f"an initialize without a token got HTTP {answer.status_code}, not 401: ChatGPT "
            "shows the connection as failed instead of offering to sign in",
        )
        return False
    run.signs_in = True
    named = extract_field_from_www_auth(answer, "resource_metadata")
    if named is None:
        run.add(
            "auth-challenge-metadata",
            "warning",
            pointer("challenge"),
            'the 401 has no WWW-Authenticate: Bearer resource_metadata="...": ChatGPT and '
            "other clients fall back to the well-known URLs (the path form, then the root)",
        )
    elif extract_field_from_www_auth(answer, "scope") is None:
        run.add(
            "auth-challenge-scope",
            "info",
            pointer("challenge"),
            "the 401 challenge names no scope=: ChatGPT then asks for every scope the metadata "
            "lists in scopes_supported",
        )
    resource = _protected_resource(run, named)
    if resource is not None:
        _authorization_server(run, resource)
    return True


def _parsed[M: BaseModel](model: type[M], data: Any) -> tuple[M | None, str | None]:
    try:
        return model.model_validate(data), None
    except ValidationError as exc:
        return None, first_error(exc).text("(root)")


@dataclass(frozen=True, slots=True)
class _Found[M: BaseModel]:
    """The first document along the discovery URLs: where, and the model (None: malformed)."""

    url: str
    document: M | None
    problem: str | None


def _first_document[M: BaseModel](
    run: _Run, urls: list[str], model: type[M]
) -> tuple[_Found[M] | None, list[str]]:
    """The first URL that answers with JSON, parsed as `model`; else None and every URL tried
    with why it gave nothing."""
    tried: list[str] = []
    for url in urls:
        data, problem = run.fetch(url)
        if data is None:
            tried.append(f"{url} ({problem})")
            continue
        document, problem = _parsed(model, data)
        return _Found(url, document, problem), tried
    return None, tried


def _protected_resource(run: _Run, named: str | None) -> ProtectedResourceMetadata | None:
    urls = build_protected_resource_metadata_discovery_urls(named, run.url)
    found, tried = _first_document(run, urls, ProtectedResourceMetadata)
    if found is None:
        run.add(
            "auth-prm-missing",
            "error",
            pointer("protected_resource"),
            "no protected resource metadata at " + "; ".join(tried) + ": ChatGPT reports that "
            "the server does not implement OAuth",
        )
        return None
    document = found.document
    if document is None:
        run.add(
            "auth-prm-invalid",
            "error",
            pointer("protected_resource"),
            f"{found.url}: {found.problem}",
        )
        return None
    if str(document.resource).rstrip("/") != run.url.rstrip("/"):
        run.add(
            "auth-resource-mismatch",
            "error",
            pointer("protected_resource", "resource"),
            f"{found.url} names the resource {str(document.resource)!r}, not {run.url!r}: "
            "clients discard the document, and ChatGPT's token would name another audience",
        )
    run.resource = document
    return document


def _authorization_server(run: _Run, resource: ProtectedResourceMetadata) -> None:
    issuer = str(resource.authorization_servers[0])
    urls = build_oauth_authorization_server_metadata_discovery_urls(issuer, run.url)
    found, tried = _first_document(run, urls, OAuthMetadata)
    if found is None:
        run.add(
            "auth-as-missing",
            "error",
            pointer("authorization_server"),
            f"the authorization server {issuer} has no metadata at " + "; ".join(tried) + ": "
            "ChatGPT cannot start the sign-in",
        )
        return
    if found.document is None:
        where = pointer("authorization_server")
        run.add("auth-as-invalid", "error", where, f"{found.url}: {found.problem}")
        return
    _server_metadata(run, found.url, issuer, found.document)
    _on_mcp_host(run, issuer)


def _server_metadata(run: _Run, url: str, issuer: str, document: OAuthMetadata) -> None:
    def at(key: str) -> str:
        return pointer("authorization_server", key)

    if not issuers_match(str(document.issuer), issuer):
        run.add(
            "auth-issuer-mismatch",
            "error",
            at("issuer"),
            f"{url} says issuer {str(document.issuer)!r}, but it was found as {issuer!r}: "
            "clients compare the two as strings and stop",
        )
    if "S256" not in (document.code_challenge_methods_supported or []):
        run.add(
            "auth-pkce",
            "error",
            at("code_challenge_methods_supported"),
            "S256 is not in code_challenge_methods_supported: MCP clients, ChatGPT among them, "
            "must refuse to sign in without it",
        )
    cimd = bool(document.client_id_metadata_document_supported)
    if document.registration_endpoint is None and not cimd:
        run.add(
            "auth-registration",
            "error",
            at("registration_endpoint"),
            "neither a registration_endpoint (RFC 7591) nor client_id_metadata_document_supported: "
            "ChatGPT cannot register itself; only a client made by hand for ChatGPT works",
        )
    methods = document.token_endpoint_auth_methods_supported
    if methods is None:
        run.add(
            "auth-token-methods",
            "warning",
            at("token_endpoint_auth_methods_supported"),
            "token_endpoint_auth_methods_supported is not announced, which RFC 8414 reads as "
            "client_secret_basic only: ChatGPT signs in as a public client (none) or with "
            "private_key_jwt",
        )
    elif cimd and not any(m in methods for m in _PUBLIC_METHODS):
        run.add(
            "auth-token-methods",
            "warning",
            at("token_endpoint_auth_methods_supported"),
            f"token_endpoint_auth_methods_supported is {methods}: with a Client ID Metadata "
            "Document ChatGPT uses none or private_key_jwt",
        )
    if not document.authorization_response_iss_parameter_supported:
        run.add(
            "auth-iss-parameter",
            "info",
            at("authorization_response_iss_parameter_supported"),
            "no RFC 9207 iss on authorization responses: ChatGPT then redirects to the "
            "per-connection https://chatgpt.com/connector/oauth/{callback_id} instead of the "
            "stable connector_platform_oauth_redirect; allow that URI",
        )


def _on_mcp_host(run: _Run, issuer: str) -> None:
    """ChatGPT has been seen reading the AS metadata from the MCP host itself (2025-03-26)."""
    mcp_origin = _origin(run.url)
    if _origin(issuer) == mcp_origin:
        return
    url = f"{mcp_origin}/.well-known/oauth-authorization-server"
    data, _ = run.fetch(url)
    if data is None:
        run.add(
            "auth-as-on-mcp-host",
            "info",
            pointer("authorization_server"),
            f"{url} answers nothing: ChatGPT has been seen reading the authorization server's "
            "metadata from the MCP host directly; serving a copy there avoids a failed sign-in",
        )


def _origin(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}"
