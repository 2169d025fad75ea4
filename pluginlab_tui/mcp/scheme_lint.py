"""Lint the tools' `securitySchemes` against the server's auth (`lint --mcp`), from a listing
and what the discovery walk found (mcp/auth_lint.py). Each finding says what ChatGPT does.

Pure: no network here. Findings are plugin/findings.py's, `pointer` into the listing's JSON
form as mcp/lint.py's.
"""

from __future__ import annotations

from typing import Any

from pluginlab_tui.contract.document import pointer
from pluginlab_tui.mcp.auth_lint import AuthLint
from pluginlab_tui.mcp.client import Listing
from pluginlab_tui.mcp.security import problems, schemes
from pluginlab_tui.plugin.findings import Finding, Severity

#: rule id -> (its severities, what it reports), as lint.RULES.
SCHEME_RULES: dict[str, tuple[str, str]] = {
    "apps-security-schemes": (
        "error, warning",
        "securitySchemes malformed (error), or its _meta mirror saying something else (warning)",
    ),
    "apps-scheme-no-discovery": (
        "error",
        "a tool declares oauth2 but the server has no protected resource metadata",
    ),
    "apps-noauth-needs-token": (
        "error, warning",
        "tools declare noauth but the server wants a token for initialize (error when every "
        "tool is noauth only)",
    ),
    "apps-scope-unsupported": (
        "warning",
        "a tool's oauth2 scope is not in the protected resource metadata's scopes_supported",
    ),
}


def wants_sign_in(listing: Listing) -> bool:
    """Some tool declares an oauth2 scheme (then the discovery matters even when the server
    serves without a token)."""
    return any((found := schemes(t)) is not None and found.oauth2 for t in listing.tools)


def lint_schemes(listing: Listing, auth: AuthLint) -> list[Finding]:
    findings: list[Finding] = []

    def add(rule: str, severity: Severity, where: str, message: str) -> None:
        findings.append(Finding(rule, severity, listing.url, None, None, where, message))

    declared: list[tuple[int, str, Any]] = []
    for index, tool in enumerate(listing.tools):
        label = f"tool {tool.get('name')!r}"
        for where, problem in problems(tool):
            severity: Severity = "warning" if "differs" in problem else "error"
            path = ["tools", str(index), *where.split(".")]
            add(
                "apps-security-schemes",
                severity,
                pointer(*path),
                f"{label}: {problem}: ChatGPT then applies the server's own auth to it",
            )
        found = schemes(tool)
        if found is not None:
            declared.append((index, label, found))
    supported = None if auth.resource is None else auth.resource.scopes_supported
    for index, label, found in declared:
        where = pointer("tools", str(index), "securitySchemes")
        if found.oauth2 and auth.walked and auth.resource is None:
            add(
                "apps-scheme-no-discovery",
                "error",
                where,
                f"{label} declares oauth2 but the server has no protected resource metadata: "
                "ChatGPT cannot link an account for it, and its calls fail",
            )
        missing = [s for s in found.scopes if supported is not None and s not in supported]
        if missing:
            add(
                "apps-scope-unsupported",
                "warning",
                where,
                f"{label} needs {' '.join(missing)!r}, not in scopes_supported {supported}: "
                "ChatGPT asks at sign-in for what the metadata lists, so its token lacks it and "
                "the call asks the user to sign in again (or fails where the server refuses an "
                "unknown scope)",
            )
    open_tools = [(i, label) for i, label, found in declared if found.open]
    if auth.signs_in and open_tools:
        only = len(open_tools) == len(listing.tools) and not any(
            found.oauth2 for _, _, found in declared
        )
        index, label = open_tools[0]
        others = f" and {len(open_tools) - 1} more" if len(open_tools) > 1 else ""
        add(
            "apps-noauth-needs-token",
            "error" if only else "warning",
            pointer("tools", str(index), "securitySchemes"),
            f"{label}{others} declare noauth, but an initialize without a token gets 401: "
            "ChatGPT sends initialize and tools/list without a token for noauth tools, so "
            + (
                "every user must sign in before any tool works"
                if only
                else "no tool works until the user signs in"
            ),
        )
    return findings
