"""mcp/scheme_lint.py: the tools' securitySchemes against what the discovery walk found."""

from __future__ import annotations

from typing import Any

from mcp.shared.auth import ProtectedResourceMetadata

from pluginlab_tui.mcp.auth_lint import AuthLint
from pluginlab_tui.mcp.client import Listing
from pluginlab_tui.mcp.scheme_lint import SCHEME_RULES, lint_schemes, wants_sign_in

URL = "https://app.example/mcp"
NOAUTH = [{"type": "noauth"}]


def listing(*tools: dict[str, Any]) -> Listing:
    return Listing(URL, "streamable-http", "2025-06-18", tools=list(tools))


def prm(*scopes: str) -> ProtectedResourceMetadata:
    return ProtectedResourceMetadata.model_validate(
        {
            "resource": URL,
            "authorization_servers": ["https://as.example"],
            "scopes_supported": list(scopes),
        }
    )


def found(tools: Listing, auth: AuthLint) -> list[tuple[str, str, str]]:
    return [(f.rule, f.severity, f.pointer) for f in lint_schemes(tools, auth)]


def oauth2(*scopes: str) -> list[dict[str, Any]]:
    return [{"type": "oauth2", "scopes": list(scopes)}]


def test_an_oauth2_tool_on_a_server_without_discovery() -> None:
    tools = listing({"name": "write", "securitySchemes": oauth2("w")})
    assert wants_sign_in(tools)
    findings = lint_schemes(tools, AuthLint([], signs_in=False, resource=None, walked=True))
    assert [(f.rule, f.severity) for f in findings] == [("apps-scheme-no-discovery", "error")]
    assert "cannot link an account" in findings[0].message


def test_a_scope_the_metadata_does_not_list() -> None:
    tools = listing(
        {"name": "write", "_meta": {"securitySchemes": oauth2("w", "r")}},
        {"name": "read", "securitySchemes": oauth2("r")},
    )
    auth = AuthLint([], signs_in=True, resource=prm("r"), walked=True)
    findings = lint_schemes(tools, auth)
    assert [(f.rule, f.pointer) for f in findings] == [
        ("apps-scope-unsupported", "/tools/0/securitySchemes")
    ]
    assert "'w'" in findings[0].message and "sign in again" in findings[0].message


def test_noauth_tools_on_a_server_that_wants_a_token() -> None:
    auth = AuthLint([], signs_in=True, resource=prm(), walked=True)
    only = listing(
        {"name": "a", "securitySchemes": NOAUTH}, {"name": "b", "securitySchemes": NOAUTH}
    )
    assert found(only, auth) == [("apps-noauth-needs-token", "error", "/tools/0/securitySchemes")]
    mixed = listing({"name": "a", "securitySchemes": NOAUTH}, {"name": "b"})
    assert found(mixed, auth) == [
        ("apps-noauth-needs-token", "warning", "/tools/0/securitySchemes")
    ]
    served = AuthLint([], signs_in=False, resource=prm(), walked=True)
    assert found(mixed, served) == []
    assert not wants_sign_in(mixed)


def test_malformed_schemes_and_a_mirror_that_differs() -> None:
    tools = listing(
        {"name": "a", "securitySchemes": [{"type": "apiKey"}]},
        {"name": "b", "securitySchemes": NOAUTH, "_meta": {"securitySchemes": oauth2()}},
    )
    auth = AuthLint([], signs_in=False)
    assert found(tools, auth) == [
        ("apps-security-schemes", "error", "/tools/0/securitySchemes"),
        ("apps-security-schemes", "warning", "/tools/1/_meta/securitySchemes"),
    ]
    rules = {f.rule for f in lint_schemes(tools, auth)}
    assert rules <= set(SCHEME_RULES)
