"""Spec rules: each breaks on a mutated copy of the clean fixture and is silent on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pluginlab_tui.config import Limits
from tests.plugin.conftest import Lint, good_spec, rules

Mutate = Callable[[dict[str, Any]], None]


def _op(spec: dict[str, Any], path: str = "/todos", method: str = "get") -> dict[str, Any]:
    op: dict[str, Any] = spec["paths"][path][method]
    return op


def _missing_operation_id(s: dict[str, Any]) -> None:
    del _op(s)["operationId"]


def _duplicate_operation_id(s: dict[str, Any]) -> None:
    _op(s, "/todos", "post")["operationId"] = "listTodos"


def _spaced_operation_id(s: dict[str, Any]) -> None:
    _op(s)["operationId"] = "list todos"


def _long_summary(s: dict[str, Any]) -> None:
    _op(s)["summary"] = "s" * 201


def _long_param(s: dict[str, Any]) -> None:
    _op(s)["parameters"][0]["description"] = "p" * 201


def _long_body_property(s: dict[str, Any]) -> None:
    s["components"]["schemas"]["Todo"]["properties"]["text"]["description"] = "p" * 201


def _no_description(s: dict[str, Any]) -> None:
    del _op(s)["summary"]


def _unresolved_ref(s: dict[str, Any]) -> None:
    _op(s)["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] = (
        "#/components/schema/TodoList"
    )


def _external_ref(s: dict[str, Any]) -> None:
    _op(s)["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] = "other.yaml#/X"


def _no_schema(s: dict[str, Any]) -> None:
    del _op(s)["responses"]["200"]["content"]


def _media_without_schema(s: dict[str, Any]) -> None:
    _op(s)["responses"]["200"]["content"]["text/plain"] = {}


def _no_operations(s: dict[str, Any]) -> None:
    s["paths"] = {}


def _invalid(s: dict[str, Any]) -> None:
    _op(s)["parameters"][0]["in"] = "body"


def _semantic(s: dict[str, Any]) -> None:
    _op(s)["parameters"][0]["schema"]["default"] = "ten"


def _set(key: str, value: Any) -> Mutate:
    def mutate(s: dict[str, Any]) -> None:
        s[key] = value

    return mutate


def _drop(key: str) -> Mutate:
    def mutate(s: dict[str, Any]) -> None:
        del s[key]

    return mutate


def _server(url: str) -> Mutate:
    return _set("servers", [{"url": url}])


CASES: list[tuple[str, str, Mutate]] = [
    ("openapi-missing", "error", _drop("openapi")),
    ("openapi-not-string", "error", _set("openapi", 3.1)),
    ("openapi-stray-quotes", "error", _set("openapi", '"3.1.0"')),
    ("openapi-version", "error", _set("openapi", "3.1")),
    ("openapi-version", "error", _set("openapi", "2.0")),
    ("openapi-version", "warning", _set("openapi", "3.1.3")),
    ("openapi-schema", "error", _invalid),
    ("openapi-schema", "error", _drop("info")),
    ("openapi-semantics", "warning", _semantic),
    ("no-operations", "error", _no_operations),
    ("operation-id-missing", "error", _missing_operation_id),
    ("operation-id-duplicate", "error", _duplicate_operation_id),
    ("operation-id-spaces", "error", _spaced_operation_id),
    ("endpoint-description-length", "warning", _long_summary),
    ("parameter-description-length", "warning", _long_param),
    ("parameter-description-length", "warning", _long_body_property),
    ("operation-description-missing", "info", _no_description),
    ("ref-unresolved", "error", _unresolved_ref),
    ("ref-external", "info", _external_ref),
    ("response-schema-missing", "warning", _no_schema),
    ("response-schema-missing", "warning", _media_without_schema),
    ("servers-missing", "warning", _drop("servers")),
    ("servers-missing", "warning", _set("servers", [])),
    (
        "servers-multiple",
        "info",
        _set("servers", [{"url": "https://a.pluginlab.dev"}, {"url": "https://b.pluginlab.dev"}]),
    ),
    ("server-relative", "warning", _server("/api")),
    ("server-templated", "warning", _server("https://{region}.pluginlab.dev")),
    ("server-placeholder", "warning", _server("PLUGIN_HOSTNAME")),
    ("server-placeholder", "warning", _server("https://your-app-url.com")),
    ("localhost-url", "warning", _server("http://localhost:5003")),
    ("plain-http-url", "warning", _server("http://todo.pluginlab.dev")),
]


@pytest.mark.parametrize(
    ("rule", "severity", "mutate"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule_fails_on_the_broken_spec(
    lint: Lint, spec: dict[str, Any], rule: str, severity: str, mutate: Mutate
) -> None:
    mutate(spec)
    found = [f for f in lint(spec=spec) if f.rule == rule]
    assert found, f"{rule} not reported"
    assert {f.severity for f in found} == {severity}
    assert all(f.file == "openapi.yaml" and f.line is not None for f in found)


def test_the_clean_spec_has_no_findings(lint: Lint) -> None:
    assert lint(spec=good_spec()) == []
    assert lint(spec=good_spec(), profile="actions") == []


def test_openapi_3_1_is_validated_too(lint: Lint, spec: dict[str, Any]) -> None:
    spec["openapi"] = "3.1.0"
    assert lint(spec=spec) == []
    spec["components"]["schemas"]["Todo"]["properties"]["id"]["type"] = "integer | string"
    assert "openapi-semantics" in rules(lint(spec=spec))


def test_the_yaml_float_version_is_named_as_such(lint: Lint) -> None:
    text = "openapi: 3.1\ninfo: {title: t, version: '1'}\npaths: {}\n"
    (finding,) = [f for f in lint(spec=text) if f.rule == "openapi-not-string"]
    assert "float" in finding.message and '"3.1.0"' in finding.message
    assert (finding.line, finding.column) == (1, 1)


def test_stray_quotes_are_named_as_such(lint: Lint) -> None:
    text = '{"openapi": "\\"3.1.0\\"", "info": {"title": "t", "version": "1"}, "paths": {}}'
    (finding,) = [f for f in lint(spec=text) if f.rule == "openapi-stray-quotes"]
    assert "quotes" in finding.message and finding.column == 2


def test_a_json_error_body_is_recognised(lint: Lint) -> None:
    (finding,) = lint(spec='{"error": "Unauthorized"}', spec_name="openapi.json")
    assert finding.rule == "openapi-missing" and "error response" in finding.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("<!DOCTYPE html><html><body>Just a moment...</body></html>", "HTML"),
        (" openapi: 3.1.0\ninfo:\n  title: x\n", "YAML"),
        ("\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("{not json", "JSON"),
    ],
)
def test_what_does_not_parse_is_one_error(lint: Lint, text: str, words: str) -> None:
    (finding,) = lint(spec=text)
    assert (finding.rule, finding.severity) == ("parse-error", "error")
    assert words in finding.message


def test_a_plain_string_is_not_a_spec(lint: Lint) -> None:
    assert rules(lint(spec="Not Found")) == {"spec-not-object"}


def test_swagger_2_is_unsupported(lint: Lint) -> None:
    found = lint(spec={"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}})
    assert "openapi-version" in rules(found, "error")


def test_actions_limits_and_severity(lint: Lint, spec: dict[str, Any]) -> None:
    _op(spec)["description"] = "d" * 250
    _op(spec)["parameters"][0]["description"] = "p" * 500
    assert {"endpoint-description-length", "parameter-description-length"} <= rules(lint(spec=spec))
    assert lint(spec=spec, profile="actions") == []
    _op(spec)["description"] = "d" * 301
    _op(spec)["parameters"][0]["description"] = "p" * 701
    found = lint(spec=spec, profile="actions")
    assert {"endpoint-description-length", "parameter-description-length"} <= rules(found, "error")


def test_description_limits_are_configurable(lint: Lint, spec: dict[str, Any]) -> None:
    _op(spec)["summary"] = "s" * 250
    assert lint(spec=spec, limits=Limits(endpoint_description=300)) == []
    assert "endpoint-description-length" in rules(
        lint(spec=spec, limits=Limits(endpoint_description=20))
    )


def test_is_consequential_noted_in_the_actions_profile(lint: Lint, spec: dict[str, Any]) -> None:
    _op(spec, "/todos", "post")["x-openai-isConsequential"] = False
    assert lint(spec=spec) == []
    (finding,) = lint(spec=spec, profile="actions")
    assert (finding.rule, finding.severity) == ("is-consequential", "info")
    assert finding.pointer == "/paths/~1todos/post/x-openai-isConsequential"
    _op(spec, "/todos", "post")["x-openai-isConsequential"] = "yes"
    assert rules(lint(spec=spec, profile="actions"), "warning") == {"is-consequential"}


def test_positions_point_into_the_yaml(lint: Lint) -> None:
    text = (
        "openapi: 3.0.1\ninfo: {title: t, version: '1'}\nservers:\n  - url: https://a.dev\n"
        "paths:\n  /a:\n    get:\n      summary: A.\n      responses:\n        '204':\n"
        "          description: none\n"
    )
    (finding,) = lint(spec=text)
    assert finding.rule == "operation-id-missing"
    assert (finding.line, finding.column) == (7, 5)
