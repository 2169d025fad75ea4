"""The MCP endpoint's OAuth discovery: URLs, documents (checked with the SDK's models), the
paths that answer them, the challenges."""

from __future__ import annotations

from pathlib import Path

from mcp.shared.auth import OAuthMetadata, ProtectedResourceMetadata

from pluginlab_tui.access.resource import ProtectedResource
from pluginlab_tui.config import load_config


def resource(tmp_path: Path, **overrides: object) -> ProtectedResource | None:
    config = load_config(
        None,
        {
            "store.path": tmp_path / "s.db",
            "mcp.endpoint": "/mcp",
            "auth.mode": "oauth",
            "auth.oauth.scope": "cards profile",
            "proxy.public_url": "http://127.0.0.1:8787",
            **overrides,
        },
    )
    return ProtectedResource.from_config(config)


def test_only_oauth_in_mcp_mode_makes_a_protected_resource(tmp_path: Path) -> None:
    assert resource(tmp_path, **{"auth.mode": "none"}) is None
    assert resource(tmp_path, **{"mcp.endpoint": None}) is None
    found = resource(tmp_path)
    assert found is not None
    assert (found.issuer, found.resource) == ("http://127.0.0.1:8787", "http://127.0.0.1:8787/mcp")
    assert found.metadata_url == "http://127.0.0.1:8787/.well-known/oauth-protected-resource/mcp"


def test_the_http_sse_stream_alone_is_the_protected_resource(tmp_path: Path) -> None:
    found = resource(tmp_path, **{"mcp.endpoint": None, "mcp.sse_endpoint": "/sse"})
    assert found is not None and found.resource == "http://127.0.0.1:8787/sse"
    both = resource(tmp_path, **{"mcp.sse_endpoint": "/sse"})
    assert both is not None and both.resource == "http://127.0.0.1:8787/mcp"


def test_the_documents_are_what_the_sdk_client_reads(tmp_path: Path) -> None:
    found = resource(tmp_path)
    assert found is not None
    prm = ProtectedResourceMetadata.model_validate(found.protected_resource_metadata())
    assert str(prm.resource) == "http://127.0.0.1:8787/mcp"
    assert [str(u) for u in prm.authorization_servers] == ["http://127.0.0.1:8787"]
    assert prm.scopes_supported == ["cards", "profile"]
    assert prm.bearer_methods_supported == ["header"]
    asm = OAuthMetadata.model_validate(found.authorization_server_metadata())
    base = "http://127.0.0.1:8787/_pluginlab/oauth/"
    assert str(asm.issuer) == "http://127.0.0.1:8787"
    assert str(asm.authorization_endpoint) == base + "authorize"
    assert str(asm.token_endpoint) == base + "token"
    assert str(asm.registration_endpoint) == base + "register"
    assert str(asm.revocation_endpoint) == base + "revoke"
    assert asm.response_types_supported == ["code"]
    assert asm.grant_types_supported == ["authorization_code", "refresh_token"]
    assert asm.code_challenge_methods_supported == ["S256"]
    assert asm.token_endpoint_auth_methods_supported is not None
    assert "none" in asm.token_endpoint_auth_methods_supported
    assert asm.client_id_metadata_document_supported is True
    assert asm.authorization_response_iss_parameter_supported is True
    assert asm.scopes_supported == ["cards", "profile"]


def test_each_document_answers_on_its_root_and_path_suffixed_forms(tmp_path: Path) -> None:
    found = resource(tmp_path)
    assert found is not None
    prm = found.protected_resource_metadata()
    asm = found.authorization_server_metadata()
    assert found.document("/.well-known/oauth-protected-resource") == prm
    assert found.document("/.well-known/oauth-protected-resource/mcp") == prm
    for path in (
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-authorization-server/mcp",
        "/.well-known/openid-configuration",
        "/.well-known/openid-configuration/mcp",
    ):
        assert found.document(path) == asm, path
    for other in ("/.well-known/oauth-protected-resource/other", "/mcp", "/.well-known/x"):
        assert found.document(other) is None, other


def test_an_issuer_with_a_path_adds_its_suffixed_forms(tmp_path: Path) -> None:
    found = resource(tmp_path, **{"proxy.public_url": "https://Tunnel.Example/base/"})
    assert found is not None
    assert (found.issuer, found.resource) == (
        "https://tunnel.example/base",
        "https://tunnel.example/base/mcp",
    )
    assert (
        found.metadata_url == "https://tunnel.example/.well-known/oauth-protected-resource/base/mcp"
    )
    assert found.document("/.well-known/oauth-protected-resource/base/mcp") is not None
    assert found.document("/.well-known/oauth-authorization-server/base") is not None
    assert found.document("/base/.well-known/openid-configuration") is not None


def test_challenges_name_the_metadata_the_scope_and_what_went_wrong(tmp_path: Path) -> None:
    found = resource(tmp_path)
    assert found is not None
    url = "http://127.0.0.1:8787/.well-known/oauth-protected-resource/mcp"
    assert found.challenge() == f'Bearer resource_metadata="{url}", scope="cards profile"'
    assert found.challenge("invalid_token", 'the "token" is\nbad') == (
        f'Bearer resource_metadata="{url}", scope="cards profile", error="invalid_token",'
        " error_description=\"the 'token' is bad\""
    )
    unscoped = resource(tmp_path, **{"auth.oauth.scope": ""})
    assert unscoped is not None and unscoped.challenge() == f'Bearer resource_metadata="{url}"'


def test_scopes_supported_follow_the_tools_and_the_challenge_can_name_a_tool_s(
    tmp_path: Path,
) -> None:
    found = resource(tmp_path, **{"mcp.tool_scopes": {"delete": ["cards:delete"]}})
    assert found is not None and found.tools is not None
    found.tools.learn([{"name": "w", "securitySchemes": [{"type": "oauth2", "scopes": ["w"]}]}])
    expected = ["cards", "profile", "w", "cards:delete"]
    assert found.protected_resource_metadata()["scopes_supported"] == expected
    assert found.authorization_server_metadata()["scopes_supported"] == expected
    challenge = found.challenge("insufficient_scope", "no", scopes=("cards", "w"))
    assert 'scope="cards w"' in challenge and 'error="insufficient_scope"' in challenge


def test_an_external_issuer_is_named_and_its_metadata_is_not_served_here(tmp_path: Path) -> None:
    found = resource(tmp_path, **{"auth.oauth.issuer": "https://login.example/tenant1/"})
    assert found is not None and found.external
    prm = found.document("/.well-known/oauth-protected-resource/mcp")
    assert prm is not None
    assert prm["authorization_servers"] == ["https://login.example/tenant1/"]
    assert prm["resource"] == "http://127.0.0.1:8787/mcp"
    assert found.metadata_url == "http://127.0.0.1:8787/.well-known/oauth-protected-resource/mcp"
    assert found.document("/.well-known/oauth-authorization-server") is None
    assert found.elsewhere("/.well-known/oauth-authorization-server/mcp")
    assert not found.elsewhere("/.well-known/oauth-protected-resource")
    assert found.document("/.well-known/openid-configuration") is None
    assert found.document("/.well-known/oauth-protected-resource/tenant1") is None
