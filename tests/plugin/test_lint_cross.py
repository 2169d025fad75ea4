"""Rules across the files: api.url against servers, manifest auth against spec security."""

from __future__ import annotations

from typing import Any

import pytest

from tests.plugin.conftest import Lint, rules


def test_api_url_and_servers_on_other_domains(
    lint: Lint, manifest: dict[str, Any], spec: dict[str, Any]
) -> None:
    assert lint(manifest, spec) == []
    spec["servers"] = [{"url": "https://api.pluginlab.dev/v1"}]
    assert lint(manifest, spec) == []  # same second-level domain: spec and API may be split
    spec["servers"] = [{"url": "https://graph.microsoft.com/v1.0"}]
    (finding,) = lint(manifest, spec)
    assert (finding.rule, finding.severity, finding.file) == (
        "servers-api-url-mismatch",
        "warning",
        "openapi.yaml",
    )
    assert finding.pointer == "/servers/0/url" and finding.line is not None


def test_no_mismatch_when_either_side_is_unknown(
    lint: Lint, manifest: dict[str, Any], spec: dict[str, Any]
) -> None:
    spec["servers"] = [{"url": "PLUGIN_HOSTNAME"}]
    assert "servers-api-url-mismatch" not in rules(lint(manifest, spec))
    manifest["api"]["url"] = "/openapi.yaml"
    spec["servers"] = [{"url": "https://graph.microsoft.com"}]
    assert "servers-api-url-mismatch" not in rules(lint(manifest, spec))


def _auth_findings(lint: Lint, manifest: dict[str, Any], spec: dict[str, Any]) -> list[Any]:
    return [f for f in lint(manifest, spec) if f.rule == "auth-security-mismatch"]


def test_manifest_none_but_spec_requires_security(
    lint: Lint, manifest: dict[str, Any], spec: dict[str, Any]
) -> None:
    manifest["auth"] = {"type": "none"}
    (finding,) = _auth_findings(lint, manifest, spec)
    assert finding.severity == "warning" and "bearer" in finding.message
    spec["security"] = [{}, {"bearer": []}]  # optional auth is fine
    assert _auth_findings(lint, manifest, spec) == []


def test_manifest_oauth_but_spec_has_only_an_api_key(
    lint: Lint, manifest: dict[str, Any], spec: dict[str, Any]
) -> None:
    manifest["auth"] = {
        "type": "oauth",
        "client_url": "https://todo.pluginlab.dev/authorize",
        "scope": "",
        "authorization_url": "https://todo.pluginlab.dev/token",
        "authorization_content_type": "application/json",
        "verification_tokens": {"openai": "abc0123"},
    }
    assert _auth_findings(lint, manifest, spec) == []  # http bearer carries the access token
    spec["components"]["securitySchemes"] = {"key": {"type": "apiKey", "in": "query", "name": "k"}}
    spec["security"] = [{"key": []}]
    (finding,) = _auth_findings(lint, manifest, spec)
    assert finding.severity == "warning" and "apiKey" in finding.message
    spec["components"]["securitySchemes"]["oauth"] = {
        "type": "oauth2",
        "flows": {
            "authorizationCode": {
                "authorizationUrl": "https://a",
                "tokenUrl": "https://b",
                "scopes": {},
            }
        },
    }
    (finding,) = _auth_findings(lint, manifest, spec)  # declared, but the spec requires 'key'
    assert "key" in finding.message


@pytest.mark.parametrize(
    ("authorization_type", "scheme", "fits"),
    [
        ("bearer", {"type": "http", "scheme": "bearer"}, True),
        ("basic", {"type": "http", "scheme": "basic"}, True),
        ("basic", {"type": "http", "scheme": "bearer"}, False),
        ("bearer", {"type": "apiKey", "in": "header", "name": "Authorization"}, True),
        ("bearer", {"type": "apiKey", "in": "header", "name": "X-Api-Key"}, False),
    ],
)
def test_http_auth_against_schemes(
    lint: Lint,
    manifest: dict[str, Any],
    spec: dict[str, Any],
    authorization_type: str,
    scheme: dict[str, Any],
    fits: bool,
) -> None:
    manifest["auth"]["authorization_type"] = authorization_type
    spec["components"]["securitySchemes"] = {"bearer": scheme}
    assert (_auth_findings(lint, manifest, spec) == []) is fits


def test_no_security_schemes_is_advice(
    lint: Lint, manifest: dict[str, Any], spec: dict[str, Any]
) -> None:
    del spec["components"]["securitySchemes"]
    del spec["security"]
    (finding,) = _auth_findings(lint, manifest, spec)
    assert finding.severity == "info"
