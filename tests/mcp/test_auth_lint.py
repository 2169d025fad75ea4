"""Lint of an MCP server's OAuth discovery, against real servers on loopback: an official-SDK
resource server (its 401 and protected resource metadata) in front of an authorization server
whose metadata starts as the SDK's own and is spoiled one field at a time."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.routes import build_metadata
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.server.mcpserver import MCPServer
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pluginlab_tui.mcp.auth_lint import AUTH_RULES, lint_auth
from pluginlab_tui.mcp.lint import lint_server
from tests.mcp.servers import serving, widget_server


@contextmanager
def serving_at(build: Callable[[str], Any]) -> Iterator[str]:
    """`build(base_url)` served on a free loopback port (for apps that must know their URL)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(build(base), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        yield base
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class NoTokens:
    async def verify_token(self, token: str) -> AccessToken | None:
        return None


class Documents:
    """An authorization server's metadata, starting as the SDK's, changed by each test."""

    def __init__(self, issuer: str) -> None:
        metadata = build_metadata(
            AnyHttpUrl(issuer),
            None,
            ClientRegistrationOptions(enabled=True),
            RevocationOptions(enabled=True),
        )
        self.metadata: dict[str, Any] = metadata.model_dump(mode="json", exclude_none=True)
        self.metadata["authorization_response_iss_parameter_supported"] = True

    async def serve(self, request: Request) -> Response:
        return JSONResponse(self.metadata)


@pytest.fixture(scope="module")
def authorization_server() -> Iterator[tuple[str, Documents]]:
    box: dict[str, Documents] = {}

    def build(base: str) -> Starlette:
        box["docs"] = docs = Documents(base)
        return Starlette(routes=[Route("/.well-known/oauth-authorization-server", docs.serve)])

    with serving_at(build) as base:
        yield base, box["docs"]


@pytest.fixture(scope="module")
def resource_server(authorization_server: tuple[str, Documents]) -> Iterator[str]:
    issuer, _ = authorization_server

    def build(base: str) -> Any:
        server = MCPServer(
            "guarded",
            token_verifier=NoTokens(),
            auth=AuthSettings(
                issuer_url=AnyHttpUrl(issuer),
                resource_server_url=AnyHttpUrl(f"{base}/mcp"),
                required_scopes=["cards"],
                validate_token_resource=True,
            ),
        )
        return server.streamable_http_app()

    with serving_at(build) as base:
        yield f"{base}/mcp"


@pytest.fixture
def docs(authorization_server: tuple[str, Documents]) -> Iterator[Documents]:
    documents = authorization_server[1]
    kept = dict(documents.metadata)
    yield documents
    documents.metadata = kept


def rules(findings: list[Any]) -> dict[str, str]:
    return {f.rule: f.severity for f in findings}


def test_the_sdks_own_discovery_has_nothing_worse_than_advice(
    resource_server: str, docs: Documents
) -> None:
    report = lint_auth(resource_server, timeout=5)
    assert report.signs_in
    found = rules(report.findings)
    assert set(found.values()) <= {"info"}, report.findings
    # the AS is on another origin, whose metadata is not on the MCP host too
    assert "auth-as-on-mcp-host" in found
    assert all(rule in AUTH_RULES for rule in found)


def test_a_server_without_sign_in_has_no_auth_findings() -> None:
    with serving(widget_server().streamable_http_app()) as base:
        report = lint_auth(f"{base}/mcp", timeout=5)
    assert report == type(report)([], signs_in=False)


def test_walked_anyway_a_server_without_metadata_has_none() -> None:
    """Some of its tools declare oauth2: the discovery is walked though it serves without a
    token."""
    with serving(widget_server().streamable_http_app()) as base:
        report = lint_auth(f"{base}/mcp", timeout=5, walk=True)
    assert report.walked and not report.signs_in and report.resource is None
    assert rules(report.findings) == {"auth-prm-missing": "error"}


def test_the_walk_keeps_the_metadata_found(resource_server: str, docs: Documents) -> None:
    report = lint_auth(resource_server, timeout=5)
    assert report.walked and report.resource is not None
    assert str(report.resource.resource).rstrip("/") == resource_server.rstrip("/")


@pytest.mark.parametrize(
    ("change", "rule", "severity", "says"),
    [
        ({"code_challenge_methods_supported": ["plain"]}, "auth-pkce", "error", "refuse"),
        ({"code_challenge_methods_supported": None}, "auth-pkce", "error", "S256"),
        ({"registration_endpoint": None}, "auth-registration", "error", "cannot register"),
        (
            {"token_endpoint_auth_methods_supported": None},
            "auth-token-methods",
            "warning",
            "client_secret_basic only",
        ),
        (
            {
                "client_id_metadata_document_supported": True,
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            },
            "auth-token-methods",
            "warning",
            "none or private_key_jwt",
        ),
        (
            {"authorization_response_iss_parameter_supported": None},
            "auth-iss-parameter",
            "info",
            "connector/oauth/{callback_id}",
        ),
        ({"issuer": "https://elsewhere.example/"}, "auth-issuer-mismatch", "error", "as strings"),
        ({"token_endpoint": None}, "auth-as-invalid", "error", "token_endpoint"),
    ],
)
def test_each_spoiled_field_is_reported_with_what_chatgpt_does(
    resource_server: str,
    docs: Documents,
    change: dict[str, Any],
    rule: str,
    severity: str,
    says: str,
) -> None:
    for key, value in change.items():
        if value is None:
            docs.metadata.pop(key, None)
        else:
            docs.metadata[key] = value
    findings = [f for f in lint_auth(resource_server, timeout=5).findings if f.rule == rule]
    assert [f.severity for f in findings] == [severity]
    assert says in findings[0].message


def test_cimd_support_stands_in_for_a_registration_endpoint(
    resource_server: str, docs: Documents
) -> None:
    del docs.metadata["registration_endpoint"]
    docs.metadata["client_id_metadata_document_supported"] = True
    assert "auth-registration" not in rules(lint_auth(resource_server, timeout=5).findings)


def _guard(routes: list[Route]) -> Callable[[str], Starlette]:
    def build(base: str) -> Starlette:
        return Starlette(routes=routes)

    return build


async def _refuse(request: Request) -> Response:
    return JSONResponse({"error": "unauthorized"}, status_code=401)


def test_a_bare_401_without_any_metadata() -> None:
    with serving_at(_guard([Route("/mcp", _refuse, methods=["POST"])])) as base:
        found = rules(lint_auth(f"{base}/mcp", timeout=5).findings)
    assert found == {"auth-challenge-metadata": "warning", "auth-prm-missing": "error"}


def test_a_resource_that_is_not_the_server() -> None:
    async def metadata(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return JSONResponse({"resource": f"{base}/other", "authorization_servers": [base]})

    routes = [
        Route("/mcp", _refuse, methods=["POST"]),
        Route("/.well-known/oauth-protected-resource/mcp", metadata),
    ]
    with serving_at(_guard(routes)) as base:
        findings = lint_auth(f"{base}/mcp", timeout=5).findings
    (mismatch,) = [f for f in findings if f.rule == "auth-resource-mismatch"]
    assert "/other" in mismatch.message and "audience" in mismatch.message
    assert "auth-as-missing" in rules(findings)


def test_a_refusal_that_is_not_a_401() -> None:
    async def forbid(request: Request) -> Response:
        return Response(status_code=403)

    with serving_at(_guard([Route("/mcp", forbid, methods=["POST"])])) as base:
        found = rules(lint_auth(f"{base}/mcp", timeout=5).findings)
    assert found == {"auth-challenge-status": "error"}


def test_lint_of_a_guarded_server_without_a_token_says_its_tools_were_not_linted(
    resource_server: str, docs: Documents
) -> None:
    findings = lint_server(resource_server, timeout=5)
    assert findings[-1].rule == "auth-token-needed"
    assert "--token" in findings[-1].message
