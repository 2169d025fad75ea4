"""lint_paths: which files make a plugin; lint_texts: the proxy's entry; summarize."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pluginlab_tui.errors import UsageError
from pluginlab_tui.plugin.findings import Finding
from pluginlab_tui.plugin.lint import find_spec, lint_paths, lint_texts, summarize
from tests.conftest import examples
from tests.plugin.conftest import TODO, good_manifest, good_spec, rules

_keys = st.sampled_from(
    [
        "type",
        "auth",
        "api",
        "url",
        "servers",
        "security",
        "openapi",
        "parameters",
        "responses",
        "operationId",
        "summary",
        "description",
        "$ref",
        "required",
        "components",
        "securitySchemes",
        "x-openai-isConsequential",
        "requestBody",
        "content",
        "schema",
        "properties",
        "name",
        "in",
        "verification_tokens",
        "authorization_type",
        "paths",
    ]
)


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    folder = tmp_path / "todo"
    shutil.copytree(TODO, folder)
    return folder


def test_a_clean_folder(plugin: Path) -> None:
    assert lint_paths([plugin]) == []


def test_the_spec_is_found_from_api_url_path(plugin: Path) -> None:
    manifest = good_manifest()
    manifest["api"]["url"] = "https://todo.pluginlab.dev/.well-known/spec.yaml"
    (plugin / "ai-plugin.json").write_text(json.dumps(manifest))
    (plugin / ".well-known").mkdir()
    (plugin / ".well-known" / "spec.yaml").write_text("openapi: 3.1\n")
    found = lint_paths([plugin])
    assert any(
        f.rule == "openapi-not-string" and f.file.endswith(".well-known/spec.yaml") for f in found
    )


def test_then_its_basename_then_a_sibling(plugin: Path) -> None:
    manifest = good_manifest()
    manifest["api"]["url"] = "https://todo.pluginlab.dev/static/api.json"
    spec, tried = find_spec(plugin, manifest)
    assert spec == plugin / "openapi.yaml"
    assert tried == ["static/api.json", "api.json", "openapi.yaml"]
    (plugin / "api.json").write_text("{}")
    assert find_spec(plugin, manifest)[0] == plugin / "api.json"
    assert (
        find_spec(plugin, {"api": {"url": "$PLUGIN_HOSTNAME/../../etc/passwd"}})[0]
        == plugin / "openapi.yaml"
    )


def test_a_folder_without_a_spec(plugin: Path) -> None:
    (plugin / "openapi.yaml").unlink()
    (finding,) = lint_paths([plugin])
    assert (finding.rule, finding.severity) == ("spec-not-found", "info")


def test_a_folder_without_a_manifest(plugin: Path) -> None:
    (plugin / "ai-plugin.json").unlink()
    assert rules(lint_paths([plugin])) == {"manifest-missing"}
    assert lint_paths([plugin], profile="actions") == []
    (plugin / "openapi.yaml").unlink()
    with pytest.raises(UsageError, match="holds neither"):
        lint_paths([plugin])


def test_files_given_one_by_one(plugin: Path) -> None:
    manifest, spec = plugin / "ai-plugin.json", plugin / "openapi.yaml"
    assert lint_paths([spec]) == []
    assert lint_paths([manifest]) == []
    assert lint_paths([spec, manifest]) == []


def test_a_manifest_and_a_spec_named_together_are_linted_as_a_pair(
    plugin: Path, tmp_path: Path
) -> None:
    other = tmp_path / "elsewhere.yaml"
    other.write_text(
        (plugin / "openapi.yaml").read_text().replace("todo.pluginlab.dev", "graph.microsoft.com")
    )
    found = lint_paths([plugin / "ai-plugin.json", other])
    assert rules(found) == {"servers-api-url-mismatch"}


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        lint_paths([tmp_path / "nope.json"])


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError):
        lint_texts(None, "openapi: 3.0.1", profile="gpt")


def test_lint_texts_for_the_proxy() -> None:
    manifest = (TODO / "ai-plugin.json").read_text()
    spec = (TODO / "openapi.yaml").read_text()
    assert lint_texts(manifest, spec) == []
    assert lint_texts(None, spec) == lint_texts(manifest, None) == []
    found = lint_texts("{", "<html>", manifest_name="m.json", spec_name="s.yaml")
    assert [(f.file, f.rule) for f in found] == [
        ("m.json", "parse-error"),
        ("s.yaml", "parse-error"),
    ]


def test_findings_are_sorted_by_file_and_line(plugin: Path) -> None:
    manifest = good_manifest()
    manifest["name_for_human"] = "x" * 30
    manifest["schema_version"] = "v2"
    (plugin / "ai-plugin.json").write_text(json.dumps(manifest, indent=2))
    found = lint_paths([plugin])
    assert [f.rule for f in found] == ["schema-version", "name-for-human-length"]


def test_summarize() -> None:
    def finding(severity: str) -> Finding:
        return Finding("r", severity, "f", 1, 1, "", "m")  # type: ignore[arg-type]

    assert summarize([]) == {"error": 0, "warning": 0, "info": 0}
    assert summarize([finding("error"), finding("info"), finding("info")]) == {
        "error": 1,
        "warning": 0,
        "info": 2,
    }


_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["#/components/schemas/Todo", "#/x", "http://localhost", "oauth", "3.1.0"]),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(_keys, c, max_size=4),
    max_leaves=20,
)


@settings(max_examples=examples(150, quick=40))
@given(st.dictionaries(_keys, _values, max_size=5), st.dictionaries(_keys, _values, max_size=5))
def test_no_rule_crashes_on_odd_shapes(
    manifest_extra: dict[str, object], spec_extra: dict[str, object]
) -> None:
    manifest, spec = good_manifest(), good_spec()
    manifest.update(manifest_extra)
    spec["paths"]["/todos"]["get"].update(spec_extra)
    spec["components"]["schemas"]["Todo"].update(spec_extra)
    spec.update({k: v for k, v in spec_extra.items() if k != "paths"})
    for profile in ("plugin", "actions"):
        found = lint_texts(
            json.dumps(manifest), json.dumps(spec), profile=profile, domain="pluginlab.dev"
        )
        assert "lint-crashed" not in rules(found), found
