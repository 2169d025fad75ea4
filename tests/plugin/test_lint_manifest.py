"""Manifest rules: each breaks on a mutated copy of the clean fixture and is silent on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pluginlab_tui.config import Limits
from tests.plugin.conftest import Lint, good_manifest, rules

Mutate = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutate:
    def mutate(m: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = m
        for p in parents:
            node = node[p]
        node[last] = value

    return mutate


def _delete(path: str) -> Mutate:
    def mutate(m: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = m
        for p in parents:
            node = node[p]
        del node[last]

    return mutate


OAUTH = {
    "type": "oauth",
    "client_url": "https://todo.pluginlab.dev/oauth/authorize",
    "scope": "todos",
    "authorization_url": "https://todo.pluginlab.dev/oauth/token",
    "authorization_content_type": "application/json",
    "verification_tokens": {"openai": "0123456789abcdef"},
}

# (rule, severity, how to break it)
CASES: list[tuple[str, str, Mutate]] = [
    ("required-field", "error", _delete("description_for_model")),
    ("required-field", "error", _delete("api.url")),
    ("field-type", "error", _set("name_for_human", 42)),
    ("field-type", "error", _set("auth", "none")),
    ("unknown-field", "warning", _set("permissions", ["tabs"])),
    ("schema-version", "error", _set("schema_version", "v1.0.1")),
    ("name-for-model-chars", "error", _set("name_for_model", "todo lab")),
    ("name-for-model-chars", "error", _set("name_for_model", "todo-lab")),
    ("name-for-model-underscore", "warning", _set("name_for_model", "todo_lab")),
    ("name-for-model-length", "error", _set("name_for_model", "a" * 51)),
    ("name-for-human-length", "warning", _set("name_for_human", "A TODO list with a long name")),
    ("description-for-human-length", "warning", _set("description_for_human", "d" * 101)),
    ("description-for-model-length", "error", _set("description_for_model", "d" * 8001)),
    ("empty-field", "error", _set("description_for_model", "  ")),
    ("auth-type", "error", _set("auth", {"type": "apikey"})),
    ("auth-type", "error", _set("auth", {"instructions": "none"})),
    ("auth-missing-key", "error", _delete("auth.verification_tokens")),
    ("auth-missing-key", "error", _set("auth", {"type": "user_http"})),
    (
        "auth-missing-key",
        "error",
        _set(
            "auth",
            {**OAUTH, "authorization_content_type": None}
            and {k: v for k, v in OAUTH.items() if k != "scope"},
        ),
    ),
    ("auth-authorization-type", "error", _set("auth.authorization_type", "token")),
    ("auth-unknown-key", "warning", _set("auth.permissions", ["tabs", "contextMenus"])),
    ("auth-verification-tokens", "error", _set("auth.verification_tokens", "abc")),
    ("auth-verification-tokens", "error", _set("auth.verification_tokens", {"other": "x1"})),
    (
        "auth-verification-tokens",
        "error",
        _set("auth.verification_tokens", {"openai": "a", "open-ai": "b"}),
    ),
    (
        "placeholder",
        "error",
        _set("auth.verification_tokens", {"openai": "your-verification-token"}),
    ),
    (
        "placeholder",
        "error",
        _set("auth.verification_tokens", {"openai": "<token from add plugin flow>"}),
    ),
    (
        "placeholder",
        "error",
        _set("auth", {**OAUTH, "client_url": "e.g. https://<your domain>/oauth"}),
    ),
    ("auth-url", "error", _set("auth", {**OAUTH, "authorization_url": "/oauth/token"})),
    ("auth-url", "error", _set("auth", {**OAUTH, "client_url": "http://localhost:3333/authorize"})),
    (
        "auth-content-type",
        "warning",
        _set("auth", {**OAUTH, "authorization_content_type": "text/plain"}),
    ),
    ("api-type", "error", _set("api.type", "none")),
    ("api-url-relative", "error", _set("api.url", "/openapi.json")),
    ("api-url-relative", "error", _set("api.url", "")),
    ("placeholder", "error", _set("api.url", "$host/.well-known/openapi.yaml")),
    ("placeholder", "error", _set("api.url", "PLUGIN_HOSTNAME/openapi.yaml")),
    ("placeholder", "error", _set("api.url", "https://your-app-url.com/.well-known/openapi.yaml")),
    ("localhost-url", "warning", _set("api.url", "http://localhost:5003/openapi.yaml")),
    ("localhost-url", "warning", _set("logo_url", "http://127.0.0.1:5003/logo.png")),
    ("plain-http-url", "warning", _set("api.url", "http://todo.pluginlab.dev/openapi.yaml")),
    ("malformed-url", "warning", _set("legal_info_url", "legal.html")),
    ("malformed-url", "warning", _set("logo_url", "logo.png")),
    ("logo-gif", "warning", _set("logo_url", "https://todo.pluginlab.dev/logo.gif")),
    ("malformed-email", "warning", _set("contact_email", "support at pluginlab.dev")),
    ("placeholder", "warning", _set("contact_email", "support@example.com")),
    ("field-type", "warning", _set("api.is_user_authenticated", "yes")),
]


@pytest.mark.parametrize(
    ("rule", "severity", "mutate"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule_fails_on_the_broken_manifest(
    lint: Lint, manifest: dict[str, Any], rule: str, severity: str, mutate: Mutate
) -> None:
    mutate(manifest)
    found = [f for f in lint(manifest) if f.rule == rule]
    assert found, f"{rule} not reported"
    assert {f.severity for f in found} == {severity}
    assert all(f.file == "ai-plugin.json" and f.line is not None for f in found)


def test_the_clean_manifest_has_no_findings(lint: Lint) -> None:
    assert lint(good_manifest(), domain="pluginlab.dev") == []


def test_all_auth_types_pass_when_complete(lint: Lint, manifest: dict[str, Any]) -> None:
    for auth in (
        {"type": "none"},
        {"type": "user_http", "authorization_type": "basic"},
        {
            "type": "service_http",
            "authorization_type": "basic",
            "verification_tokens": {"openai": "f00d"},
        },
        OAUTH,
        {**OAUTH, "instructions": "Sign in with your TODO account."},
    ):
        manifest["auth"] = auth
        assert lint(manifest) == [], auth


def test_legacy_api_keys_are_accepted(lint: Lint, manifest: dict[str, Any]) -> None:
    manifest["api"]["is_user_authenticated"] = False
    manifest["api"]["has_user_authentication"] = True
    assert lint(manifest) == []


def test_a_finding_points_at_the_line_of_the_field(lint: Lint, manifest: dict[str, Any]) -> None:
    manifest["name_for_human"] = "A TODO list with a long name"
    (finding,) = lint(manifest)
    text_lines = __import__("json").dumps(manifest, indent=2).splitlines()
    assert '"name_for_human"' in text_lines[finding.line - 1]  # type: ignore[operator]
    assert finding.pointer == "/name_for_human"
    assert finding.column == text_lines[finding.line - 1].index('"name_for_human"') + 1  # type: ignore[operator]


def test_limits_are_configurable(lint: Lint, manifest: dict[str, Any]) -> None:
    manifest["name_for_human"] = "A TODO list, 26 chars long"
    assert "name-for-human-length" in rules(lint(manifest))
    assert lint(manifest, limits=Limits(name_for_human=50)) == []
    manifest["description_for_model"] = "d" * 120
    assert "description-for-model-length" in rules(
        lint(manifest, limits=Limits(description_for_model=100))
    )


def test_localhost_is_only_advice_when_served_locally(lint: Lint, manifest: dict[str, Any]) -> None:
    manifest["api"]["url"] = "http://localhost:8787/openapi.yaml"
    (finding,) = lint(manifest, public_url="http://localhost:8787")
    assert (finding.rule, finding.severity) == ("localhost-url", "info")
    found = lint(manifest, public_url="https://abc.ngrok.app")
    assert [f.severity for f in found if f.rule == "localhost-url"] == ["warning"]


class TestDomainRules:
    def test_no_root_domain_no_domain_rule(self, lint: Lint, manifest: dict[str, Any]) -> None:
        manifest["legal_info_url"] = "https://github.com/me/todo"
        assert lint(manifest) == []
        assert lint(manifest, public_url="http://localhost:8787") == []

    def test_api_url_on_the_root_domain_or_a_subdomain(
        self, lint: Lint, manifest: dict[str, Any]
    ) -> None:
        assert lint(manifest, domain="www.pluginlab.dev") == []
        assert lint(manifest, domain="todo.pluginlab.dev") == []
        found = lint(manifest, domain="other.dev")
        assert {"domain-api-url", "domain-legal-info-url", "domain-contact-email"} <= rules(
            found, "warning"
        )

    def test_the_root_domain_comes_from_public_url_else(
        self, lint: Lint, manifest: dict[str, Any]
    ) -> None:
        assert lint(manifest, public_url="https://www.pluginlab.dev") == []
        assert "domain-api-url" in rules(lint(manifest, public_url="https://abc.ngrok.app"))
        assert "domain-api-url" not in rules(
            lint(manifest, domain="pluginlab.dev", public_url="https://abc.ngrok.app")
        )

    def test_legal_and_contact_on_the_same_second_level_domain(
        self, lint: Lint, manifest: dict[str, Any]
    ) -> None:
        manifest["legal_info_url"] = "https://legal.pluginlab.dev/terms"
        manifest["contact_email"] = "me@mail.pluginlab.dev"
        assert lint(manifest, domain="todo.pluginlab.dev") == []
        manifest["legal_info_url"] = "https://github.com/me/todo"
        manifest["contact_email"] = "me@gmail.com"
        found = rules(lint(manifest, domain="todo.pluginlab.dev"))
        assert {"domain-legal-info-url", "domain-contact-email"} <= found

    def test_public_suffixes_count(self, lint: Lint, manifest: dict[str, Any]) -> None:
        manifest["api"]["url"] = "https://todo.example.co.uk/openapi.yaml"
        manifest["logo_url"] = "https://todo.example.co.uk/logo.png"
        manifest["legal_info_url"] = "https://www.example.co.uk/legal"
        manifest["contact_email"] = "a@example.co.uk"
        assert lint(manifest, domain="todo.example.co.uk") == []
        manifest["legal_info_url"] = "https://other.co.uk/legal"
        assert "domain-legal-info-url" in rules(lint(manifest, domain="todo.example.co.uk"))


def test_not_an_object_and_yaml_manifest(lint: Lint) -> None:
    assert rules(lint("[1, 2]")) == {"manifest-not-object"}
    assert "manifest-not-json" in rules(lint("schema_version: v1\n"))
    assert rules(lint("{broken")) == {"parse-error"}
