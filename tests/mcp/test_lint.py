"""mcp/lint.py: every rule with a failing and a passing twin, on listings of real SDK servers."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pluginlab_tui.examples import Backend
from pluginlab_tui.mcp.client import Listing, Read, list_server
from pluginlab_tui.mcp.lint import APP_MIME, RULES, lint_listing, lint_server, schema_problem
from tests.mcp.servers import WIDGET, http_app, serving, widget_server

Mutation = Callable[[Listing], None]


@pytest.fixture(scope="module")
def clean() -> Iterator[Listing]:
    """The listing of the test widget server, as the client fetched it."""
    with serving(http_app(widget_server())) as url:
        yield list_server(url + "/mcp")


def _tool(listing: Listing, name: str = "get_weather") -> dict[str, Any]:
    return next(t for t in listing.tools if t["name"] == name)


def _set(path: str, value: Any, name: str = "get_weather") -> Mutation:
    def mutate(listing: Listing) -> None:
        target = _tool(listing, name)
        *parents, last = path.split(".")
        for key in parents:
            target = target.setdefault(key, {})
        target[last] = value

    return mutate


def _drop(path: str, name: str = "get_weather") -> Mutation:
    def mutate(listing: Listing) -> None:
        target = _tool(listing, name)
        *parents, last = path.split(".")
        for key in parents:
            target = target[key]
        del target[last]

    return mutate


def _meta(key: str, value: Any) -> Mutation:
    def mutate(listing: Listing) -> None:
        _tool(listing)["_meta"][key] = value

    return mutate


def _duplicate(listing: Listing) -> None:
    listing.tools.append(copy.deepcopy(listing.tools[0]))


def _no_tools(listing: Listing) -> None:
    listing.tools.clear()


def _unlist_widget(listing: Listing) -> None:
    listing.resources[:] = [r for r in listing.resources if r["uri"] != WIDGET]


def _lose_widget(listing: Listing) -> None:
    _unlist_widget(listing)
    listing.reads[WIDGET] = Read(WIDGET, error="JSON-RPC error -32602: Unknown resource")


def _unreadable_widget(listing: Listing) -> None:
    listing.reads[WIDGET] = Read(WIDGET, error="JSON-RPC error -32603: boom")


def _empty_widget(listing: Listing) -> None:
    listing.reads[WIDGET] = Read(WIDGET, contents=[{"uri": WIDGET, "mimeType": APP_MIME}])


def _mime(value: str) -> Mutation:
    def mutate(listing: Listing) -> None:
        for content in listing.reads[WIDGET].contents:
            content["mimeType"] = value
        for resource in listing.resources:
            resource["mimeType"] = value

    return mutate


def _csp(form: str, value: Any) -> Mutation:
    def mutate(listing: Listing) -> None:
        resource = next(r for r in listing.resources if r["uri"] == WIDGET)
        if form == "ui.csp":
            resource["_meta"]["ui"]["csp"] = value
        else:
            resource["_meta"][form] = value

    return mutate


def _uri_template(value: str) -> Mutation:
    def mutate(listing: Listing) -> None:
        listing.resource_templates[0]["uriTemplate"] = value

    return mutate


def _failed_list(listing: Listing) -> None:
    listing.errors["prompts/list"] = "JSON-RPC error -32603: boom"


def _truncated(listing: Listing) -> None:
    listing.truncated.append("tools/list: stopped after 100 pages")


def _modern(version: str) -> Mutation:
    def mutate(listing: Listing) -> None:
        listing.protocol_version = version
        _tool(listing)["outputSchema"] = {"type": "array", "items": {"type": "string"}}

    return mutate


CASES: list[tuple[str, Mutation, str, str]] = [
    ("failed list", _failed_list, "mcp-list-failed", "error"),
    ("truncated", _truncated, "mcp-list-truncated", "warning"),
    ("no tools", _no_tools, "mcp-no-tools", "warning"),
    ("name with a space", _set("name", "get weather"), "mcp-tool-name", "error"),
    ("name too long", _set("name", "x" * 129), "mcp-tool-name", "error"),
    ("name ends with a dot", _set("name", "weather."), "mcp-tool-name", "warning"),
    ("duplicate", _duplicate, "mcp-tool-duplicate", "error"),
    ("no description", _drop("description"), "mcp-description-missing", "warning"),
    ("blank description", _set("description", "  "), "mcp-description-missing", "warning"),
    ("long description", _set("description", "w" * 1025), "mcp-description-long", "info"),
    ("input root array", _set("inputSchema", {"type": "array"}), "mcp-input-schema", "error"),
    (
        "input bad keyword",
        _set("inputSchema.properties", {"city": {"type": "strin"}}),
        "mcp-input-schema",
        "error",
    ),
    (
        "input dangling ref",
        _set("inputSchema.properties", {"city": {"$ref": "#/$defs/nope"}}),
        "mcp-input-schema",
        "error",
    ),
    ("output not valid", _set("outputSchema.required", "city"), "mcp-output-schema", "error"),
    ("output root array, 2025", _modern("2025-11-25"), "mcp-output-schema", "error"),
    ("output root array, 2026", _modern("2026-07-28"), "mcp-output-schema", "warning"),
    ("no openWorldHint", _drop("annotations.openWorldHint"), "mcp-annotations-missing", "warning"),
    ("no annotations", _drop("annotations"), "mcp-annotations-missing", "warning"),
    ("ui not an object", _meta("ui", "ui://test/widget.html"), "apps-tool-meta", "error"),
    ("resourceUri a number", _set("_meta.ui.resourceUri", 3), "apps-tool-meta", "error"),
    ("visibility wrong", _set("_meta.ui.visibility", ["everyone"]), "apps-tool-meta", "error"),
    ("outputTemplate a list", _meta("openai/outputTemplate", [WIDGET]), "apps-tool-meta", "error"),
    (
        "templates disagree",
        _meta("openai/outputTemplate", "ui://test/other.html"),
        "apps-template-mismatch",
        "error",
    ),
    (
        "http template",
        _set("_meta.ui.resourceUri", "https://x.test/w.html"),
        "apps-template-scheme",
        "warning",
    ),
    ("template gone", _lose_widget, "apps-template-missing", "error"),
    ("template unlisted", _unlist_widget, "apps-template-unlisted", "warning"),
    ("template read fails", _unreadable_widget, "apps-template-unreadable", "error"),
    ("template read empty", _empty_widget, "apps-template-unreadable", "error"),
    ("plain html", _mime("text/html"), "apps-template-mime", "error"),
    ("skybridge", _mime("text/html+skybridge"), "apps-template-mime", "info"),
    (
        "invoking too long",
        _meta("openai/toolInvocation/invoking", "L" * 65),
        "apps-invocation-label",
        "error",
    ),
    (
        "invoked not text",
        _meta("openai/toolInvocation/invoked", 7),
        "apps-invocation-label",
        "error",
    ),
    ("csp not an object", _csp("ui.csp", ["https://a.test"]), "apps-widget-csp", "error"),
    (
        "csp not origins",
        _csp("ui.csp", {"connectDomains": ["api.example.com/x"]}),
        "apps-widget-csp",
        "error",
    ),
    (
        "csp field a string",
        _csp("ui.csp", {"connectDomains": "https://a.test"}),
        "apps-widget-csp",
        "error",
    ),
    ("csp snake case", _csp("ui.csp", {"connect_domains": []}), "apps-widget-csp", "warning"),
    (
        "csp frames",
        _csp("ui.csp", {"frameDomains": ["https://*.video.test"]}),
        "apps-widget-csp",
        "info",
    ),
    (
        "openai csp camel case",
        _csp("openai/widgetCSP", {"connectDomains": []}),
        "apps-widget-csp",
        "warning",
    ),
    (
        "openai csp bad",
        _csp("openai/widgetCSP", {"resource_domains": ["*"]}),
        "apps-widget-csp",
        "error",
    ),
    ("uri template", _uri_template("test://notes/{note"), "mcp-uri-template", "error"),
]


def test_the_clean_server_has_no_findings(clean: Listing) -> None:
    assert lint_listing(clean) == []


@pytest.mark.parametrize(
    ("mutate", "rule", "severity"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_rule_fires_on_its_fault(
    clean: Listing, mutate: Mutation, rule: str, severity: str
) -> None:
    listing = copy.deepcopy(clean)
    mutate(listing)
    findings = lint_listing(listing)
    assert (rule, severity) in {(f.rule, f.severity) for f in findings}, findings
    found = next(f for f in findings if f.rule == rule and f.severity == severity)
    assert found.file == clean.url and found.line is None
    assert found.message


def test_every_documented_rule_has_a_case() -> None:
    assert {c[2] for c in CASES} == set(RULES)
    for rule, (severities, _) in RULES.items():
        assert {c[3] for c in CASES if c[2] == rule} == set(severities.split(", ")), rule


def test_well_formed_csp_and_labels_pass(clean: Listing) -> None:
    listing = copy.deepcopy(clean)
    _csp(
        "openai/widgetCSP",
        {"connect_domains": ["https://api.example.com:8443"], "redirect_domains": ["wss://x.test"]},
    )(listing)
    _meta("openai/toolInvocation/invoking", "L" * 64)(listing)
    assert lint_listing(listing) == []


def test_a_tool_name_the_sdk_accepts_passes(clean: Listing) -> None:
    listing = copy.deepcopy(clean)
    _set("name", "weather.get_current-v2")(listing)
    assert lint_listing(listing) == []


def test_pointers_name_the_place_in_the_listing(clean: Listing) -> None:
    listing = copy.deepcopy(clean)
    _meta("openai/toolInvocation/invoked", "I" * 70)(listing)
    index = listing.tools.index(_tool(listing))
    (finding,) = lint_listing(listing)
    assert finding.pointer == f"/tools/{index}/_meta/openai~1toolInvocation~1invoked"
    assert "get_weather" in finding.message and "70 characters" in finding.message


def test_schema_problem_does_not_fetch_remote_refs() -> None:
    problem = schema_problem({"type": "object", "properties": {"a": {"$ref": "https://x.test/s"}}})
    assert problem is not None and "not fetched" in problem
    assert schema_problem({"type": "object", "properties": {"a": {"type": "string"}}}) is None


def test_the_example_app_is_lint_clean(app_backend: Backend) -> None:
    assert lint_server(app_backend.url + "/mcp") == []


def test_a_faulty_server_is_reported_through_the_wire() -> None:
    def faulty(method: str, result: dict[str, Any]) -> dict[str, Any]:
        if method == "tools/list":
            tool = result["tools"][0]
            tool["name"] = "get weather"
            tool["inputSchema"] = {"type": "object", "properties": {"city": {"type": 5}}}
            tool["_meta"]["openai/outputTemplate"] = "ui://test/old.html"
        if method == "resources/read":
            for content in result["contents"]:
                content["mimeType"] = "text/html"
        return result

    with serving(http_app(widget_server(faulty))) as url:
        findings = lint_server(url + "/mcp")
    rules = {f.rule for f in findings}
    assert {
        "mcp-tool-name",
        "mcp-input-schema",
        "apps-template-mismatch",
        "apps-template-missing",
        "apps-template-mime",
    } <= rules
    assert all(f.file == url + "/mcp" for f in findings)
