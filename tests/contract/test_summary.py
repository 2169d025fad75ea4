"""A version summed up alike for the CLI and the TUI: hash, lint counts, findings, contents."""

from __future__ import annotations

from typing import Any

from pluginlab_tui.contract.summary import (
    contents_line,
    counts,
    finding_fields,
    fingerprint,
    lint_counts,
    lint_line,
)
from pluginlab_tui.mcp.catalogue import Catalogue
from pluginlab_tui.mcp.checks import check_catalogue
from pluginlab_tui.store.versions import CATALOGUE, VersionRecord

TOOL = {
    "name": "show",
    "inputSchema": {"type": "object"},
    "_meta": {"ui": {"resourceUri": "ui://w.html"}},
}


def record(**fields: Any) -> VersionRecord:
    base: dict[str, Any] = {
        "number": 1,
        "ts": "2026-11-25T09:00:00.000Z",
        "manifest_hash": None,
        "spec_hash": "spec0123456789",
        "manifest_text": None,
        "spec_text": "openapi: 3.1.0",
        "lint_summary": {},
        "lint_findings": [],
    }
    return VersionRecord(**{**base, **fields})


def test_a_lint_finding_and_a_catalogue_violation_read_alike() -> None:
    finding = {
        "rule": "servers-localhost",
        "severity": "warning",
        "file": "openapi.yaml",
        "line": 7,
        "column": 10,
        "pointer": "/servers/0/url",
        "message": "servers[0] is on localhost",
    }
    fields = finding_fields(finding)
    assert (fields.severity, fields.rule, fields.where) == (
        "warning",
        "servers-localhost",
        "openapi.yaml:7:10",
    )
    catalogue = Catalogue().with_list("tools/list", None, {"tools": [TOOL]})
    catalogue = catalogue.with_list("resources/list", None, {"resources": []})
    (violation,) = [v.to_dict() for v in check_catalogue(catalogue)]
    fields = finding_fields(violation)
    assert (fields.severity, fields.rule, fields.where) == (
        "error",
        "apps_template_missing",
        "tools/show/_meta",
    )
    assert "ui://w.html" in fields.message


def test_lint_counts_come_from_the_summary_or_else_the_findings() -> None:
    assert lint_line(record()) == "0 errors, 0 warnings"
    stored = record(lint_summary={"error": 1, "warning": 2, "info": 1})
    assert lint_line(stored) == "1 error, 2 warnings, 1 info"
    counted = record(lint_findings=[{"code": "apps_template_mime", "message": "m"}] * 2)
    assert lint_counts(counted) == {"error": 2}
    assert lint_line(counted) == "2 errors, 0 warnings"


def test_a_catalogue_version_is_named_by_its_hash_and_counted_by_list() -> None:
    catalogue = Catalogue().with_list("tools/list", None, {"tools": [TOOL, {"name": "b"}]})
    catalogue = catalogue.with_list("resources/list", None, {"resources": [{"uri": "ui://w"}]})
    assert counts(catalogue) == {"tool": 2, "resource": 1, "template": None, "prompt": None}
    assert contents_line(catalogue) == (
        "2 tools, 1 resource, templates not listed, prompts not listed"
    )
    version = record(kind=CATALOGUE, spec_hash=None, spec_text=None, catalogue_hash="c0ffee")
    assert fingerprint(version) == "c0ffee"
    assert fingerprint(record()) == "spec0123456789"
